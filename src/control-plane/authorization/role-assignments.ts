// Microsoft.Authorization/roleAssignments at subscription, resource-group and registry scope:
// PUT / GET / DELETE by GUID, list at a scope with `$filter=atScope()`, `principalId eq '...'` and
// `assignedTo('...')` (what az 2.45 and @azure/arm-authorization 9 send). A PUT names a principal
// that exists (a service principal of the identity provider) and a role definition of this
// subscription or the tenant, as Azure insists. Records are built by
// auth/role-assignments.ts, the same module access control reads them with, so the two never
// disagree on the shape.

import type { ArmCall, ArmResult } from "../arm/types.js";
import { assignmentView, buildRoleAssignment, roleAssignmentId, type PrincipalType } from "../../auth/role-assignments.js";
import { armError } from "../arm/errors.js";
import { SERVICE_PRINCIPALS_ROOT, SERVICE_PRINCIPAL_TYPE } from "../../identity/identity-provider.js";
import { findRole } from "./role-definitions.js";
import { resolveScope, scopeCovers } from "../arm/scopes.js";
import { asObject, asString, invalid, onlyKeys, optEnum, optString } from "../arm/strict-json.js";
import { ROLE_ASSIGNMENT_TYPE } from "../../domain/resource-types.js";

export const RA_READ = "Microsoft.Authorization/roleAssignments/read";
export const RA_WRITE = "Microsoft.Authorization/roleAssignments/write";
export const RA_DELETE = "Microsoft.Authorization/roleAssignments/delete";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINCIPAL_TYPES: readonly PrincipalType[] = ["ServicePrincipal", "User", "Group", "ForeignGroup", "Device"];

/**
 * A role definition id names this subscription's definitions, the tenant-level form, or a bare GUID
 * (what some clients send). Another subscription's id, or any other path, is refused as Azure does
 * (400 InvalidRoleDefinitionId) rather than silently matched by its last segment.
 */
function checkRoleDefinitionId(c: ArmCall, id: string): void {
  const trimmed = id.trim().replace(/\/+$/, "");
  if (GUID.test(trimmed)) return;
  const m = /^(?:\/subscriptions\/([^/]+))?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(trimmed);
  if (!m || !GUID.test(m[2]!)) {
    throw armError("InvalidRoleDefinitionId", { id, reason: "Expected /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{guid}." });
  }
  if (m[1] !== undefined && m[1].toLowerCase() !== c.deps.subscriptionId.toLowerCase()) {
    throw armError("InvalidRoleDefinitionId", { id, reason: `It names subscription '${m[1]}'; role assignments in subscription '${c.deps.subscriptionId}' take its role definitions or tenant-level ones.` });
  }
}

/**
 * The principal must exist in the directory (Azure: 400 PrincipalNotFound). Cove's directory holds
 * service principals only (the bootstrap one included; the registry admin user is no principal
 * that can be assigned a role), so any other principalType given for an existing one is
 * UnmatchedPrincipalType, as Azure answers for a mismatch.
 */
async function checkPrincipal(c: ArmCall, principalId: string, principalType: PrincipalType | undefined): Promise<void> {
  const rec = await c.deps.meta.getResource(`${SERVICE_PRINCIPALS_ROOT}/${principalId.toLowerCase()}`);
  if (!rec || rec.type !== SERVICE_PRINCIPAL_TYPE) throw armError("PrincipalNotFound", { principalId, tenantId: c.deps.tenantId });
  if (principalType !== undefined && principalType !== "ServicePrincipal") {
    throw armError("UnmatchedPrincipalType", { principalId, actual: "ServicePrincipal", given: principalType });
  }
}

/** The scope string used for authorization checks: the tenant root is "/". */
export const authScope = (p: Record<string, string>) => p.scope || "/";

