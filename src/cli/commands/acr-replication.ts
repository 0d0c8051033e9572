// `cove acr replication create|list|show|update|delete`: geo-replicas of a Premium registry through
// @azure/arm-containerregistry 12's `replications`, with az 2.45's flags and checks (its
// acr/replication.py): create, list, show and delete first read the registry and refuse a
// non-Premium one, create refuses the home location, and the name defaults to the location. update
// PATCHes only what was given, as az's generic update does from an empty ReplicationUpdateParameters.
// az's delete does not prompt; Cove's does unless --yes, as its other deletes (a replica's content
// and its endpoints' members go with it).
// show and list add Cove's `syncStatus` extension (lag, pending work), which the SDK's
// deserializer drops: it is read from the same resource raw, as listener-warning.ts reads
// `listenerStatus`.
import { InvalidArgumentError } from "commander";
import type { Replication, ReplicationUpdateParameters } from "@azure/arm-containerregistry";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { CliError } from "../errors.js";
import { MAX_ARG_LENGTH, choice, parseBool, parseGroupName, parseLocation, parseNonEmpty, parseRegistryName } from "../flags.js";
import type { Session } from "../session.js";
import { registryGroup } from "./acr.js";

export const groups: GroupSpec[] = [
  { name: "acr replication", summary: "Manage the geo-replications of a Premium registry." },
];

/** az's messages, word for word (acr/replication.py). */
export const REPLICATIONS_NOT_SUPPORTED = "Replications are only supported for managed registries in Premium SKU.";
export const SAME_LOCATION = "Replication could not be created in the same location as the registry.";

/** The api-version @azure/arm-containerregistry 12 sends; the raw read must see the same resource the SDK does. */
const REGISTRY_API_VERSION = "2025-11-01";

/** Cove's extension of a replication (docs/management-api.md): what the replica still lacks. */
export interface SyncStatus {
  state?: string;
  lagSeconds?: number;
  pendingManifests?: number;
  pendingBlobs?: number;
  pendingBytes?: number;
  lastSyncedAt?: string;
}

export type ReplicationOut = Replication & { syncStatus?: SyncStatus };

/** az's `--tags` words: `key=value`, or `key` for an empty value; a lone `""` clears every tag. */
export function parseTag(v: string, previous: unknown): Record<string, string> {
  const tags = { ...((previous as Record<string, string> | undefined) ?? {}) };
  if (v === "") return tags;
  if (v.length > MAX_ARG_LENGTH) throw new InvalidArgumentError(`At most ${MAX_ARG_LENGTH} characters.`);
  const eq = v.indexOf("=");
  const key = eq < 0 ? v : v.slice(0, eq);
  if (key.trim() === "" || key.length > 512) throw new InvalidArgumentError("Expected KEY[=VALUE] (a key of 1 to 512 characters).");
  tags[key] = eq < 0 ? "" : v.slice(eq + 1);
  return tags;
}

const REGISTRY: OptionSpec = { flags: "-r, --registry <name>", description: "The name of the container registry.", parse: parseRegistryName, required: true };
const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group (found by listing when omitted).", parse: parseGroupName };
const NAME: OptionSpec = { flags: "-n, --name <name>", description: "The name of the replication.", parse: parseNonEmpty, required: true };
const TAGS: OptionSpec = { flags: "--tags <tag...>", description: "Space-separated tags: key[=value]. \"\" clears the existing tags.", parse: parseTag };
const REGION_ENDPOINT: OptionSpec = {
  flags: "--region-endpoint-enabled [bool]",
  description: "Allow routing to this replication (true|false). Requests are not routed to a disabled replication; its data keeps syncing.",
  parse: parseBool,
};

const lag = (s: SyncStatus | undefined) => (s?.lagSeconds === undefined ? "" : `${s.lagSeconds} s`);

/** az's replication_output_format columns, then Cove's sync state and lag. */
const table = (r: any) => ({
  NAME: r.name,
  LOCATION: r.location,
  "PROVISIONING STATE": r.provisioningState,
  STATUS: r.status?.displayStatus,
  "REGION ENDPOINT ENABLED": r.regionEndpointEnabled,
  SYNC: r.syncStatus?.state ?? "",
  LAG: lag(r.syncStatus),
});

