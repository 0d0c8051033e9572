// Microsoft.Authorization/roleDefinitions: list at a scope (with `$filter=roleName eq '...'` or
// `type eq 'BuiltInRole'|'CustomRole'`, what `az role assignment create --role AcrPush` sends) and GET
// by id. The built-ins are data in auth/roles.ts; custom roles, when stored, are listed too.
// As Azure, built-in definitions seen from any scope inside a subscription carry the subscription's
// id prefix; from the tenant root they carry none.

import type { ArmCall, ArmResult } from "./arm-types.js";
import { BUILT_IN_ROLES, ROLE_DEFINITION_TYPE, builtInRole, renderRoleDefinition, roleFromBody, type RoleDefinition } from "../auth/roles.js";
import { armError } from "./errors.js";
import { resolveScope, scopeCovers } from "./scopes.js";

export const ROLE_DEF_READ = "Microsoft.Authorization/roleDefinitions/read";

function subscriptionPrefix(scopeId: string): string {
  return /^\/subscriptions\/[^/]+/i.exec(scopeId)?.[0] ?? "";
}

async function customRoles(c: ArmCall): Promise<RoleDefinition[]> {
  const out: RoleDefinition[] = [];
  for (const r of await c.deps.meta.listResources({ type: ROLE_DEFINITION_TYPE })) {
    const role = roleFromBody(r.body);
    if (role) out.push(role);
  }
  return out;
}

function parseFilter(filter: string | null): (r: RoleDefinition) => boolean {
  if (filter === null || filter.trim() === "") return () => true;
  const m = /^\s*(roleName|type)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
  if (!m) {
    throw armError("InvalidParameter", {
      target: "$filter",
      reason: `The filter '${filter}' is not supported. Supported: roleName eq '<name>', type eq 'BuiltInRole'|'CustomRole'.`,
    }, { target: "$filter" });
  }
  const value = m[2]!.replace(/''/g, "'").toLowerCase();
  return m[1]!.toLowerCase() === "rolename" ? (r) => r.roleName.toLowerCase() === value : (r) => r.type.toLowerCase() === value;
}

export async function listRoleDefinitions(c: ArmCall): Promise<ArmResult> {
  const match = parseFilter(c.ctx.query.get("$filter"));
  const scope = await resolveScope(c.deps, c.params.scope!);
  const prefix = subscriptionPrefix(scope.id);
  const custom = (await customRoles(c)).filter((r) => r.assignableScopes.some((s) => scopeCovers(s, scope.id) || scopeCovers(scope.id, s)));
  const value = [...BUILT_IN_ROLES, ...custom].filter(match).map((r) => renderRoleDefinition(r, prefix));
  return { status: 200, body: { value } };
}

export async function getRoleDefinition(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const guid = c.params.roleDefinitionId!;
  const role = builtInRole(guid) ?? (await customRoles(c)).find((r) => r.name.toLowerCase() === guid.toLowerCase());
  if (!role) throw armError("RoleDefinitionDoesNotExist", { id: guid });
  return { status: 200, body: renderRoleDefinition(role, subscriptionPrefix(scope.id)) };
}

/** The role a role assignment names by `roleDefinitionId` (full id or bare GUID), or undefined. */
export async function findRole(c: ArmCall, roleDefinitionId: string): Promise<RoleDefinition | undefined> {
  const guid = roleDefinitionId.replace(/\/+$/, "").split("/").pop() ?? "";
  return builtInRole(guid) ?? (await customRoles(c)).find((r) => r.name.toLowerCase() === guid.toLowerCase());
}
