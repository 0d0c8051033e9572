// The audit log as an auditor reads it: through the management endpoint, with its own permission,
// paged, and with the hash chain verified by the server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { createRegistry, createServicePrincipal, assignRole, credentialFor, managementToken, ROLE } from "../support/arm.js";
import { https } from "../support/http.js";

let cove: TestCove;
before(async () => { cove = await startCove(); });
after(async () => { await cove?.stop(); });

async function get(path: string, token?: string) {
  return https(`${cove.managementUrl}${path}`, { ca: cove.ca, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

test("every management write is one audit record with actor, action, resource and request id; the chain verifies", async () => {
  const reg = await createRegistry(cove, "audit-rg", "auditreg01");
  const token = await managementToken(cove);
  const r = await get("/cove/audit?limit=1000", token);
  assert.equal(r.status, 200);
  const events = r.json().value.map((x: any) => x.event);
  const write = events.find((e: any) => e.kind === "control-plane" && e.resourceId?.toLowerCase() === reg.id.toLowerCase());
  assert.ok(write, "the registry PUT is in the log");
  assert.equal(write.action, "Microsoft.ContainerRegistry/registries/write");
  assert.ok(write.actor && write.requestId);
  for (const rec of r.json().value) assert.match(rec.hash, /^[0-9a-f]{64}$/);
  const v = await get("/cove/audit/verify", token);
  assert.equal(v.status, 200);
  assert.equal(v.json().ok, true);
  assert.equal(v.json().lastSeq, r.json().value.at(-1).seq);
});

test("the log is paged with nextLink", async () => {
  const token = await managementToken(cove);
  const first = await get("/cove/audit?limit=2", token);
  assert.equal(first.json().value.length, 2);
  const next = new URL(first.json().nextLink);
  const second = await get(next.pathname + next.search, token);
  assert.equal(second.status, 200);
  assert.equal(second.json().value[0].seq, first.json().value[1].seq + 1);
});

test("Reader may read the log; AcrPull may not; no token is 401; bad paging is 400", async () => {
  const reader = await createServicePrincipal(cove, "audit-reader");
  await assignRole(cove, `/subscriptions/${cove.credentials.subscriptionId}`, reader.objectId, ROLE.Reader);
  const puller = await createServicePrincipal(cove, "audit-puller");
  await assignRole(cove, `/subscriptions/${cove.credentials.subscriptionId}`, puller.objectId, ROLE.AcrPull);
  const rt = await managementToken(cove, credentialFor(cove, reader.appId, reader.password));
  assert.equal((await get("/cove/audit", rt)).status, 200);
  const pt = await managementToken(cove, credentialFor(cove, puller.appId, puller.password));
  const denied = await get("/cove/audit", pt);
  assert.equal(denied.status, 403);
  assert.equal(denied.json().error.code, "AuthorizationFailed");
  assert.equal((await get("/cove/audit")).status, 401);
  for (const q of ["after=-1", "limit=abc", "limit=100000", "after=1e9"]) {
    const bad = await get(`/cove/audit?${q}`, rt);
    assert.equal(bad.status, 400, q);
    assert.equal(bad.json().error.code, "InvalidParameter");
  }
});
