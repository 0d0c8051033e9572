// Custom role definitions (PUT/DELETE at a scope): what makes the private endpoint approval action
// assignable on its own. Stored in the shape access control evaluates; only Owner-like callers may
// write them; built-in ids are read-only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { harness, group, registry, armErr, sp, SUB, AUTHZ_V, type Harness } from "../control-plane/harness.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import { createAccessControl } from "../../src/auth/access-control.js";

let h: Harness;
const APPROVE = "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action";
const defUrl = (scope: string, guid: string) => `${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid}?${AUTHZ_V}`;
const sub = `/subscriptions/${SUB}`;
const approver = (scopes: string[], roleName = "Registry PE approver") => ({
  properties: {
    roleName, description: "Approves private endpoint connections", type: "CustomRole",
    permissions: [{ actions: [APPROVE, "Microsoft.ContainerRegistry/registries/read"], notActions: [], dataActions: [], notDataActions: [] }],
    assignableScopes: scopes,
  },
});

before(async () => {
  h = await harness();
  await group(h, "reg");
  await registry(h, "reg", "approvedreg");
  await registry(h, "reg", "otherreg");
});
after(async () => h.close());

test("a custom role with only the approval action, assigned at one registry, is honoured there and nowhere else", async () => {
  const guid = randomUUID();
  const put = await h.call("PUT", defUrl(sub, guid), { body: approver([sub]) });
  assert.equal(put.status, 201, put.text);
  assert.equal(put.json.name, guid);
  assert.equal(put.json.properties.type, "CustomRole");
  assert.equal(put.json.id, `${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`);
  const got = await h.call("GET", defUrl(sub, guid));
  assert.equal(got.status, 200);
  assert.deepEqual(got.json.properties.permissions[0].actions, [APPROVE, "Microsoft.ContainerRegistry/registries/read"]);
  const listed = await h.call("GET", `${sub}/providers/Microsoft.Authorization/roleDefinitions?${AUTHZ_V}&$filter=${encodeURIComponent("type eq 'CustomRole'")}`);
  assert.deepEqual(listed.json.value.map((r: any) => r.properties.roleName), ["Registry PE approver"]);

  const reg = `${sub}/resourceGroups/reg/providers/Microsoft.ContainerRegistry/registries/approvedreg`;
  const other = `${sub}/resourceGroups/reg/providers/Microsoft.ContainerRegistry/registries/otherreg`;
  const who = await h.principal("approver");
  const ra = await h.call("PUT", `${reg}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?${AUTHZ_V}`, {
    body: { properties: { roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`, principalId: who.id, principalType: "ServicePrincipal" } },
  });
  assert.equal(ra.status, 201, ra.text);
  const access = createAccessControl(h.meta);
  assert.equal(await access.authorize(who, APPROVE, reg), true);
  assert.equal(await access.authorize(who, APPROVE, other), false);
  assert.equal(await access.authorize(who, "Microsoft.ContainerRegistry/registries/write", reg), false);

  // In use: cannot be deleted.
  armErr(await h.call("DELETE", defUrl(sub, guid)), 409, "RoleDefinitionHasAssignments");
});

test("updates keep the id; names are unique; built-ins are read-only; Contributor cannot write", async () => {
  const guid = randomUUID();
  assert.equal((await h.call("PUT", defUrl(sub, guid), { body: approver([sub], "Second role") })).status, 201);
  const upd = await h.call("PUT", defUrl(`${sub}/resourceGroups/reg`, guid), { body: approver([`${sub}/resourceGroups/reg`], "Second role renamed") });
  assert.equal(upd.status, 200);
  assert.equal(upd.json.properties.roleName, "Second role renamed");
  assert.deepEqual(upd.json.properties.assignableScopes, [`${sub}/resourceGroups/reg`]);

  armErr(await h.call("PUT", defUrl(sub, randomUUID()), { body: approver([sub]) }), 409, "RoleDefinitionWithSameNameExists");
  armErr(await h.call("PUT", defUrl(sub, randomUUID()), { body: approver([sub], "AcrPush") }), 409, "RoleDefinitionWithSameNameExists");
  armErr(await h.call("PUT", defUrl(sub, ROLE_IDS.AcrPush), { body: approver([sub], "Mine") }), 400, "InvalidParameter");
  armErr(await h.call("DELETE", defUrl(sub, ROLE_IDS.Owner)), 400, "InvalidParameter");
  armErr(await h.call("PUT", defUrl(sub, "not-a-guid"), { body: approver([sub], "Mine") }), 400, "InvalidParameter");
  armErr(await h.call("PUT", defUrl(sub, randomUUID()), { body: approver([], "Mine") }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", defUrl(sub, randomUUID()), { body: approver(["/"], "Mine") }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", defUrl(sub, randomUUID()), { body: approver([`${sub}/resourceGroups/none`], "Mine") }), 404, "ResourceGroupNotFound");
  armErr(await h.call("PUT", defUrl(sub, randomUUID()), { body: { properties: { roleName: "x", permissions: [{ actions: ["has space"] }], assignableScopes: [sub] } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", defUrl(sub, randomUUID()), { body: { properties: { roleName: "x", type: "BuiltInRole", permissions: [{ actions: ["*/read"] }], assignableScopes: [sub] } } }), 400, "InvalidRequestContent");

  const contributor = sp("contributor");
  await h.grant(contributor, sub, ROLE_IDS.Contributor);
  armErr(await h.call("PUT", defUrl(sub, randomUUID()), { body: approver([sub], "By contributor"), principal: contributor }), 403, "AuthorizationFailed");
  armErr(await h.call("DELETE", defUrl(sub, guid), { principal: contributor }), 403, "AuthorizationFailed");

  // An Owner of one group only cannot name the subscription as an assignable scope.
  const rgOwner = sp("rg-owner");
  await h.grant(rgOwner, `${sub}/resourceGroups/reg`, ROLE_IDS.Owner);
  armErr(await h.call("PUT", defUrl(`${sub}/resourceGroups/reg`, randomUUID()), { body: approver([sub], "Too wide"), principal: rgOwner }), 403, "AuthorizationFailed");

  const del = await h.call("DELETE", defUrl(sub, guid));
  assert.equal(del.status, 200);
  assert.equal((await h.call("DELETE", defUrl(sub, guid))).status, 204);
  armErr(await h.call("GET", defUrl(sub, guid)), 404, "RoleDefinitionDoesNotExist");
});
