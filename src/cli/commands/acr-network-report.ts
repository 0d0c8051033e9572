// `cove acr network-report -n R [-g G] [--svg FILE]`: the reachability matrix of one registry (issue
// 9 section 3). The facts are read through the official SDK clients (toolkit/collect.ts), so the
// command runs unchanged against any ARM that serves these resources, and computed by the one pure
// model the server enforces with (network-policy/reachability/). Rows: every subnet of every VNet the
// caller can read, then the internet. `-o json` prints the rows; `-o table` the columns an operator
// scans; `--svg` also writes the picture the networking page shows. An endpoint IP that Cove says it
// cannot listen on (its `listenerStatus`, loopback mode) is a warning line with the fix, and the rows
// whose path leads there say ENDPOINT_NOT_LISTENING.
import { writeFile } from "node:fs/promises";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { CliError, notFound } from "../errors.js";
import { EXIT_ERROR } from "../exit-codes.js";
import { parseGroupName, parseNonEmpty, parseRegistryName } from "../flags.js";
import { collectInventory } from "../toolkit/collect.js";
import { PolicyChecker, type CheckedFix } from "../toolkit/policy-blocks.js";
import { buildModel } from "../../network-policy/reachability/model.js";
import { networkReport, type ReportRow } from "../../network-policy/reachability/report.js";
import { reportSvg } from "../../network-policy/reachability/svg.js";
import { groupOfId } from "./acr.js";

export const groups: GroupSpec[] = [];

const NAME: OptionSpec = { flags: "-n, --name <name>", description: "Name of the registry.", parse: parseRegistryName, required: true };
const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group of the registry (any when omitted).", parse: parseGroupName };
const SVG: OptionSpec = { flags: "--svg <file>", description: "Also write the picture (VNets, peerings, endpoints, zone links, coloured by reachability) to FILE.", parse: parseNonEmpty };

/** A row as printed: its fix commands with what Azure Policy would say of each, and `policy` when a Deny assignment would refuse one. */
export type PrintedRow = Omit<ReportRow, "fix"> & { fix: CheckedFix[]; policy?: string[] };

/** The table's columns, in the order an operator reads a row: where, what DNS says, which way, the verdict, who (and a Policy column only when a fix is blocked). */
export const reportTable = (r: PrintedRow) => ({
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
  ...(r.policy ? { Policy: r.policy.join("; ") } : {}),
});

export const commands: CommandSpec[] = [
  {
    name: "acr network-report",
    summary: "Show which networks reach a registry: one row per subnet and the internet (DNS answers, path, decision and reason, who can pull or push).",
    options: [NAME, GROUP, SVG],
    table: reportTable,
    async run(opts, ctx) {
      const s = await ctx.session();
      const inv = await collectInventory(s, { zoneGroups: false });
      const model = buildModel(inv);
      const wanted = String(opts.name).toLowerCase();
      const reg = model.registries.find((r) => r.name.toLowerCase() === wanted && (opts.resourceGroup === undefined || groupOfId(r.id)?.toLowerCase() === String(opts.resourceGroup).toLowerCase()));
      if (!reg) {
        const where = opts.resourceGroup ? `resource group '${opts.resourceGroup}'` : `subscription '${s.profile.subscriptionId}'`;
        throw notFound(`The resource with name '${opts.name}' and type 'Microsoft.ContainerRegistry/registries' could not be found in ${where}.`);
      }
      const report = networkReport(model, reg);
      // The endpoint IPs Cove says it cannot listen on (listenerStatus, read with the endpoint list; Azure has none).
      for (const l of report.listeners ?? []) if (l.finding) ctx.warn(l.finding);
      // A zone whose record for the registry points at an endpoint a linked VNet cannot reach (the regional trap).
      for (const z of report.zoneFindings ?? []) ctx.warn(z.finding);
      if (opts.svg !== undefined) {
        try {
          await writeFile(opts.svg, reportSvg(model, report));
        } catch (e) {
          throw new CliError(`Cannot write the picture to '${opts.svg}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT_ERROR);
        }
      }
      // One question to Azure Policy per distinct proposed change, for all rows together.
      const checks = await new PolicyChecker(s, inv).checkAll(report.rows.map((r) => r.fix));
      const failure = checks.find((c) => c.policyCheck)?.policyCheck;
      if (failure) ctx.warn(failure);
      return report.rows.map((r, i): PrintedRow => {
        const fix = checks[i]!.fix;
        const blocked = [...new Set(fix.flatMap((f) => (f.blocked ? [f.blocked] : [])))];
        return { ...r, fix, ...(blocked.length ? { policy: blocked } : {}) };
      });
    },
  },
];
