// `cove network private-endpoint ...` and `... dns-zone-group create|list|show|delete` through
// @azure/arm-network 39 (`dns-zone-group delete` asks for confirmation unless --yes, as az's; the
// two deletes take --what-if and warn about the networks they cut off, cli/toolkit/what-if.ts;
// `dns-zone-group create --what-if` writes nothing and names the record sets it would overwrite).
// As az: the connection goes in `privateLinkServiceConnections`, or with `--manual-request` in
// `manualPrivateLinkServiceConnections` (the registry owner then approves it); `--subnet` is an id
// or a name with `--vnet-name`; `--ip-config` gives static addresses (az's shorthand, repeatable);
// the location defaults to the resource group's.
import { InvalidArgumentError } from "commander";
import type { PrivateEndpoint, PrivateLinkServiceConnection } from "@azure/arm-network";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { usageError } from "../errors.js";
import { parseBool, parseDnsSuffix, parseGroupName, parseLocation, parseNonEmpty } from "../flags.js";
import { groupOfId } from "./acr.js";
import { warnIfNotListening } from "./listener-warning.js";
import { many, maxLength, parseIpConfigs, parseNetworkName, parseResourceId } from "./network-flags.js";
import { nameOrIdOf, networkId, toId } from "./network-ids.js";
import type { Session } from "../session.js";
import { WHAT_IF, isWhatIf, whatIfTable, withWhatIf } from "../toolkit/what-if.js";
import { cutWarnings } from "../../network-policy/reachability/what-if.js";

export const groups: GroupSpec[] = [
  { name: "network private-endpoint", summary: "Manage private endpoints." },
  { name: "network private-endpoint dns-zone-group", summary: "Manage the private DNS zone groups of a private endpoint." },
];

const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group.", parse: parseGroupName, required: true };
const NAME: OptionSpec = { flags: "-n, --name <name>", description: "Name of the private endpoint.", parse: parseNetworkName, required: true };
const ENDPOINT_NAME: OptionSpec = { flags: "--endpoint-name <name>", description: "Name of the private endpoint.", parse: parseNetworkName, required: true };
const ZONE_GROUP_NAME: OptionSpec = { flags: "-n, --name <name>", description: "Name of the private DNS zone group.", parse: parseNetworkName, required: true };

