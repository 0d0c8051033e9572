// Microsoft.ContainerRegistry/registries: PUT, GET, PATCH, DELETE, list (resource group,
// subscription), checkNameAvailability, listCredentials, regenerateCredential. Answers are
// synchronous with the final body and provisioningState "Succeeded" (reference/azure-sdk-clients.md
// 1.1: the fastest path, and `begin...AndWait` returns after one request). `sku` is always present:
// the v12 SDK's deserialiser crashes without it.

import { randomUUID } from "node:crypto";
import { REGISTRY_NAME, loginServerFor, type SkuName } from "../../domain/registry.js";
import type { ResourceRecord } from "../../storage/types.js";
import type { Principal } from "../../auth/types.js";
import type { ArmCall, ArmResult, ManagementApiDeps } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getRegistry, getResourceGroup } from "../arm/scopes.js";
import { asLocation, asString, invalid, onlyKeys, optEnum, optTags, type Json } from "../arm/strict-json.js";
import { checkPrivateLinkRules, checkSkuRules, defaultProps, mergeProps, parseRegistryBody, type RegistryProps } from "./registry-schema.js";
import { disconnectRegistry } from "./private-endpoint-connections.js";
import { PASSWORD_NAMES, createAdminCredentials, readAdminCredentials, regeneratePassword } from "./credentials.js";
import { REGISTRY_TYPE } from "../../domain/resource-types.js";
import { REPLICATION_SYNC_TYPE, replicationSyncId } from "../../domain/replication.js";
import { registryId } from "../../domain/resource-ids.js";
import { dataHostNames, replicaLocations } from "./replication-records.js";
import { listTracked } from "../arm/resource-kit.js";

export const REG_READ = "Microsoft.ContainerRegistry/registries/read";
export const REG_WRITE = "Microsoft.ContainerRegistry/registries/write";
export const REG_DELETE = "Microsoft.ContainerRegistry/registries/delete";
export const REG_LIST_CREDENTIALS = "Microsoft.ContainerRegistry/registries/listCredentials/action";
export const REG_REGENERATE_CREDENTIAL = "Microsoft.ContainerRegistry/registries/regenerateCredential/action";
export const CHECK_NAME = "Microsoft.ContainerRegistry/checkNameAvailability/read";

const NAME_RULE = "Registry names may contain only alpha numeric characters and must be between 5 and 50 characters.";

function checkName(name: string): void {
  if (!REGISTRY_NAME.test(name)) throw armError("InvalidResourceName", { name });
}

/** Login servers are unique across the whole Cove (every subscription, every group), case-insensitively. */
async function nameTakenBy(deps: ManagementApiDeps, name: string): Promise<ResourceRecord | undefined> {
  const all = await deps.meta.listResources({ type: REGISTRY_TYPE });
  return all.find((r) => String(r.body.name).toLowerCase() === name.toLowerCase());
}

function actor(p: Principal): string {
  return p.clientId ?? p.id;
}

function identityFor(input: Json | undefined, previous: Json | undefined, tenantId: string): Json | undefined {
  if (!input) return previous;
  const type = String(input.type);
  const out: Json = { ...input };
  if (type.includes("SystemAssigned")) {
    out.principalId = previous?.principalId ?? randomUUID();
    out.tenantId = tenantId;
  }
  if (input.userAssignedIdentities) {
    const ids: Json = {};
    const prev = (previous?.userAssignedIdentities ?? {}) as Json;
    for (const k of Object.keys(input.userAssignedIdentities as Json)) {
      ids[k] = prev[k] ?? { principalId: randomUUID(), clientId: randomUUID() };
    }
    out.userAssignedIdentities = ids;
  }
  return out;
}

interface DocParts {
  id: string; name: string; location: string; sku: SkuName; tags?: Record<string, string>; identity?: Json;
  props: RegistryProps; loginServer: string; creationDate: string; systemData: Json; privateEndpointConnections: unknown[];
  /** Lower-case replica regions (stored replications), for `dataEndpointHostNames`. */
  replicas: string[];
}

