// authorize(principal, action, scope) from stored role assignments and role definitions (built-in
// from roles.ts, custom ones stored as Microsoft.Authorization/roleDefinitions resources).
//
// Correctness first: every call reads the assignments afresh, so a role assignment created or
// deleted is in effect on the next request (the data plane only calls this when it issues a
// token, not on every blob read). Only service principals hold role assignments; the admin user
// and anonymous callers are handled by the registry's own settings (data-plane/registry-auth/credentials.ts).

import type { MetadataStore } from "../storage/types.js";
import type { AccessControl, ArmAction, Principal, RegistryAction } from "./types.js";
import { assignmentView, scopeCovers, type AssignmentView } from "./role-assignments.js";
import { REGISTRY_ACTION_ARM, builtInRole, roleAllows, roleFromBody, type RoleDefinition } from "./roles.js";
import { ROLE_ASSIGNMENT_TYPE, ROLE_DEFINITION_TYPE } from "../domain/resource-types.js";

export interface AccessControlExt extends AccessControl {
  /** Role assignments (with their role) that apply to `principal` at `scope`, inherited ones included. */
  effectiveRoles(principal: Principal, scope: string): Promise<{ assignment: AssignmentView; role: RoleDefinition }[]>;
}

export function createAccessControl(meta: MetadataStore): AccessControlExt {
  async function roleFor(defId: string): Promise<RoleDefinition | undefined> {
    const builtIn = builtInRole(defId);
    if (builtIn) return builtIn;
    // A custom role: stored as a resource; its GUID is the last segment of the id.
    const guid = defId.split("/").pop()?.toLowerCase() ?? "";
    if (!guid) return undefined;
    for (const r of await meta.listResources({ type: ROLE_DEFINITION_TYPE })) {
      if (String((r.body as any)?.name ?? "").toLowerCase() === guid) return roleFromBody(r.body);
    }
    return undefined;
  }

  async function effectiveRoles(principal: Principal, scope: string) {
    if (principal.kind !== "servicePrincipal" || !principal.id) return [];
    const pid = principal.id.toLowerCase();
    const out: { assignment: AssignmentView; role: RoleDefinition }[] = [];
    for (const rec of await meta.listResources({ type: ROLE_ASSIGNMENT_TYPE })) {
      const a = assignmentView(rec);
      if (!a || a.principalId.toLowerCase() !== pid || !scopeCovers(a.scope, scope)) continue;
      const role = await roleFor(a.roleDefinitionId);
      if (role) out.push({ assignment: a, role });
    }
    return out;
  }

  return {
    effectiveRoles,

    async authorize(principal: Principal, action: ArmAction, scope: string): Promise<boolean> {
      const roles = await effectiveRoles(principal, scope);
      return roles.some(({ role }) => roleAllows(role, action));
    },

    async registryActions(principal: Principal, registryId: string): Promise<Set<RegistryAction>> {
      const roles = await effectiveRoles(principal, registryId);
      const out = new Set<RegistryAction>();
      for (const [ra, arm] of Object.entries(REGISTRY_ACTION_ARM) as [Exclude<RegistryAction, "*">, string][]) {
        if (roles.some(({ role }) => roleAllows(role, arm))) out.add(ra);
      }
      return out;
    },
  };
}
