// Built-in role definitions as DATA, with Azure's names, GUIDs and permission strings (house style
// habit 5: roles are data; nothing builds a method name from a string). The control plane serves
// them as Microsoft.Authorization/roleDefinitions; access-control.ts evaluates them.
//
// Data-plane rights are DERIVED from the ARM actions rather than listed a second time: a role
// grants `pull` when one of its actions matches Microsoft.ContainerRegistry/registries/pull/read,
// and so on. That yields AcrPull -> pull, AcrPush -> pull+push, AcrDelete -> delete,
// Owner/Contributor -> all, and Reader -> pull (its `*/read` covers pull/read, as in Azure, whose
// ACR roles table gives Reader "Pull image"). Custom roles get the same treatment for free.

import type { ArmAction, RegistryAction } from "./types.js";
import { ROLE_DEFINITION_TYPE } from "../domain/resource-types.js";


export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** The role definition's GUID (its ARM `name`). */
  name: string;
  roleName: string;
  type: "BuiltInRole" | "CustomRole";
  description: string;
  assignableScopes: string[];
  permissions: Permission[];
  /** A custom role's createdOn, updatedOn, createdBy and updatedBy, as its PUT answered them; built-in roles have none. */
  written?: Record<"createdOn" | "updatedOn" | "createdBy" | "updatedBy", string>;
}

function perm(actions: string[], notActions: string[] = []): Permission {
  return { actions, notActions, dataActions: [], notDataActions: [] };
}

/** The ARM action behind each registry data-plane action (acr-networking.md 5.3). */
export const REGISTRY_ACTION_ARM: Readonly<Record<Exclude<RegistryAction, "*">, ArmAction>> = {
  pull: "Microsoft.ContainerRegistry/registries/pull/read",
  push: "Microsoft.ContainerRegistry/registries/push/write",
  delete: "Microsoft.ContainerRegistry/registries/artifacts/delete",
};

