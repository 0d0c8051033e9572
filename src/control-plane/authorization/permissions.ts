// GET {scope}/providers/Microsoft.Authorization/permissions (Azure's "Permissions - List For
// Resource Group" and "List For Resource", api-version 2022-04-01; Cove also answers it at the
// subscription): the CALLER's own effective permissions at a scope. One entry per permission block
// of each role assignment that covers the scope, inherited ones included, so a client (the
// networking page) can tell which controls its principal may use before it tries. As Azure, asking
// about yourself needs no right beyond a valid token; an unknown scope is the 404 every
// Microsoft.Authorization route answers for it (resolveScope).
//
// The assignments are read by access control's own rule (auth/access-control.ts effectiveRoles),
// so what this lists is exactly what authorize() decides from.

import type { ArmCall, ArmResult } from "../arm/types.js";
import { resolveScope } from "../arm/scopes.js";
import { createAccessControl } from "../../auth/access-control.js";

export async function listPermissions(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const roles = await createAccessControl(c.deps.meta).effectiveRoles(c.principal, scope.id);
  const value = roles.flatMap(({ role }) => role.permissions.map((p) => ({
    actions: [...p.actions],
    notActions: [...p.notActions],
    dataActions: [...p.dataActions],
    notDataActions: [...p.notDataActions],
  })));
  return { status: 200, body: { value } };
}
