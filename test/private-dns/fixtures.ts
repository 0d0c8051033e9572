// Fixtures for the private DNS tests: URLs, and VNets / private endpoints / NICs stored directly in
// the MetadataStore in the shapes the network module writes (so zone groups can be tested on their
// own; the end-to-end scenario test creates real endpoints through the SDK).
import { randomUUID } from "node:crypto";
import type { Harness } from "../control-plane/harness.js";
import { SUB } from "../control-plane/harness.js";

export const DNS_V = "api-version=2020-06-01";
export const NET_V = "api-version=2025-05-01";
export const N = (rg: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network`;
export const zonePath = (rg: string, zone: string) => `${N(rg)}/privateDnsZones/${zone}`;
export const zoneUrl = (rg: string, zone: string, v = DNS_V) => `${zonePath(rg, zone)}?${v}`;
export const aUrl = (rg: string, zone: string, name: string, v = DNS_V) => `${zonePath(rg, zone)}/A/${name}?${v}`;
export const linkUrl = (rg: string, zone: string, name: string, v = DNS_V) => `${zonePath(rg, zone)}/virtualNetworkLinks/${name}?${v}`;
export const vnetId = (rg: string, name: string) => `${N(rg)}/virtualNetworks/${name}`;
export const peId = (rg: string, name: string) => `${N(rg)}/privateEndpoints/${name}`;
export const groupUrl = (rg: string, pe: string, name: string, v = NET_V) => `${peId(rg, pe)}/privateDnsZoneGroups/${name}?${v}`;

export async function storeVnet(h: Harness, rg: string, name: string): Promise<string> {
  const id = vnetId(rg, name);
  await h.meta.putResource({
    id, type: "Microsoft.Network/virtualNetworks",
    body: { id, name, type: "Microsoft.Network/virtualNetworks", location: "westeurope", properties: { addressSpace: { addressPrefixes: ["127.16.0.0/16"] }, subnets: [] } },
  });
  return id;
}

/** A private endpoint for `registry` with its NIC: member `registry` -> ips[0], `registry_data_westeurope` -> ips[1]. */
export async function storeEndpoint(h: Harness, rg: string, name: string, registryId: string, registry: string, ips: [string, string]): Promise<string> {
  const id = peId(rg, name);
  const nicId = `${N(rg)}/networkInterfaces/${name}.nic.${randomUUID()}`;
  await h.meta.putResource({
    id: nicId, type: "Microsoft.Network/networkInterfaces",
    body: {
      id: nicId, name: nicId.split("/").pop(), type: "Microsoft.Network/networkInterfaces", location: "westeurope",
      properties: {
        ipConfigurations: [
          { name: "privateEndpointIpConfig.a", properties: { privateIPAddress: ips[0], privateLinkConnectionProperties: { groupId: "registry", requiredMemberName: "registry", fqdns: [`${registry}.cove.test`] } } },
          { name: "privateEndpointIpConfig.b", properties: { privateIPAddress: ips[1], privateLinkConnectionProperties: { groupId: "registry", requiredMemberName: "registry_data_westeurope", fqdns: [`${registry}.westeurope.data.cove.test`] } } },
        ],
      },
    },
  });
  await h.meta.putResource({
    id, type: "Microsoft.Network/privateEndpoints",
    body: {
      id, name, type: "Microsoft.Network/privateEndpoints", location: "westeurope",
      properties: {
        resourceGuid: randomUUID(),
        networkInterfaces: [{ id: nicId }],
        privateLinkServiceConnections: [{ name: `${name}-conn`, properties: { privateLinkServiceId: registryId, groupIds: ["registry"] } }],
        manualPrivateLinkServiceConnections: [],
      },
    },
  });
  return id;
}

/** Changes the IP of one member on the endpoint's NIC (as a static-IP update would). */
export async function setEndpointIp(h: Harness, endpointId: string, member: number, ip: string): Promise<void> {
  const pe = await h.meta.getResource(endpointId);
  const nicId = (pe!.body as any).properties.networkInterfaces[0].id;
  const nic = await h.meta.getResource(nicId);
  (nic!.body as any).properties.ipConfigurations[member].properties.privateIPAddress = ip;
  await h.meta.putResource(nic!);
}
