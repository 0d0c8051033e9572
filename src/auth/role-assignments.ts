// Role assignments as stored ARM resources (type Microsoft.Authorization/roleAssignments), and the
// one rule for inheritance: an assignment at scope S covers S and everything below it, compared
// case-insensitively on WHOLE path segments (an assignment on ".../resourceGroups/rg" must not
// cover ".../resourceGroups/rg2").

import { randomUUID } from "node:crypto";
import type { ResourceRecord } from "../storage/types.js";
import { roleDefinitionId } from "./roles.js";
import { ROLE_ASSIGNMENT_TYPE } from "../domain/resource-types.js";


export type PrincipalType = "ServicePrincipal" | "User" | "Group" | "ForeignGroup" | "Device";

/** "/Subscriptions/S/resourceGroups/RG/" -> "/subscriptions/s/resourcegroups/rg"; "" for the root. */
export function normalizeScope(scope: string): string {
  return scope.trim().replace(/\/{2,}/g, "/").replace(/\/+$/, "").toLowerCase();
}

/** True when an assignment at `scope` applies at `target` (same scope or an ancestor of it). */
export function scopeCovers(scope: string, target: string): boolean {
  const s = normalizeScope(scope);
  const t = normalizeScope(target);
  if (s === "") return true; // "/" is the root: everything is below it
  return t === s || t.startsWith(s + "/");
}

export function roleAssignmentId(scope: string, name: string): string {
  return `${scope.replace(/\/+$/, "")}/providers/${ROLE_ASSIGNMENT_TYPE}/${name}`;
}

export interface NewRoleAssignment {
  scope: string;
  /** A full role definition id or a bare role GUID (expanded at the scope's subscription). */
  roleDefinitionId: string;
  principalId: string;
  principalType?: PrincipalType;
  /** Assignment GUID; random when omitted. */
  name?: string;
  description?: string | null;
  /** Object id of whoever created it (audit trail, as Azure's `createdBy`). */
  createdBy?: string | null;
  now?: Date;
}

/** The stored record of a role assignment, in the exact ARM shape GET returns. */
export function buildRoleAssignment(a: NewRoleAssignment): ResourceRecord {
  const name = a.name ?? randomUUID();
  const scope = a.scope.replace(/\/+$/, "") || "/";
  const sub = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? "";
  const defId = a.roleDefinitionId.includes("/") ? a.roleDefinitionId : roleDefinitionId(sub, a.roleDefinitionId);
  const when = (a.now ?? new Date()).toISOString();
  const id = roleAssignmentId(scope === "/" ? "" : scope, name);
  return {
    id,
    type: ROLE_ASSIGNMENT_TYPE,
    body: {
      id,
      name,
      type: ROLE_ASSIGNMENT_TYPE,
      properties: {
        roleDefinitionId: defId,
        principalId: a.principalId,
        principalType: a.principalType ?? "ServicePrincipal",
        scope,
        condition: null,
        conditionVersion: null,
        createdOn: when,
        updatedOn: when,
        createdBy: a.createdBy ?? null,
        updatedBy: a.createdBy ?? null,
        delegatedManagedIdentityResourceId: null,
        description: a.description ?? null,
      },
    },
  };
}

export interface AssignmentView {
  id: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
}

/** Reads the fields access control needs; undefined for a malformed record (never grants). */
export function assignmentView(rec: ResourceRecord): AssignmentView | undefined {
  const p = (rec.body as any)?.properties;
  if (!p || typeof p.roleDefinitionId !== "string" || typeof p.principalId !== "string") return undefined;
  // The scope is the part of the id before "/providers/Microsoft.Authorization/roleAssignments/".
  const marker = `/providers/${ROLE_ASSIGNMENT_TYPE}/`.toLowerCase();
  const at = rec.id.toLowerCase().lastIndexOf(marker);
  const fromId = at >= 0 ? rec.id.slice(0, at) || "/" : undefined;
  const scope = typeof p.scope === "string" ? p.scope : fromId;
  if (scope === undefined) return undefined;
  // The id is the authority: a body whose `scope` claims a wider scope than where it is stored grants nothing.
  if (fromId !== undefined && normalizeScope(fromId) !== normalizeScope(scope)) return undefined;
  return { id: rec.id, scope, roleDefinitionId: p.roleDefinitionId, principalId: p.principalId };
}
