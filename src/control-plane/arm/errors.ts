// The ARM management API's ONE error catalogue (house style habit 2): wire code -> status and
// message template. Handlers throw `armError(code, params)` (a DomainError, no HTTP in sight);
// `armErrorResult` is the only place that turns an error into a status and an ARM error body
// `{error:{code,message,target?,details?}}`. docs/errors.md lists every entry
// (test/control-plane/errors-doc.test.ts fails when the two drift apart).
//
// Messages follow Azure's texts where they were confirmed from public error reports; entries
// marked "Cove" in docs/errors.md are Cove's own wording for cases whose Azure text is not public.

import { DomainError, isDomainError } from "../../domain/errors.js";

export interface ArmCatalogueEntry {
  status: number;
  /** Message template; `{name}` is replaced by the error's parameter of that name. */
  message: string;
}

export const ARM_ERRORS = {
  // --- authentication / authorization (ARM front door) ---
  AuthenticationFailed: { status: 401, message: "Authentication failed. The 'Authorization' header is missing." },
  InvalidAuthenticationToken: { status: 401, message: "The access token is invalid." },
  InvalidAuthenticationTokenAudience: {
    status: 401,
    message: "The access token has been obtained for wrong audience or resource '{audience}'. It should exactly match with one of the allowed audiences {allowed}.",
  },
  AuthorizationFailed: {
    status: 403,
    message:
      "The client '{clientId}' with object id '{objectId}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
  },
  // --- routing and api-version ---
  MissingApiVersionParameter: { status: 400, message: "The api-version query parameter (?api-version=) is required for all requests." },
  InvalidApiVersionParameter: { status: 400, message: "The api-version '{apiVersion}' is invalid. The supported versions are '{supported}'." },
  NoRegisteredProviderFound: {
    status: 400,
    message:
      "No registered resource provider found for location '{location}' and API version '{apiVersion}' for type '{type}'. The supported api-versions are '{supported}'. The supported locations are '{locations}'.",
  },
  InvalidResourceNamespace: { status: 400, message: "The resource namespace '{namespace}' is invalid." },
  InvalidResourceType: { status: 400, message: "The resource type '{type}' could not be found in the namespace '{namespace}' for api version '{apiVersion}'." },
  NotFound: { status: 404, message: "The requested resource '{path}' does not exist." },
  MethodNotAllowed: { status: 405, message: "The requested resource does not support http method '{method}'." },
  // --- request content ---
  InvalidRequestContent: { status: 400, message: "The request content was invalid and could not be deserialized: '{reason}'." },
  UnsupportedMediaType: { status: 415, message: "The content media type '{contentType}' is not supported. Only 'application/json' is supported." },
  RequestEntityTooLarge: { status: 413, message: "The request content size exceeds the maximum size of {limit} bytes." },
  // Cove's own: a request body that stalled (http/body-progress.ts); the connection is closed after it.
  RequestTimeout: { status: 408, message: "The request content arrived too slowly: fewer than {minBytes} bytes in {seconds} seconds." },
  InvalidParameter: { status: 400, message: "The value of parameter '{target}' is invalid. {reason}" },
  LocationRequired: { status: 400, message: "The location property is required for this definition." },
  // --- subscriptions and resource groups ---
  SubscriptionNotFound: { status: 404, message: "The subscription '{subscriptionId}' could not be found." },
  ResourceGroupNotFound: { status: 404, message: "Resource group '{name}' could not be found." },
  InvalidResourceGroup: {
    status: 400,
    message:
      "The provided resource group name '{name}' is invalid: {reason}. The name can only be a letter, digit, '-', '.', '(', ')' or '_', 1 to 90 characters, and cannot end in '.'.",
  },
  InvalidResourceGroupLocation: { status: 409, message: "Invalid resource group location '{location}'. The Resource group already exists in location '{existing}'." },
  // --- resources ---
  ResourceNotFound: {
    status: 404,
    message: "The Resource '{type}/{name}' under resource group '{resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
  },
  InvalidResourceLocation: {
    status: 409,
    message:
      "The resource '{name}' already exists in location '{existing}' in resource group '{resourceGroup}'. A resource with the same name cannot be created in location '{location}'. Please select a new resource name.",
  },
  // --- Microsoft.ContainerRegistry ---
  InvalidResourceName: {
    status: 400,
    message: "Resource name '{name}' is invalid. Registry names may contain only alpha numeric characters and must be between 5 and 50 characters.",
  },
  AlreadyInUse: {
    status: 400,
    message:
      "The registry DNS name {host} is already in use. You can check if the name is already claimed using following API: https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/checknameavailability",
  },
  DisablingPublicNetworkAccessNotSupported: {
    status: 400,
    message: "Disabling public network access is not supported for the SKU {sku}. For more information, please visit https://aka.ms/acr/private-link.",
  },
  NetworkRuleSetNotSupported: {
    status: 400,
    message: "Network rules are not supported for the SKU {sku}. Network rules require the Premium SKU. For more information, please visit https://aka.ms/acr/firewall.",
  },
  FeatureNotSupportedForSku: { status: 400, message: "The feature '{feature}' is not supported for the SKU {sku}. It requires the {required} SKU." },
  // --- Microsoft.ContainerRegistry/registries/replications (geo-replication, Premium) ---
  HomeReplicationCannotBeDeleted: { status: 400, message: "The replication '{name}' is in the home region '{location}' of registry '{registry}' and cannot be deleted; delete the registry instead." },
  HomeReplicationCannotBeChanged: { status: 400, message: "The replication '{name}' is in the home region '{location}' of registry '{registry}': it is created with the registry and Cove does not change it." },
  ReplicationInHomeRegion: { status: 400, message: "Replication could not be created in the same location as the registry ('{location}')." },
  ReplicationLocationInUse: { status: 409, message: "Registry '{registry}' already has the replication '{existing}' in location '{location}'; a registry has at most one replication per region." },
  InvalidReplicationName: { status: 400, message: "Replication name '{name}' is invalid: it must be 5 to 50 alphanumeric characters." },
  // --- Microsoft.Network (virtual networks, private endpoints) and private link on the registry ---
  InvalidAddressPrefixFormat: { status: 400, message: "The address prefix '{prefix}' of resource {id} is not a valid IPv4 prefix in CIDR notation, for example 10.0.0.0/24." },
  InvalidCIDRNotation: { status: 400, message: "The address prefix {prefix} in resource {id} has an invalid CIDR notation. For the given prefix length, the address prefix should be {canonical}." },
  NetcfgSubnetRangeOutsideVnet: { status: 400, message: "Subnet '{subnet}' is not valid because its IP address range is outside the IP address range of virtual network '{vnet}'." },
  NetcfgSubnetRangesOverlap: { status: 400, message: "Subnet '{subnet}' is not valid because its IP address range overlaps with that of an existing subnet in virtual network '{vnet}'." },
  VnetAddressSpacesOverlap: { status: 400, message: "Cannot create or update peering {peering}. Virtual networks {vnet} and {remote} cannot be peered because their address spaces overlap. Overlapping address prefixes: {prefixes}" },
  InUseSubnetCannotBeDeleted: { status: 400, message: "Subnet {subnet} is in use by {user} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet." },
  InvalidResourceReference: { status: 400, message: "Resource {ref} referenced by resource {id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region." },
  LinkedAuthorizationFailed: { status: 403, message: "The client '{clientId}' with object id '{objectId}' has permission to perform action '{action}' on scope '{scope}'; however, it does not have permission to perform action(s) '{linkedAction}' on the linked scope(s) '{linkedScope}' (respectively) or the linked scope(s) are invalid." },
  PrivateEndpointIpConfigurationMissingMemberNamesRequiredByFps: { status: 400, message: "Private Endpoint {id} contains static ipconfigurations: [{given}] and its missing these membernames/groupids requested by Private Link service [{missing}]. Private Endpoint needs to be reconfigured with missing memberNames." },
  PrivateIPAddressNotInSubnet: { status: 400, message: "IP configuration {config} private IP address {ip} does not belong to the subnet {subnet}." },
  PrivateIPAddressIsReserved: { status: 400, message: "IP configuration {config} private IP address {ip} is reserved in subnet {subnet}: the first four addresses and the last address of a subnet are reserved." },
  PrivateIPAddressInUse: { status: 400, message: "IP configuration {config} is using the private IP address {ip} which is already allocated to resource {owner}." },
  SubnetIsFull: { status: 400, message: "Subnet {subnet} with address prefix {prefix} does not have enough capacity for {count} IP addresses." },
  PrivateEndpointConnectionLimitReached: { status: 400, message: "The registry {registry} already has {limit} private endpoint connections, the maximum a registry supports." },
  PrivateEndpointConnectionStateTransitionNotAllowed: { status: 400, message: "The private endpoint connection '{name}' cannot change from '{from}' to '{to}'. {reason}" },
  // --- Microsoft.Network/privateDnsZones (zones, record sets, links) and private DNS zone groups ---
  ParentResourceNotFound: { status: 404, message: "Can not perform requested operation on nested resource. Parent resource '{name}' not found." },
  LocationNotAvailableForResourceType: {
    status: 400,
    message: "The provided location '{location}' is not available for resource type '{type}'. List of available regions for the resource type is '{available}'.",
  },
  BadRequest: { status: 400, message: "{reason}" },
  PreconditionFailed: { status: 412, message: "{reason}" },
  CannotDeleteResource: {
    status: 409,
    message: "Cannot delete resource while nested resources exist. Some existing nested resource IDs include: '{ids}'. Please delete all nested resources before deleting this resource.",
  },
  Conflict: { status: 409, message: "Private zone '{zone}' is already linked to the virtual network '{vnet}'." },
  InvalidPrivateDnsZoneIds: { status: 400, message: "Private Dns Zone group {id} has invalid private dns zone ids {ids}." },
  // --- Microsoft.Authorization ---
  RoleDefinitionDoesNotExist: { status: 404, message: "The specified role definition with ID '{id}' does not exist." },
  RoleAssignmentNotFound: { status: 404, message: "The role assignment '{name}' is not found." },
  RoleAssignmentExists: { status: 409, message: "The role assignment already exists." },
  RoleAssignmentUpdateNotPermitted: { status: 409, message: "Tenant ID, application ID, principal ID, and scope are not allowed to be updated." },
  InvalidRoleAssignmentId: { status: 400, message: "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID." },
  InvalidPrincipalId: { status: 400, message: "A valid principal ID must be provided for role assignment." },
  PrincipalNotFound: {
    status: 400,
    message:
      "Principal {principalId} does not exist in the directory {tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
  },
  UnmatchedPrincipalType: { status: 400, message: "The PrincipalId '{principalId}' has type '{actual}' , which is different from specified PrincipalType '{given}'." },
  InvalidRoleDefinitionId: { status: 400, message: "The role definition ID '{id}' is not valid. {reason}" },
  RoleDefinitionWithSameNameExists: { status: 409, message: "A custom role with the same name already exists in this directory." },
  RoleDefinitionHasAssignments: { status: 409, message: "There are existing role assignments referencing role '{name}'. Delete them before deleting the role definition." },
  // --- Azure Policy (docs/policy.md): definitions, assignments, exemptions, enforcement ---
  RequestDisallowedByPolicy: { status: 403, message: "Resource '{name}' was disallowed by policy. Policy identifiers: '{identifiers}'." },
  PolicyDefinitionNotFound: { status: 404, message: "The policy definition '{name}' could not be found." },
  PolicyAssignmentNotFound: { status: 404, message: "The policy assignment '{name}' is not found." },
  PolicyExemptionNotFound: { status: 404, message: "The policy exemption '{name}' is not found." },
  InvalidPolicyRule: { status: 400, message: "Failed to parse policy rule: {reason}" },
  InvalidPolicyAlias: {
    status: 400,
    message: "The policy definition '{name}' rule is invalid. The 'field' property '{alias}' of the policy rule doesn't exist as an alias under provider '{namespace}' and resource type '{type}'. The supported aliases are '{supported}'.",
  },
  InvalidPolicyParameters: {
    status: 400,
    message: "A function or parameter in policy '{name}' could not be validated. If using template functions, try following the tips in: https://aka.ms/policy-avoiding-template-failures. The inner exception '{reason}'.",
  },
  PolicyParameterValueNotAllowed: {
    status: 400,
    message: "The value '{value}' is not allowed for policy parameter '{parameter}' in policy definition '{definition}'. The allowed values are '{allowed}'.",
  },
  UndefinedPolicyParameter: {
    status: 400,
    message: "The policy assignment '{name}' has the parameter(s) '{parameters}' which are not defined in the policy definition '{definition}'.",
  },
  MissingPolicyParameter: {
    status: 400,
    message: "The policy assignment '{name}' is missing the parameter(s) '{parameters}' as defined in the policy definition '{definition}'.",
  },
  ResourceIdentityRequired: {
    status: 400,
    message: "The policy assignment '{name}' request is invalid. Policy assignments must include a 'managed identity' when assigning '{effect}' policy definitions. Please see https://aka.ms/azurepolicyremediation for usage information.",
  },
  InvalidCreatePolicyAssignmentRequest: { status: 400, message: "The policy assignment create request is invalid. {reason}" },
  InvalidPolicyDefinitionRequest: { status: 400, message: "{reason}" },
  InvalidPolicyExemptionRequest: { status: 400, message: "{reason}" },
  // --- Microsoft.PolicyInsights (docs/policy.md): policy states, remediations ---
  InvalidQueryParameterValue: { status: 400, message: "Invalid value for the query parameter '{parameter}': {reason}" },
  RemediationNotFound: { status: 404, message: "The remediation '{name}' could not be found." },
  InvalidCreateRemediationRequest: { status: 400, message: "The remediation request is invalid. {reason}" },
  InvalidCancelRemediationRequest: { status: 400, message: "The remediation '{name}' cannot be canceled: it is in the state '{state}'." },
  // --- the service's own state ---
  // Cove's own: a storage engine behind Cove (PostgreSQL, Azure Blob Storage) is down or refusing
  // (the domain's StoreUnavailable). ARM's code for a 503 that clients retry; the Azure SDKs do.
  ServiceUnavailable: { status: 503, message: "The service is temporarily unavailable: its {store} cannot be reached. Please retry the request later." },
  // Cove's own: the data dir's disk is full (the domain's StoreFull, embedded stores). RFC 4918's
  // 507: not an outage to retry at once, so no Retry-After; nothing of the write was kept.
  InsufficientStorage: { status: 507, message: "The service's {store} is full: nothing was changed. Retry the request once space is freed." },
  // --- anything else ---
  InternalServerError: { status: 500, message: "The server encountered an internal error. Please retry the request." },
} as const satisfies Record<string, ArmCatalogueEntry>;

