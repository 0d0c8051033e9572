// `cove acr ...` and `cove acr credential ...`: registries through @azure/arm-containerregistry
// v12 (flattened camelCase models, as az prints them). When -g is omitted the group is found by
// listing the subscription's registries, as az does.
import type { Registry, RegistryUpdateParameters } from "@azure/arm-containerregistry";
import type { CommandContext, CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { CliError, notFound, toCliError, usageError } from "../errors.js";
import { EXIT_CHECK_FAILED } from "../exit-codes.js";
import { choice, parseBool, parseGroupName, parseLocation, parseNonEmpty, parseRegistryName } from "../flags.js";
import type { Session } from "../session.js";

export const groups: GroupSpec[] = [
  { name: "acr", summary: "Manage container registries." },
  { name: "acr credential", summary: "Manage the admin user credentials of a registry." },
];

const SKUS = ["Basic", "Standard", "Premium"] as const;

const NAME: OptionSpec = { flags: "-n, --name <name>", description: "Name of the registry.", parse: parseRegistryName, required: true };
const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group (found by listing when omitted).", parse: parseGroupName };

export function groupOfId(id: string | undefined): string | undefined {
  return id ? /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] : undefined;
}

/** The registry's resource group: -g when given, else the one holding a registry of that name. */
export async function registryGroup(s: Session, name: string, group: string | undefined): Promise<string> {
  if (group) return group;
  for await (const r of s.acr().registries.list()) {
    if (r.name?.toLowerCase() === name.toLowerCase()) {
      const g = groupOfId(r.id);
      if (g) return g;
    }
  }
  throw notFound(`The resource with name '${name}' and type 'Microsoft.ContainerRegistry/registries' could not be found in subscription '${s.profile.subscriptionId}'.`);
}

async function collect(it: AsyncIterable<Registry>): Promise<Registry[]> {
  const out: Registry[] = [];
  for await (const r of it) out.push(r);
  return out;
}

const table = (r: any) => ({
  NAME: r.name,
  "RESOURCE GROUP": groupOfId(r.id),
  LOCATION: r.location,
  SKU: r.sku?.name,
  "LOGIN SERVER": r.loginServer,
  "CREATION DATE": r.creationDate,
  "ADMIN ENABLED": r.adminUserEnabled,
});

const credentialTable = (c: any) => ({
  USERNAME: c.username,
  PASSWORD: c.passwords?.find((p: any) => p.name === "password")?.value,
  PASSWORD2: c.passwords?.find((p: any) => p.name === "password2")?.value,
});

/**
 * The readiness verdict (toolkit/readiness.ts) as warnings, one line per client that would break;
 * with `require`, a refusal (exit 5) while any would. A check that cannot run is a warning, unless
 * it is required: then its error stands and nothing is changed.
 */
async function checkReadiness(s: Session, ctx: CommandContext, o: { name: string; group: string; sku?: string; since: string; require: boolean }): Promise<void> {
  const { registryReadiness } = await import("../toolkit/readiness.js");
  const since = o.since;
  let report;
  try {
    // Nothing to check when public access is off already, or when the service will refuse the
    // change (only Premium registries can turn it off).
    const current = await s.acr().registries.get(o.group, o.name);
    if (current.publicNetworkAccess === "Disabled" || (o.sku ?? current.sku?.name) !== "Premium") return;
    report = await registryReadiness(s, { name: o.name, group: o.group, since });
  } catch (e) {
    if (o.require) throw e;
    ctx.warn(`Could not check which clients use the public endpoint: ${toCliError(e, s.profile.managementEndpoint).message}`);
    return;
  }
  const breaking = report.clients.filter((c) => c.verdict === "will-break");
  for (const c of breaking) ctx.warn(`${c.clientIp} (${c.network}) will break; it last used the public endpoint at ${c.lastSeen}: ${c.cause ?? "no private path"}: ${c.reason}`);
  const unknown = report.clients.filter((c) => c.verdict === "unknown");
  if (unknown.length) ctx.warn(`${unknown.length} client(s) could not be placed (${unknown.map((c) => c.clientIp).join(", ")}): see cove acr public-access readiness -n ${o.name}.`);
  if (o.require && breaking.length) {
    throw new CliError(`Public network access of '${o.name}' stays Enabled: ${breaking.length} client(s) of the public endpoint have no private path (readiness: will-break ${report.summary.willBreak}, has-private-path ${report.summary.hasPrivatePath}, unknown ${report.summary.unknown}). Nothing was changed.`, EXIT_CHECK_FAILED, "ReadinessCheckFailed");
  }
}

