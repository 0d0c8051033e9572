// Microsoft.Authorization/roleDefinitions: PUT and DELETE of custom roles (below), list at a scope (with `$filter=roleName eq '...'` or
// `type eq 'BuiltInRole'|'CustomRole'`, what `az role assignment create --role AcrPush` sends) and GET
// by id. The built-ins are data in auth/roles.ts; custom roles, when stored, are listed too.
// As Azure, built-in definitions seen from any scope inside a subscription carry the subscription's
// id prefix; from the tenant root they carry none.

import type { ArmCall, ArmResult } from "../arm/types.js";
import { BUILT_IN_ROLES, builtInRole, renderRoleDefinition, roleDefinitionId, roleFromBody, type Permission, type RoleDefinition } from "../../auth/roles.js";
import { assignmentView } from "../../auth/role-assignments.js";
import type { ResourceRecord } from "../../storage/types.js";
import { armError } from "../arm/errors.js";
import { demand } from "../arm/authorize.js";
import { resolveScope, scopeCovers } from "../arm/scopes.js";
import { asObject, asString, invalid, onlyKeys, optArray, optString } from "../arm/strict-json.js";
import { ROLE_DEFINITION_TYPE, ROLE_ASSIGNMENT_TYPE } from "../../domain/resource-types.js";

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

// --- custom role definitions: PUT and DELETE ---------------------------------------------------
// Stored as Microsoft.Authorization/roleDefinitions resources in the shape roleFromBody reads (what
// access-control.ts evaluates), at the subscription (Azure keeps custom roles in the directory; the
// id is the same from every scope). Built-in GUIDs are read-only. A custom role makes single actions
// assignable on their own, e.g. only privateEndpointConnectionsApproval/action on one registry.

export const ROLE_DEF_WRITE = "Microsoft.Authorization/roleDefinitions/write";
export const ROLE_DEF_DELETE = "Microsoft.Authorization/roleDefinitions/delete";

const ROLE_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Action strings: provider/type/.../verb with `*` wildcards; no spaces. */
const ACTION = /^[A-Za-z0-9*][A-Za-z0-9.*_/-]*$/;

function roleParamError(target: string, reason: string): never {
  throw armError("InvalidParameter", { target, reason }, { target });
}

function checkCustomGuid(guid: string): void {
  if (!ROLE_GUID.test(guid)) roleParamError("roleDefinitionId", `The role definition ID '${guid}' is not a GUID.`);
  if (builtInRole(guid)) roleParamError("roleDefinitionId", `'${guid}' is a built-in role definition; built-in role definitions cannot be changed or deleted.`);
}

function stringList(v: unknown, path: string, check?: RegExp): string[] {
  const list = optArray(v, path) ?? [];
  return list.map((x, i) => {
    const s = asString(x, `${path}[${i}]`);
    if (check && !check.test(s)) invalid(`${path}[${i}]`, `'${s}' is not a valid action.`);
    return s;
  });
}

function parsePermissions(v: unknown): Permission[] {
  const list = optArray(v, "properties.permissions");
  if (!list || list.length === 0) invalid("properties.permissions", "At least one permission is required.");
  return list.map((raw, i) => {
    const at = `properties.permissions[${i}]`;
    const p = asObject(raw, at);
    onlyKeys(p, ["actions", "notActions", "dataActions", "notDataActions", "condition", "conditionVersion"], at);
    if (p.condition !== undefined && p.condition !== null) invalid(`${at}.condition`, "Conditions in role definitions are not supported by Cove.");
    optString(p.conditionVersion, `${at}.conditionVersion`);
    return {
      actions: stringList(p.actions, `${at}.actions`, ACTION),
      notActions: stringList(p.notActions, `${at}.notActions`, ACTION),
      dataActions: stringList(p.dataActions, `${at}.dataActions`, ACTION),
      notDataActions: stringList(p.notDataActions, `${at}.notDataActions`, ACTION),
    };
  });
}

function customRoleRecordId(subscriptionId: string, guid: string): string {
  return roleDefinitionId(`/subscriptions/${subscriptionId}`, guid);
}

async function storedCustomRole(c: ArmCall, guid: string): Promise<ResourceRecord | undefined> {
  for (const r of await c.deps.meta.listResources({ type: ROLE_DEFINITION_TYPE })) {
    if (String(r.body.name ?? "").toLowerCase() === guid.toLowerCase()) return r;
  }
  return undefined;
}