function registryDocument(d: DocParts, suffix: string): Json {
  const p = d.props;
  const dataHosts = p.dataEndpointEnabled === true ? dataHostNames(d.name, d.location, d.replicas, suffix) : [];
  return {
    id: d.id,
    name: d.name,
    type: REGISTRY_TYPE,
    location: d.location,
    ...(d.tags ? { tags: d.tags } : {}),
    sku: { name: d.sku, tier: d.sku },
    ...(d.identity ? { identity: d.identity } : {}),
    systemData: d.systemData,
    properties: {
      loginServer: d.loginServer,
      creationDate: d.creationDate,
      provisioningState: "Succeeded",
      adminUserEnabled: p.adminUserEnabled,
      networkRuleSet: p.networkRuleSet,
      policies: p.policies,
      encryption: p.encryption,
      dataEndpointEnabled: p.dataEndpointEnabled,
      dataEndpointHostNames: dataHosts,
      privateEndpointConnections: d.privateEndpointConnections,
      publicNetworkAccess: p.publicNetworkAccess,
      networkRuleBypassOptions: p.networkRuleBypassOptions,
      networkRuleBypassAllowedForTasks: p.networkRuleBypassAllowedForTasks,
      zoneRedundancy: p.zoneRedundancy,
      anonymousPullEnabled: p.anonymousPullEnabled,
      roleAssignmentMode: p.roleAssignmentMode,
    },
  };
}

/** The writable properties of a stored document (what PATCH merges over). */
function storedProps(body: Json): RegistryProps {
  const { loginServer, creationDate, provisioningState, dataEndpointHostNames, privateEndpointConnections, status, ...rest } =
    (body.properties ?? {}) as Json;
  void loginServer; void creationDate; void provisioningState; void dataEndpointHostNames; void privateEndpointConnections; void status;
  return rest;
}

export async function putRegistry(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const name = c.params.registryName!;
  checkName(name);
  const input = parseRegistryBody(c.body!, "put");
  const location = asLocation(input.location);
  const tags = optTags(input.tags);
  if (!input.sku) invalid("sku", "Required property 'sku' not found in JSON.");
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const id0 = registryId(s, String(group.body.name), name);
  const existing = await c.deps.meta.getResource(id0);
  if (existing && existing.body.location !== location) {
    throw armError("InvalidResourceLocation", { name, existing: String(existing.body.location), resourceGroup: String(group.body.name), location });
  }
  const taken = await nameTakenBy(c.deps, name);
  if (taken && taken.id.toLowerCase() !== id0.toLowerCase()) {
    throw armError("AlreadyInUse", { host: `${name.toLowerCase()}.${c.deps.loginServerSuffix}` });
  }
  const now = new Date().toISOString();
  const props = mergeProps(defaultProps(now), input.props, now);
  const connections = ((existing?.body.properties as Json | undefined)?.privateEndpointConnections as unknown[] | undefined)?.length ?? 0;
  checkPrivateLinkRules(input.sku, input.props, props, connections);
  checkSkuRules(input.sku, props);
  if (existing && input.sku !== "Premium" && (await replicaLocations(c.deps.meta, existing.id)).length > 0) {
    throw armError("FeatureNotSupportedForSku", { feature: "replications", sku: input.sku, required: "Premium" });
  }

  const id = existing?.id ?? id0;
  const regName = existing ? String(existing.body.name) : name;
  const prevBody = (existing?.body ?? {}) as Json;
  const prevSystem = (prevBody.systemData ?? {}) as Json;
  const doc = registryDocument({
    id, name: regName, location, sku: input.sku, tags,
    identity: identityFor(input.identity, prevBody.identity as Json | undefined, c.deps.tenantId),
    props,
    loginServer: loginServerFor(regName, c.deps.loginServerSuffix, c.deps.registryPort),
    creationDate: String((prevBody.properties as Json | undefined)?.creationDate ?? now),
    systemData: {
      createdBy: prevSystem.createdBy ?? actor(c.principal), createdByType: prevSystem.createdByType ?? "Application",
      createdAt: prevSystem.createdAt ?? now,
      lastModifiedBy: actor(c.principal), lastModifiedByType: "Application", lastModifiedAt: now,
    },
    privateEndpointConnections: ((prevBody.properties as Json | undefined)?.privateEndpointConnections as unknown[]) ?? [],
    replicas: existing ? await replicaLocations(c.deps.meta, id) : [],
  }, c.deps.loginServerSuffix);
  await c.deps.meta.putResource({ id, type: REGISTRY_TYPE, body: doc });
  if (!existing) await createAdminCredentials(c.deps.meta, id, regName);
  return { status: existing ? 200 : 201, body: doc };
}

export async function getRegistryHandler(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const rec = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  return { status: 200, body: rec.body };
}

