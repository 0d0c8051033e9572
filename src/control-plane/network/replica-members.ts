// What a geo-replica does to the private endpoints of its registry (acr-networking.md section 3): every
// endpoint gets one more NIC ipConfiguration, member `registry_data_<region>`, for the replica's data
// endpoint; its zone groups write the matching A record. Deleting the replica takes both away again.
//
// Adding is all or nothing, as Azure ("Geo-replication add fails and rolls back if any PE subnet lacks a
// free IP"): every endpoint's address is chosen first, in memory, subnet by subnet (two endpoints in
// one subnet take two different addresses), and only then is anything written. A full subnet fails the
// whole add before the first write, so there is nothing to roll back. Azure's error does not say which
// subnet is full; Cove's does (SubnetIsFull names it). The front door runs audited writes one at a time
// across every node (MetadataStore.exclusive), so no endpoint can take the address in between.

import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import type { Json } from "../arm/strict-json.js";
import { NIC_TYPE, PRIVATE_ENDPOINT_TYPE, SUBNET_TYPE } from "../../domain/resource-types.js";
import { getTyped } from "../arm/resource-kit.js";
import { armError } from "../arm/errors.js";
import { refreshSubnet, subnetCidrs, subnetUsage } from "./subnets.js";
import { ipConfiguration } from "./network-interfaces.js";
import { dynamicAddresses, fqdnsFor } from "./private-endpoints.js";
import { connectionsOf } from "../containerregistry/private-endpoint-connections.js";
import { syncZoneGroupsForEndpoint } from "../privatedns/zone-groups.js";

interface EndpointNic {
  pe: ResourceRecord;
  nic: ResourceRecord;
  subnetId: string;
}

const lower = (s: string) => s.toLowerCase();
const memberOf = (location: string) => `registry_data_${location}`;

/** The private endpoints connected to the registry (any state: a Pending endpoint has its addresses too), with their NICs. */
async function endpointsOf(meta: MetadataStore, registryId: string): Promise<EndpointNic[]> {
  const out: EndpointNic[] = [];
  const seen = new Set<string>();
  for (const conn of await connectionsOf(meta, registryId)) {
    const peId = String(((conn.body.properties as Json).privateEndpoint as Json | undefined)?.id ?? "");
    if (!peId || seen.has(lower(peId))) continue;
    seen.add(lower(peId));
    const pe = await getTyped(meta, peId, PRIVATE_ENDPOINT_TYPE);
    if (!pe) continue;
    const p = pe.body.properties as Json;
    for (const ref of (p.networkInterfaces ?? []) as Json[]) {
      const nic = await getTyped(meta, String(ref.id), NIC_TYPE);
      if (nic) out.push({ pe, nic, subnetId: String((p.subnet as Json).id) });
    }
  }
  return out;
}

const configsOf = (nic: ResourceRecord) => ((nic.body.properties as Json).ipConfigurations ?? []) as Json[];
const memberName = (cfg: Json) => String(((cfg.properties as Json).privateLinkConnectionProperties as Json | undefined)?.requiredMemberName ?? "");

/** One free address per endpoint, or SubnetIsFull naming the first subnet without one; nothing written. */
async function plan(meta: MetadataStore, endpoints: EndpointNic[], member: string): Promise<Map<EndpointNic, string>> {
  const chosen = new Map<EndpointNic, string>();
  const bySubnet = new Map<string, EndpointNic[]>();
  for (const e of endpoints) {
    if (configsOf(e.nic).some((c) => memberName(c) === member)) continue; // already has it
    const list = bySubnet.get(lower(e.subnetId)) ?? [];
    list.push(e);
    bySubnet.set(lower(e.subnetId), list);
  }
  for (const [, list] of bySubnet) {
    const subnet = await getTyped(meta, list[0]!.subnetId, SUBNET_TYPE);
    if (!subnet) continue; // an endpoint whose subnet is gone keeps what it has
    const usage = await subnetUsage(meta, subnet.id);
    // SubnetIsFull reports the whole need of this subnet (one per endpoint in it).
    const ips = dynamicAddresses(subnet, subnetCidrs(subnet), usage.taken, list.length);
    list.forEach((e, i) => chosen.set(e, ips[i]!));
  }
  return chosen;
}

/** Adds the replica's data member to every endpoint of the registry, or throws before writing anything. */
export async function addReplicaMembers(meta: MetadataStore, registry: ResourceRecord, location: string, suffix: string, actor: string): Promise<void> {
  const member = memberOf(location);
  const endpoints = await endpointsOf(meta, registry.id);
  const chosen = await plan(meta, endpoints, member);
  const subnets = new Set<string>();
  for (const [e, address] of chosen) {
    const fqdns = fqdnsFor(registry, member, suffix);
    const cfg = ipConfiguration(e.nic.id, e.subnetId, { memberName: member, groupId: "registry", address, allocation: "Dynamic", fqdns }, false);
    const nicProps = e.nic.body.properties as Json;
    await meta.putResource({ id: e.nic.id, type: NIC_TYPE, body: { ...e.nic.body, properties: { ...nicProps, ipConfigurations: [...configsOf(e.nic), cfg] } } });
    const p = e.pe.body.properties as Json;
    const dns = [...((p.customDnsConfigs ?? []) as Json[]), { fqdn: fqdns[0], ipAddresses: [address] }];
    await meta.putResource({ id: e.pe.id, type: PRIVATE_ENDPOINT_TYPE, body: { ...e.pe.body, properties: { ...p, customDnsConfigs: dns } } });
    subnets.add(e.subnetId);
    await syncZoneGroupsForEndpoint(meta, e.pe.id, actor);
  }
  for (const s of subnets) await refreshSubnet(meta, s);
}

/** Removes the replica's data member (its address, its custom DNS entry, the records its zone groups wrote). */
export async function removeReplicaMembers(meta: MetadataStore, registry: ResourceRecord, location: string, suffix: string, actor: string): Promise<void> {
  const member = memberOf(location);
  const fqdn = fqdnsFor(registry, member, suffix)[0]!;
  const subnets = new Set<string>();
  for (const e of await endpointsOf(meta, registry.id)) {
    const keep = configsOf(e.nic).filter((c) => memberName(c) !== member);
    if (keep.length === configsOf(e.nic).length) continue;
    const removed = new Set(configsOf(e.nic).filter((c) => memberName(c) === member).map((c) => String((c.properties as Json).privateIPAddress)));
    await meta.putResource({ id: e.nic.id, type: NIC_TYPE, body: { ...e.nic.body, properties: { ...(e.nic.body.properties as Json), ipConfigurations: keep } } });
    const p = e.pe.body.properties as Json;
    const dns = ((p.customDnsConfigs ?? []) as Json[]).filter((d) => lower(String(d.fqdn)) !== fqdn && !((d.ipAddresses ?? []) as string[]).some((ip) => removed.has(ip)));
    // A static endpoint's requested ipConfigurations never name a replica member Cove added; any that does goes with it.
    const statics = ((p.ipConfigurations ?? []) as Json[]).filter((g) => String((g.properties as Json | undefined)?.memberName ?? "") !== member);
    await meta.putResource({ id: e.pe.id, type: PRIVATE_ENDPOINT_TYPE, body: { ...e.pe.body, properties: { ...p, customDnsConfigs: dns, ipConfigurations: statics } } });
    subnets.add(e.subnetId);
    await syncZoneGroupsForEndpoint(meta, e.pe.id, actor);
  }
  for (const s of subnets) await refreshSubnet(meta, s);
}
