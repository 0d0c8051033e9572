// Route table of Microsoft.Network: virtual networks, subnets, peerings, private endpoints and network
// interfaces. One line per operation, as every provider's table. Lists are filtered to what the
// caller may read. (Private link on the registry side is containerregistry/routes.ts.)
import { authenticated, requires, route, type Route } from "../arm/router.js";
import { VNET_DELETE, VNET_READ, VNET_WRITE, deleteVirtualNetwork, getVirtualNetwork, listVirtualNetworks, putVirtualNetwork } from "./virtual-networks.js";
import { SUBNET_DELETE, SUBNET_READ, SUBNET_WRITE, deleteSubnet, getSubnet, listSubnets, putSubnet } from "./subnets.js";
import { PEERING_DELETE, PEERING_READ, PEERING_WRITE, deletePeering, getPeering, listPeerings, putPeering } from "./peerings.js";
import { PE_DELETE, PE_READ, PE_WRITE, deletePrivateEndpoint, getPrivateEndpoint, listPrivateEndpoints, putPrivateEndpoint } from "./private-endpoints.js";
import { NIC_READ, getNetworkInterface, listNetworkInterfaces } from "./network-interfaces.js";
import { networkId } from "../../domain/resource-ids.js";

const SUB = "/subscriptions/{subscriptionId}";
const RG = `${SUB}/resourcegroups/{resourceGroupName}`;
const N = `${RG}/providers/Microsoft.Network`;
const VNET = `${N}/virtualNetworks/{virtualNetworkName}`;
const NET = "Microsoft.Network";

type P = Record<string, string>;
const id = (type: string, key: string) => (p: P) => networkId(p.subscriptionId!, p.resourceGroupName!, type, p[key]!);
const vnet = id("virtualNetworks", "virtualNetworkName");
const subnet = (p: P) => `${vnet(p)}/subnets/${p.subnetName!}`;
const peering = (p: P) => `${vnet(p)}/virtualNetworkPeerings/${p.virtualNetworkPeeringName!}`;
const pe = id("privateEndpoints", "privateEndpointName");
const nic = id("networkInterfaces", "networkInterfaceName");

const W = { audit: true, body: true };
const D = { audit: true };

export const NETWORK_ROUTES: Route[] = [
  route("GET", `${SUB}/providers/${NET}/virtualNetworks`, NET, "virtualNetworks", authenticated, {}, listVirtualNetworks),
  route("GET", `${N}/virtualNetworks`, NET, "virtualNetworks", authenticated, {}, listVirtualNetworks),
  route("PUT", VNET, NET, "virtualNetworks", requires(VNET_WRITE, vnet), W, putVirtualNetwork),
  route("GET", VNET, NET, "virtualNetworks", requires(VNET_READ, vnet), {}, getVirtualNetwork),
  route("DELETE", VNET, NET, "virtualNetworks", requires(VNET_DELETE, vnet), D, deleteVirtualNetwork),

  route("GET", `${VNET}/subnets`, NET, "virtualNetworks/subnets", requires(SUBNET_READ, vnet), {}, listSubnets),
  route("PUT", `${VNET}/subnets/{subnetName}`, NET, "virtualNetworks/subnets", requires(SUBNET_WRITE, subnet), W, putSubnet),
  route("GET", `${VNET}/subnets/{subnetName}`, NET, "virtualNetworks/subnets", requires(SUBNET_READ, subnet), {}, getSubnet),
  route("DELETE", `${VNET}/subnets/{subnetName}`, NET, "virtualNetworks/subnets", requires(SUBNET_DELETE, subnet), D, deleteSubnet),

  route("GET", `${VNET}/virtualNetworkPeerings`, NET, "virtualNetworks/virtualNetworkPeerings", requires(PEERING_READ, vnet), {}, listPeerings),
  route("PUT", `${VNET}/virtualNetworkPeerings/{virtualNetworkPeeringName}`, NET, "virtualNetworks/virtualNetworkPeerings", requires(PEERING_WRITE, peering), W, putPeering),
  route("GET", `${VNET}/virtualNetworkPeerings/{virtualNetworkPeeringName}`, NET, "virtualNetworks/virtualNetworkPeerings", requires(PEERING_READ, peering), {}, getPeering),
  route("DELETE", `${VNET}/virtualNetworkPeerings/{virtualNetworkPeeringName}`, NET, "virtualNetworks/virtualNetworkPeerings", requires(PEERING_DELETE, peering), D, deletePeering),

  route("GET", `${SUB}/providers/${NET}/privateEndpoints`, NET, "privateEndpoints", authenticated, {}, listPrivateEndpoints),
  route("GET", `${N}/privateEndpoints`, NET, "privateEndpoints", authenticated, {}, listPrivateEndpoints),
  route("PUT", `${N}/privateEndpoints/{privateEndpointName}`, NET, "privateEndpoints", requires(PE_WRITE, pe), W, putPrivateEndpoint),
  route("GET", `${N}/privateEndpoints/{privateEndpointName}`, NET, "privateEndpoints", requires(PE_READ, pe), {}, getPrivateEndpoint),
  route("DELETE", `${N}/privateEndpoints/{privateEndpointName}`, NET, "privateEndpoints", requires(PE_DELETE, pe), D, deletePrivateEndpoint),

  route("GET", `${SUB}/providers/${NET}/networkInterfaces`, NET, "networkInterfaces", authenticated, {}, listNetworkInterfaces),
  route("GET", `${N}/networkInterfaces`, NET, "networkInterfaces", authenticated, {}, listNetworkInterfaces),
  route("GET", `${N}/networkInterfaces/{networkInterfaceName}`, NET, "networkInterfaces", requires(NIC_READ, nic), {}, getNetworkInterface),
];
