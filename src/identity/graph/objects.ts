// Directory entries rendered as Microsoft Graph v1.0 objects (application, servicePrincipal,
// passwordCredential), with Graph's property names. What az 2.45 reads of them
// (role/custom.py): application `id`, `appId`, `displayName`, `passwordCredentials[].keyId`,
// `identifierUris`; servicePrincipal `id`, `appId`, `servicePrincipalNames[0]` (role assignment
// list); getByIds' `@odata.type` (the ARM principalType); passwordCredential `secretText`.
// Properties Cove does not model are shown empty, as Graph shows an unset one, never invented.

import type { DirectoryEntry } from "./directory.js";

export type GraphObject = Record<string, unknown>;

export const ODATA_TYPE = {
  application: "#microsoft.graph.application",
  servicePrincipal: "#microsoft.graph.servicePrincipal",
} as const;

/** `<base>/v1.0/$metadata#<what>`: Graph's @odata.context. */
export function context(base: string, what: string): string {
  return `${base}/v1.0/$metadata#${what}`;
}

export function passwordCredentials(e: DirectoryEntry): GraphObject[] {
  return e.principal.passwordCredentials.map((c) => passwordCredential(e, c.keyId, c.hint, c.startDateTime));
}

export function passwordCredential(e: DirectoryEntry, keyId: string, hint: string, startDateTime: string, secretText: string | null = null): GraphObject {
  const note = e.passwords[keyId.toLowerCase()];
  return {
    customKeyIdentifier: null,
    displayName: note?.displayName ?? null,
    endDateTime: note?.endDateTime ?? null,
    hint,
    keyId,
    secretText,
    startDateTime,
  };
}

export function application(e: DirectoryEntry): GraphObject {
  const p = e.principal;
  return {
    id: e.applicationId,
    deletedDateTime: null,
    appId: p.appId,
    createdDateTime: p.createdDateTime,
    displayName: p.displayName,
    description: null,
    identifierUris: e.identifierUris,
    isFallbackPublicClient: null,
    signInAudience: "AzureADMyOrg",
    tags: [],
    appRoles: [],
    keyCredentials: [],
    passwordCredentials: passwordCredentials(e),
    requiredResourceAccess: [],
    publicClient: { redirectUris: [] },
    spa: { redirectUris: [] },
    web: { homePageUrl: null, logoutUrl: null, redirectUris: [], implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false } },
  };
}

export function servicePrincipal(e: DirectoryEntry, tenantId: string): GraphObject {
  const p = e.principal;
  const managed = p.managedIdentity === true;
  return {
    id: p.objectId,
    deletedDateTime: null,
    accountEnabled: true,
    alternativeNames: [],
    appDisplayName: managed ? null : p.displayName,
    appId: p.appId,
    appOwnerOrganizationId: managed ? null : tenantId,
    appRoleAssignmentRequired: false,
    displayName: p.displayName,
    servicePrincipalNames: [p.appId, ...e.identifierUris],
    servicePrincipalType: managed ? "ManagedIdentity" : "Application",
    signInAudience: managed ? null : "AzureADMyOrg",
    tags: [],
    appRoles: [],
    keyCredentials: [],
    oauth2PermissionScopes: [],
    // Cove keeps one set of secrets per principal: the application's and the service principal's
    // password lists are the same list (docs/graph.md).
    passwordCredentials: passwordCredentials(e),
  };
}
