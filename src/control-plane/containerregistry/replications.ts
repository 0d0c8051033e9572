// Microsoft.ContainerRegistry/registries/replications: PUT, GET, PATCH, DELETE, list (geo-replication,
// Premium only). Answers are synchronous with provisioningState "Succeeded", as the other ACR handlers
// (the SDK's and az's begin_* pollers finish on a 200/201 with a final body).
//
// As Azure:
// - a Premium registry always lists its home replication, named after its location. Cove does not
//   store it: it is the registry itself. It cannot be deleted (HomeReplicationCannotBeDeleted) and
//   Cove does not change it (HomeReplicationCannotBeChanged: taking the home region out of routing
//   would leave a private client nowhere to go);
// - one replication per region; none in the home region (az refuses that client-side too);
// - creating a replica gives every private endpoint of the registry one more address and record
//   (network/replica-members.ts), all or nothing; deleting it takes them away;
// - `regionEndpointEnabled: false` keeps the replica syncing but routes nobody to it.
// The content is copied by the data plane's replicator, which reports per replica in a record
// (domain/replication.ts) shown here as `properties.status` and Cove's `properties.syncStatus`.

import type { ResourceRecord } from "../../storage/types.js";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getRegistry } from "../arm/scopes.js";
import { asLocation, asObject, invalid, onlyKeys, optBoolean, optEnum, optObject, optTags, type Json } from "../arm/strict-json.js";
import { actorOf, getTyped } from "../arm/resource-kit.js";
import { REGISTRY_TYPE, REPLICATION_TYPE } from "../../domain/resource-types.js";
import { REPLICATION_SYNC_TYPE, replicationSyncId, type ReplicaSyncStatus } from "../../domain/replication.js";
import { dataHostNames, replicaLocations, replicationsOf } from "./replication-records.js";
import { addReplicaMembers, removeReplicaMembers } from "../network/replica-members.js";

export const REPLICATION_READ = "Microsoft.ContainerRegistry/registries/replications/read";
export const REPLICATION_WRITE = "Microsoft.ContainerRegistry/registries/replications/write";
export const REPLICATION_DELETE = "Microsoft.ContainerRegistry/registries/replications/delete";

const NAME = /^[a-zA-Z0-9]{5,50}$/;
const ZONE_REDUNDANCY = ["Enabled", "Disabled"] as const;

function premium(registry: ResourceRecord): void {
  const sku = String((registry.body.sku as Json).name);
  if (sku !== "Premium") throw armError("FeatureNotSupportedForSku", { feature: "replications", sku, required: "Premium" });
}

const homeOf = (registry: ResourceRecord) => String(registry.body.location).toLowerCase();
const replicationId = (registry: ResourceRecord, name: string) => `${registry.id}/replications/${name}`;

async function loaded(c: ArmCall): Promise<ResourceRecord> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  return getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
}

/** The home replication, made from the registry: always Ready (it is where pushes land). */
function homeDocument(registry: ResourceRecord): Json {
  const p = registry.body.properties as Json;
  const location = homeOf(registry);
  return {
    id: replicationId(registry, location), name: location, type: REPLICATION_TYPE, location,
    ...(registry.body.tags ? { tags: registry.body.tags } : {}),
    systemData: registry.body.systemData,
    properties: {
      provisioningState: "Succeeded",
      status: { displayStatus: "Ready", message: "The home region: pushes land here.", timestamp: String(p.creationDate ?? "") },
      regionEndpointEnabled: true,
      zoneRedundancy: String(p.zoneRedundancy ?? "Disabled"),
    },
  };
}

const DISPLAY: Record<ReplicaSyncStatus["state"], string> = { Synced: "Ready", Syncing: "Syncing", Failed: "Failed" };

