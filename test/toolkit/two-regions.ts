// Two regions' private endpoints on one registry, as ARM documents in the shapes Cove serves (the
// fields the model reads): hub-weu (westeurope, 127.61.0.0/16) and hub-neu (northeurope,
// 127.62.0.0/16), not peered, each with a subnet `pe` holding an endpoint (NIC .4 registry, .5 the
// home data endpoint) and a subnet `app`. The DNS layouts of the regional trap:
//   - "first":      one shared zone linked to both hubs, only pe-weu's zone group has written it;
//   - "overwritten": the same, then pe-neu's zone group wrote the same names (its addresses now);
//   - "per-region":  one zone per region (rg-weu, rg-neu), each linked to its own hub, each written by
//                    its own region's zone group.
import type { ArmInventory, ArmJson } from "../../src/network-policy/reachability/inventory.js";
import { emptyInventory } from "../../src/network-policy/reachability/inventory.js";

export const SUB = "00000000-0000-4000-8000-000000000014";
const rg = (name: string) => `/subscriptions/${SUB}/resourceGroups/${name}`;
const NET = `${rg("net-rg")}/providers/Microsoft.Network`;
export const REG_ID = `${rg("acr-rg")}/providers/Microsoft.ContainerRegistry/registries/georeg`;
export const ZONE = "privatelink.cove.test";
export const zoneId = (group = "net-rg") => `${rg(group)}/providers/Microsoft.Network/privateDnsZones/${ZONE}`;
export const vnetId = (name: string) => `${NET}/virtualNetworks/${name}`;
export const endpointId = (name: string) => `${NET}/privateEndpoints/${name}`;

export const REGIONS = [
  { vnet: "hub-weu", endpoint: "pe-weu", location: "westeurope", n: 61, zoneGroup: "rg-weu" },
  { vnet: "hub-neu", endpoint: "pe-neu", location: "northeurope", n: 62, zoneGroup: "rg-neu" },
] as const;

export type Layout = "first" | "overwritten" | "per-region";

const creator = (pe: string) => `created by private endpoint ${pe} with resource guid guid-${pe}`;

