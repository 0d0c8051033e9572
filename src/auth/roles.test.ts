import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILT_IN_ROLES, ROLE_IDS, actionMatches, builtInRole, builtInRoleByName, renderRoleDefinition, roleAllows, roleRegistryActions } from "./roles.js";

test("action wildcards match as Azure: * spans slashes, comparison is case-insensitive", () => {
  const table: [string, string, boolean][] = [
    ["*", "Microsoft.ContainerRegistry/registries/write", true],
    ["*/read", "Microsoft.ContainerRegistry/registries/read", true],
    ["*/read", "Microsoft.ContainerRegistry/registries/pull/read", true],
    ["*/read", "Microsoft.ContainerRegistry/registries/write", false],
    ["Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", true],
    ["Microsoft.Authorization/*/Write", "microsoft.authorization/ROLEASSIGNMENTS/WRITE", true],
    ["Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/read", false],
    ["Microsoft.Network/*", "Microsoft.Network/privateEndpoints/write", true],
    ["Microsoft.Network/*", "Microsoft.NetworkX/privateEndpoints/write", false],
    ["Microsoft.ContainerRegistry/registries/pull/read", "Microsoft.ContainerRegistry/registries/pull/read", true],
    ["Microsoft.ContainerRegistry/registries/pull/read", "Microsoft.ContainerRegistry/registries/pull/readx", false],
    ["Microsoft.Container.Registry/*", "MicrosoftXContainer/x", false], // "." is literal, not a regex dot
  ];
  for (const [pattern, action, want] of table) assert.equal(actionMatches(pattern, action), want, `${pattern} vs ${action}`);
});

test("built-in roles carry Azure's GUIDs and names", () => {
  const want: Record<string, string> = {
    Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
    AcrDelete: "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
  };
  assert.equal(BUILT_IN_ROLES.length, Object.keys(want).length);
  for (const [name, guid] of Object.entries(want)) {
    assert.equal(builtInRoleByName(name)?.name, guid);
    assert.equal(builtInRole(`/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${guid.toUpperCase()}`)?.roleName, name);
  }
  assert.equal(builtInRole("/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-0000-0000-000000000001"), undefined);
});

test("role permissions: who may do what at the ARM level", () => {
  const role = (g: string) => builtInRole(g)!;
  const table: [string, string, boolean][] = [
    [ROLE_IDS.Owner, "Microsoft.Authorization/roleAssignments/write", true],
    [ROLE_IDS.Contributor, "Microsoft.Authorization/roleAssignments/write", false],
    [ROLE_IDS.Contributor, "Microsoft.Authorization/roleAssignments/delete", false],
    [ROLE_IDS.Contributor, "Microsoft.Authorization/elevateAccess/Action", false],
    [ROLE_IDS.Contributor, "Microsoft.Authorization/roleAssignments/read", true],
    [ROLE_IDS.Contributor, "Microsoft.ContainerRegistry/registries/write", true],
    [ROLE_IDS.Reader, "Microsoft.ContainerRegistry/registries/read", true],
    [ROLE_IDS.Reader, "Microsoft.ContainerRegistry/registries/write", false],
    [ROLE_IDS.NetworkContributor, "Microsoft.Network/privateEndpoints/write", true],
    [ROLE_IDS.NetworkContributor, "Microsoft.Resources/subscriptions/resourceGroups/read", true],
    [ROLE_IDS.NetworkContributor, "Microsoft.ContainerRegistry/registries/write", false],
    [ROLE_IDS.AcrPull, "Microsoft.ContainerRegistry/registries/pull/read", true],
    [ROLE_IDS.AcrPull, "Microsoft.ContainerRegistry/registries/read", false],
    [ROLE_IDS.AcrPush, "Microsoft.ContainerRegistry/registries/push/write", true],
    [ROLE_IDS.AcrDelete, "Microsoft.ContainerRegistry/registries/artifacts/delete", true],
    [ROLE_IDS.AcrDelete, "Microsoft.ContainerRegistry/registries/pull/read", false],
  ];
  for (const [guid, action, want] of table) assert.equal(roleAllows(role(guid), action), want, `${role(guid).roleName} ${action}`);
});

test("data-plane rights derived from each role", () => {
  const table: [string, string[]][] = [
    [ROLE_IDS.AcrPull, ["pull"]],
    [ROLE_IDS.AcrPush, ["pull", "push"]],
    [ROLE_IDS.AcrDelete, ["delete"]],
    [ROLE_IDS.Owner, ["pull", "push", "delete"]],
    [ROLE_IDS.Contributor, ["pull", "push", "delete"]],
    [ROLE_IDS.Reader, ["pull"]],
    [ROLE_IDS.NetworkContributor, []],
  ];
  for (const [guid, want] of table) assert.deepEqual([...roleRegistryActions(builtInRole(guid)!)].sort(), [...want].sort(), builtInRole(guid)!.roleName);
});

test("renderRoleDefinition gives the ARM body at a scope", () => {
  const body = renderRoleDefinition(builtInRoleByName("AcrPush")!, "/subscriptions/s1") as any;
  assert.equal(body.id, "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/8311e382-0749-4cb8-b61a-304f252e45ec");
  assert.equal(body.name, "8311e382-0749-4cb8-b61a-304f252e45ec");
  assert.equal(body.type, "Microsoft.Authorization/roleDefinitions");
  assert.equal(body.properties.roleName, "AcrPush");
  assert.equal(body.properties.type, "BuiltInRole");
  assert.deepEqual(body.properties.assignableScopes, ["/"]);
  assert.deepEqual(body.properties.permissions, [{
    actions: ["Microsoft.ContainerRegistry/registries/pull/read", "Microsoft.ContainerRegistry/registries/push/write"],
    notActions: [], dataActions: [], notDataActions: [],
  }]);
  // The rendered body is a copy: editing it cannot change the built-in role.
  body.properties.permissions[0].actions.push("*");
  assert.equal(builtInRoleByName("AcrPush")!.permissions[0]!.actions.length, 2);
  const root = renderRoleDefinition(builtInRoleByName("Owner")!, "/") as any;
  assert.equal(root.id, "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
});