/** A stored replication with what the replicator last reported about it. */
async function withStatus(c: ArmCall, registry: ResourceRecord, rec: ResourceRecord): Promise<Json> {
  const sync = await c.deps.meta.getResource(replicationSyncId(registry.id, String(rec.body.location)));
  const props = rec.body.properties as Json;
  const createdAt = String((rec.body.systemData as Json | undefined)?.createdAt ?? "");
  // A report older than the replica is about an earlier one of the same region (a status write in
  // flight when that was deleted can land after the delete): this replica has not been reported on.
  const reported = sync?.body as unknown as ReplicaSyncStatus | undefined;
  const s = reported && !(createdAt && String(reported.updatedAt) < createdAt) ? reported : undefined;
  if (!s) {
    const status = { displayStatus: "Syncing", message: "The replicator has not reported on this replica yet.", timestamp: createdAt };
    return { ...rec.body, properties: { ...props, status } };
  }
  const lagSeconds = s.oldestPendingSince === undefined ? 0 : Math.max(0, Math.round((Date.now() - s.oldestPendingSince) / 100) / 10);
  return {
    ...rec.body,
    properties: {
      ...props,
      status: { displayStatus: DISPLAY[s.state] ?? "Syncing", message: s.message ?? "", timestamp: s.updatedAt },
      syncStatus: {
        state: s.state, lagSeconds, pendingManifests: s.pendingManifests, pendingBlobs: s.pendingBlobs, pendingBytes: s.pendingBytes,
        ...(s.lastSyncedAt ? { lastSyncedAt: s.lastSyncedAt } : {}),
      },
    },
  };
}

/** The registry's `dataEndpointHostNames` follow its replicas (when its data endpoints are on). */
async function refreshDataHosts(c: ArmCall, registryId: string): Promise<void> {
  const reg = await getTyped(c.deps.meta, registryId, REGISTRY_TYPE);
  if (!reg) return;
  const p = reg.body.properties as Json;
  if (p.dataEndpointEnabled !== true) return;
  const hosts = dataHostNames(String(reg.body.name), homeOf(reg), await replicaLocations(c.deps.meta, reg.id), c.deps.loginServerSuffix);
  await c.deps.meta.putResource({ id: reg.id, type: REGISTRY_TYPE, body: { ...reg.body, properties: { ...p, dataEndpointHostNames: hosts } } });
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw armError("InvalidReplicationName", { name });
}

const READ_ONLY = ["provisioningState", "status", "syncStatus"];

export async function putReplication(c: ArmCall): Promise<ArmResult> {
  const registry = await loaded(c);
  premium(registry);
  const name = c.params.replicationName!;
  checkName(name);
  const body = asObject(c.body, "");
  onlyKeys(body, ["location", "tags", "properties", "id", "name", "type", "systemData"], "");
  const location = asLocation(body.location);
  const tags = optTags(body.tags);
  const p = optObject(body.properties, "properties") ?? {};
  onlyKeys(p, ["regionEndpointEnabled", "zoneRedundancy", ...READ_ONLY], "properties");
  const regionEndpointEnabled = optBoolean(p.regionEndpointEnabled, "properties.regionEndpointEnabled") ?? true;
  const zoneRedundancy = optEnum(p.zoneRedundancy, ZONE_REDUNDANCY, "properties.zoneRedundancy") ?? "Disabled";
  const home = homeOf(registry);
  if (name.toLowerCase() === home) throw armError("HomeReplicationCannotBeChanged", { name, location: home, registry: String(registry.body.name) });
  if (location === home) throw armError("ReplicationInHomeRegion", { location });
  const all = await replicationsOf(c.deps.meta, registry.id);
  const existing = all.find((r) => r.id.toLowerCase() === replicationId(registry, name).toLowerCase());
  if (existing && String(existing.body.location) !== location) {
    throw armError("InvalidResourceLocation", { name, existing: String(existing.body.location), resourceGroup: c.params.resourceGroupName!, location });
  }
  const inUse = all.find((r) => r !== existing && String(r.body.location) === location);
  if (inUse) throw armError("ReplicationLocationInUse", { registry: String(registry.body.name), existing: String(inUse.body.name), location });
  const prev = (existing?.body.properties ?? {}) as Json;
  if (existing && prev.zoneRedundancy !== zoneRedundancy) {
    invalid("properties.zoneRedundancy", "The zone redundancy of a replication cannot be changed; delete the replication and create it again.");
  }
  const now = new Date().toISOString();
  const prevSystem = (existing?.body.systemData ?? {}) as Json;
  const actor = actorOf(c.principal);
  const id = existing?.id ?? replicationId(registry, name);
  const doc: Json = {
    id, name: existing ? String(existing.body.name) : name, type: REPLICATION_TYPE, location,
    ...(tags ? { tags } : {}),
    systemData: {
      createdBy: prevSystem.createdBy ?? actor, createdByType: prevSystem.createdByType ?? "Application", createdAt: prevSystem.createdAt ?? now,
      lastModifiedBy: actor, lastModifiedByType: "Application", lastModifiedAt: now,
    },
    properties: { provisioningState: "Succeeded", regionEndpointEnabled, zoneRedundancy },
  };
  // Addresses first: a full subnet fails the whole create before the replication is stored.
  if (!existing) await addReplicaMembers(c.deps.meta, registry, location, c.deps.loginServerSuffix, c.principal.id);
  await c.deps.meta.putResource({ id, type: REPLICATION_TYPE, body: doc });
  if (!existing) await refreshDataHosts(c, registry.id);
  return { status: existing ? 200 : 201, body: await withStatus(c, registry, (await c.deps.meta.getResource(id))!) };
}

