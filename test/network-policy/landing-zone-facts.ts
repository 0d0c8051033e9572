// The landing zone of test/state/landing-zone.ts as hand-written facts: what src/state/ reads out
// of the records Microsoft's SDKs make Cove store (test/state/read-facts.test.ts holds the two
// equal), so the policy tests run as tables over a pure snapshot, with no Cove started.
//
//   hub    127.16.0.0/16  pe-subnet 127.16.1.0/24   endpoints live here
//   build  127.17.0.0/16  agents    127.17.1.0/24   peered with hub both ways
//   aks    127.18.0.0/16  nodes     127.18.1.0/24   hub -> aks only (Initiated: not peered)
//   island 127.19.0.0/16  lonely    127.19.1.0/24   no peering
//   wide   127.30.0.0/16  all       127.30.0.0/16   overlaps narrow (allowed: not peered)
//   narrow 127.30.7.0/24  part      127.30.7.0/26   longest prefix wins
//
// Registries: contosoacr (publicNetworkAccess Disabled), otheracr (defaultAction Deny, ipRules
// 127.0.0.1 and 127.40.0.0/16), openacr (defaults); all Premium in westeurope with a data endpoint.
// Endpoints in hub/pe-subnet: pe-hub -> contosoacr Approved (127.16.1.4 registry, .5 data),
// pe-pending -> contosoacr Pending (.6/.7), pe-rejected -> contosoacr Rejected (.8/.9),
// pe-other -> otheracr Approved (.10/.11), pe-orphan -> openacr whose connection the registry
// deleted (Disconnected, .12/.13).
// DNS: privatelink.<suffix> with pe-hub's records; links hub (Default), build (NxDomainRedirect).
import { parseCidr, type Cidr } from "../../src/domain/network.js";
import type { ConnectionStatus, EndpointAddress, NetworkFacts, RegistryNetwork } from "../../src/network-policy/index.js";

export interface LandingZone {
  vnet: Record<"hub" | "build" | "aks" | "island" | "wide" | "narrow", string>; // lower-cased ids
  subnet: Record<"hub" | "build" | "wide" | "narrow", string>;
  registry: Record<"contoso" | "other" | "open", string>; // lower-cased ids
  endpoint: Record<"hub" | "pending" | "rejected" | "other" | "orphan", string>;
  zoneName: string;
  zoneId: string;
}

export const TEST_SUB = "00000000-1111-2222-3333-444444444444";

function cidr(text: string): Cidr {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(`bad prefix ${text}`);
  return r.cidr;
}

/** The ids of the landing zone in subscription `sub`, lower-cased as the facts carry them. */
export function landingZone(sub = TEST_SUB, suffix = "cove.test"): LandingZone {
  const net = `/subscriptions/${sub}/resourcegroups/net-rg/providers/microsoft.network`;
  const acr = `/subscriptions/${sub}/resourcegroups/acr-rg/providers/microsoft.containerregistry/registries`;
  const vnet = (n: string) => `${net}/virtualnetworks/${n}-vnet`;
  const v = { hub: vnet("hub"), build: vnet("build"), aks: vnet("aks"), island: vnet("island"), wide: vnet("wide"), narrow: vnet("narrow") };
  const pe = (n: string) => `${net}/privateendpoints/pe-${n}`;
  const zoneName = `privatelink.${suffix}`;
  return {
    vnet: v,
    subnet: { hub: `${v.hub}/subnets/pe-subnet`, build: `${v.build}/subnets/agents`, wide: `${v.wide}/subnets/all`, narrow: `${v.narrow}/subnets/part` },
    registry: { contoso: `${acr}/contosoacr`, other: `${acr}/otheracr`, open: `${acr}/openacr` },
    endpoint: { hub: pe("hub"), pending: pe("pending"), rejected: pe("rejected"), other: pe("other"), orphan: pe("orphan") },
    zoneName,
    zoneId: `${net}/privatednszones/${zoneName}`,
  };
}

/** The network facts of the landing zone, in the order src/state/ reads them (ids in order). */
export function landingZoneFacts(sub = TEST_SUB, suffix = "cove.test"): NetworkFacts {
  const lz = landingZone(sub, suffix);
  const subnet = (vnetId: string, subnetId: string, prefix: string) => ({ cidr: cidr(prefix), vnetId, subnetId });
  const registry = (key: string, extra: Partial<RegistryNetwork> = {}): RegistryNetwork => ({
    key, name: key.split("/").pop()!, location: "westeurope", publicNetworkAccess: "Enabled", defaultAction: "Allow", ipRules: [], dataEndpointEnabled: true, dataLocations: ["westeurope"], ...extra,
  });
  const pair = (endpointId: string, registryKey: string, first: number, status: ConnectionStatus): EndpointAddress[] => {
    const name = registryKey.split("/").pop()!;
    const base = { endpointId, location: "westeurope", vnetId: lz.vnet.hub, registryKey, status };
    return [
      { ip: `127.16.1.${first}`, ...base, member: "registry", fqdn: `${name}.${suffix}` },
      { ip: `127.16.1.${first + 1}`, ...base, member: "registry_data_westeurope", fqdn: `${name}.westeurope.data.${suffix}` },
    ];
  };
  const link = (vnetId: string, resolutionPolicy: "Default" | "NxDomainRedirect") => ({ vnetId, link: { zone: lz.zoneName, zoneId: lz.zoneId, resolutionPolicy } });
  return {
    subnets: [
      subnet(lz.vnet.aks, `${lz.vnet.aks}/subnets/nodes`, "127.18.1.0/24"),
      subnet(lz.vnet.build, lz.subnet.build, "127.17.1.0/24"),
      subnet(lz.vnet.hub, lz.subnet.hub, "127.16.1.0/24"),
      subnet(lz.vnet.island, `${lz.vnet.island}/subnets/lonely`, "127.19.1.0/24"),
      subnet(lz.vnet.narrow, lz.subnet.narrow, "127.30.7.0/26"),
      subnet(lz.vnet.wide, lz.subnet.wide, "127.30.0.0/16"),
    ],
    // hub -> aks exists too, but Initiated: only Connected peerings are facts.
    peerings: [[lz.vnet.build, lz.vnet.hub], [lz.vnet.hub, lz.vnet.build]],
    endpoints: [
      ...pair(lz.endpoint.hub, lz.registry.contoso, 4, "Approved"),
      ...pair(lz.endpoint.orphan, lz.registry.open, 12, "Disconnected"),
      ...pair(lz.endpoint.other, lz.registry.other, 10, "Approved"),
      ...pair(lz.endpoint.pending, lz.registry.contoso, 6, "Pending"),
      ...pair(lz.endpoint.rejected, lz.registry.contoso, 8, "Rejected"),
    ],
    registries: [
      registry(lz.registry.contoso, { publicNetworkAccess: "Disabled" }),
      registry(lz.registry.open),
      registry(lz.registry.other, { defaultAction: "Deny", ipRules: ["127.0.0.1", "127.40.0.0/16"] }),
    ],
    zones: [{
      id: lz.zoneId, name: lz.zoneName,
      records: [{ name: "contosoacr", ttl: 10, ips: ["127.16.1.4"] }, { name: "contosoacr.westeurope.data", ttl: 10, ips: ["127.16.1.5"] }],
    }],
    links: [link(lz.vnet.build, "NxDomainRedirect"), link(lz.vnet.hub, "Default")],
  };
}
