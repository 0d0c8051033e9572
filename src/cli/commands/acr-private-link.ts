// `cove acr private-endpoint-connection ...`, `acr private-link-resource list` and
// `acr network-rule ...` through @azure/arm-containerregistry 12. As az: approve/reject read the
// connection, change its state (and description) and PUT it back, printing the connection;
// network-rule add/remove PATCH the registry's whole `networkRuleSet` (the service replaces it
// whole) and print the updated rule set. Without -g the registry's group is found by listing.
// reject and delete take --what-if and warn about the networks they cut off (cli/toolkit/what-if.ts);
// approve takes --what-if to say which networks it opens.
import type { IPRule, NetworkRuleSet, PrivateEndpointConnection } from "@azure/arm-containerregistry";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { parseGroupName, parseNonEmpty, parseRegistryName } from "../flags.js";
import type { Session } from "../session.js";
import { groupOfId, registryGroup } from "./acr.js";
import { maxLength, parseIpv4OrRange } from "./network-flags.js";
import type { ArmInventory } from "../../network-policy/reachability/inventory.js";
import { WHAT_IF, connectionIdIn, whatIfTable, withWhatIf } from "../toolkit/what-if.js";

export const groups: GroupSpec[] = [
  { name: "acr private-endpoint-connection", summary: "Manage the private endpoint connections of a registry (approve, reject, delete)." },
  { name: "acr private-link-resource", summary: "Show the private link resources (group ids, members, zone names) of a registry." },
  { name: "acr network-rule", summary: "Manage the IP rules of a registry's firewall." },
];

const REGISTRY: OptionSpec = { flags: "-r, --registry-name <name>", description: "The name of the container registry.", parse: parseRegistryName, required: true };
const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group (found by listing when omitted).", parse: parseGroupName };
const CONNECTION: OptionSpec = { flags: "-n, --name <name>", description: "The name of the private endpoint connection.", parse: parseNonEmpty, required: true };
const DESCRIPTION: OptionSpec = { flags: "--description <text>", description: "Comment for the approval or rejection.", parse: maxLength(1024) };

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const connectionTable = (c: any) => ({
  Name: c.name,
  ResourceGroup: groupOfId(c.id),
  PrivateEndpoint: c.privateEndpoint?.id?.split("/").pop(),
  Status: c.privateLinkServiceConnectionState?.status,
  Description: c.privateLinkServiceConnectionState?.description,
  ProvisioningState: c.provisioningState,
});

async function setState(s: Session, opts: Record<string, any>, status: "Approved" | "Rejected"): Promise<PrivateEndpointConnection> {
  const group = await registryGroup(s, opts.registryName, opts.resourceGroup);
  const current = await s.acr().privateEndpointConnections.get(group, opts.registryName, opts.name);
  const update: PrivateEndpointConnection = {
    privateEndpoint: current.privateEndpoint,
    privateLinkServiceConnectionState: {
      ...current.privateLinkServiceConnectionState,
      status,
      description: opts.description,
    },
  };
  return await s.acr().privateEndpointConnections.createOrUpdate(group, opts.registryName, opts.name, update);
}

/** The registry's rule set, for a read-modify-PATCH. */
async function ruleSet(s: Session, opts: Record<string, any>): Promise<{ group: string; rules: NetworkRuleSet }> {
  const group = await registryGroup(s, opts.name, opts.resourceGroup);
  const registry = await s.acr().registries.get(group, opts.name);
  return { group, rules: { defaultAction: registry.networkRuleSet?.defaultAction ?? "Allow", ipRules: registry.networkRuleSet?.ipRules ?? [] } };
}

async function patchRules(s: Session, group: string, name: string, rules: NetworkRuleSet): Promise<NetworkRuleSet | undefined> {
  const updated = await s.acr().registries.update(group, name, { networkRuleSet: rules });
  return updated.networkRuleSet;
}

const sameRange = (a: string | undefined, b: string) => a !== undefined && a.replace(/\/32$/, "") === b.replace(/\/32$/, "");

