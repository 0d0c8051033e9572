// Geo-replicas (Premium): the vocabulary both planes share. The control plane stores the
// `registries/replications` resources; the data plane's replicator copies content into each
// replica region's store and reports how far it is, in one record per replica that the
// replication GET shows (`properties.status`, and Cove's `properties.syncStatus`).

/** A replica region of a registry, as the data plane routes to it (the home region is not one). */
export interface ReplicaView {
  /** Lower-case region name, e.g. "northeurope". */
  location: string;
  /** False: requests are not routed to it, its content still syncs (Azure's meaning). */
  regionEndpointEnabled: boolean;
}

/** Azure region names as ARM writes them: lower-case letters and digits ("westeurope", "eastus2"). */
export const REGION_NAME = /^[a-z][a-z0-9]{1,39}$/;

export const REPLICATION_SYNC_TYPE = "Cove.Internal/replicationSync";

/** Record id of one replica's sync status (not an ARM resource: never listed by ARM routes). */
export function replicationSyncId(registryKey: string, location: string): string {
  return `/cove/replication-sync${registryKey.toLowerCase()}/${location.toLowerCase()}`;
}

export interface ReplicaSyncStatus {
  state: "Synced" | "Syncing" | "Failed";
  /** ms since epoch of the oldest push not yet in this replica; absent when caught up. */
  oldestPendingSince?: number;
  pendingManifests: number;
  pendingBlobs: number;
  pendingBytes: number;
  /** ISO time of the last manifest made complete in the replica. */
  lastSyncedAt?: string;
  /** ISO time this record was written. */
  updatedAt: string;
  message?: string;
}