export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  {
    name: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    roleName: "Owner",
    type: "BuiltInRole",
    description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    assignableScopes: ["/"],
    permissions: [perm(["*"])],
  },
  {
    name: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    roleName: "Contributor",
    type: "BuiltInRole",
    description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
    assignableScopes: ["/"],
    permissions: [
      perm(["*"], [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action",
      ]),
    ],
  },
  {
    name: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    roleName: "Reader",
    type: "BuiltInRole",
    description: "View all resources, but does not allow you to make any changes.",
    assignableScopes: ["/"],
    permissions: [perm(["*/read"])],
  },
  {
    name: "4d97b98b-1d4f-4787-a291-c67834d212e7",
    roleName: "Network Contributor",
    type: "BuiltInRole",
    description: "Lets you manage networks, but not access to them.",
    assignableScopes: ["/"],
    permissions: [
      perm([
        "Microsoft.Authorization/*/read",
        "Microsoft.Insights/alertRules/*",
        "Microsoft.Network/*",
        "Microsoft.ResourceHealth/availabilityStatuses/read",
        "Microsoft.Resources/deployments/*",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Support/*",
      ]),
    ],
  },
  {
    name: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    roleName: "AcrPull",
    type: "BuiltInRole",
    description: "acr pull",
    assignableScopes: ["/"],
    permissions: [perm([REGISTRY_ACTION_ARM.pull])],
  },
  {
    name: "8311e382-0749-4cb8-b61a-304f252e45ec",
    roleName: "AcrPush",
    type: "BuiltInRole",
    description: "acr push",
    assignableScopes: ["/"],
    permissions: [perm([REGISTRY_ACTION_ARM.pull, REGISTRY_ACTION_ARM.push])],
  },
  {
    name: "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
    roleName: "AcrDelete",
    type: "BuiltInRole",
    description: "acr delete",
    assignableScopes: ["/"],
    permissions: [perm([REGISTRY_ACTION_ARM.delete])],
  },
];

/** Well-known GUIDs by role name, for callers that assign roles (bootstrap, CLI, tests). */
export const ROLE_IDS = {
  Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  NetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
  AcrDelete: "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
} as const;

const byGuid = new Map(BUILT_IN_ROLES.map((r) => [r.name.toLowerCase(), r]));

/** The built-in role whose GUID is the last segment of `roleDefinitionId` (or is the GUID itself). */
export function builtInRole(roleDefinitionId: string): RoleDefinition | undefined {
  const guid = roleDefinitionId.replace(/\/+$/, "").split("/").pop() ?? "";
  return byGuid.get(guid.toLowerCase());
}

/** The built-in role with this display name (case-insensitive), e.g. "AcrPush". */
export function builtInRoleByName(roleName: string): RoleDefinition | undefined {
  const n = roleName.toLowerCase();
  return BUILT_IN_ROLES.find((r) => r.roleName.toLowerCase() === n);
}

/** ARM id of a role definition as seen from `scope` ("" or "/" for the tenant root). */
export function roleDefinitionId(scope: string, guid: string): string {
  const s = scope.replace(/\/+$/, "");
  return `${s}/providers/${ROLE_DEFINITION_TYPE}/${guid}`;
}

/** The ARM body of a role definition at `scope`, as GET .../roleDefinitions/{guid} returns it. */
export function renderRoleDefinition(role: RoleDefinition, scope: string): Record<string, unknown> {
  return {
    id: roleDefinitionId(scope, role.name),
    name: role.name,
    type: ROLE_DEFINITION_TYPE,
    properties: {
      roleName: role.roleName,
      type: role.type,
      description: role.description,
      assignableScopes: [...role.assignableScopes],
      permissions: role.permissions.map((p) => ({
        actions: [...p.actions],
        notActions: [...p.notActions],
        dataActions: [...p.dataActions],
        notDataActions: [...p.notDataActions],
      })),
      ...(role.written ?? {}),
    },
  };
}

// Azure's action wildcards: `*` stands for any run of characters (slashes included), the rest
// compares case-insensitively ("Microsoft.Authorization/*/Write" matches ".../roleAssignments/write").
const compiled = new Map<string, RegExp>();

export function actionMatches(pattern: string, action: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*");
    re = new RegExp(`^${body}$`, "is");
    if (compiled.size < 10_000) compiled.set(pattern, re);
  }
  return re.test(action);
}

/** True when `role` allows `action`: some permission block lists it and does not exclude it. */
export function roleAllows(role: RoleDefinition, action: ArmAction): boolean {
  return role.permissions.some(
    (p) => p.actions.some((a) => actionMatches(a, action)) && !p.notActions.some((n) => actionMatches(n, action)),
  );
}

/** Data-plane actions a role grants (derived from its ARM actions; see the module comment). */
export function roleRegistryActions(role: RoleDefinition): Set<Exclude<RegistryAction, "*">> {
  const out = new Set<Exclude<RegistryAction, "*">>();
  for (const [ra, arm] of Object.entries(REGISTRY_ACTION_ARM) as [Exclude<RegistryAction, "*">, string][]) {
    if (roleAllows(role, arm)) out.add(ra);
  }
  return out;
}

/** Parses a stored custom role definition body (ARM shape); undefined when it is not one. */
export function roleFromBody(body: Record<string, any>): RoleDefinition | undefined {
  const p = body?.properties;
  if (typeof body?.name !== "string" || !p || !Array.isArray(p.permissions)) return undefined;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  return {
    name: body.name,
    roleName: String(p.roleName ?? body.name),
    type: p.type === "BuiltInRole" ? "BuiltInRole" : "CustomRole",
    description: String(p.description ?? ""),
    assignableScopes: strings(p.assignableScopes),
    permissions: p.permissions.map((x: any) => ({
      actions: strings(x?.actions),
      notActions: strings(x?.notActions),
      dataActions: strings(x?.dataActions),
      notDataActions: strings(x?.notDataActions),
    })),
    ...(typeof p.createdOn === "string" && typeof p.updatedOn === "string" && typeof p.createdBy === "string" && typeof p.updatedBy === "string"
      ? { written: { createdOn: p.createdOn, updatedOn: p.updatedOn, createdBy: p.createdBy, updatedBy: p.updatedBy } }
      : {}),
  };
}
