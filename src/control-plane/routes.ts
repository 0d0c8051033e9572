// THE route table of the ARM management API: one line per operation, with its provider (which
// api-versions it accepts), the permission it requires at which scope, and whether it is audited.

import { anonymous, authenticated, requires, route, type Route } from "./router.js";
import { registryId, resourceGroupId, subscriptionId } from "./scopes.js";
import { getCloudMetadata, getSubscription, listSubscriptions, listTenants } from "./subscriptions.js";
import {
  RG_DELETE, RG_READ, RG_WRITE, deleteResourceGroup, getResourceGroupHandler, headResourceGroup, listResourceGroups,
  patchResourceGroup, putResourceGroup,
} from "./resource-groups.js";
import { listResources } from "./generic-resources.js";
import {
  CHECK_NAME, REG_DELETE, REG_LIST_CREDENTIALS, REG_READ, REG_REGENERATE_CREDENTIAL, REG_WRITE, checkNameAvailability,
  deleteRegistry, getRegistryHandler, listCredentials, listRegistriesInGroup, listRegistriesInSubscription, patchRegistry,
  putRegistry, regenerateCredential,
} from "./registries.js";
import { ROLE_DEF_DELETE, ROLE_DEF_READ, ROLE_DEF_WRITE, deleteRoleDefinition, getRoleDefinition, listRoleDefinitions, putRoleDefinition } from "./role-definitions.js";
import { RA_DELETE, RA_READ, RA_WRITE, authScope, deleteRoleAssignment, getRoleAssignment, listRoleAssignments, putRoleAssignment } from "./role-assignments.js";
import { NETWORK_ROUTES } from "./routes-network.js";
import { PRIVATE_DNS_ROUTES } from "./routes-private-dns.js";

const SUB = "/subscriptions/{subscriptionId}";
const RG = `${SUB}/resourcegroups/{resourceGroupName}`;
const REG = `${RG}/providers/Microsoft.ContainerRegistry/registries/{registryName}`;
const AUTHZ = "{scope}/providers/Microsoft.Authorization";

const sub = (p: Record<string, string>) => subscriptionId(p.subscriptionId!);
const rg = (p: Record<string, string>) => resourceGroupId(p.subscriptionId!, p.resourceGroupName!);
const reg = (p: Record<string, string>) => registryId(p.subscriptionId!, p.resourceGroupName!, p.registryName!);

const R = "Microsoft.Resources";
const ACR = "Microsoft.ContainerRegistry";
const AZ = "Microsoft.Authorization";

export const ROUTES: Route[] = [
  route("GET", "/metadata/endpoints", "metadata", "metadata", anonymous, {}, getCloudMetadata),
  route("GET", "/tenants", R, "tenants", authenticated, {}, listTenants),
  route("GET", "/subscriptions", R, "subscriptions", authenticated, {}, listSubscriptions),
  route("GET", SUB, R, "subscriptions", authenticated, {}, getSubscription),

  route("GET", `${SUB}/resourcegroups`, R, "resourceGroups", authenticated, {}, listResourceGroups),
  route("PUT", RG, R, "resourceGroups", requires(RG_WRITE, rg), { audit: true, body: true }, putResourceGroup),
  route("PATCH", RG, R, "resourceGroups", requires(RG_WRITE, rg), { audit: true, body: true }, patchResourceGroup),
  route("GET", RG, R, "resourceGroups", requires(RG_READ, rg), {}, getResourceGroupHandler),
  route("HEAD", RG, R, "resourceGroups", requires(RG_READ, rg), {}, headResourceGroup),
  route("DELETE", RG, R, "resourceGroups", requires(RG_DELETE, rg), { audit: true }, deleteResourceGroup),

  route("GET", `${SUB}/resources`, R, "resources", authenticated, {}, listResources),
  route("GET", `${RG}/resources`, R, "resources", authenticated, {}, listResources),

  route("GET", `${SUB}/providers/${ACR}/registries`, ACR, "registries", authenticated, {}, listRegistriesInSubscription),
  route("POST", `${SUB}/providers/${ACR}/checkNameAvailability`, ACR, "checkNameAvailability", requires(CHECK_NAME, sub), { body: true }, checkNameAvailability),
  route("GET", `${RG}/providers/${ACR}/registries`, ACR, "registries", authenticated, {}, listRegistriesInGroup),
  route("PUT", REG, ACR, "registries", requires(REG_WRITE, reg), { audit: true, body: true }, putRegistry),
  route("PATCH", REG, ACR, "registries", requires(REG_WRITE, reg), { audit: true, body: true }, patchRegistry),
  route("GET", REG, ACR, "registries", requires(REG_READ, reg), {}, getRegistryHandler),
  route("DELETE", REG, ACR, "registries", requires(REG_DELETE, reg), { audit: true }, deleteRegistry),
  route("POST", `${REG}/listCredentials`, ACR, "registries/listCredentials", requires(REG_LIST_CREDENTIALS, reg), { audit: true }, listCredentials),
  route("POST", `${REG}/regenerateCredential`, ACR, "registries/regenerateCredential", requires(REG_REGENERATE_CREDENTIAL, reg), { audit: true, body: true }, regenerateCredential),

  route("GET", `${AUTHZ}/roleDefinitions`, AZ, "roleDefinitions", requires(ROLE_DEF_READ, authScope), {}, listRoleDefinitions),
  route("GET", `${AUTHZ}/roleDefinitions/{roleDefinitionId}`, AZ, "roleDefinitions", requires(ROLE_DEF_READ, authScope), {}, getRoleDefinition),
  route("PUT", `${AUTHZ}/roleDefinitions/{roleDefinitionId}`, AZ, "roleDefinitions", requires(ROLE_DEF_WRITE, authScope), { audit: true, body: true }, putRoleDefinition),
  route("DELETE", `${AUTHZ}/roleDefinitions/{roleDefinitionId}`, AZ, "roleDefinitions", requires(ROLE_DEF_DELETE, authScope), { audit: true }, deleteRoleDefinition),
  route("GET", `${AUTHZ}/roleAssignments`, AZ, "roleAssignments", requires(RA_READ, authScope), {}, listRoleAssignments),
  route("PUT", `${AUTHZ}/roleAssignments/{roleAssignmentName}`, AZ, "roleAssignments", requires(RA_WRITE, authScope), { audit: true, body: true }, putRoleAssignment),
  route("GET", `${AUTHZ}/roleAssignments/{roleAssignmentName}`, AZ, "roleAssignments", requires(RA_READ, authScope), {}, getRoleAssignment),
  route("DELETE", `${AUTHZ}/roleAssignments/{roleAssignmentName}`, AZ, "roleAssignments", requires(RA_DELETE, authScope), { audit: true }, deleteRoleAssignment),

  // Private networking (docs/private-networking.md): virtual networks, private endpoints, private link on the
  // registry side, and private DNS, each in its own table.
  ...NETWORK_ROUTES,
  ...PRIVATE_DNS_ROUTES,
];

/** Namespaces Cove serves: an unknown one is InvalidResourceNamespace, a known one with an unknown type InvalidResourceType. */
export const KNOWN_NAMESPACES = [R, ACR, AZ, "Microsoft.Network"];