/** The registry's group after az's validate_premium_registry: the registry must exist and be Premium. */
async function premiumRegistry(s: Session, name: string, group: string | undefined): Promise<{ group: string; location: string; id: string }> {
  const g = await registryGroup(s, name, group);
  const registry = await s.acr().registries.get(g, name);
  if (registry.sku?.name !== "Premium") throw new CliError(REPLICATIONS_NOT_SUPPORTED);
  return { group: g, location: (registry.location ?? "").toLowerCase(), id: registry.id ?? "" };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

interface RawReplication { name?: string; properties?: { syncStatus?: SyncStatus } }

/** The SDK's replications with each one's `syncStatus` from the raw answer (matched by name). */
async function withSync(s: Session, registryId: string, replications: Replication[], one?: string): Promise<ReplicationOut[]> {
  const path = `${registryId}/replications${one ? `/${encodeURIComponent(one)}` : ""}?api-version=${REGISTRY_API_VERSION}`;
  const raw = await s.request<{ value?: RawReplication[] } & RawReplication>("GET", path);
  const byName = new Map((one ? [raw] : raw?.value ?? []).map((r) => [r.name?.toLowerCase(), r.properties?.syncStatus]));
  return replications.map((r) => {
    const sync = byName.get(r.name?.toLowerCase());
    return sync ? { ...r, syncStatus: sync } : r;
  });
}

export const commands: CommandSpec[] = [
  {
    name: "acr replication create",
    summary: "Create a replication of a Premium registry in another location.",
    options: [
      { flags: "-l, --location <location>", description: "Location of the replica (e.g. eastus).", parse: parseLocation, required: true },
      REGISTRY,
      GROUP,
      { flags: "-n, --name <name>", description: "The name of the replication. Default to the location name.", parse: parseNonEmpty },
      { ...REGION_ENDPOINT, description: `${REGION_ENDPOINT.description} Default: true.` },
      { flags: "--zone-redundancy <value>", description: "Enabled or Disabled (default). Cannot be updated.", parse: choice(["Enabled", "Disabled"]) },
      TAGS,
    ],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      const { group, location } = await premiumRegistry(s, opts.registry, opts.resourceGroup);
      if (location === opts.location) throw new CliError(SAME_LOCATION);
      const replication: Replication = { location: opts.location };
      if (opts.regionEndpointEnabled !== undefined) replication.regionEndpointEnabled = parseBool(opts.regionEndpointEnabled);
      if (opts.zoneRedundancy) replication.zoneRedundancy = opts.zoneRedundancy;
      if (opts.tags) replication.tags = opts.tags;
      return await s.acr().replications.create(group, opts.registry, opts.name ?? opts.location, replication);
    },
  },
  {
    name: "acr replication list",
    summary: "List the replications of a Premium registry (its home location first), with their sync state.",
    options: [REGISTRY, GROUP],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      const { group, id } = await premiumRegistry(s, opts.registry, opts.resourceGroup);
      return withSync(s, id, await collect(s.acr().replications.list(group, opts.registry)));
    },
  },
  {
    name: "acr replication show",
    summary: "Show a replication, with its sync state (lag, pending manifests, blobs and bytes).",
    options: [NAME, REGISTRY, GROUP],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      const { group, id } = await premiumRegistry(s, opts.registry, opts.resourceGroup);
      const [shown] = await withSync(s, id, [await s.acr().replications.get(group, opts.registry, opts.name)], opts.name);
      return shown;
    },
  },
  {
    name: "acr replication update",
    summary: "Update a replication: turn its regional endpoint on or off, or replace its tags.",
    options: [NAME, REGISTRY, GROUP, REGION_ENDPOINT, TAGS],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      const group = await registryGroup(s, opts.registry, opts.resourceGroup);
      const update: ReplicationUpdateParameters = {};
      if (opts.regionEndpointEnabled !== undefined) update.regionEndpointEnabled = parseBool(opts.regionEndpointEnabled);
      if (opts.tags) update.tags = opts.tags;
      return await s.acr().replications.update(group, opts.registry, opts.name, update);
    },
  },
  {
    name: "acr replication delete",
    summary: "Delete a replication (its data endpoint, its endpoints' members and their DNS records go with it).",
    options: [NAME, REGISTRY, GROUP, { flags: "-y, --yes", description: "Do not prompt for confirmation." }],
    async run(opts, ctx) {
      if (!(await ctx.confirm(opts.yes))) return undefined;
      const s = await ctx.session();
      const { group } = await premiumRegistry(s, opts.registry, opts.resourceGroup);
      await s.acr().replications.delete(group, opts.registry, opts.name);
      return undefined;
    },
  },
];