export async function putRoleAssignment(c: ArmCall): Promise<ArmResult> {
  const name = c.params.roleAssignmentName!;
  if (!GUID.test(name)) throw armError("InvalidRoleAssignmentId", { name });
  const body = c.body!;
  onlyKeys(body, ["properties", "id", "name", "type"], "");
  const p = asObject(body.properties, "properties");
  onlyKeys(p, ["roleDefinitionId", "principalId", "principalType", "description", "condition", "conditionVersion",
    "delegatedManagedIdentityResourceId", "canDelegate", "scope"], "properties");
  const roleDefinitionId = asString(p.roleDefinitionId, "properties.roleDefinitionId");
  const principalId = asString(p.principalId, "properties.principalId");
  const principalType = optEnum(p.principalType, PRINCIPAL_TYPES, "properties.principalType");
  const description = optString(p.description, "properties.description");
  if (p.condition !== undefined && p.condition !== null) {
    throw armError("InvalidParameter", { target: "properties.condition", reason: "Role assignment conditions (ABAC) are not supported by Cove." }, { target: "properties.condition" });
  }
  optString(p.conditionVersion, "properties.conditionVersion");
  optString(p.delegatedManagedIdentityResourceId, "properties.delegatedManagedIdentityResourceId");
  if (p.canDelegate !== undefined && p.canDelegate !== null && typeof p.canDelegate !== "boolean") invalid("properties.canDelegate", "Error converting value to type 'Boolean'.");
  if (!GUID.test(principalId)) throw armError("InvalidPrincipalId");

  const scope = await resolveScope(c.deps, c.params.scope!);
  if (p.scope !== undefined && p.scope !== null && asString(p.scope, "properties.scope").toLowerCase().replace(/\/+$/, "") !== scope.id.toLowerCase()) {
    invalid("properties.scope", "The scope in the body does not match the scope in the request URI.");
  }
  checkRoleDefinitionId(c, roleDefinitionId);
  const role = await findRole(c, roleDefinitionId);
  if (!role) throw armError("RoleDefinitionDoesNotExist", { id: roleDefinitionId.split("/").pop() ?? roleDefinitionId });
  await checkPrincipal(c, principalId, principalType);

  const scopeForId = scope.kind === "tenant" ? "" : scope.id;
  const existing = await c.deps.meta.getResource(roleAssignmentId(scopeForId, name));
  const existingView = existing ? assignmentView(existing) : undefined;
  if (existing && existingView) {
    const sameRole = (existingView.roleDefinitionId.split("/").pop() ?? "").toLowerCase() === role.name.toLowerCase();
    if (!sameRole || existingView.principalId.toLowerCase() !== principalId.toLowerCase()) throw armError("RoleAssignmentUpdateNotPermitted");
    // Same assignment again: idempotent, nothing to write.
    return { status: 200, body: existing.body };
  }
  for (const rec of await c.deps.meta.listResources({ type: ROLE_ASSIGNMENT_TYPE, underId: scopeForId })) {
    const v = assignmentView(rec);
    if (!v) continue;
    if (v.scope.toLowerCase().replace(/\/+$/, "") === scope.id.toLowerCase() &&
        v.principalId.toLowerCase() === principalId.toLowerCase() &&
        (v.roleDefinitionId.split("/").pop() ?? "").toLowerCase() === role.name.toLowerCase()) {
      throw armError("RoleAssignmentExists");
    }
  }
  const rec = buildRoleAssignment({
    scope: scope.id, roleDefinitionId: role.name, principalId, principalType: principalType ?? "ServicePrincipal",
    name, description: description ?? null, createdBy: c.principal.id,
  });
  await c.deps.meta.putResource(rec);
  return { status: 201, body: rec.body };
}

export async function getRoleAssignment(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const name = c.params.roleAssignmentName!;
  const rec = await c.deps.meta.getResource(roleAssignmentId(scope.kind === "tenant" ? "" : scope.id, name));
  if (!rec || rec.type.toLowerCase() !== ROLE_ASSIGNMENT_TYPE.toLowerCase()) throw armError("RoleAssignmentNotFound", { name });
  return { status: 200, body: rec.body };
}

/** 200 with the deleted assignment; 204 when there was none (as Azure). */
export async function deleteRoleAssignment(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const id = roleAssignmentId(scope.kind === "tenant" ? "" : scope.id, c.params.roleAssignmentName!);
  const rec = await c.deps.meta.getResource(id);
  if (!rec || rec.type.toLowerCase() !== ROLE_ASSIGNMENT_TYPE.toLowerCase()) return { status: 204 };
  await c.deps.meta.deleteResource(rec.id, false);
  return { status: 200, body: rec.body };
}

interface ListFilter { atScope: boolean; principalId?: string }

function parseFilter(filter: string | null): ListFilter {
  const out: ListFilter = { atScope: false };
  if (filter === null || filter.trim() === "") return out;
  for (const term of filter.split(/\s+and\s+/i)) {
    const t = term.trim();
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(t)) out.atScope = true;
    else if ((m = /^principalId\s+eq\s+'([^']*)'$/i.exec(t)) || (m = /^assignedTo\('([^']*)'\)$/i.exec(t))) out.principalId = m[1]!;
    else {
      throw armError("InvalidParameter", {
        target: "$filter",
        reason: `The filter '${filter}' is not supported. Supported: atScope(), principalId eq '<id>', assignedTo('<id>'), joined with 'and'.`,
      }, { target: "$filter" });
    }
  }
  return out;
}

/**
 * Without `atScope()`: assignments at, above and below the scope (as Azure's list for a scope and
 * list for a subscription). With it: only those at or above. `principalId`/`assignedTo` narrow to
 * one principal (Cove has no groups, so the two are the same).
 */
export async function listRoleAssignments(c: ArmCall): Promise<ArmResult> {
  const f = parseFilter(c.ctx.query.get("$filter"));
  const scope = await resolveScope(c.deps, c.params.scope!);
  const value: unknown[] = [];
  for (const rec of await c.deps.meta.listResources({ type: ROLE_ASSIGNMENT_TYPE })) {
    const v = assignmentView(rec);
    if (!v) continue;
    const above = scopeCovers(v.scope, scope.id);
    const below = scopeCovers(scope.id, v.scope);
    if (!(above || (!f.atScope && below))) continue;
    if (f.principalId !== undefined && v.principalId.toLowerCase() !== f.principalId.toLowerCase()) continue;
    value.push(rec.body);
  }
  return { status: 200, body: { value } };
}
