// The one place that reads the records the state view is built from (HOUSE-STYLE: state/ reads the
// store, policy is handed facts). Ten lists, started together: with the embedded SQLite store they
// run back to back in one turn of the event loop, so no write of this process lands between them.

import type { MetadataStore } from "../storage/types.js";
import { registryViewFrom, type RegistryView } from "../domain/registry.js";
import type { ReplicaView } from "../domain/replication.js";
import { parentOf } from "../domain/resource-ids.js";
import {
  A_RECORD_SET_TYPE, LINK_TYPE, NIC_TYPE, PEC_TYPE, PEERING_TYPE, PRIVATE_ENDPOINT_TYPE, REGISTRY_TYPE, REPLICATION_TYPE, SUBNET_TYPE, ZONE_TYPE,
} from "../domain/resource-types.js";
import { networkFacts, type NetworkFacts } from "../network-policy/index.js";

/** Everything a state view is built from: plain data (a worker thread can be handed it as is). */
export interface StateFacts {
  /**
   * The store version (storage/types.ts ChangeFeed) the facts include at least. Read BEFORE the
   * records: a commit landing in between is then in the records or not, and either way its signal
   * asks for one more rebuild, so the view never claims a version it may lack.
   */
  storeVersion: number;
  /** Every registry, in id order, as both planes see it. */
  registries: RegistryView[];
  network: NetworkFacts;
}

export async function readStateFacts(meta: MetadataStore, suffix: string): Promise<StateFacts> {
  const storeVersion = meta.changes.version;
  const list = (type: string) => meta.listResources({ type });
  const [subnets, peerings, endpoints, nics, connections, registries, zones, aRecordSets, links, replications] = await Promise.all([
    list(SUBNET_TYPE), list(PEERING_TYPE), list(PRIVATE_ENDPOINT_TYPE), list(NIC_TYPE), list(PEC_TYPE),
    list(REGISTRY_TYPE), list(ZONE_TYPE), list(A_RECORD_SET_TYPE), list(LINK_TYPE), list(REPLICATION_TYPE),
  ]);
  const replicas = new Map<string, ReplicaView[]>();
  for (const r of replications) {
    const key = parentOf(r.id).toLowerCase();
    const p = (r.body.properties ?? {}) as { regionEndpointEnabled?: unknown };
    const list = replicas.get(key) ?? [];
    list.push({ location: String(r.body.location).toLowerCase(), regionEndpointEnabled: p.regionEndpointEnabled !== false });
    replicas.set(key, list);
  }
  return {
    storeVersion,
    registries: registries.map((r) => registryViewFrom(r.id, r.body, replicas.get(r.id.toLowerCase()) ?? [])),
    network: networkFacts({ subnets, peerings, endpoints, nics, connections, registries, zones, aRecordSets, links }, suffix),
  };
}