async function storedOrHome(c: ArmCall, registry: ResourceRecord): Promise<{ stored?: ResourceRecord; home?: Json }> {
  const name = c.params.replicationName!;
  const stored = await getTyped(c.deps.meta, replicationId(registry, name), REPLICATION_TYPE);
  if (stored) return { stored };
  const sku = String((registry.body.sku as Json).name);
  if (sku === "Premium" && name.toLowerCase() === homeOf(registry)) return { home: homeDocument(registry) };
  throw armError("ResourceNotFound", { type: REPLICATION_TYPE, name: `${String(registry.body.name)}/${name}`, resourceGroup: c.params.resourceGroupName! });
}

export async function getReplication(c: ArmCall): Promise<ArmResult> {
  const registry = await loaded(c);
  const { stored, home } = await storedOrHome(c, registry);
  return { status: 200, body: stored ? await withStatus(c, registry, stored) : home! };
}

export async function patchReplication(c: ArmCall): Promise<ArmResult> {
  const registry = await loaded(c);
  const body = asObject(c.body, "");
  onlyKeys(body, ["tags", "properties"], "");
  const tags = optTags(body.tags);
  const p = optObject(body.properties, "properties") ?? {};
  onlyKeys(p, ["regionEndpointEnabled"], "properties");
  const regionEndpointEnabled = optBoolean(p.regionEndpointEnabled, "properties.regionEndpointEnabled");
  const { stored } = await storedOrHome(c, registry);
  if (!stored) throw armError("HomeReplicationCannotBeChanged", { name: c.params.replicationName!, location: homeOf(registry), registry: String(registry.body.name) });
  const props = { ...(stored.body.properties as Json), ...(regionEndpointEnabled !== undefined ? { regionEndpointEnabled } : {}) };
  const system = { ...((stored.body.systemData ?? {}) as Json), lastModifiedBy: actorOf(c.principal), lastModifiedByType: "Application", lastModifiedAt: new Date().toISOString() };
  const { tags: oldTags, ...rest } = stored.body;
  const doc = { ...rest, ...((tags ?? oldTags) ? { tags: tags ?? oldTags } : {}), systemData: system, properties: props };
  await c.deps.meta.putResource({ id: stored.id, type: REPLICATION_TYPE, body: doc });
  return { status: 200, body: await withStatus(c, registry, (await c.deps.meta.getResource(stored.id))!) };
}

/** 200 when deleted, 204 when there was none; the home replication: HomeReplicationCannotBeDeleted. */
export async function deleteReplication(c: ArmCall): Promise<ArmResult> {
  const registry = await loaded(c);
  const name = c.params.replicationName!;
  const stored = await getTyped(c.deps.meta, replicationId(registry, name), REPLICATION_TYPE);
  if (!stored) {
    if (name.toLowerCase() === homeOf(registry)) throw armError("HomeReplicationCannotBeDeleted", { name, location: homeOf(registry), registry: String(registry.body.name) });
    return { status: 204 };
  }
  const location = String(stored.body.location);
  await removeReplicaMembers(c.deps.meta, registry, location, c.deps.loginServerSuffix, c.principal.id);
  await c.deps.meta.deleteResource(stored.id, true);
  const sync = await c.deps.meta.getResource(replicationSyncId(registry.id, location));
  if (sync && sync.type === REPLICATION_SYNC_TYPE) await c.deps.meta.deleteResource(sync.id);
  await refreshDataHosts(c, registry.id);
  return { status: 200 };
}

/** The home replication first (Premium), then the replicas by location. */
export async function listReplications(c: ArmCall): Promise<ArmResult> {
  const registry = await loaded(c);
  if (String((registry.body.sku as Json).name) !== "Premium") return { status: 200, body: { value: [] } };
  const replicas = await Promise.all((await replicationsOf(c.deps.meta, registry.id)).map((r) => withStatus(c, registry, r)));
  return { status: 200, body: { value: [homeDocument(registry), ...replicas] } };
}
