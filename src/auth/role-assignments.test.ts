import { test } from "node:test";
import assert from "node:assert/strict";
import { assignmentView, buildRoleAssignment, scopeCovers } from "./role-assignments.js";

test("scope inheritance: downward only, whole segments, case-insensitive", () => {
  const rg = "/subscriptions/s/resourceGroups/rg";
  const reg = `${rg}/providers/Microsoft.ContainerRegistry/registries/myreg`;
  const table: [string, string, boolean][] = [
    ["/", reg, true],
    ["/subscriptions/s", reg, true],
    ["/SUBSCRIPTIONS/S/", reg, true],
    [rg, reg, true],
    [rg.toUpperCase(), reg, true],
    [reg, reg, true],
    [reg, rg, false], // never upward
    ["/subscriptions/s/resourceGroups/r", reg, false], // "r" is not a prefix segment of "rg"
    ["/subscriptions/s/resourceGroups/rg2", reg, false],
    [`${reg}2`, reg, false],
    ["/subscriptions/other", reg, false],
  ];
  for (const [scope, target, want] of table) assert.equal(scopeCovers(scope, target), want, `${scope} covers ${target}`);
});

test("buildRoleAssignment writes Azure's shape, id under the scope", () => {
  const rec = buildRoleAssignment({ scope: "/subscriptions/s/resourceGroups/rg", roleDefinitionId: "7f951dda-4ed3-4680-a7ca-43fe172d538d", principalId: "p1", name: "a1" });
  assert.equal(rec.id, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/a1");
  assert.equal(rec.type, "Microsoft.Authorization/roleAssignments");
  const p = (rec.body as any).properties;
  assert.equal(p.roleDefinitionId, "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d");
  assert.equal(p.principalId, "p1");
  assert.equal(p.principalType, "ServicePrincipal");
  assert.equal(p.scope, "/subscriptions/s/resourceGroups/rg");
  assert.match(p.createdOn, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(assignmentView(rec), { id: rec.id, scope: p.scope, roleDefinitionId: p.roleDefinitionId, principalId: "p1" });
});

test("an assignment whose body claims a wider scope than its id grants nothing", () => {
  const rec = buildRoleAssignment({ scope: "/subscriptions/s/resourceGroups/rg", roleDefinitionId: "x", principalId: "p" });
  (rec.body as any).properties.scope = "/subscriptions/s";
  assert.equal(assignmentView(rec), undefined);
  assert.equal(assignmentView({ id: "/x", type: "t", body: { properties: {} } }), undefined);
});