export const commands: CommandSpec[] = [
  {
    name: "acr create",
    summary: "Create a container registry.",
    options: [
      NAME,
      { ...GROUP, required: true, description: "Resource group." },
      { flags: "--sku <sku>", description: "Basic, Standard or Premium.", parse: choice(SKUS), required: true },
      { flags: "-l, --location <location>", description: "Location (default: the resource group's).", parse: parseLocation },
      { flags: "--admin-enabled [bool]", description: "Enable the admin user (true|false).", parse: parseBool },
    ],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      const location = opts.location ?? (await s.resources().resourceGroups.get(opts.resourceGroup)).location;
      const registry: Registry = { location, sku: { name: opts.sku } };
      if (opts.adminEnabled !== undefined) registry.adminUserEnabled = parseBool(opts.adminEnabled);
      return await s.acr().registries.create(opts.resourceGroup, opts.name, registry);
    },
  },
  {
    name: "acr show",
    summary: "Show a container registry.",
    options: [NAME, GROUP],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      return s.acr().registries.get(await registryGroup(s, opts.name, opts.resourceGroup), opts.name);
    },
  },
  {
    name: "acr list",
    summary: "List container registries (in one group with -g).",
    options: [{ ...GROUP, description: "Only this resource group." }],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      return collect(opts.resourceGroup ? s.acr().registries.listByResourceGroup(opts.resourceGroup) : s.acr().registries.list());
    },
  },
  {
    name: "acr update",
    summary: "Update a container registry.",
    options: [
      NAME,
      GROUP,
      { flags: "--sku <sku>", description: "Basic, Standard or Premium.", parse: choice(SKUS) },
      { flags: "--admin-enabled [bool]", description: "Enable the admin user (true|false).", parse: parseBool },
      { flags: "--anonymous-pull-enabled [bool]", description: "Allow pulls without credentials (true|false).", parse: parseBool },
      { flags: "--public-network-enabled [bool]", description: "Allow access through the public endpoint (true|false).", parse: parseBool },
      { flags: "--default-action <action>", description: "Network rule set default action: Allow or Deny.", parse: choice(["Allow", "Deny"]) },
      { flags: "--require-readiness", description: "With --public-network-enabled false: refuse (exit 5, nothing changed) while a client of the public endpoint has no private path." },
      { flags: "--readiness-since <when>", description: "Audit window the readiness check reads (30m, 24h, 7d, 2w or an ISO 8601 time). Default 7d.", parse: parseNonEmpty },
    ],
    table,
    async run(opts, ctx) {
      const disabling = opts.publicNetworkEnabled !== undefined && !parseBool(opts.publicNetworkEnabled);
      if ((opts.requireReadiness || opts.readinessSince !== undefined) && !disabling) throw usageError("--require-readiness and --readiness-since go with --public-network-enabled false.");
      // Checked before anything is sent; the toolkit loads only for this change.
      const since = disabling ? (await import("../toolkit/readiness.js")).parseSince(opts.readinessSince ?? "7d") : "";
      const s = await ctx.session();
      const group = await registryGroup(s, opts.name, opts.resourceGroup);
      // Disabling public access breaks every client still on the public endpoint: say who, first.
      if (disabling) await checkReadiness(s, ctx, { name: opts.name, group, sku: opts.sku, since, require: opts.requireReadiness === true });
      const update: RegistryUpdateParameters = {};
      if (opts.sku) update.sku = { name: opts.sku };
      if (opts.adminEnabled !== undefined) update.adminUserEnabled = parseBool(opts.adminEnabled);
      if (opts.anonymousPullEnabled !== undefined) update.anonymousPullEnabled = parseBool(opts.anonymousPullEnabled);
      if (opts.publicNetworkEnabled !== undefined) update.publicNetworkAccess = parseBool(opts.publicNetworkEnabled) ? "Enabled" : "Disabled";
      if (opts.defaultAction) {
        // The rule set is replaced whole on PATCH: keep the IP rules the registry already has.
        const current = await s.acr().registries.get(group, opts.name);
        update.networkRuleSet = { defaultAction: opts.defaultAction, ipRules: current.networkRuleSet?.ipRules ?? [] };
      }
      if (Object.keys(update).length === 0) return s.acr().registries.get(group, opts.name);
      return await s.acr().registries.update(group, opts.name, update);
    },
  },
  {
    name: "acr delete",
    summary: "Delete a container registry and its images.",
    options: [NAME, GROUP, { flags: "-y, --yes", description: "Do not prompt for confirmation." }],
    async run(opts, ctx) {
      if (!(await ctx.confirm(opts.yes))) return undefined;
      const s = await ctx.session();
      await s.acr().registries.delete(await registryGroup(s, opts.name, opts.resourceGroup), opts.name);
      return undefined;
    },
  },
  {
    name: "acr credential show",
    summary: "Show the admin user's name and passwords (the admin user must be enabled).",
    options: [NAME, GROUP],
    table: credentialTable,
    async run(opts, ctx) {
      const s = await ctx.session();
      return s.acr().registries.listCredentials(await registryGroup(s, opts.name, opts.resourceGroup), opts.name);
    },
  },
  {
    name: "acr credential renew",
    summary: "Regenerate one of the admin user's passwords.",
    options: [NAME, GROUP, { flags: "--password-name <name>", description: "password or password2.", parse: choice(["password", "password2"]), required: true }],
    table: credentialTable,
    async run(opts, ctx) {
      const s = await ctx.session();
      const group = await registryGroup(s, opts.name, opts.resourceGroup);
      return s.acr().registries.regenerateCredential(group, opts.name, { name: opts.passwordName });
    },
  },
];
