// Role assignments must name a principal Cove knows and a role definition of this subscription (or
// the tenant), as Azure: an unknown principal is 400 PrincipalNotFound, another subscription's role
// definition is 400 InvalidRoleDefinitionId, a principalType that does not match is 400
// UnmatchedPrincipalType, and none of them writes anything. Driven through Microsoft's
// @azure/arm-authorization over real TLS, as users' scripts do.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startCove, type TestCove } from "../support/cove.js";
import { ROLE, clients, createServicePrincipal, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";

let cove: TestCove;
let sub: string;
before(async () => {
  cove = await startCove();
  sub = `/subscriptions/${cove.credentials.subscriptionId}`;
});
after(async () => { await cove?.stop(); });

const roleDef = (subscriptionId: string, guid: string) => `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

async function refused(p: Promise<unknown>, status: number, code: string): Promise<string> {
  try {
    await p;
  } catch (err: any) {
    assert.equal(err.statusCode, status, String(err.message));
    assert.equal(err.code, code, String(err.message));
    return String(err.message);
  }
  assert.fail(`expected ${code}`);
}

async function assignmentsOf(principalId: string) {
  const out: any[] = [];
  for await (const a of clients(cove).authz.roleAssignments.listForSubscription({ filter: `principalId eq '${principalId}'` })) out.push(a);
  return out;
}

test("an assignment for a principal no one knows is 400 PrincipalNotFound naming the directory, and nothing is stored", async () => {
  const { authz } = clients(cove);
  const ghost = randomUUID();
  for (const principalType of [undefined, "ServicePrincipal", "User"]) {
    const message = await refused(authz.roleAssignments.create(sub, randomUUID(), {
      roleDefinitionId: roleDef(cove.credentials.subscriptionId, ROLE.AcrPull), principalId: ghost, ...(principalType ? { principalType } : {}),
    } as any), 400, "PrincipalNotFound");
    assert.match(message, new RegExp(`Principal ${ghost} does not exist in the directory ${cove.credentials.tenantId}`));
  }
  assert.deepEqual(await assignmentsOf(ghost), []);
});

test("a deleted service principal is unknown too", async () => {
  const sp = await createServicePrincipal(cove, "ra-deleted");
  const token = await managementToken(cove);
  const del = await https(`${cove.managementUrl}/cove/identity/servicePrincipals/${sp.appId}`, { method: "DELETE", ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.ok(del.status === 200 || del.status === 204, `delete: ${del.status}`);
  await refused(clients(cove).authz.roleAssignments.create(sub, randomUUID(), {
    roleDefinitionId: roleDef(cove.credentials.subscriptionId, ROLE.Reader), principalId: sp.objectId,
  } as any), 400, "PrincipalNotFound");
});

test("a role definition id under another subscription is 400 InvalidRoleDefinitionId; a malformed one too", async () => {
  const { authz } = clients(cove);
  const sp = await createServicePrincipal(cove, "ra-foreign-role");
  const other = randomUUID();
  const message = await refused(authz.roleAssignments.create(sub, randomUUID(), {
    roleDefinitionId: roleDef(other, ROLE.Owner), principalId: sp.objectId, principalType: "ServicePrincipal",
  } as any), 400, "InvalidRoleDefinitionId");
  assert.match(message, new RegExp(other));
  await refused(authz.roleAssignments.create(sub, randomUUID(), {
    roleDefinitionId: `${sub}/resourceGroups/x/providers/Microsoft.Authorization/roleDefinitions/${ROLE.Owner}`, principalId: sp.objectId,
  } as any), 400, "InvalidRoleDefinitionId");
  assert.deepEqual(await assignmentsOf(sp.objectId), [], "nothing was granted");
});

test("real principals are assigned: this subscription's and the tenant-level role definition ids; a wrong principalType is refused", async () => {
  const { authz } = clients(cove);
  const sp = await createServicePrincipal(cove, "ra-real");
  const a = await authz.roleAssignments.create(sub, randomUUID(), {
    roleDefinitionId: roleDef(cove.credentials.subscriptionId, ROLE.AcrPull), principalId: sp.objectId, principalType: "ServicePrincipal",
  } as any);
  assert.equal(a.principalId, sp.objectId);
  assert.equal(a.principalType, "ServicePrincipal");
  const t = await authz.roleAssignments.create(sub, randomUUID(), {
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${ROLE.Reader}`, principalId: sp.objectId,
  } as any);
  assert.equal(t.principalId, sp.objectId);
  const message = await refused(authz.roleAssignments.create(sub, randomUUID(), {
    roleDefinitionId: roleDef(cove.credentials.subscriptionId, ROLE.AcrPush), principalId: sp.objectId, principalType: "User",
  } as any), 400, "UnmatchedPrincipalType");
  assert.match(message, /has type 'ServicePrincipal'.*PrincipalType 'User'/);
  assert.equal((await assignmentsOf(sp.objectId)).length, 2);
  // The bootstrap service principal is a known principal too.
  const boot = (await whoAmI()).oid;
  const b = await authz.roleAssignments.create(sub, randomUUID(), { roleDefinitionId: roleDef(cove.credentials.subscriptionId, ROLE.Reader), principalId: boot } as any);
  assert.equal(b.principalId, boot);
});

async function whoAmI(): Promise<{ oid: string }> {
  const token = await managementToken(cove);
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));
}