/** PUT {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}: create (201) or update (200). */
export async function putRoleDefinition(c: ArmCall): Promise<ArmResult> {
  const guid = c.params.roleDefinitionId!;
  checkCustomGuid(guid);
  const body = asObject(c.body, "");
  onlyKeys(body, ["id", "name", "type", "properties"], "");
  if (body.name !== undefined && body.name !== null && String(body.name).toLowerCase() !== guid.toLowerCase()) {
    roleParamError("name", `The name '${String(body.name)}' in the body does not match the role definition ID '${guid}' in the request URI.`);
  }
  const p = asObject(body.properties, "properties");
  onlyKeys(p, ["roleName", "description", "type", "permissions", "assignableScopes", "createdOn", "updatedOn", "createdBy", "updatedBy"], "properties");
  const roleName = asString(p.roleName, "properties.roleName").trim();
  if (roleName === "" || roleName.length > 512) invalid("properties.roleName", "The role name must have 1 to 512 characters.");
  const description = optString(p.description, "properties.description") ?? "";
  const type = optString(p.type, "properties.type");
  if (type !== undefined && type.toLowerCase() !== "customrole") invalid("properties.type", "Only 'CustomRole' definitions can be created.");
  const permissions = parsePermissions(p.permissions);
  const scopesIn = stringList(p.assignableScopes, "properties.assignableScopes");
  if (scopesIn.length === 0) invalid("properties.assignableScopes", "At least one assignable scope is required.");

  await resolveScope(c.deps, c.params.scope!);
  const assignableScopes: string[] = [];
  for (const s of scopesIn) {
    const scope = await resolveScope(c.deps, s);
    if (scope.kind === "tenant") invalid("properties.assignableScopes", "The root scope '/' cannot be an assignable scope of a custom role.");
    // As Azure: the caller must be allowed to write role definitions at every scope it names.
    await demand(c.deps, c.principal, ROLE_DEF_WRITE, scope.id);
    assignableScopes.push(scope.id);
  }

  const existing = await storedCustomRole(c, guid);
  const clash = [...BUILT_IN_ROLES, ...(await customRoles(c))].find((r) => r.roleName.toLowerCase() === roleName.toLowerCase() && r.name.toLowerCase() !== guid.toLowerCase());
  if (clash) throw armError("RoleDefinitionWithSameNameExists");

  const role: RoleDefinition = { name: existing ? String(existing.body.name) : guid, roleName, type: "CustomRole", description, assignableScopes, permissions };
  const now = new Date().toISOString();
  const prevProps = (existing?.body.properties ?? {}) as Record<string, unknown>;
  const rendered = renderRoleDefinition(role, `/subscriptions/${c.deps.subscriptionId}`);
  const doc = {
    ...rendered,
    properties: {
      ...(rendered.properties as Record<string, unknown>),
      createdOn: prevProps.createdOn ?? now, updatedOn: now,
      createdBy: prevProps.createdBy ?? c.principal.id, updatedBy: c.principal.id,
    },
  };
  const id = existing?.id ?? customRoleRecordId(c.deps.subscriptionId, guid);
  await c.deps.meta.putResource({ id, type: ROLE_DEFINITION_TYPE, body: doc });
  return { status: existing ? 200 : 201, body: doc };
}

/** DELETE: 200 with the deleted definition, 204 when there was none; refused while assignments use it. */
export async function deleteRoleDefinition(c: ArmCall): Promise<ArmResult> {
  const guid = c.params.roleDefinitionId!;
  checkCustomGuid(guid);
  await resolveScope(c.deps, c.params.scope!);
  const existing = await storedCustomRole(c, guid);
  if (!existing) return { status: 204 };
  for (const rec of await c.deps.meta.listResources({ type: ROLE_ASSIGNMENT_TYPE })) {
    const a = assignmentView(rec);
    if (a && (a.roleDefinitionId.split("/").pop() ?? "").toLowerCase() === guid.toLowerCase()) {
      throw armError("RoleDefinitionHasAssignments", { name: String((existing.body.properties as Record<string, unknown>)?.roleName ?? guid) });
    }
  }
  await c.deps.meta.deleteResource(existing.id, false);
  return { status: 200, body: existing.body };
}
