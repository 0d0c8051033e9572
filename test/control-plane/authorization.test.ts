// Role definitions, role assignments, and RBAC enforced on every management call.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { harness, armErr, group, registry, regPath, regUrl, rgUrl, sp, SUB, ACR_V, AUTHZ_V, RES_V, type Harness } from "./harness.js";
import { ROLE_IDS } from "../../src/auth/roles.js";

let h: Harness;
before(async () => {
  h = await harness();
  await group(h, "rbac");
  await registry(h, "rbac", "rbacreg01", "Premium");
});
after(async () => { await h.close(); });

const AZ = "providers/Microsoft.Authorization";
const roleDef = (guid: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const raUrl = (scope: string, name: string) => `${scope}/${AZ}/roleAssignments/${name}?${AUTHZ_V}`;

test("role definitions: list, filter by roleName (az), get by id", async () => {
  const all = await h.call("GET", `/subscriptions/${SUB}/${AZ}/roleDefinitions?${AUTHZ_V}`);
  assert.equal(all.status, 200);
  const names = all.json.value.map((d: any) => d.properties.roleName);
  for (const n of ["Owner", "Contributor", "Reader", "Network Contributor", "AcrPull", "AcrPush", "AcrDelete"]) assert.ok(names.includes(n), n);
  const f = await h.call("GET", `/subscriptions/${SUB}/resourceGroups/rbac/${AZ}/roleDefinitions?$filter=${encodeURIComponent("roleName eq 'AcrPush'")}&${AUTHZ_V}`);
  assert.equal(f.json.value.length, 1);
  assert.equal(f.json.value[0].id, roleDef(ROLE_IDS.AcrPush));
  assert.deepEqual(f.json.value[0].properties.permissions[0].actions, ["Microsoft.ContainerRegistry/registries/pull/read", "Microsoft.ContainerRegistry/registries/push/write"]);
  const g = await h.call("GET", `/subscriptions/${SUB}/${AZ}/roleDefinitions/${ROLE_IDS.AcrPull}?${AUTHZ_V}`);
  assert.equal(g.status, 200);
  assert.equal(g.json.properties.roleName, "AcrPull");
  armErr(await h.call("GET", `/subscriptions/${SUB}/${AZ}/roleDefinitions/${randomUUID()}?${AUTHZ_V}`), 404, "RoleDefinitionDoesNotExist");
  armErr(await h.call("GET", `/subscriptions/${SUB}/${AZ}/roleDefinitions?$filter=${encodeURIComponent("foo eq 1")}&${AUTHZ_V}`), 400, "InvalidParameter");
});

test("role assignments: PUT 201, GET, list with filters, duplicate, DELETE 200 then 204", async () => {
  const who = await h.principal("pusher");
  const scope = regPath("rbac", "rbacreg01");
  const name = randomUUID();
  const body = { properties: { roleDefinitionId: roleDef(ROLE_IDS.AcrPush), principalId: who.id, principalType: "ServicePrincipal" } };
  const c = await h.call("PUT", raUrl(scope, name), { body });
  assert.equal(c.status, 201);
  assert.match(String(c.headers["content-type"]), /^application\/json/);
  assert.equal(c.json.id, `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`);
  assert.equal(c.json.type, "Microsoft.Authorization/roleAssignments");
  assert.equal(c.json.properties.scope, scope);
  assert.equal(c.json.properties.principalId, who.id);
  assert.equal(c.json.properties.roleDefinitionId, roleDef(ROLE_IDS.AcrPush));
  assert.equal(c.json.properties.createdBy, h.owner.id);
  assert.ok(c.json.properties.createdOn && c.json.properties.updatedOn);

  assert.equal((await h.call("PUT", raUrl(scope, name), { body })).status, 200, "the same PUT again is idempotent");
  armErr(await h.call("PUT", raUrl(scope, randomUUID()), { body }), 409, "RoleAssignmentExists");
  armErr(await h.call("PUT", raUrl(scope, name), { body: { properties: { ...body.properties, roleDefinitionId: roleDef(ROLE_IDS.AcrPull) } } }), 409, "RoleAssignmentUpdateNotPermitted");

  const g = await h.call("GET", raUrl(scope, name));
  assert.equal(g.status, 200);
  assert.deepEqual(g.json, c.json);

  const sub = `/subscriptions/${SUB}`;
  const byPrincipal = await h.call("GET", `${sub}/${AZ}/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${who.id}'`)}&${AUTHZ_V}`);
  assert.deepEqual(byPrincipal.json.value.map((x: any) => x.name), [name]);
  const atSub = await h.call("GET", `${sub}/${AZ}/roleAssignments?$filter=atScope()&${AUTHZ_V}`);
  assert.ok(!atSub.json.value.some((x: any) => x.name === name), "atScope() excludes assignments below the scope");
  assert.ok(atSub.json.value.some((x: any) => x.properties.principalId === h.owner.id));
  const atReg = await h.call("GET", `${scope}/${AZ}/roleAssignments?$filter=atScope()&${AUTHZ_V}`);
  assert.ok(atReg.json.value.some((x: any) => x.name === name) && atReg.json.value.some((x: any) => x.properties.principalId === h.owner.id), "inherited ones included");
  const all = await h.call("GET", `${sub}/${AZ}/roleAssignments?${AUTHZ_V}`);
  assert.ok(all.json.value.some((x: any) => x.name === name));
  armErr(await h.call("GET", `${sub}/${AZ}/roleAssignments?$filter=${encodeURIComponent("roleName eq 'x'")}&${AUTHZ_V}`), 400, "InvalidParameter");

  const d = await h.call("DELETE", raUrl(scope, name));
  assert.equal(d.status, 200);
  assert.equal(d.json.name, name);
  assert.equal((await h.call("DELETE", raUrl(scope, name))).status, 204);
  armErr(await h.call("GET", raUrl(scope, name)), 404, "RoleAssignmentNotFound");
});

test("role assignment bad input", async () => {
  const scope = `/subscriptions/${SUB}/resourceGroups/rbac`;
  const ok = { roleDefinitionId: roleDef(ROLE_IDS.Reader), principalId: (await h.principal("bad-input")).id };
  armErr(await h.call("PUT", raUrl(scope, "not-a-guid"), { body: { properties: ok } }), 400, "InvalidRoleAssignmentId");
  armErr(await h.call("PUT", raUrl(scope, randomUUID()), { body: { properties: { ...ok, roleDefinitionId: roleDef(randomUUID()) } } }), 404, "RoleDefinitionDoesNotExist");
  armErr(await h.call("PUT", raUrl(scope, randomUUID()), { body: { properties: { ...ok, principalId: "bob" } } }), 400, "InvalidPrincipalId");
  armErr(await h.call("PUT", raUrl(scope, randomUUID()), { body: { properties: { ...ok, colour: 1 } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", raUrl(scope, randomUUID()), { body: { properties: { ...ok, principalId: 5 } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", raUrl(scope, randomUUID()), { body: { properties: { ...ok, principalType: "Robot" } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", raUrl(`/subscriptions/${SUB}/resourceGroups/nogroup`, randomUUID()), { body: { properties: ok } }), 404, "ResourceGroupNotFound");
  armErr(await h.call("PUT", raUrl(regPath("rbac", "noreg0001"), randomUUID()), { body: { properties: ok } }), 404, "ResourceNotFound");
  const after = await h.call("GET", `${scope}/${AZ}/roleAssignments?${AUTHZ_V}`);
  assert.ok(!after.json.value.some((x: any) => x.properties.principalId === ok.principalId), "nothing written");
});

test("RBAC: Reader reads but cannot write; the refusal is Azure's AuthorizationFailed", async () => {
  assert.equal((await h.call("GET", rgUrl("rbac"), { principal: h.reader })).status, 200);
  assert.equal((await h.call("GET", regUrl("rbac", "rbacreg01"), { principal: h.reader })).status, 200);
  const w = await h.call("PUT", rgUrl("rbac-new"), { body: { location: "westeurope" }, principal: h.reader });
  armErr(w, 403, "AuthorizationFailed");
  assert.equal(w.json.error.message,
    `The client '${h.reader.clientId}' with object id '${h.reader.id}' does not have authorization to perform action ` +
    `'Microsoft.Resources/subscriptions/resourceGroups/write' over scope '/subscriptions/${SUB}/resourceGroups/rbac-new' ` +
    "or the scope is invalid. If access was recently granted, please refresh your credentials.");
  armErr(await h.call("PATCH", regUrl("rbac", "rbacreg01"), { body: { properties: { adminUserEnabled: true } }, principal: h.reader }), 403, "AuthorizationFailed");
  armErr(await h.call("DELETE", regUrl("rbac", "rbacreg01"), { principal: h.reader }), 403, "AuthorizationFailed");
  armErr(await h.call("POST", `${regPath("rbac", "rbacreg01")}/listCredentials?${ACR_V}`, { principal: h.reader }), 403, "AuthorizationFailed");
  armErr(await h.call("PUT", raUrl(`/subscriptions/${SUB}`, randomUUID()), { body: { properties: { roleDefinitionId: roleDef(ROLE_IDS.Owner), principalId: h.reader.id } }, principal: h.reader }), 403, "AuthorizationFailed");
  assert.equal((await h.call("GET", rgUrl("rbac-new"))).status, 404, "nothing was written");
  assert.equal((await h.call("GET", regUrl("rbac", "rbacreg01"))).json.properties.adminUserEnabled, false);
});

test("RBAC: AcrPush at the registry cannot read the group or the registry resource, nor list them", async () => {
  const pusher = await h.principal("acrpush-only");
  await h.grant(pusher, regPath("rbac", "rbacreg01"), ROLE_IDS.AcrPush);
  armErr(await h.call("GET", rgUrl("rbac"), { principal: pusher }), 403, "AuthorizationFailed");
  armErr(await h.call("GET", regUrl("rbac", "rbacreg01"), { principal: pusher }), 403, "AuthorizationFailed");
  armErr(await h.call("PUT", regUrl("rbac", "rbacreg01"), { body: { location: "westeurope", sku: { name: "Basic" } }, principal: pusher }), 403, "AuthorizationFailed");
  const lg = await h.call("GET", `/subscriptions/${SUB}/resourcegroups?${RES_V}`, { principal: pusher });
  assert.equal(lg.status, 200);
  assert.deepEqual(lg.json.value, [], "ARM filters lists to readable items");
  const lr = await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerRegistry/registries?${ACR_V}`, { principal: pusher });
  assert.deepEqual(lr.json.value, []);
  // ...but it still sees its subscription at login (it holds a role assignment in it).
  assert.equal((await h.call("GET", "/subscriptions?api-version=2019-11-01", { principal: pusher })).json.value.length, 1);
});

