// The stored geo-replicas of a registry, read by every handler that derives something from them:
// the private endpoints' required members, the registry's data endpoint names, the private link
// resource. Kept apart from the replication handlers so the network handlers can read it without
// importing them (replications.ts imports the network side to add members).

import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import { REPLICATION_TYPE } from "../../domain/resource-types.js";
import { dataEndpointHost } from "../../domain/resource-ids.js";

/** The stored replications of the registry (never the home region's, which is not stored), by location. */
export async function replicationsOf(meta: MetadataStore, registryId: string): Promise<ResourceRecord[]> {
  const list = await meta.listResources({ type: REPLICATION_TYPE, underId: registryId.replace(/\/+$/, "") + "/" });
  return list.sort((a, b) => String(a.body.location).localeCompare(String(b.body.location)));
}

/** Lower-case replica regions, sorted: the order of their members and data endpoint names. */
export async function replicaLocations(meta: MetadataStore, registryId: string): Promise<string[]> {
  return (await replicationsOf(meta, registryId)).map((r) => String(r.body.location).toLowerCase());
}

/** `dataEndpointHostNames`: the home region's data endpoint, then each replica's. */
export function dataHostNames(name: string, home: string, replicas: readonly string[], suffix: string): string[] {
  return [home, ...replicas].map((l) => dataEndpointHost(name, l, suffix));
}
