// A synthetic ArmInventory of any size, in the exact shapes Cove's management API serves (the
// documents of test/toolkit/network-report-zone.ts, captured from collectInventory, trimmed to the
// fields the model reads), for the report's budget (bench/report-bench.ts) and the SVG's pure tests.
// Deterministic: the same options give the same documents.
//
//   VNet i (vnet-000 ...): 127.<100 + i>.0.0/16, the prefixes bench/report-bench.ts also builds
//   through the API (where Cove binds the endpoint IPs, so they must be loopback addresses).
//   Subnet j of VNet i: 127.<100 + i>.<j>.0/24; the first `endpoints` subnets hold one private endpoint
//   each, NIC IPs .4 (registry) and .5 (data). VNet 0 is the hub: the zone's records point at its
//   first endpoint. Peerings: hub <-> VNets 1 .. peered, hub -> the next `oneSided` only.
//   Zone links: the hub and every VNet below `linked`. States: every 7th endpoint Rejected, every
//   10th Pending, the rest Approved.
import type { ArmInventory, ArmJson } from "../../src/network-policy/reachability/inventory.js";
import { emptyInventory } from "../../src/network-policy/reachability/inventory.js";

export const SYNTH_SUBSCRIPTION = "00000000-0000-4000-8000-000000000009";
const RG = `/subscriptions/${SYNTH_SUBSCRIPTION}/resourceGroups/net-rg`;
const NET = `${RG}/providers/Microsoft.Network`;
const ACR_RG = `/subscriptions/${SYNTH_SUBSCRIPTION}/resourceGroups/acr-rg`;

export interface SynthOptions {
  vnets: number;
  subnetsPerVnet: number;
  endpoints: number;
  /** VNets 1 .. peered are peered with the hub both ways. */
  peered: number;
  /** The next ones are peered from the hub only. */
  oneSided: number;
  /** VNets 1 .. linked-1 are linked to the zone (the hub always). */
  linked: number;
  principals: number;
  /** Rename with this function (the SVG tests put markup and controls in names). */
  name?: (kind: string, plain: string) => string;
}

const pad = (n: number) => String(n).padStart(3, "0");
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