export type ArmErrorCode = keyof typeof ARM_ERRORS;

export function formatMessage(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** What `armError` stores in DomainError.detail for the mapper. */
export interface ArmErrorDetail {
  target?: string;
  details?: Array<{ code: string; message: string; target?: string }>;
  /** ARM's typed extra information, e.g. [{ type: "PolicyViolation", info: {...} }]. */
  additionalInfo?: Array<{ type: string; info: unknown }>;
}

/** The one way control-plane code raises a catalogued ARM error. */
export function armError(
  code: ArmErrorCode,
  params: Record<string, string | number> = {},
  detail: ArmErrorDetail = {},
): DomainError {
  return new DomainError(code, formatMessage(ARM_ERRORS[code].message, params), detail);
}

export interface ArmErrorResult {
  status: number;
  body: { error: { code: string; message: string; target?: string; details?: ArmErrorDetail["details"]; additionalInfo?: ArmErrorDetail["additionalInfo"] } };
}

/**
 * The mapper: a DomainError whose code is in this catalogue keeps its code and message; any other
 * error (another surface's DomainError, a bug) becomes InternalServerError and `internal` is set so
 * the caller logs it. Never leaks a stack or an internal message to the client.
 */
export function armErrorResult(e: unknown): ArmErrorResult & { internal: boolean } {
  // The storage errors the management API answers as such: an outage is a 503 to retry, a full
  // disk a 507, neither a bug to log. The store's own reason stays out of the body, like every
  // internal message.
  if (isDomainError(e) && (e.code === "StoreUnavailable" || e.code === "StoreFull")) {
    const store = (e.detail as { store?: unknown } | undefined)?.store;
    e = armError(e.code === "StoreFull" ? "InsufficientStorage" : "ServiceUnavailable", { store: typeof store === "string" ? store : "storage" });
  }
  if (isDomainError(e) && Object.hasOwn(ARM_ERRORS, e.code)) {
    const entry = ARM_ERRORS[e.code as ArmErrorCode];
    const d = (e.detail ?? {}) as ArmErrorDetail;
    const error: ArmErrorResult["body"]["error"] = { code: e.code, message: e.message };
    if (d.target !== undefined) error.target = d.target;
    if (d.details !== undefined) error.details = d.details;
    if (d.additionalInfo !== undefined) error.additionalInfo = d.additionalInfo;
    return { status: entry.status, body: { error }, internal: false };
  }
  return {
    status: ARM_ERRORS.InternalServerError.status,
    body: { error: { code: "InternalServerError", message: ARM_ERRORS.InternalServerError.message } },
    internal: true,
  };
}
