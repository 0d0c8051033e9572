// Reads the stored ARM records that make up the network (all subscriptions) and turns them into
// plain, lower-cased facts; snapshot.ts indexes those facts for lookups. The shapes are the ones the
// control plane writes (control-plane/network/subnets.ts, peerings.ts, private-endpoints.ts,
// network-interfaces.ts, private-endpoint-connections.ts, private-dns-*.ts, registries.ts).
// The type names are repeated here rather than imported: imports flow domain <- network-policy <-
// control-plane (HOUSE-STYLE), and these strings are ARM's, not the control plane's.

import type { MetadataStore, ResourceRecord } from "../storage/types.js";
import { parseCidr, type Cidr } from "../domain/network.js";
import type { ConnectionStatus, EndpointAddress, LinkView, RegistryNetwork } from "./types.js";
import { REGISTRY_TYPE } from "../domain/resource-types.js";

export const SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets";
export const PEERING_TYPE = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";
export const PRIVATE_ENDPOINT_TYPE = "Microsoft.Network/privateEndpoints";
export const NIC_TYPE = "Microsoft.Network/networkInterfaces";
export const PEC_TYPE = "Microsoft.ContainerRegistry/registries/privateEndpointConnections";
export const ZONE_TYPE = "Microsoft.Network/privateDnsZones";
export const A_RECORD_SET_TYPE = "Microsoft.Network/privateDnsZones/A";
export const LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";

type Json = Record<string, any>;

const STATUSES: readonly ConnectionStatus[] = ["Pending", "Approved", "Rejected", "Disconnected"];

/** `.../virtualNetworks/v/subnets/s` -> `.../virtualNetworks/v` (ids are name/value pairs after the provider). */
const parentId = (id: string) => id.split("/").slice(0, -2).join("/");
const props = (r: ResourceRecord): Json => (r.body.properties ?? {}) as Json;
const lower = (v: unknown) => String(v ?? "").toLowerCase();

export interface SubnetFact {
  cidr: Cidr;
  vnetId: string;
  subnetId: string;
}

export interface ZoneFact {
  id: string;
  name: string;
  records: Map<string, { ttl: number; ips: string[] }>;
}

export interface NetworkFacts {
  /** In id order, so that ties (the same prefix in two VNets) resolve the same way on every rebuild. */
  subnets: SubnetFact[];
  /** Directed edges "local vnet" -> "remote vnet" of Connected peerings. */
  peerings: Array<[string, string]>;
  endpoints: EndpointAddress[];
  registries: RegistryNetwork[];
  zones: ZoneFact[];
  links: Array<{ vnetId: string; link: LinkView }>;
}

function subnetFacts(subnets: ResourceRecord[]): SubnetFact[] {
  const out: SubnetFact[] = [];
  for (const s of subnets) {
    const p = props(s);
    const texts: unknown[] = Array.isArray(p.addressPrefixes) ? p.addressPrefixes : p.addressPrefix !== undefined ? [p.addressPrefix] : [];
    for (const t of texts) {
      const r = parseCidr(String(t));
      if (r.ok) out.push({ cidr: r.cidr, vnetId: parentId(s.id).toLowerCase(), subnetId: s.id.toLowerCase() });
    }
  }
  return out;
}

function peeringFacts(peerings: ResourceRecord[]): Array<[string, string]> {
  // peeringState is Connected on both sides exactly when both sides exist (control-plane/network/peerings.ts).
  return peerings
    .filter((p) => props(p).peeringState === "Connected")
    .map((p) => [parentId(p.id).toLowerCase(), lower((props(p).remoteVirtualNetwork as Json | undefined)?.id)]);
}

function registryFacts(registries: ResourceRecord[]): RegistryNetwork[] {
  return registries.map((r) => {
    const p = props(r);
    const rules = (p.networkRuleSet ?? {}) as Json;
    return Object.freeze({
      key: r.id.toLowerCase(),
      name: lower(r.body.name),
      location: lower(r.body.location),
      publicNetworkAccess: p.publicNetworkAccess === "Disabled" ? "Disabled" : "Enabled",
      defaultAction: rules.defaultAction === "Deny" ? "Deny" : "Allow",
      ipRules: Object.freeze(((rules.ipRules ?? []) as Json[]).map((x) => String(x.value))) as string[],
      dataEndpointEnabled: p.dataEndpointEnabled === true,
    } satisfies RegistryNetwork);
  });
}

/**
 * One EndpointAddress per NIC ipConfiguration of every private endpoint. The status is the one of
 * the registry-side connection record (the owner's decision); an endpoint whose record is gone
 * (deleted from the registry side, or the registry deleted) is Disconnected, as its own body shows.
 */