export function syntheticInventory(o: SynthOptions): ArmInventory {
  if (o.vnets > 155 || o.subnetsPerVnet > 256) throw new Error("at most 155 VNets of at most 256 subnets (127.100.0.0 - 127.254.255.255)");
  const nm = o.name ?? ((_k: string, p: string) => p);
  const inv = emptyInventory();
  const regName = "benchacr";
  const regId = `${ACR_RG}/providers/Microsoft.ContainerRegistry/registries/${regName}`;
  const connections: ArmJson[] = [];
  const vnetIds: string[] = [];
  const all: { id: string; i: number; j: number }[] = [];
  for (let i = 0; i < o.vnets; i++) {
    const vname = nm("vnet", `vnet-${pad(i)}`);
    const id = `${NET}/virtualNetworks/${vname}`;
    vnetIds.push(id);
    const subnets = Array.from({ length: o.subnetsPerVnet }, (_, j) => ({
      id: `${id}/subnets/${nm("subnet", `subnet-${j}`)}`, name: nm("subnet", `subnet-${j}`), type: "Microsoft.Network/virtualNetworks/subnets",
      properties: { addressPrefix: `127.${100 + i}.${j}.0/24`, privateEndpointNetworkPolicies: "Disabled" },
    }));
    subnets.forEach((s, j) => all.push({ id: s.id, i, j }));
    inv.virtualNetworks.push({
      id, name: vname, type: "Microsoft.Network/virtualNetworks", location: "westeurope",
      properties: { addressSpace: { addressPrefixes: [`127.${100 + i}.0.0/16`] }, subnets, virtualNetworkPeerings: [] as ArmJson[] },
    });
  }
  const peering = (from: number, to: number, state: string) => {
    const v = inv.virtualNetworks[from]!;
    const name = `${v.name}-to-${inv.virtualNetworks[to]!.name}`;
    v.properties.virtualNetworkPeerings.push({
      id: `${v.id}/virtualNetworkPeerings/${name}`, name, type: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
      properties: { peeringState: state, remoteVirtualNetwork: { id: vnetIds[to] }, allowVirtualNetworkAccess: true },
    });
  };
  for (let i = 1; i <= o.peered && i < o.vnets; i++) { peering(0, i, "Connected"); peering(i, 0, "Connected"); }
  for (let i = o.peered + 1; i <= o.peered + o.oneSided && i < o.vnets; i++) peering(0, i, "Initiated");

  for (let k = 0; k < o.endpoints && k < all.length; k++) {
    const { id: subnetId, i, j } = all[k]!;
    const name = nm("endpoint", `pe-${pad(k)}`);
    const peId = `${NET}/privateEndpoints/${name}`;
    const nicId = `${NET}/networkInterfaces/${name}.nic.${guid(k)}`;
    const status = k % 7 === 6 ? "Rejected" : k % 10 === 9 ? "Pending" : "Approved";
    const ipOf = (host: number) => `127.${100 + i}.${j}.${host}`;
    inv.privateEndpoints.push({
      id: peId, name, type: "Microsoft.Network/privateEndpoints", location: "westeurope",
      properties: {
        subnet: { id: subnetId },
        privateLinkServiceConnections: [{ name: `${name}-conn`, properties: { privateLinkServiceId: regId, groupIds: ["registry"] } }],
        manualPrivateLinkServiceConnections: [], networkInterfaces: [{ id: nicId }],
      },
    });
    const cfg = (host: number, member: string, fqdn: string) => ({
      name: `ipconfig-${member}`, properties: { privateIPAddress: ipOf(host), subnet: { id: subnetId }, privateLinkConnectionProperties: { groupId: "registry", requiredMemberName: member, fqdns: [fqdn] } },
    });
    inv.networkInterfaces.push({
      id: nicId, name: nicId.slice(nicId.lastIndexOf("/") + 1), type: "Microsoft.Network/networkInterfaces", location: "westeurope",
      properties: { ipConfigurations: [cfg(4, "registry", `${regName}.cove.test`), cfg(5, "registry_data_westeurope", `${regName}.westeurope.data.cove.test`)] },
    });
    connections.push({
      id: `${regId}/privateEndpointConnections/${regName}.${guid(k)}`, name: `${regName}.${guid(k)}`, type: "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
      properties: { privateEndpoint: { id: peId }, privateLinkServiceConnectionState: { status, description: status === "Rejected" ? nm("description", "not this one") : "", actionsRequired: "None" } },
    });
  }

  inv.registries.push({
    id: regId, name: regName, type: "Microsoft.ContainerRegistry/registries", location: "westeurope", sku: { name: "Premium", tier: "Premium" },
    properties: {
      loginServer: `${regName}.cove.test`, dataEndpointEnabled: true, publicNetworkAccess: "Enabled",
      networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", value: "203.0.113.0/24" }] }, privateEndpointConnections: connections,
    },
  });

  const zoneName = "privatelink.cove.test";
  const zoneId = `${RG}/providers/Microsoft.Network/privateDnsZones/${zoneName}`;
  inv.privateDnsZones.push({ id: zoneId, name: zoneName, type: "Microsoft.Network/privateDnsZones", location: "global", properties: {} });
  const hubIp = (host: number) => `127.100.0.${host}`;
  for (const [rel, host] of [[regName, 4], [`${regName}.westeurope.data`, 5]] as const) {
    inv.aRecordSets.push({ id: `${zoneId}/A/${rel}`, name: rel, type: "Microsoft.Network/privateDnsZones/A", properties: { ttl: 10, aRecords: [{ ipv4Address: hubIp(host) }] } });
  }
  if (inv.privateEndpoints[0]) {
    inv.zoneGroups.push({
      id: `${inv.privateEndpoints[0].id}/privateDnsZoneGroups/default`, name: "default", type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
      properties: { privateDnsZoneConfigs: [{ name: "privatelink", properties: { privateDnsZoneId: zoneId } }] },
    });
  }
  for (let i = 0; i < Math.max(1, o.linked) && i < o.vnets; i++) {
    const name = nm("link", `${inv.virtualNetworks[i]!.name}-link`);
    inv.virtualNetworkLinks.push({
      id: `${zoneId}/virtualNetworkLinks/${name}`, name, type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks", location: "global",
      properties: { virtualNetwork: { id: vnetIds[i] }, registrationEnabled: false, resolutionPolicy: "Default" },
    });
  }

  for (let p = 0; p < o.principals; p++) {
    const objectId = guid(10_000 + p);
    inv.principals.push({ objectId, appId: guid(20_000 + p), displayName: nm("principal", `agent-${pad(p)}`) });
    inv.roleAssignments.push({
      id: `${regId}/providers/Microsoft.Authorization/roleAssignments/${guid(30_000 + p)}`, name: guid(30_000 + p), type: "Microsoft.Authorization/roleAssignments",
      properties: {
        scope: regId, principalId: objectId, principalType: "ServicePrincipal",
        // AcrPull for most, AcrPush for every fifth.
        roleDefinitionId: `/subscriptions/${SYNTH_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${p % 5 === 4 ? "8311e382-0749-4cb8-b61a-304f252e45ec" : "7f951dda-4ed3-4680-a7ca-43fe172d538d"}`,
      },
    });
  }
  return inv;
}
