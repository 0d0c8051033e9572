// A hand-built NetworkSnapshot for the DNS tests: the DNS server needs only the interface in
// src/network-policy/types.ts, so these tests do not depend on how snapshots are built from records.

import type { EndpointAddress, LinkView, NetworkSnapshot, RegistryNetwork, ZoneView } from "../../src/network-policy/types.js";
import { cidrContainsAddress, parseCidr, parseIPv4 } from "../../src/domain/network.js";

export interface FakeState {
  suffix: string;
  publicAddress: string;
  vnets: { id: string; prefix: string }[];
  registries: RegistryNetwork[];
  zones: { name: string; records: Record<string, { ttl: number; ips: string[] }> }[];
  links: Record<string, LinkView[]>;
  endpoints?: EndpointAddress[];
}

export const VNET_PREFIX = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/net/providers/microsoft.network/virtualnetworks/";

export function vnetId(name: string): string {
  return VNET_PREFIX + name;
}

export function registry(name: string, location: string, dataEndpointEnabled: boolean): RegistryNetwork {
  return {
    key: `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/reg/providers/microsoft.containerregistry/registries/${name}`,
    name, location, publicNetworkAccess: "Enabled", defaultAction: "Allow", ipRules: [], dataEndpointEnabled, dataLocations: [location],
  };
}

export function fakeSnapshot(state: FakeState, version: number): NetworkSnapshot {
  const vnets = state.vnets.map((v) => {
    const p = parseCidr(v.prefix);
    if (!p.ok) throw new Error(`bad prefix ${v.prefix}`);
    return { id: v.id, cidr: p.cidr };
  });
  const zones = new Map<string, ZoneView>(state.zones.map((z) => [z.name, { name: z.name, records: new Map(Object.entries(z.records)) }]));
  const endpoints = state.endpoints ?? [];
  return {
    suffix: state.suffix,
    publicAddress: state.publicAddress,
    version,
    locate(ip) {
      const n = parseIPv4(ip);
      if (n === undefined) return undefined;
      const v = vnets.find((x) => cidrContainsAddress(x.cidr, n));
      return v ? { vnetId: v.id, subnetId: `${v.id}/subnets/default` } : undefined;
    },
    peered: () => false,
    endpointAt: (ip) => endpoints.find((e) => e.ip === ip),
    endpointAddresses: () => endpoints,
    registryByKey: (key) => state.registries.find((r) => r.key === key),
    registryByName: (name) => state.registries.find((r) => r.name === name),
    linksOf: (id) => state.links[id] ?? [],
    zone: (name) => zones.get(name),
  };
}
