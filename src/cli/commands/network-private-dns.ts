// `cove network private-dns zone|link vnet|record-set a ...` through @azure/arm-privatedns 4.
// az semantics kept: `add-record` creates the record set (TTL 3600) when it does not exist and
// does not add an address twice; `remove-record` deletes the set when its last address goes,
// unless --keep-empty-record-set. The SDK speaks api-version 2024-06-01, the one that added a
// link's `resolutionPolicy` (3.2 spoke 2020-06-01, without it). `zone delete` and `link vnet
// delete` and `record-set a delete` ask for confirmation unless --yes, as az's (confirmation=True).
// The deletes and remove-record take --what-if and warn about the networks they cut off
// (cli/toolkit/what-if.ts).
import type { RecordSet, VirtualNetworkLink } from "@azure/arm-privatedns";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { choice, parseBool, parseDnsSuffix, parseGroupName } from "../flags.js";
import { groupOfId } from "./acr.js";
import { parseIpv4, parseNetworkName, parseRecordSetName } from "./network-flags.js";
import { nameOrIdOf, networkId, toId } from "./network-ids.js";
import type { Session } from "../session.js";
import { WHAT_IF, whatIfTable, withWhatIf } from "../toolkit/what-if.js";

export const groups: GroupSpec[] = [
  { name: "network private-dns", summary: "Manage private DNS zones, their virtual network links and records." },
  { name: "network private-dns zone", summary: "Manage private DNS zones." },
  { name: "network private-dns link", summary: "Manage links between private DNS zones and other resources." },
  { name: "network private-dns link vnet", summary: "Manage links between private DNS zones and virtual networks." },
  { name: "network private-dns record-set", summary: "Manage record sets of private DNS zones." },
  { name: "network private-dns record-set a", summary: "Manage A records." },
];

/** az's TTL for a record set that add-record creates. */
const DEFAULT_TTL = 3600;

const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group.", parse: parseGroupName, required: true };
const ZONE: OptionSpec = { flags: "-z, --zone-name <zone>", description: "The name of the private DNS zone.", parse: parseDnsSuffix, required: true };
const RECORD_SET: OptionSpec = { flags: "-n, --record-set-name <name>", description: "The name of the record set relative to the zone.", parse: parseRecordSetName, required: true };
const YES: OptionSpec = { flags: "-y, --yes", description: "Do not prompt for confirmation." };
const LINK_NAME: OptionSpec = { flags: "-n, --name <name>", description: "The name of the virtual network link.", parse: parseNetworkName, required: true };
const ZONE_NAME: OptionSpec = { flags: "-n, --name <zone>", description: "The name of the private DNS zone.", parse: parseDnsSuffix, required: true };
const zoneId = (s: Session, group: string, zone: string) => networkId(s, group, "privateDnsZones", zone);
const aRecordSetId = (s: Session, group: string, zone: string, name: string) => `${zoneId(s, group, zone)}/A/${name}`;
const IPV4: OptionSpec = { flags: "-a, --ipv4-address <ip>", description: "IPv4 address in string notation.", parse: parseIpv4, required: true };

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number } | undefined)?.statusCode;
}

const zoneTable = (z: any) => ({
  ZoneName: z.name,
  ResourceGroup: groupOfId(z.id),
  RecordSets: z.numberOfRecordSets,
  VirtualNetworkLinks: z.numberOfVirtualNetworkLinks,
  VirtualNetworkLinksWithRegistration: z.numberOfVirtualNetworkLinksWithRegistration,
});

const linkTable = (l: any) => ({
  Name: l.name,
  ResourceGroup: groupOfId(l.id),
  RegistrationEnabled: l.registrationEnabled,
  VirtualNetwork: l.virtualNetwork?.id,
  ProvisioningState: l.provisioningState,
  VirtualNetworkLinkState: l.virtualNetworkLinkState,
});

const recordSetTable = (r: any) => ({
  Name: r.name,
  ResourceGroup: groupOfId(r.id),
  Ttl: r.ttl,
  Type: r.type?.split("/").pop(),
  AutoRegistered: r.isAutoRegistered,
  Metadata: r.metadata ? JSON.stringify(r.metadata) : undefined,
  Addresses: (r.aRecords ?? []).map((a: any) => a.ipv4Address).join(", "),
});