export const commands: CommandSpec[] = [
  {
    name: "acr private-endpoint-connection list",
    summary: "List the private endpoint connections of a registry.",
    options: [REGISTRY, GROUP],
    table: connectionTable,
    async run(opts, ctx) {
      const s = await ctx.session();
      return collect(s.acr().privateEndpointConnections.list(await registryGroup(s, opts.registryName, opts.resourceGroup), opts.registryName));
    },
  },
  {
    name: "acr private-endpoint-connection show",
    summary: "Show a private endpoint connection of a registry.",
    options: [CONNECTION, REGISTRY, GROUP],
    table: connectionTable,
    async run(opts, ctx) {
      const s = await ctx.session();
      return s.acr().privateEndpointConnections.get(await registryGroup(s, opts.registryName, opts.resourceGroup), opts.registryName, opts.name);
    },
  },
  {
    name: "acr private-endpoint-connection approve",
    summary: "Approve a private endpoint connection request.",
    options: [CONNECTION, REGISTRY, GROUP, DESCRIPTION, { ...WHAT_IF, description: "Change nothing: print the networks the approval would give access (the rows of each registry's reachability matrix that change)." }],
    table: whatIfTable(connectionTable),
    async run(opts, ctx) {
      // An approval cuts nothing off, so only --what-if reads the inventory (the networks it opens).
      if (!opts.whatIf) return setState(await ctx.session(), opts, "Approved");
      const change = (s: Session, inv: ArmInventory) =>
        ({ kind: "approve-connection", connectionId: connectionIdIn(s, inv, opts.registryName, opts.resourceGroup, opts.name), description: opts.description }) as const;
      return withWhatIf(opts, ctx, change, (s) => setState(s, opts, "Approved"));
    },
  },
  {
    name: "acr private-endpoint-connection reject",
    summary: "Reject a private endpoint connection request.",
    options: [CONNECTION, REGISTRY, GROUP, DESCRIPTION, WHAT_IF],
    table: whatIfTable(connectionTable),
    async run(opts, ctx) {
      const change = (s: Session, inv: ArmInventory) =>
        ({ kind: "reject-connection", connectionId: connectionIdIn(s, inv, opts.registryName, opts.resourceGroup, opts.name), description: opts.description }) as const;
      return withWhatIf(opts, ctx, change, (s) => setState(s, opts, "Rejected"));
    },
  },
  {
    name: "acr private-endpoint-connection delete",
    summary: "Delete a private endpoint connection (the endpoint stays, disconnected).",
    options: [CONNECTION, REGISTRY, GROUP, WHAT_IF],
    table: whatIfTable(),
    async run(opts, ctx) {
      const change = (s: Session, inv: ArmInventory) =>
        ({ kind: "delete-connection", connectionId: connectionIdIn(s, inv, opts.registryName, opts.resourceGroup, opts.name) }) as const;
      return withWhatIf(opts, ctx, change, async (s) => {
        await s.acr().privateEndpointConnections.delete(await registryGroup(s, opts.registryName, opts.resourceGroup), opts.registryName, opts.name);
        return undefined;
      });
    },
  },
  {
    name: "acr private-link-resource list",
    summary: "List the private link resources of a registry (group id, required members, zone names).",
    options: [REGISTRY, GROUP],
    table: (p: any) => ({ Name: p.name, GroupId: p.groupId, RequiredMembers: (p.requiredMembers ?? []).join(", "), RequiredZoneNames: (p.requiredZoneNames ?? []).join(", ") }),
    async run(opts, ctx) {
      const s = await ctx.session();
      const list = await collect(s.acr().registries.listPrivateLinkResources(await registryGroup(s, opts.registryName, opts.resourceGroup), opts.registryName));
      // This model is the one the v12 SDK does not flatten; az prints groupId etc. at the top.
      return list.map(({ properties, ...rest }) => ({ ...rest, ...properties }));
    },
  },
  {
    name: "acr network-rule list",
    summary: "List the network rules of a registry.",
    options: [{ flags: "-n, --name <name>", description: "The name of the container registry.", parse: parseRegistryName, required: true }, GROUP],
    async run(opts, ctx) {
      const s = await ctx.session();
      const group = await registryGroup(s, opts.name, opts.resourceGroup);
      const registry = await s.acr().registries.get(group, opts.name);
      return registry.networkRuleSet ?? { defaultAction: "Allow", ipRules: [] };
    },
  },
  {
    name: "acr network-rule add",
    summary: "Allow an IPv4 address or range through the registry's firewall (Premium).",
    options: [
      { flags: "-n, --name <name>", description: "The name of the container registry.", parse: parseRegistryName, required: true },
      GROUP,
      { flags: "--ip-address <ip-or-cidr>", description: "IPv4 address or CIDR range.", parse: parseIpv4OrRange, required: true },
    ],
    async run(opts, ctx) {
      const s = await ctx.session();
      const { group, rules } = await ruleSet(s, opts);
      const ipRules: IPRule[] = rules.ipRules ?? [];
      if (!ipRules.some((r) => sameRange(r.iPAddressOrRange, opts.ipAddress))) ipRules.push({ action: "Allow", iPAddressOrRange: opts.ipAddress });
      return patchRules(s, group, opts.name, { ...rules, ipRules });
    },
  },
  {
    name: "acr network-rule remove",
    summary: "Remove an IP rule from the registry's firewall.",
    options: [
      { flags: "-n, --name <name>", description: "The name of the container registry.", parse: parseRegistryName, required: true },
      GROUP,
      { flags: "--ip-address <ip-or-cidr>", description: "IPv4 address or CIDR range.", parse: parseIpv4OrRange, required: true },
    ],
    async run(opts, ctx) {
      const s = await ctx.session();
      const { group, rules } = await ruleSet(s, opts);
      const ipRules = (rules.ipRules ?? []).filter((r) => !sameRange(r.iPAddressOrRange, opts.ipAddress));
      return patchRules(s, group, opts.name, { ...rules, ipRules });
    },
  },
];
