// `cove network vnet ...`, `network vnet subnet ...`, `network vnet peering ...`: virtual networks
// through @azure/arm-network 39 (flattened models, as az prints them). Flags and defaults are
// az's: a VNet gets 10.0.0.0/16 and its optional first subnet 10.0.0.0/24 unless told otherwise,
// `vnet create` prints `{newVNet: ...}`, and peerings send all four allow/use flags (false unless given).
import type { Subnet, VirtualNetwork, VirtualNetworkPeering } from "@azure/arm-network";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { usageError } from "../errors.js";
import { choice, parseBool, parseGroupName, parseLocation } from "../flags.js";
import { groupOfId } from "./acr.js";
import { many, parseCidr, parseNetworkName } from "./network-flags.js";
import { nameOrIdOf, toId } from "./network-ids.js";

export const groups: GroupSpec[] = [
  { name: "network", summary: "Manage virtual networks, private endpoints and private DNS zones." },
  { name: "network vnet", summary: "Manage virtual networks." },
  { name: "network vnet subnet", summary: "Manage subnets of a virtual network." },
  { name: "network vnet peering", summary: "Manage peerings between virtual networks." },
];

const DEFAULT_VNET_PREFIX = "10.0.0.0/16";
const DEFAULT_SUBNET_PREFIX = "10.0.0.0/24";

const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group.", parse: parseGroupName, required: true };
const VNET_NAME: OptionSpec = { flags: "--vnet-name <name>", description: "The virtual network (VNet) name.", parse: parseNetworkName, required: true };
const PEERING_NAME: OptionSpec = { flags: "-n, --name <name>", description: "The name of the VNet peering.", parse: parseNetworkName, required: true };
const cidrs = many(parseCidr);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** One prefix goes in `addressPrefix`, several in `addressPrefixes`, as az sends them. */
function prefixes(list: string[]): Pick<Subnet, "addressPrefix" | "addressPrefixes"> {
  return list.length === 1 ? { addressPrefix: list[0] } : { addressPrefixes: list };
}

