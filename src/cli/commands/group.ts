// `cove group create|list|show|delete`: resource groups through @azure/arm-resources.
// As az, a group is named with -n/--name or -g/--resource-group.
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { usageError } from "../errors.js";
import { parseGroupName, parseLocation } from "../flags.js";

export const groups: GroupSpec[] = [{ name: "group", summary: "Manage resource groups." }];

const NAME: OptionSpec[] = [
  { flags: "-n, --name <name>", description: "Name of the resource group.", parse: parseGroupName },
  { flags: "-g, --resource-group <name>", description: "Same as --name.", parse: parseGroupName },
];

function groupName(opts: Record<string, any>): string {
  const n = opts.name ?? opts.resourceGroup;
  if (!n) throw usageError("the following arguments are required: --name/-n/--resource-group/-g");
  if (opts.name && opts.resourceGroup && opts.name !== opts.resourceGroup) throw usageError("--name and --resource-group name different groups.");
  return n;
}

const table = (g: any) => ({ Name: g.name, Location: g.location, Status: g.properties?.provisioningState });

export const commands: CommandSpec[] = [
  {
    name: "group create",
    summary: "Create (or update) a resource group.",
    options: [...NAME, { flags: "-l, --location <location>", description: "Location, e.g. eastus.", parse: parseLocation, required: true }],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      return s.resources().resourceGroups.createOrUpdate(groupName(opts), { location: opts.location });
    },
  },
  {
    name: "group list",
    summary: "List resource groups.",
    options: [],
    table,
    async run(_opts, ctx) {
      const s = await ctx.session();
      const out: unknown[] = [];
      for await (const g of s.resources().resourceGroups.list()) out.push(g);
      return out;
    },
  },
  {
    name: "group show",
    summary: "Show a resource group.",
    options: NAME,
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      return s.resources().resourceGroups.get(groupName(opts));
    },
  },
  {
    name: "group delete",
    summary: "Delete a resource group and everything in it.",
    options: [...NAME, { flags: "-y, --yes", description: "Do not prompt for confirmation." }],
    async run(opts, ctx) {
      const name = groupName(opts);
      if (!(await ctx.confirm(opts.yes))) return undefined;
      const s = await ctx.session();
      await s.resources().resourceGroups.beginDeleteAndWait(name);
      return undefined;
    },
  },
];