export async function patchRegistry(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const input = parseRegistryBody(c.body!, "patch");
  const tags = optTags(input.tags);
  const rec = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  const body = rec.body as Json;
  const now = new Date().toISOString();
  const sku = input.sku ?? ((body.sku as Json).name as SkuName);
  const props = mergeProps(storedProps(body), input.props, now);
  checkPrivateLinkRules(sku, input.props, props, ((body.properties as Json).privateEndpointConnections as unknown[] | undefined)?.length ?? 0);
  checkSkuRules(sku, props);
  const replicas = await replicaLocations(c.deps.meta, rec.id);
  // Geo-replication is Premium-only: a registry with replicas cannot leave Premium (delete them first).
  if (sku !== "Premium" && replicas.length > 0) throw armError("FeatureNotSupportedForSku", { feature: "replications", sku, required: "Premium" });
  const prevProps = body.properties as Json;
  const prevSystem = (body.systemData ?? {}) as Json;
  const doc = registryDocument({
    id: rec.id, name: String(body.name), location: String(body.location), sku,
    tags: tags ?? (body.tags as Record<string, string> | undefined),
    identity: identityFor(input.identity, body.identity as Json | undefined, c.deps.tenantId),
    props,
    loginServer: String(prevProps.loginServer),
    creationDate: String(prevProps.creationDate),
    systemData: { ...prevSystem, lastModifiedBy: actor(c.principal), lastModifiedByType: "Application", lastModifiedAt: now },
    privateEndpointConnections: (prevProps.privateEndpointConnections as unknown[]) ?? [],
    replicas,
  }, c.deps.loginServerSuffix);
  await c.deps.meta.putResource({ id: rec.id, type: REGISTRY_TYPE, body: doc });
  return { status: 200, body: doc };
}

/** 200 when deleted, 204 when there was nothing to delete (as ACR). Content and credentials go too. */
export async function deleteRegistry(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const rec = await c.deps.meta.getResource(registryId(s, String(group.body.name), c.params.registryName!));
  if (!rec || rec.type.toLowerCase() !== REGISTRY_TYPE.toLowerCase()) return { status: 204 };
  // Endpoints that pointed here show Disconnected (audited); their records go with the registry.
  await disconnectRegistry(c.deps, rec.id, { actor: c.principal.id, requestId: c.ctx.requestId });
  await c.deps.meta.deleteRegistryContent(rec.id.toLowerCase());
  await c.deps.meta.deleteResource(rec.id, true); // its replications with it
  // What the replicator reported on them (records beside, not under, the registry).
  for (const s of await c.deps.meta.listResources({ type: REPLICATION_SYNC_TYPE, underId: replicationSyncId(rec.id, "") })) await c.deps.meta.deleteResource(s.id);
  return { status: 200 };
}

/** Lists by resource group or subscription, filtered to what the caller may read (the resource kit's list). */
export const listRegistriesInGroup = listTracked(REGISTRY_TYPE, REG_READ);
export const listRegistriesInSubscription = listRegistriesInGroup;

export async function checkNameAvailability(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const body = c.body!;
  onlyKeys(body, ["name", "type"], "");
  const name = asString(body.name, "name");
  const type = asString(body.type, "type");
  if (type.toLowerCase() !== REGISTRY_TYPE.toLowerCase()) {
    throw armError("InvalidParameter", { target: "type", reason: `The resource type '${type}' is not supported; use '${REGISTRY_TYPE}'.` }, { target: "type" });
  }
  if (!REGISTRY_NAME.test(name)) return { status: 200, body: { nameAvailable: false, reason: "Invalid", message: NAME_RULE } };
  if (await nameTakenBy(c.deps, name)) {
    return { status: 200, body: { nameAvailable: false, reason: "AlreadyExists", message: `The registry ${name} is already in use.` } };
  }
  return { status: 200, body: { nameAvailable: true } };
}

/**
 * Returns the admin credentials whatever `adminUserEnabled` says: the caller already holds the
 * listCredentials permission, `az acr credential show` refuses client-side when the admin user is
 * disabled, and the data plane refuses the admin login while it is disabled.
 */
export async function listCredentials(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const rec = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  const creds = await readAdminCredentials(c.deps.meta, rec.id, String(rec.body.name));
  return { status: 200, body: creds };
}

export async function regenerateCredential(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const body = c.body!;
  onlyKeys(body, ["name"], "");
  const which = optEnum(body.name, PASSWORD_NAMES, "name");
  if (!which) invalid("name", "Required property 'name' not found in JSON.");
  const rec = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  const creds = await regeneratePassword(c.deps.meta, rec.id, String(rec.body.name), which);
  return { status: 200, body: creds };
}
