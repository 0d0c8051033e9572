// Route table of Microsoft.Authorization: role definitions (built-in and custom), role assignments and
// the caller's own permissions, at any scope. One line per operation, as every provider's table.
import { authenticated, requires, route, type Route } from "../arm/router.js";
import { ROLE_DEF_DELETE, ROLE_DEF_READ, ROLE_DEF_WRITE, deleteRoleDefinition, getRoleDefinition, listRoleDefinitions, putRoleDefinition } from "./role-definitions.js";
import { listPermissions } from "./permissions.js";
import { RA_DELETE, RA_READ, RA_WRITE, authScope, deleteRoleAssignment, getRoleAssignment, listRoleAssignments, putRoleAssignment } from "./role-assignments.js";

const AUTHZ = "{scope}/providers/Microsoft.Authorization";

export const AZ = "Microsoft.Authorization";

export const AUTHORIZATION_ROUTES: Route[] = [
  route("GET", `${AUTHZ}/roleDefinitions`, AZ, "roleDefinitions", requires(ROLE_DEF_READ, authScope), {}, listRoleDefinitions),
  route("GET", `${AUTHZ}/roleDefinitions/{roleDefinitionId}`, AZ, "roleDefinitions", requires(ROLE_DEF_READ, authScope), {}, getRoleDefinition),
  route("PUT", `${AUTHZ}/roleDefinitions/{roleDefinitionId}`, AZ, "roleDefinitions", requires(ROLE_DEF_WRITE, authScope), { audit: true, body: true }, putRoleDefinition),
  route("DELETE", `${AUTHZ}/roleDefinitions/{roleDefinitionId}`, AZ, "roleDefinitions", requires(ROLE_DEF_DELETE, authScope), { audit: true }, deleteRoleDefinition),
  route("GET", `${AUTHZ}/roleAssignments`, AZ, "roleAssignments", requires(RA_READ, authScope), {}, listRoleAssignments),
  route("PUT", `${AUTHZ}/roleAssignments/{roleAssignmentName}`, AZ, "roleAssignments", requires(RA_WRITE, authScope), { audit: true, body: true }, putRoleAssignment),
  route("GET", `${AUTHZ}/roleAssignments/{roleAssignmentName}`, AZ, "roleAssignments", requires(RA_READ, authScope), {}, getRoleAssignment),
  route("DELETE", `${AUTHZ}/roleAssignments/{roleAssignmentName}`, AZ, "roleAssignments", requires(RA_DELETE, authScope), { audit: true }, deleteRoleAssignment),
  // The caller's own effective permissions: asking about yourself needs only a token, as in Azure.
  route("GET", `${AUTHZ}/permissions`, AZ, "permissions", authenticated, {}, listPermissions),
];
