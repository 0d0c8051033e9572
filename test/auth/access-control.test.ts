import { test } from "node:test";
import assert from "node:assert/strict";
import { authEnv } from "./env.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import { buildRoleAssignment } from "../../src/auth/role-assignments.js";

const SUB = "/subscriptions/11111111-1111-1111-1111-111111111111";
const RG = `${SUB}/resourceGroups/team-rg`;
const REG = `${RG}/providers/Microsoft.ContainerRegistry/registries/teamreg`;
const OTHER_REG = `${SUB}/resourceGroups/team-rg2/providers/Microsoft.ContainerRegistry/registries/otherreg`;

test("role assignments are inherited downward and only downward", async () => {
  const env = await authEnv();
  try {
    const a = await env.principal("a");
    await env.assign(RG, a.objectId, ROLE_IDS.AcrPush);
    assert.deepEqual([...(await env.access.registryActions(a.principal, REG))].sort(), ["pull", "push"]);
    assert.deepEqual([...(await env.access.registryActions(a.principal, REG.toUpperCase()))].sort(), ["pull", "push"], "paths compare case-insensitively");
    assert.deepEqual([...(await env.access.registryActions(a.principal, OTHER_REG))], [], "rg2 is not under rg");
    assert.equal(await env.access.authorize(a.principal, "Microsoft.ContainerRegistry/registries/push/write", RG), true);
    assert.equal(await env.access.authorize(a.principal, "Microsoft.ContainerRegistry/registries/push/write", SUB), false, "never upward");
    assert.equal(await env.access.authorize(a.principal, "Microsoft.ContainerRegistry/registries/write", REG), false, "AcrPush is not management write");
  } finally {
    await env.close();
  }
});

test("rights from several assignments add up; other principals get nothing", async () => {
  const env = await authEnv();
  try {
    const a = await env.principal("a");
    const b = await env.principal("b");
    await env.assign(SUB, a.objectId, ROLE_IDS.AcrPull);
    await env.assign(REG, a.objectId, ROLE_IDS.AcrDelete);
    assert.deepEqual([...(await env.access.registryActions(a.principal, REG))].sort(), ["delete", "pull"]);
    assert.deepEqual([...(await env.access.registryActions(a.principal, OTHER_REG))], ["pull"]);
    assert.deepEqual([...(await env.access.registryActions(b.principal, REG))], []);
    // The admin user and anonymous callers hold no role assignments.
    assert.equal(await env.access.authorize({ kind: "adminUser", id: "teamreg" }, "Microsoft.ContainerRegistry/registries/read", REG), false);
    assert.equal(await env.access.authorize({ kind: "anonymous", id: "anonymous" }, "*", REG), false);
  } finally {
    await env.close();
  }
});

test("Owner may assign roles, Contributor may not; deleting an assignment takes effect at once", async () => {
  const env = await authEnv();
  try {
    const owner = await env.principal("owner");
    const contrib = await env.principal("contrib");
    const ownerAssignment = await env.assign(SUB, owner.objectId, ROLE_IDS.Owner);
    await env.assign(SUB, contrib.objectId, ROLE_IDS.Contributor);
    const write = "Microsoft.Authorization/roleAssignments/write";
    assert.equal(await env.access.authorize(owner.principal, write, REG), true);
    assert.equal(await env.access.authorize(contrib.principal, write, REG), false);
    assert.equal(await env.access.authorize(contrib.principal, "Microsoft.ContainerRegistry/registries/write", REG), true);
    assert.deepEqual([...(await env.access.registryActions(contrib.principal, REG))].sort(), ["delete", "pull", "push"]);
    await env.meta.deleteResource(ownerAssignment);
    assert.equal(await env.access.authorize(owner.principal, write, REG), false);
  } finally {
    await env.close();
  }
});

test("custom role definitions stored as resources are honoured", async () => {
  const env = await authEnv();
  try {
    const a = await env.principal("a");
    const guid = "0b5f4a8e-1111-4222-8333-444455556666";
    await env.meta.putResource({
      id: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
      type: "Microsoft.Authorization/roleDefinitions",
      body: { name: guid, properties: { roleName: "Puller", type: "CustomRole", permissions: [{ actions: ["Microsoft.ContainerRegistry/registries/*/read"], notActions: [] }] } },
    });
    await env.meta.putResource(buildRoleAssignment({ scope: REG, roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`, principalId: a.objectId }));
    assert.deepEqual([...(await env.access.registryActions(a.principal, REG))], ["pull"]);
    // An assignment naming a role that does not exist grants nothing.
    const b = await env.principal("b");
    await env.assign(REG, b.objectId, "99999999-9999-4999-8999-999999999999");
    assert.deepEqual([...(await env.access.registryActions(b.principal, REG))], []);
  } finally {
    await env.close();
  }
});
