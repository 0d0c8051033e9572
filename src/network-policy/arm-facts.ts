// ARM resource documents -> the network facts the snapshot is built from (facts.ts): plain,
// lower-cased data. The shapes are ARM's, as the control plane writes them
// (control-plane/network/subnets.ts, peerings.ts, private-endpoints.ts, network-interfaces.ts,
// containerregistry/private-endpoint-connections.ts, registries.ts, privatedns/*.ts) and as any ARM
// endpoint answers them. Pure, with two callers: the server's state view (state/read-facts.ts hands
// it the stored records) and the operator's toolkit (reachability/, handed what the SDK clients read),
// so what the server enforces and what the toolkit models come from one conversion.

import { parseCidr } from "../domain/network.js";
import { dataEndpointHost, parentOf, registryHost } from "../domain/resource-ids.js";
import type { ConnectionStatus, EndpointAddress, RegistryNetwork } from "./types.js";
import type { LinkFact, NetworkFacts, SubnetFact, ZoneFact } from "./facts.js";

type Json = Record<string, any>;

/** One ARM resource: its id and its document (a stored record, or a GET's JSON with `body.id === id`). */
export interface ArmDoc {
  id: string;
  body: Record<string, unknown>;
}

const STATUSES: readonly ConnectionStatus[] = ["Pending", "Approved", "Rejected", "Disconnected"];

const props = (r: ArmDoc): Json => (r.body.properties ?? {}) as Json;
const lower = (v: unknown) => String(v ?? "").toLowerCase();

/** The resources the network is made of, one list per ARM type, each in id order. */
export interface NetworkRecords {
  subnets: ArmDoc[];
  peerings: ArmDoc[];
  endpoints: ArmDoc[];
  nics: ArmDoc[];
  connections: ArmDoc[];
  registries: ArmDoc[];
  zones: ArmDoc[];
  aRecordSets: ArmDoc[];
  links: ArmDoc[];
}

export function networkFacts(r: NetworkRecords, suffix: string): NetworkFacts {
  const registries = registryFacts(r.registries);
  const zones = zoneFacts(r.zones, r.aRecordSets);
  return {
    subnets: subnetFacts(r.subnets),
    peerings: peeringFacts(r.peerings),
    endpoints: endpointFacts(r.endpoints, r.nics, r.connections, registries, suffix.toLowerCase()),
    registries,
    zones,
    links: linkFacts(r.links, zones),
  };
}

function subnetFacts(subnets: ArmDoc[]): SubnetFact[] {
  const out: SubnetFact[] = [];
  for (const s of subnets) {
    const p = props(s);
    const texts: unknown[] = Array.isArray(p.addressPrefixes) ? p.addressPrefixes : p.addressPrefix !== undefined ? [p.addressPrefix] : [];
    for (const t of texts) {
      const r = parseCidr(String(t));
      if (r.ok) out.push({ cidr: r.cidr, vnetId: parentOf(s.id).toLowerCase(), subnetId: s.id.toLowerCase() });
    }
  }
  return out;
}

function peeringFacts(peerings: ArmDoc[]): Array<[string, string]> {
  // peeringState is Connected on both sides exactly when both sides exist (control-plane/network/peerings.ts).
  return peerings
    .filter((p) => props(p).peeringState === "Connected")
    .map((p) => [parentOf(p.id).toLowerCase(), lower((props(p).remoteVirtualNetwork as Json | undefined)?.id)]);
}

function registryFacts(registries: ArmDoc[]): RegistryNetwork[] {
  return registries.map((r) => {
    const p = props(r);
    const rules = (p.networkRuleSet ?? {}) as Json;
    return {
      key: r.id.toLowerCase(),
      name: lower(r.body.name),
      location: lower(r.body.location),
      publicNetworkAccess: p.publicNetworkAccess === "Disabled" ? "Disabled" : "Enabled",
      defaultAction: rules.defaultAction === "Deny" ? "Deny" : "Allow",
      ipRules: ((rules.ipRules ?? []) as Json[]).map((x) => String(x.value)),
      dataEndpointEnabled: p.dataEndpointEnabled === true,
      dataLocations: dataLocationsOf(lower(r.body.name), lower(r.body.location), p.dataEndpointHostNames),
    } satisfies RegistryNetwork;
  });
}