function endpointFacts(
  endpoints: ResourceRecord[], nics: ResourceRecord[], connections: ResourceRecord[], registries: RegistryNetwork[], suffix: string,
): EndpointAddress[] {
  const nicById = new Map(nics.map((n) => [n.id.toLowerCase(), n]));
  const connByEndpoint = new Map<string, ResourceRecord>();
  for (const c of connections) connByEndpoint.set(lower((props(c).privateEndpoint as Json | undefined)?.id), c);
  const regByKey = new Map(registries.map((r) => [r.key, r]));
  const out: EndpointAddress[] = [];
  for (const pe of endpoints) {
    const p = props(pe);
    const endpointId = pe.id.toLowerCase();
    const vnetId = parentId(String((p.subnet as Json | undefined)?.id ?? "")).toLowerCase();
    const conn = connByEndpoint.get(endpointId);
    const requested = [...((p.privateLinkServiceConnections ?? []) as Json[]), ...((p.manualPrivateLinkServiceConnections ?? []) as Json[])][0];
    const registryKey = conn ? parentId(conn.id).toLowerCase() : lower((requested?.properties as Json | undefined)?.privateLinkServiceId);
    const raw = conn ? (props(conn).privateLinkServiceConnectionState as Json | undefined)?.status : undefined;
    const status: ConnectionStatus = STATUSES.includes(raw) ? raw : "Disconnected";
    const reg = regByKey.get(registryKey);
    for (const nicRef of (p.networkInterfaces ?? []) as Json[]) {
      const nic = nicById.get(lower(nicRef.id));
      if (!nic) continue;
      for (const cfg of (props(nic).ipConfigurations ?? []) as Json[]) {
        const cp = (cfg.properties ?? {}) as Json;
        const ip = String(cp.privateIPAddress ?? "");
        if (!ip) continue;
        const link = (cp.privateLinkConnectionProperties ?? {}) as Json;
        const member = String(link.requiredMemberName ?? "");
        const fqdn = lower((link.fqdns as unknown[] | undefined)?.[0]) || fqdnFor(reg, member, suffix);
        out.push(Object.freeze({ ip, endpointId, vnetId, registryKey, member, fqdn, status }));
      }
    }
  }
  return out;
}

function fqdnFor(reg: RegistryNetwork | undefined, member: string, suffix: string): string {
  if (!reg) return "";
  return member === "registry" ? `${reg.name}.${suffix}` : `${reg.name}.${reg.location}.data.${suffix}`;
}

function zoneFacts(zones: ResourceRecord[], aSets: ResourceRecord[]): ZoneFact[] {
  const byId = new Map<string, ZoneFact>();
  for (const z of zones) byId.set(z.id.toLowerCase(), { id: z.id.toLowerCase(), name: lower(z.body.name), records: new Map() });
  for (const a of aSets) {
    const zone = byId.get(parentId(a.id).toLowerCase());
    if (!zone) continue;
    const p = props(a);
    const ips = ((p.aRecords ?? []) as Json[]).map((r) => String(r.ipv4Address));
    zone.records.set(lower(a.body.name ?? a.id.split("/").pop()), Object.freeze({ ttl: Number(p.ttl ?? 3600), ips: Object.freeze(ips) as string[] }));
  }
  return [...byId.values()];
}

function linkFacts(links: ResourceRecord[], zones: ZoneFact[]): Array<{ vnetId: string; link: LinkView }> {
  const zoneById = new Map(zones.map((z) => [z.id, z]));
  const out: Array<{ vnetId: string; link: LinkView }> = [];
  for (const l of links) {
    const zoneId = parentId(l.id).toLowerCase();
    const zone = zoneById.get(zoneId);
    if (!zone) continue;
    const p = props(l);
    const link: LinkView = Object.freeze({
      zone: zone.name,
      zoneId,
      resolutionPolicy: p.resolutionPolicy === "NxDomainRedirect" ? "NxDomainRedirect" : "Default",
    });
    out.push({ vnetId: lower((p.virtualNetwork as Json | undefined)?.id), link });
  }
  return out;
}

/**
 * Everything the snapshot needs, read in one pass over the store. The nine lists are started
 * together; with the embedded SQLite store they run back to back in one turn of the event loop, so
 * no management write of this process lands between them.
 */
export async function readNetworkFacts(meta: MetadataStore, suffix: string): Promise<NetworkFacts> {
  const list = (type: string) => meta.listResources({ type });
  const [subnets, peerings, endpoints, nics, connections, registries, zones, aSets, links] = await Promise.all([
    list(SUBNET_TYPE), list(PEERING_TYPE), list(PRIVATE_ENDPOINT_TYPE), list(NIC_TYPE), list(PEC_TYPE),
    list(REGISTRY_TYPE), list(ZONE_TYPE), list(A_RECORD_SET_TYPE), list(LINK_TYPE),
  ]);
  const regs = registryFacts(registries);
  const zoneList = zoneFacts(zones, aSets);
  return {
    subnets: subnetFacts(subnets),
    peerings: peeringFacts(peerings),
    endpoints: endpointFacts(endpoints, nics, connections, regs, suffix),
    registries: regs,
    zones: zoneList,
    links: linkFacts(links, zoneList),
  };
}
