// Drives a test Cove through Microsoft's official SDK clients, exactly as users' scripts would:
// @azure/identity for tokens, @azure/arm-resources for groups, @azure/arm-containerregistry for
// registries, @azure/arm-authorization for role assignments. Service principals go through Cove's
// documented endpoint (docs/identity.md), which has no Azure SDK.
import { randomUUID } from "node:crypto";
import { ClientSecretCredential } from "@azure/identity";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { ResourceManagementClient } from "@azure/arm-resources";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { TestCove } from "./cove.js";
import { https } from "./http.js";

export const ROLE = {
  Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
  AcrDelete: "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
} as const;

/** A credential for Cove's identity provider; `Credential` picks the @azure/identity version (compatibility tests). */
export function credentialFor(cove: TestCove, clientId = cove.credentials.clientId, secret = cove.credentials.clientSecret, Credential: typeof ClientSecretCredential = ClientSecretCredential) {
  return new Credential(cove.credentials.tenantId, clientId, secret, {
    authorityHost: cove.credentials.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: cove.ca },
    retryOptions: { maxRetries: 0 },
  } as any);
}

export function clients(cove: TestCove, cred = credentialFor(cove)) {
  const common = { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;
  return {
    cred,
    acr: new ContainerRegistryManagementClient(cred, cove.credentials.subscriptionId, common),
    resources: new ResourceManagementClient(cred, cove.credentials.subscriptionId, common),
    authz: new AuthorizationManagementClient(cred, cove.credentials.subscriptionId, common),
  };
}

export async function managementToken(cove: TestCove, cred = credentialFor(cove)): Promise<string> {
  const t = await cred.getToken(`${cove.managementUrl}/.default`);
  return t.token;
}

export interface ServicePrincipal {
  appId: string;
  objectId: string;
  password: string;
}

export async function createServicePrincipal(cove: TestCove, displayName: string): Promise<ServicePrincipal> {
  const token = await managementToken(cove);
  const r = await https(`${cove.managementUrl}/cove/identity/servicePrincipals`, {
    method: "POST", ca: cove.ca, headers: { authorization: `Bearer ${token}` }, body: { displayName },
  });
  if (r.status !== 201) throw new Error(`creating a service principal: ${r.status} ${r.body}`);
  return r.json();
}

export async function assignRole(cove: TestCove, scope: string, principalId: string, roleGuid: string): Promise<void> {
  const { authz } = clients(cove);
  await authz.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: `/subscriptions/${cove.credentials.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`,
    principalId,
    principalType: "ServicePrincipal",
  } as any);
}

/** A resource group and a registry of the given SKU; returns the registry's id and login server. */
export async function createRegistry(cove: TestCove, group: string, name: string, sku = "Premium") {
  const { acr, resources } = clients(cove);
  await resources.resourceGroups.createOrUpdate(group, { location: "westeurope" });
  const reg = await acr.registries.create(group, name, { location: "westeurope", sku: { name: sku } } as any);
  return { id: reg.id as string, loginServer: (reg as any).loginServer as string };
}
