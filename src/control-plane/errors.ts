// The ARM management API's ONE error catalogue (house style habit 2): wire code -> status and
// message template. Handlers throw `armError(code, params)` (a DomainError, no HTTP in sight);
// `armErrorResult` is the only place that turns an error into a status and an ARM error body
// `{error:{code,message,target?,details?}}`. docs/errors.md lists every entry
// (test/control-plane/errors-doc.test.ts fails when the two drift apart).
//
// Messages follow Azure's texts where they were confirmed from public error reports; entries
// marked "Cove" in docs/errors.md are Cove's own wording for cases whose Azure text is not public.

import { DomainError, isDomainError } from "../domain/errors.js";

export interface ArmCatalogueEntry {
  status: number;
  /** Message template; `{name}` is replaced by the error's parameter of that name. */
  message: string;
}

export const ARM_ERRORS = {
  // --- authentication / authorization (ARM front door) ---
  AuthenticationFailed: { status: 401, message: "Authentication failed. The 'Authorization' header is missing." },
  InvalidAuthenticationToken: { status: 401, message: "The access token is invalid." },
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
  // --- Microsoft.Authorization ---
  RoleDefinitionDoesNotExist: { status: 404, message: "The specified role definition with ID '{id}' does not exist." },
  RoleAssignmentNotFound: { status: 404, message: "The role assignment '{name}' is not found." },
  RoleAssignmentExists: { status: 409, message: "The role assignment already exists." },
  RoleAssignmentUpdateNotPermitted: { status: 409, message: "Tenant ID, application ID, principal ID, and scope are not allowed to be updated." },
  InvalidRoleAssignmentId: { status: 400, message: "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID." },
  InvalidPrincipalId: { status: 400, message: "A valid principal ID must be provided for role assignment." },
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
  body: { error: { code: string; message: string; target?: string; details?: ArmErrorDetail["details"] } };
}

/**
 * The mapper: a DomainError whose code is in this catalogue keeps its code and message; any other
 * error (another surface's DomainError, a bug) becomes InternalServerError and `internal` is set so
 * the caller logs it. Never leaks a stack or an internal message to the client.
 */
export function armErrorResult(e: unknown): ArmErrorResult & { internal: boolean } {
  if (isDomainError(e) && Object.hasOwn(ARM_ERRORS, e.code)) {
    const entry = ARM_ERRORS[e.code as ArmErrorCode];
    const d = (e.detail ?? {}) as ArmErrorDetail;
    const error: ArmErrorResult["body"]["error"] = { code: e.code, message: e.message };
    if (d.target !== undefined) error.target = d.target;
    if (d.details !== undefined) error.details = d.details;
    return { status: entry.status, body: { error }, internal: false };
  }
  return {
    status: ARM_ERRORS.InternalServerError.status,
    body: { error: { code: "InternalServerError", message: ARM_ERRORS.InternalServerError.message } },
    internal: true,
  };
}