export const commands: CommandSpec[] = [
  {
    name: "network private-dns zone create",
    summary: "Create a private DNS zone (e.g. privatelink.azurecr.io).",
    options: [GROUP, ZONE_NAME],
    table: zoneTable,
    async run(opts, ctx) {
      const dns = await (await ctx.session()).privateDns();
      return dns.privateZones.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.name, { location: "global" });
    },
  },
  {
    name: "network private-dns zone show",
    summary: "Show a private DNS zone, with its record set and link counts.",
    options: [GROUP, ZONE_NAME],
    table: zoneTable,
    async run(opts, ctx) {
      const dns = await (await ctx.session()).privateDns();
      return dns.privateZones.get(opts.resourceGroup, opts.name);
    },
  },
  {
    name: "network private-dns zone delete",
    summary: "Delete a private DNS zone and its records (remove its virtual network links first, as Azure).",
    options: [GROUP, ZONE_NAME, YES, WHAT_IF],
    table: whatIfTable(),
    async run(opts, ctx) {
      if (!opts.whatIf && !(await ctx.confirm(opts.yes))) return undefined;
      return withWhatIf(opts, ctx, (s) => ({ kind: "delete-zone", zoneId: zoneId(s, opts.resourceGroup, opts.name) }), async (s) => {
        await (await s.privateDns()).privateZones.beginDeleteAndWait(opts.resourceGroup, opts.name);
        return undefined;
      });
    },
  },
  {
    name: "network private-dns zone list",
    summary: "List private DNS zones (in one group with -g).",
    options: [{ ...GROUP, required: false, description: "Only this resource group." }],
    table: zoneTable,
    async run(opts, ctx) {
      const dns = await (await ctx.session()).privateDns();
      return collect(opts.resourceGroup ? dns.privateZones.listByResourceGroup(opts.resourceGroup) : dns.privateZones.list());
    },
  },
  {
    name: "network private-dns link vnet create",
    summary: "Link a private DNS zone to a virtual network, so the VNet resolves the zone's records.",
    options: [
      GROUP,
      ZONE,
      LINK_NAME,
      { flags: "-v, --virtual-network <name-or-id>", description: "Name (in the same group) or id of the virtual network.", parse: nameOrIdOf("virtualNetworks", parseNetworkName), required: true },
      { flags: "-e, --registration-enabled <bool>", description: "Auto-register the VNet's VMs in the zone (true|false).", parse: parseBool, required: true },
      { flags: "--resolution-policy <policy>", description: "Default or NxDomainRedirect (fall back to public resolution when the name is not in the zone).", parse: choice(["Default", "NxDomainRedirect"]) },
    ],
    table: linkTable,
    async run(opts, ctx) {
      const s = await ctx.session();
      const link: VirtualNetworkLink = {
        location: "global",
        virtualNetwork: { id: toId(s, opts.virtualNetwork, opts.resourceGroup, "virtualNetworks") },
        registrationEnabled: opts.registrationEnabled,
      };
      if (opts.resolutionPolicy) link.resolutionPolicy = opts.resolutionPolicy;
      const dns = await s.privateDns();
      return dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.zoneName, opts.name, link);
    },
  },
  {
    name: "network private-dns link vnet list",
    summary: "List the virtual network links of a private DNS zone.",
    options: [GROUP, ZONE],
    table: linkTable,
    async run(opts, ctx) {
      const dns = await (await ctx.session()).privateDns();
      return collect(dns.virtualNetworkLinks.list(opts.resourceGroup, opts.zoneName));
    },
  },
  {
    name: "network private-dns link vnet show",
    summary: "Show a virtual network link of a private DNS zone.",
    options: [GROUP, ZONE, LINK_NAME],
    table: linkTable,
    async run(opts, ctx) {
      const dns = await (await ctx.session()).privateDns();
      return dns.virtualNetworkLinks.get(opts.resourceGroup, opts.zoneName, opts.name);
    },
  },
  {
    name: "network private-dns link vnet delete",
    summary: "Delete a virtual network link: the VNet stops resolving the zone's records.",
    options: [GROUP, ZONE, LINK_NAME, YES, WHAT_IF],
    table: whatIfTable(),
    async run(opts, ctx) {
      if (!opts.whatIf && !(await ctx.confirm(opts.yes))) return undefined;
      const linkId = (s: Session) => `${zoneId(s, opts.resourceGroup, opts.zoneName)}/virtualNetworkLinks/${opts.name}`;
      return withWhatIf(opts, ctx, (s) => ({ kind: "delete-link", linkId: linkId(s) }), async (s) => {
        await (await s.privateDns()).virtualNetworkLinks.beginDeleteAndWait(opts.resourceGroup, opts.zoneName, opts.name);
        return undefined;
      });
    },
  },
  {
    name: "network private-dns record-set a add-record",
    summary: "Add an A record (creates the record set when it does not exist).",
    options: [GROUP, ZONE, RECORD_SET, IPV4],
    table: recordSetTable,
    async run(opts, ctx) {
      const dns = await (await ctx.session()).privateDns();
      let set: RecordSet;
      try {
        set = await dns.recordSets.get(opts.resourceGroup, opts.zoneName, "A", opts.recordSetName);
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
        set = { ttl: DEFAULT_TTL, aRecords: [] };
      }
      const records = set.aRecords ?? [];
      if (!records.some((r) => r.ipv4Address === opts.ipv4Address)) records.push({ ipv4Address: opts.ipv4Address });
      return dns.recordSets.createOrUpdate(opts.resourceGroup, opts.zoneName, "A", opts.recordSetName, {
        ttl: set.ttl ?? DEFAULT_TTL,
        metadata: set.metadata,
        aRecords: records,
      });
    },
  },
  {
    name: "network private-dns record-set a remove-record",
    summary: "Remove an A record (the record set goes with its last record unless --keep-empty-record-set).",
    options: [GROUP, ZONE, RECORD_SET, IPV4, { flags: "--keep-empty-record-set", description: "Keep the empty record set if the last record is removed." }, WHAT_IF],
    table: whatIfTable(recordSetTable),
    async run(opts, ctx) {
      const change = (s: Session) => ({
        kind: "remove-address", recordSetId: aRecordSetId(s, opts.resourceGroup, opts.zoneName, opts.recordSetName), ip: opts.ipv4Address, keepEmpty: opts.keepEmptyRecordSet === true,
      }) as const;
      return withWhatIf(opts, ctx, change, async (s) => {
        const dns = await s.privateDns();
        const set = await dns.recordSets.get(opts.resourceGroup, opts.zoneName, "A", opts.recordSetName);
        const records = (set.aRecords ?? []).filter((r) => r.ipv4Address !== opts.ipv4Address);
        if (records.length === 0 && !opts.keepEmptyRecordSet) {
          await dns.recordSets.delete(opts.resourceGroup, opts.zoneName, "A", opts.recordSetName);
          return undefined;
        }
        return dns.recordSets.createOrUpdate(opts.resourceGroup, opts.zoneName, "A", opts.recordSetName, {
          ttl: set.ttl,
          metadata: set.metadata,
          aRecords: records,
        });
      });
    },
  },
  {
    name: "network private-dns record-set a delete",
    summary: "Delete an A record set (all its addresses).",
    options: [GROUP, ZONE, { flags: "-n, --name <name>", description: "The name of the record set relative to the zone.", parse: parseRecordSetName, required: true }, YES, WHAT_IF],
    table: whatIfTable(),
    async run(opts, ctx) {
      if (!opts.whatIf && !(await ctx.confirm(opts.yes))) return undefined;
      return withWhatIf(opts, ctx, (s) => ({ kind: "delete-record-set", recordSetId: aRecordSetId(s, opts.resourceGroup, opts.zoneName, opts.name) }), async (s) => {
        await (await s.privateDns()).recordSets.delete(opts.resourceGroup, opts.zoneName, "A", opts.name);
        return undefined;
      });
    },
  },
  {
    name: "network private-dns record-set a list",
    summary: "List the A record sets of a zone.",
    options: [GROUP, ZONE],
    table: recordSetTable,
    async run(opts, ctx) {
      const dns = await (await ctx.session()).privateDns();
      return collect(dns.recordSets.listByType(opts.resourceGroup, opts.zoneName, "A"));
    },
  },
  {
    name: "network private-dns record-set a show",
    summary: "Show an A record set.",
    options: [GROUP, ZONE, { flags: "-n, --name <name>", description: "The name of the record set relative to the zone.", parse: parseRecordSetName, required: true }],
    table: recordSetTable,
    async run(opts, ctx) {
      const dns = await (await ctx.session()).privateDns();
      return dns.recordSets.get(opts.resourceGroup, opts.zoneName, "A", opts.name);
    },
  },
];
