// `cove acr ...` and `cove acr credential ...`: registries through @azure/arm-containerregistry
// v12 (flattened camelCase models, as az prints them). When -g is omitted the group is found by
// listing the subscription's registries, as az does.
import type { Registry, RegistryUpdateParameters } from "@azure/arm-containerregistry";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { notFound } from "../errors.js";
import { choice, parseBool, parseGroupName, parseLocation, parseRegistryName } from "../flags.js";
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
    ],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      const group = await registryGroup(s, opts.name, opts.resourceGroup);
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