/** The home region, then every other region named by a `<name>.<region>.data.<suffix>` host. */
function dataLocationsOf(name: string, home: string, hosts: unknown): string[] {
  const out = [home];
  for (const h of Array.isArray(hosts) ? hosts : []) {
    const labels = lower(h).split(".");
    if (labels.length > 3 && labels[0] === name && labels[2] === "data" && !out.includes(labels[1]!)) out.push(labels[1]!);
  }
  return out;
}

/**
 * One EndpointAddress per NIC ipConfiguration of every private endpoint. The status is the one of
 * the registry-side connection record (the owner's decision); an endpoint whose record is gone
 * (deleted from the registry side, or the registry deleted) is Disconnected, as its own body shows.
 */
function endpointFacts(
  endpoints: ArmDoc[], nics: ArmDoc[], connections: ArmDoc[], registries: RegistryNetwork[], suffix: string,
): EndpointAddress[] {
  const nicById = new Map(nics.map((n) => [n.id.toLowerCase(), n]));
  const connByEndpoint = new Map<string, ArmDoc>();
  for (const c of connections) connByEndpoint.set(lower((props(c).privateEndpoint as Json | undefined)?.id), c);
  const regByKey = new Map(registries.map((r) => [r.key, r]));
  const out: EndpointAddress[] = [];
  for (const pe of endpoints) {
    const p = props(pe);
    const endpointId = pe.id.toLowerCase();
    const vnetId = parentOf(String((p.subnet as Json | undefined)?.id ?? "")).toLowerCase();
    const location = lower(pe.body.location);
    const conn = connByEndpoint.get(endpointId);
    const requested = [...((p.privateLinkServiceConnections ?? []) as Json[]), ...((p.manualPrivateLinkServiceConnections ?? []) as Json[])][0];
    const registryKey = conn ? parentOf(conn.id).toLowerCase() : lower((requested?.properties as Json | undefined)?.privateLinkServiceId);
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
        out.push({ ip, endpointId, location, vnetId, registryKey, member, fqdn, status });
      }
    }
  }
  return out;
}

function fqdnFor(reg: RegistryNetwork | undefined, member: string, suffix: string): string {
  if (!reg) return "";
  return member === "registry" ? registryHost(reg.name, suffix) : dataEndpointHost(reg.name, reg.location, suffix);
}

function zoneFacts(zones: ArmDoc[], aSets: ArmDoc[]): ZoneFact[] {
  const byId = new Map<string, ZoneFact>();
  for (const z of zones) byId.set(z.id.toLowerCase(), { id: z.id.toLowerCase(), name: lower(z.body.name), records: [] });
  for (const a of aSets) {
    const zone = byId.get(parentOf(a.id).toLowerCase());
    if (!zone) continue;
    const p = props(a);
    const ips = ((p.aRecords ?? []) as Json[]).map((r) => String(r.ipv4Address));
    zone.records.push({ name: lower(a.body.name ?? a.id.split("/").pop()), ttl: Number(p.ttl ?? 3600), ips });
  }
  return [...byId.values()];
}

function linkFacts(links: ArmDoc[], zones: ZoneFact[]): LinkFact[] {
  const zoneById = new Map(zones.map((z) => [z.id, z]));
  const out: LinkFact[] = [];
  for (const l of links) {
    const zoneId = parentOf(l.id).toLowerCase();
    const zone = zoneById.get(zoneId);
    if (!zone) continue;
    const p = props(l);
    out.push({
      vnetId: lower((p.virtualNetwork as Json | undefined)?.id),
      link: { zone: zone.name, zoneId, resolutionPolicy: p.resolutionPolicy === "NxDomainRedirect" ? "NxDomainRedirect" : "Default" },
    });
  }
  return out;
}
