import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { harness, armErr, group, registry, regUrl, rgUrl, SUB, RES_V, type Harness } from "./harness.js";

let h: Harness;
before(async () => { h = await harness(); });
after(async () => { await h.close(); });

test("PUT creates (201) then updates (200) a group; GET, HEAD and list return it", async () => {
  const c = await h.call("PUT", rgUrl("rg-one"), { body: { location: "West Europe", tags: { team: "a" } } });
  assert.equal(c.status, 201);
  assert.deepEqual(c.json, {
    id: `/subscriptions/${SUB}/resourceGroups/rg-one`, name: "rg-one", type: "Microsoft.Resources/resourceGroups",
    location: "westeurope", tags: { team: "a" }, properties: { provisioningState: "Succeeded" },
  });
  const u = await h.call("PUT", rgUrl("RG-ONE"), { body: { location: "westeurope" } });
  assert.equal(u.status, 200);
  assert.equal(u.json.name, "rg-one", "the name keeps the case it was created with");
  const g = await h.call("GET", rgUrl("Rg-One"));
  assert.equal(g.status, 200);
  assert.equal(g.json.id, `/subscriptions/${SUB}/resourceGroups/rg-one`);
  const head = await h.call("HEAD", rgUrl("rg-one"));
  assert.equal(head.status, 204);
  assert.equal((await h.call("HEAD", rgUrl("rg-missing"))).status, 404);
  const l = await h.call("GET", `/subscriptions/${SUB}/resourcegroups?${RES_V}`);
  assert.equal(l.status, 200);
  assert.ok(l.json.value.some((x: any) => x.name === "rg-one"));
});

test("PATCH changes only tags", async () => {
  await group(h, "rg-patch");
  const r = await h.call("PATCH", rgUrl("rg-patch"), { body: { tags: { env: "test" } } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.tags, { env: "test" });
  assert.equal(r.json.location, "westeurope");
});

test("bad input: missing location, bad names, unknown keys, location change", async () => {
  armErr(await h.call("PUT", rgUrl("rg-bad"), { body: {} }), 400, "LocationRequired");
  armErr(await h.call("PUT", rgUrl("bad.name."), { body: { location: "westeurope" } }), 400, "InvalidResourceGroup");
  armErr(await h.call("PUT", rgUrl("bad%24name"), { body: { location: "westeurope" } }), 400, "InvalidResourceGroup");
  armErr(await h.call("PUT", rgUrl("x".repeat(91)), { body: { location: "westeurope" } }), 400, "InvalidResourceGroup");
  const unk = await h.call("PUT", rgUrl("rg-bad"), { body: { location: "westeurope", colour: "blue" } });
  armErr(unk, 400, "InvalidRequestContent");
  assert.match(unk.json.error.message, /colour/);
  armErr(await h.call("PUT", rgUrl("rg-bad"), { body: { location: 7 } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", rgUrl("rg-bad"), { body: "{not json" }), 400, "InvalidRequestContent");
  assert.equal((await h.call("HEAD", rgUrl("rg-bad"))).status, 404, "nothing was written");
  await group(h, "rg-loc");
  armErr(await h.call("PUT", rgUrl("rg-loc"), { body: { location: "eastus" } }), 409, "InvalidResourceGroupLocation");
});

test("GET/DELETE of a missing group: ResourceGroupNotFound", async () => {
  armErr(await h.call("GET", rgUrl("nope")), 404, "ResourceGroupNotFound");
  armErr(await h.call("DELETE", rgUrl("nope")), 404, "ResourceGroupNotFound");
});

test("DELETE removes the group and everything under it: registries, credentials, role assignments", async () => {
  await group(h, "rg-del");
  const reg = await registry(h, "rg-del", "delreg01", "Basic");
  const blobDigest = "sha256:" + "a".repeat(64);
  await h.meta.linkBlob(reg.id.toLowerCase(), "repo", blobDigest, 3);
  const ra = await h.call("PUT", `/subscriptions/${SUB}/resourceGroups/rg-del/providers/Microsoft.Authorization/roleAssignments/0b0e1b2c-1111-4222-8333-444455556666?api-version=2022-04-01`, {
    body: { properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`, principalId: (await h.principal("rg-del-reader")).id } },
  });
  assert.equal(ra.status, 201);
  const before = h.state.current();
  assert.equal(before.registryByHost("delreg01.cove.test")?.key, reg.id.toLowerCase());
  const d = await h.call("DELETE", rgUrl("rg-del"));
  assert.equal(d.status, 200);
  assert.ok(h.state.current().version > before.version, "the state view was rebuilt before the answer");
  assert.equal(h.state.current().registryByHost("delreg01.cove.test"), undefined, "the data plane no longer serves the registry");
  armErr(await h.call("GET", rgUrl("rg-del")), 404, "ResourceGroupNotFound");
  assert.equal(await h.meta.getResource(reg.id), undefined);
  assert.equal(await h.meta.getResource(`${reg.id}/adminCredentials`), undefined);
  assert.equal(await h.meta.getBlobLink(reg.id.toLowerCase(), "repo", blobDigest), undefined, "registry content deleted");
  const left = await h.meta.listResources({ underId: `/subscriptions/${SUB}/resourceGroups/rg-del` });
  assert.deepEqual(left, []);
  // The name is free again.
  await group(h, "rg-del");
  await registry(h, "rg-del", "delreg01", "Basic");
  assert.equal((await h.call("GET", regUrl("rg-del", "delreg01"))).status, 200);
});

test("writes are audited with action, resource, actor, request id and outcome", async () => {
  await h.call("PUT", rgUrl("rg-audit"), { body: { location: "westeurope" } });
  await h.call("PUT", rgUrl("rg-audit2"), { body: { location: "westeurope" }, principal: h.reader });
  const events = (await h.meta.readAudit()).map((r) => r.event);
  const ok = events.find((e) => e.resourceId === `/subscriptions/${SUB}/resourcegroups/rg-audit` && e.status === 201);
  assert.ok(ok, JSON.stringify(events.slice(-3)));
  assert.equal(ok.kind, "control-plane");
  assert.equal(ok.action, "Microsoft.Resources/subscriptions/resourceGroups/write");
  assert.equal(ok.actor, h.owner.id);
  assert.ok(ok.requestId);
  const denied = events.find((e) => String(e.resourceId).endsWith("rg-audit2"));
  assert.equal(denied?.status, 403);
});
