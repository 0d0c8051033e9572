// `cove acr network-report -n R [-g G] [--svg FILE]`: the reachability matrix of one registry (issue
// 9 section 3). The facts are read through the official SDK clients (toolkit/collect.ts), so the
// command runs unchanged against any ARM that serves these resources, and computed by the one pure
// model the server enforces with (network-policy/reachability/). Rows: every subnet of every VNet the
// caller can read, then the internet. `-o json` prints the rows; `-o table` the columns an operator
// scans; `--svg` also writes the picture the networking page shows.
import { writeFile } from "node:fs/promises";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { CliError, notFound } from "../errors.js";
import { EXIT_ERROR } from "../exit-codes.js";
import { parseGroupName, parseNonEmpty, parseRegistryName } from "../flags.js";
import { collectInventory } from "../toolkit/collect.js";
import { buildModel } from "../../network-policy/reachability/model.js";
import { networkReport, type ReportRow } from "../../network-policy/reachability/report.js";
import { reportSvg } from "../../network-policy/reachability/svg.js";
import { groupOfId } from "./acr.js";

export const groups: GroupSpec[] = [];

const NAME: OptionSpec = { flags: "-n, --name <name>", description: "Name of the registry.", parse: parseRegistryName, required: true };
const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group of the registry (any when omitted).", parse: parseGroupName };
const SVG: OptionSpec = { flags: "--svg <file>", description: "Also write the picture (VNets, peerings, endpoints, zone links, coloured by reachability) to FILE.", parse: parseNonEmpty };

/** The table's columns, in the order an operator reads a row: where, what DNS says, which way, the verdict, who. */
export const reportTable = (r: ReportRow) => ({
  VNet: r.vnet,
  Subnet: r.subnet,
  Address: r.address,
  DNS: r.dns,
  "Data DNS": r.dataDns,
  Path: r.path,
  Decision: r.decision,
  Reason: r.reason,
  Pull: r.pull.join(", "),
  Push: r.push.join(", "),
});

export const commands: CommandSpec[] = [
  {
    name: "acr network-report",
    summary: "Show which networks reach a registry: one row per subnet and the internet (DNS answers, path, decision and reason, who can pull or push).",
    options: [NAME, GROUP, SVG],
    table: reportTable,
    async run(opts, ctx) {
      const s = await ctx.session();
      const model = buildModel(await collectInventory(s, { zoneGroups: false }));
      const wanted = String(opts.name).toLowerCase();
      const reg = model.registries.find((r) => r.name.toLowerCase() === wanted && (opts.resourceGroup === undefined || groupOfId(r.id)?.toLowerCase() === String(opts.resourceGroup).toLowerCase()));
      if (!reg) {
        const where = opts.resourceGroup ? `resource group '${opts.resourceGroup}'` : `subscription '${s.profile.subscriptionId}'`;
        throw notFound(`The resource with name '${opts.name}' and type 'Microsoft.ContainerRegistry/registries' could not be found in ${where}.`);
      }
      const report = networkReport(model, reg);
      if (opts.svg !== undefined) {
        try {
          await writeFile(opts.svg, reportSvg(model, report));
        } catch (e) {
          throw new CliError(`Cannot write the picture to '${opts.svg}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT_ERROR);
        }
      }
      return report.rows;
    },
  },
];