export function twoRegions(layout: Layout, opts: { peered?: "both" | "one-sided" } = {}): ArmInventory {
  const inv = emptyInventory();
  const connections: ArmJson[] = [];
  for (const r of REGIONS) {
    const id = vnetId(r.vnet);
    const subnet = (name: string, third: number) => ({ id: `${id}/subnets/${name}`, name, properties: { addressPrefix: `127.${r.n}.${third}.0/24` } });
    inv.virtualNetworks.push({
      id, name: r.vnet, type: "Microsoft.Network/virtualNetworks", location: r.location,
      properties: { addressSpace: { addressPrefixes: [`127.${r.n}.0.0/16`] }, subnets: [subnet("pe", 1), subnet("app", 2)], virtualNetworkPeerings: [] as ArmJson[] },
    });
    const peId = endpointId(r.endpoint);
    const nicId = `${NET}/networkInterfaces/${r.endpoint}.nic`;
    inv.privateEndpoints.push({
      id: peId, name: r.endpoint, type: "Microsoft.Network/privateEndpoints", location: r.location,
      properties: {
        resourceGuid: `guid-${r.endpoint}`, subnet: { id: `${id}/subnets/pe` }, networkInterfaces: [{ id: nicId }], manualPrivateLinkServiceConnections: [],
        privateLinkServiceConnections: [{ name: `${r.endpoint}-conn`, properties: { privateLinkServiceId: REG_ID, groupIds: ["registry"] } }],
      },
    });
    const cfg = (host: number, member: string, fqdn: string) => ({
      name: `ipconfig-${member}`,
      properties: { privateIPAddress: `127.${r.n}.1.${host}`, subnet: { id: `${id}/subnets/pe` }, privateLinkConnectionProperties: { groupId: "registry", requiredMemberName: member, fqdns: [fqdn] } },
    });
    inv.networkInterfaces.push({
      id: nicId, name: `${r.endpoint}.nic`, type: "Microsoft.Network/networkInterfaces", location: r.location,
      properties: { ipConfigurations: [cfg(4, "registry", "georeg.cove.test"), cfg(5, "registry_data_westeurope", "georeg.westeurope.data.cove.test")] },
    });
    connections.push({
      id: `${REG_ID}/privateEndpointConnections/${r.endpoint}-conn`, name: `${r.endpoint}-conn`, type: "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
      properties: { privateEndpoint: { id: peId }, privateLinkServiceConnectionState: { status: "Approved", description: "", actionsRequired: "None" } },
    });
  }
  if (opts.peered) {
    const peer = (from: number, to: number) => {
      const v = inv.virtualNetworks[from]!;
      const name = `${v.name}-to-${REGIONS[to]!.vnet}`;
      v.properties.virtualNetworkPeerings.push({ id: `${v.id}/virtualNetworkPeerings/${name}`, name, properties: { peeringState: "Connected", remoteVirtualNetwork: { id: vnetId(REGIONS[to]!.vnet) } } });
    };
    peer(0, 1);
    if (opts.peered === "both") peer(1, 0);
  }
  inv.registries.push({
    id: REG_ID, name: "georeg", type: "Microsoft.ContainerRegistry/registries", location: "westeurope", sku: { name: "Premium", tier: "Premium" },
    properties: { loginServer: "georeg.cove.test", dataEndpointEnabled: true, publicNetworkAccess: "Disabled", networkRuleSet: { defaultAction: "Deny", ipRules: [] }, privateEndpointConnections: connections },
  });

  const zone = (group: string) => {
    inv.privateDnsZones.push({ id: zoneId(group), name: ZONE, type: "Microsoft.Network/privateDnsZones", location: "global", properties: {} });
    return zoneId(group);
  };
  const link = (z: string, vnet: string) => inv.virtualNetworkLinks.push({
    id: `${z}/virtualNetworkLinks/${vnet}-link`, name: `${vnet}-link`, type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks", location: "global",
    properties: { virtualNetwork: { id: vnetId(vnet) }, registrationEnabled: false, resolutionPolicy: "Default" },
  });
  /** What zone-groups.ts does: the group's record sets (overwriting), and the group listing what it wrote. */
  const write = (z: string, r: (typeof REGIONS)[number]) => {
    const sets = [["georeg", 4], ["georeg.westeurope.data", 5]] as const;
    for (const [rel, host] of sets) {
      const id = `${z}/A/${rel}`;
      const at = inv.aRecordSets.findIndex((a) => a.id === id);
      const doc = { id, name: rel, type: "Microsoft.Network/privateDnsZones/A", properties: { ttl: 10, metadata: { creator: creator(r.endpoint) }, aRecords: [{ ipv4Address: `127.${r.n}.1.${host}` }] } };
      if (at >= 0) inv.aRecordSets[at] = doc;
      else inv.aRecordSets.push(doc);
    }
    inv.zoneGroups.push({
      id: `${endpointId(r.endpoint)}/privateDnsZoneGroups/default`, name: "default", type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
      properties: {
        privateDnsZoneConfigs: [{
          name: "cove", properties: {
            privateDnsZoneId: z,
            recordSets: sets.map(([rel, host]) => ({ recordType: "A", recordSetName: rel, fqdn: `${rel}.${ZONE}`, ttl: 10, ipAddresses: [`127.${r.n}.1.${host}`] })),
          },
        }],
      },
    });
  };
  if (layout === "per-region") {
    for (const r of REGIONS) {
      const z = zone(r.zoneGroup);
      link(z, r.vnet);
      write(z, r);
    }
  } else {
    const z = zone("net-rg");
    for (const r of REGIONS) link(z, r.vnet);
    write(z, REGIONS[0]);
    if (layout === "overwritten") write(z, REGIONS[1]);
  }
  return inv;
}