const zoneGroupTable = (g: any) => ({
  Name: g.name,
  ResourceGroup: groupOfId(g.id),
  Zones: (g.privateDnsZoneConfigs ?? []).map((c: any) => c.privateDnsZoneId?.split("/").pop()).join(", "),
  ProvisioningState: g.provisioningState,
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const table = (p: any) => {
  const conn = p.privateLinkServiceConnections?.[0] ?? p.manualPrivateLinkServiceConnections?.[0];
  return {
    Name: p.name,
    ResourceGroup: groupOfId(p.id),
    Location: p.location,
    Subnet: p.subnet?.id?.split("/").pop(),
    Connection: conn?.name,
    Status: conn?.privateLinkServiceConnectionState?.status,
    ProvisioningState: p.provisioningState,
  };
};

export const commands: CommandSpec[] = [
  {
    name: "network private-endpoint create",
    summary: "Create a private endpoint to a resource (for a registry: --group-id registry).",
    options: [
      NAME,
      GROUP,
      { flags: "--subnet <name-or-id>", description: "Name (with --vnet-name) or id of the subnet.", parse: nameOrIdOf("virtualNetworks/subnets", parseNetworkName), required: true },
      { flags: "--vnet-name <name>", description: "The virtual network of the subnet (omit when --subnet is an id).", parse: parseNetworkName },
      { flags: "--private-connection-resource-id <id>", description: "Id of the resource to connect to, e.g. a registry.", parse: parseResourceId, required: true },
      { flags: "--connection-name <name>", description: "Name of the private link service connection.", parse: parseNetworkName, required: true },
      { flags: "--group-id <id...>", description: "Group id(s) of the remote resource to connect to (registry for a container registry).", parse: many(parseNonEmpty) },
      { flags: "--group-ids <id...>", description: "Same as --group-id.", parse: many(parseNonEmpty) },
      { flags: "--manual-request [bool]", description: "Ask the resource owner for approval instead of connecting directly (true|false).", parse: parseBool },
      { flags: "--request-message <text>", description: "A message for the owner of the resource (at most 140 characters).", parse: maxLength(140) },
      { flags: "-l, --location <location>", description: "Location (default: the resource group's).", parse: parseLocation },
      { flags: "--nic-name <name>", description: "Name of the endpoint's network interface.", parse: parseNetworkName },
      {
        flags: "--ip-config <key=value...>",
        description: "Static address: name=N group-id=G member-name=M private-ip-address=IP (repeat the flag per member), or JSON.",
        parse: many((v: string) => v),
      },
    ],
    table,
    async run(opts, ctx) {
      if (!opts.subnet.startsWith("/") && !opts.vnetName) throw usageError("usage error: --subnet ID | --subnet NAME --vnet-name NAME");
      if (opts.groupId && opts.groupIds) throw usageError("--group-id and --group-ids are the same flag; give one.");
      let ipConfigurations;
      try {
        ipConfigurations = opts.ipConfig ? parseIpConfigs(opts.ipConfig) : undefined;
      } catch (e) {
        if (e instanceof InvalidArgumentError) throw usageError(`argument --ip-config: ${e.message}`);
        throw e;
      }
      const s = await ctx.session();
      const location = opts.location ?? (await s.resources().resourceGroups.get(opts.resourceGroup)).location;
      const subnetId = opts.subnet.startsWith("/")
        ? opts.subnet
        : networkId(s, opts.resourceGroup, "virtualNetworks", `${opts.vnetName}/subnets/${opts.subnet}`);
      const connection: PrivateLinkServiceConnection = {
        name: opts.connectionName,
        privateLinkServiceId: opts.privateConnectionResourceId,
      };
      const groupIds: string[] | undefined = opts.groupId ?? opts.groupIds;
      if (groupIds) connection.groupIds = groupIds;
      if (opts.requestMessage !== undefined) connection.requestMessage = opts.requestMessage;
      const endpoint: PrivateEndpoint = { location, subnet: { id: subnetId } };
      const manual = opts.manualRequest !== undefined && parseBool(opts.manualRequest);
      if (manual) endpoint.manualPrivateLinkServiceConnections = [connection];
      else endpoint.privateLinkServiceConnections = [connection];
      if (ipConfigurations) endpoint.ipConfigurations = ipConfigurations;
      if (opts.nicName) endpoint.customNetworkInterfaceName = opts.nicName;
      const net = await s.network();
      const created = await net.privateEndpoints.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.name, endpoint);
      await warnIfNotListening(s, created.id, (m) => ctx.warn(m));
      return created;
    },
  },
  {
    name: "network private-endpoint show",
    summary: "Show a private endpoint.",
    options: [NAME, GROUP],
    table,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      return net.privateEndpoints.get(opts.resourceGroup, opts.name);
    },
  },
  {
    name: "network private-endpoint list",
    summary: "List private endpoints (in one group with -g).",
    options: [{ ...GROUP, required: false, description: "Only this resource group." }],
    table,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      return collect(opts.resourceGroup ? net.privateEndpoints.list(opts.resourceGroup) : net.privateEndpoints.listBySubscription());
    },
  },
  {
    name: "network private-endpoint delete",
    summary: "Delete a private endpoint (its addresses, DNS records and registry connection go with it).",
    options: [NAME, GROUP, WHAT_IF],
    table: whatIfTable(),
    async run(opts, ctx) {
      return withWhatIf(opts, ctx, (s) => ({ kind: "delete-endpoint", endpointId: networkId(s, opts.resourceGroup, "privateEndpoints", opts.name) }), async (s) => {
        await (await s.network()).privateEndpoints.beginDeleteAndWait(opts.resourceGroup, opts.name);
        return undefined;
      });
    },
  },
  {
    name: "network private-endpoint dns-zone-group create",
    summary: "Create a private DNS zone group: the endpoint's A records are then kept in the zone.",
    options: [
      ENDPOINT_NAME,
      GROUP,
      ZONE_GROUP_NAME,
      { flags: "--private-dns-zone <name-or-id>", description: "Name (in the same group) or id of the private DNS zone.", parse: nameOrIdOf("privateDnsZones", parseDnsSuffix), required: true },
      { flags: "--zone-name <name>", description: "Name of the zone configuration inside the group.", parse: parseNetworkName, required: true },
      {
        ...WHAT_IF,
        description: "Write nothing: print the record sets the zone group would overwrite (a shared zone's records of another region's endpoint) and the networks that would lose the registry.",
      },
    ],
    table: whatIfTable(),
    async run(opts, ctx) {
      const s = await ctx.session();
      const zoneId = toId(s, opts.privateDnsZone, opts.resourceGroup, "privateDnsZones");
      if (opts.whatIf) {
        // A zone group overwrites record sets of the same name: the regional trap, shown before it is written.
        const zoneGroupId = `${networkId(s, opts.resourceGroup, "privateEndpoints", opts.endpointName)}/privateDnsZoneGroups/${opts.name}`;
        const result = await withWhatIf(opts, ctx, () => ({ kind: "create-zone-group", zoneGroupId, zoneId, zoneConfigName: opts.zoneName }), async () => undefined);
        if (isWhatIf(result)) for (const line of cutWarnings(result, "would")) ctx.warn(line);
        return result;
      }
      const net = await s.network();
      return net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.endpointName, opts.name, {
        privateDnsZoneConfigs: [{ name: opts.zoneName, privateDnsZoneId: zoneId }],
      });
    },
  },
  {
    name: "network private-endpoint dns-zone-group list",
    summary: "List the private DNS zone groups of a private endpoint.",
    options: [ENDPOINT_NAME, GROUP],
    table: zoneGroupTable,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      // @azure/arm-network 37+ takes (group, endpoint) here; 36 and older took (endpoint, group).
      return collect(net.privateDnsZoneGroups.list(opts.resourceGroup, opts.endpointName));
    },
  },
  {
    name: "network private-endpoint dns-zone-group show",
    summary: "Show a private DNS zone group.",
    options: [ENDPOINT_NAME, GROUP, ZONE_GROUP_NAME],
    table: zoneGroupTable,
    async run(opts, ctx) {
      const net = await (await ctx.session()).network();
      return net.privateDnsZoneGroups.get(opts.resourceGroup, opts.endpointName, opts.name);
    },
  },
  {
    name: "network private-endpoint dns-zone-group delete",
    summary: "Delete a private DNS zone group (the endpoint's A records it wrote go with it).",
    options: [ENDPOINT_NAME, GROUP, ZONE_GROUP_NAME, { flags: "-y, --yes", description: "Do not prompt for confirmation." }, WHAT_IF],
    table: whatIfTable(),
    async run(opts, ctx) {
      if (!opts.whatIf && !(await ctx.confirm(opts.yes))) return undefined;
      const zoneGroupId = (s: Session) => `${networkId(s, opts.resourceGroup, "privateEndpoints", opts.endpointName)}/privateDnsZoneGroups/${opts.name}`;
      return withWhatIf(opts, ctx, (s) => ({ kind: "delete-zone-group", zoneGroupId: zoneGroupId(s) }), async (s) => {
        await (await s.network()).privateDnsZoneGroups.beginDeleteAndWait(opts.resourceGroup, opts.endpointName, opts.name);
        return undefined;
      });
    },
  },
];