test("RBAC: Owner at the subscription can do everything; a Contributor cannot assign roles", async () => {
  const contributor = await h.principal("contrib");
  await h.grant(contributor, `/subscriptions/${SUB}`, ROLE_IDS.Contributor);
  assert.equal((await h.call("PUT", rgUrl("contrib-rg"), { body: { location: "westeurope" }, principal: contributor })).status, 201);
  assert.equal((await h.call("PUT", regUrl("contrib-rg", "contribreg1"), { body: { location: "westeurope", sku: { name: "Basic" } }, principal: contributor })).status, 201);
  armErr(await h.call("PUT", raUrl(`/subscriptions/${SUB}/resourceGroups/contrib-rg`, randomUUID()), {
    body: { properties: { roleDefinitionId: roleDef(ROLE_IDS.AcrPull), principalId: (await h.principal("contrib-target")).id } }, principal: contributor,
  }), 403, "AuthorizationFailed");
  assert.equal((await h.call("PUT", raUrl(`/subscriptions/${SUB}/resourceGroups/contrib-rg`, randomUUID()), {
    body: { properties: { roleDefinitionId: roleDef(ROLE_IDS.AcrPull), principalId: (await h.principal("owner-target")).id } },
  })).status, 201);
  assert.equal((await h.call("DELETE", rgUrl("contrib-rg"))).status, 200);
});

test("a new role assignment takes effect on the next request", async () => {
  const late = await h.principal("late");
  armErr(await h.call("GET", rgUrl("rbac"), { principal: late }), 403, "AuthorizationFailed");
  const r = await h.call("PUT", raUrl(`/subscriptions/${SUB}/resourceGroups/rbac`, randomUUID()), {
    body: { properties: { roleDefinitionId: roleDef(ROLE_IDS.Reader), principalId: late.id } },
  });
  assert.equal(r.status, 201);
  assert.equal((await h.call("GET", rgUrl("rbac"), { principal: late })).status, 200);
  armErr(await h.call("GET", `/subscriptions/${SUB}/resourcegroups/other?${RES_V}`, { principal: late }), 403, "AuthorizationFailed");
});