/** az accepts `--address-prefix` and `--subnet-prefix` (argparse abbreviations); they are aliases here. */
function either(opts: Record<string, any>, a: string, b: string): string[] | undefined {
  if (opts[a] && opts[b]) throw usageError(`--${kebab(a)} and --${kebab(b)} are the same flag; give one.`);
  return opts[a] ?? opts[b];
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

const vnetTable = (v: any) => ({
  Name: v.name,
  ResourceGroup: groupOfId(v.id),
  Location: v.location,
  NumSubnets: v.subnets?.length ?? 0,
  Prefixes: (v.addressSpace?.addressPrefixes ?? []).join(", "),
  ProvisioningState: v.provisioningState,
});

const subnetTable = (s: any) => ({
  Name: s.name,
  ResourceGroup: groupOfId(s.id),
  AddressPrefix: s.addressPrefix ?? (s.addressPrefixes ?? []).join(", "),
  PrivateEndpointNetworkPolicies: s.privateEndpointNetworkPolicies,
  ProvisioningState: s.provisioningState,
});

const peeringTable = (p: any) => ({
  Name: p.name,
  ResourceGroup: groupOfId(p.id),
  RemoteVirtualNetwork: p.remoteVirtualNetwork?.id,
  PeeringState: p.peeringState,
  AllowVirtualNetworkAccess: p.allowVirtualNetworkAccess,
  ProvisioningState: p.provisioningState,
});

const PE_POLICIES = ["Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"] as const;

export const commands: CommandSpec[] = [
  {
    name: "network vnet create",
    summary: "Create a virtual network, optionally with a first subnet.",
    options: [
      { flags: "-n, --name <name>", description: "The virtual network (VNet) name.", parse: parseNetworkName, required: true },
      GROUP,
      { flags: "-l, --location <location>", description: "Location (default: the resource group's).", parse: parseLocation },
      { flags: "--address-prefixes <prefix...>", description: `Space-separated IP address prefixes in CIDR format (default ${DEFAULT_VNET_PREFIX}).`, parse: cidrs },
      { flags: "--address-prefix <prefix...>", description: "Same as --address-prefixes.", parse: cidrs },
      { flags: "--subnet-name <name>", description: "Name of a subnet to create with the VNet.", parse: parseNetworkName },
      { flags: "--subnet-prefixes <prefix...>", description: `Address prefixes of that subnet (default ${DEFAULT_SUBNET_PREFIX}).`, parse: cidrs },
      { flags: "--subnet-prefix <prefix...>", description: "Same as --subnet-prefixes.", parse: cidrs },
    ],
    table: (r: any) => vnetTable(r.newVNet ?? r),
    async run(opts, ctx) {
      const addressPrefixes = either(opts, "addressPrefixes", "addressPrefix") ?? [DEFAULT_VNET_PREFIX];
      const subnetPrefixes = either(opts, "subnetPrefixes", "subnetPrefix");
      if (subnetPrefixes && !opts.subnetName) throw usageError("usage error: --subnet-name NAME [--subnet-prefixes PREFIXES]");
      const s = await ctx.session();
      const location = opts.location ?? (await s.resources().resourceGroups.get(opts.resourceGroup)).location;
      const vnet: VirtualNetwork = { location, addressSpace: { addressPrefixes } };
      if (opts.subnetName) vnet.subnets = [{ name: opts.subnetName, ...prefixes(subnetPrefixes ?? [DEFAULT_SUBNET_PREFIX]) }];
      const net = await s.network();
      return { newVNet: await net.virtualNetworks.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.name, vnet) };
    },
  },
  {
    name: "network vnet list",
    summary: "List virtual networks (in one group with -g).",
    options: [{ ...GROUP, required: false, description: "Only this resource group." }],
    table: vnetTable,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      return collect(opts.resourceGroup ? net.virtualNetworks.list(opts.resourceGroup) : net.virtualNetworks.listAll());
    },
  },
  {
    name: "network vnet show",
    summary: "Show a virtual network.",
    options: [{ flags: "-n, --name <name>", description: "The virtual network (VNet) name.", parse: parseNetworkName, required: true }, GROUP],
    table: vnetTable,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      return net.virtualNetworks.get(opts.resourceGroup, opts.name);
    },
  },
  {
    name: "network vnet delete",
    summary: "Delete a virtual network.",
    options: [{ flags: "-n, --name <name>", description: "The virtual network (VNet) name.", parse: parseNetworkName, required: true }, GROUP],
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      await net.virtualNetworks.beginDeleteAndWait(opts.resourceGroup, opts.name);
      return undefined;
    },
  },
  {
    name: "network vnet subnet create",
    summary: "Create a subnet in a virtual network.",
    options: [
      { flags: "-n, --name <name>", description: "The subnet name.", parse: parseNetworkName, required: true },
      GROUP,
      VNET_NAME,
      { flags: "--address-prefixes <prefix...>", description: "Space-separated address prefixes in CIDR format.", parse: cidrs },
      { flags: "--address-prefix <prefix...>", description: "Same as --address-prefixes.", parse: cidrs },
      { flags: "--disable-private-endpoint-network-policies [bool]", description: "Disable private endpoint network policies on the subnet (true|false).", parse: parseBool },
      { flags: "--private-endpoint-network-policies <value>", description: `Private endpoint network policies: ${PE_POLICIES.join(", ")}.`, parse: choice(PE_POLICIES) },
    ],
    table: subnetTable,
    async run(opts, ctx) {
      const list = either(opts, "addressPrefixes", "addressPrefix");
      if (!list) throw usageError("the following arguments are required: --address-prefixes");
      const subnet: Subnet = prefixes(list);
      if (opts.disablePrivateEndpointNetworkPolicies !== undefined) {
        if (opts.privateEndpointNetworkPolicies) throw usageError("--disable-private-endpoint-network-policies and --private-endpoint-network-policies cannot be used together.");
        subnet.privateEndpointNetworkPolicies = parseBool(opts.disablePrivateEndpointNetworkPolicies) ? "Disabled" : "Enabled";
      } else if (opts.privateEndpointNetworkPolicies) {
        subnet.privateEndpointNetworkPolicies = opts.privateEndpointNetworkPolicies;
      }
      const net = await (await ctx.session()).network();
      return net.subnets.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.vnetName, opts.name, subnet);
    },
  },
  {
    name: "network vnet subnet list",
    summary: "List the subnets of a virtual network.",
    options: [GROUP, VNET_NAME],
    table: subnetTable,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      return collect(net.subnets.list(opts.resourceGroup, opts.vnetName));
    },
  },
  {
    name: "network vnet peering create",
    summary: "Peer a virtual network with another (create the peering on both sides to connect them).",
    options: [
      PEERING_NAME,
      GROUP,
      VNET_NAME,
      { flags: "--remote-vnet <name-or-id>", description: "Name (in the same group) or id of the remote VNet.", parse: nameOrIdOf("virtualNetworks", parseNetworkName), required: true },
      { flags: "--allow-vnet-access [bool]", description: "Allow access from the local VNet to the remote VNet (true|false; default false, as az).", parse: parseBool },
      { flags: "--allow-forwarded-traffic [bool]", description: "Allow forwarded traffic from the remote VNet (true|false).", parse: parseBool },
      { flags: "--allow-gateway-transit [bool]", description: "Allow the remote VNet to use this VNet's gateway (true|false).", parse: parseBool },
      { flags: "--use-remote-gateways [bool]", description: "Use the remote VNet's gateway (true|false).", parse: parseBool },
    ],
    table: peeringTable,
    async run(opts, ctx) {
      const s = await ctx.session();
      const flag = (v: unknown) => (v === undefined ? false : parseBool(v as string | boolean));
      const peering: VirtualNetworkPeering = {
        remoteVirtualNetwork: { id: toId(s, opts.remoteVnet, opts.resourceGroup, "virtualNetworks") },
        allowVirtualNetworkAccess: flag(opts.allowVnetAccess),
        allowForwardedTraffic: flag(opts.allowForwardedTraffic),
        allowGatewayTransit: flag(opts.allowGatewayTransit),
        useRemoteGateways: flag(opts.useRemoteGateways),
      };
      const net = await s.network();
      return net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.vnetName, opts.name, peering);
    },
  },
  {
    name: "network vnet peering list",
    summary: "List the peerings of a virtual network.",
    options: [GROUP, VNET_NAME],
    table: peeringTable,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      return collect(net.virtualNetworkPeerings.list(opts.resourceGroup, opts.vnetName));
    },
  },
  {
    name: "network vnet peering show",
    summary: "Show a peering of a virtual network.",
    options: [PEERING_NAME, GROUP, VNET_NAME],
    table: peeringTable,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      return net.virtualNetworkPeerings.get(opts.resourceGroup, opts.vnetName, opts.name);
    },
  },
  {
    name: "network vnet peering delete",
    summary: "Delete a peering (the other side's peering becomes Disconnected).",
    options: [PEERING_NAME, GROUP, VNET_NAME],
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      await net.virtualNetworkPeerings.beginDeleteAndWait(opts.resourceGroup, opts.vnetName, opts.name);
      return undefined;
    },
  },
];
