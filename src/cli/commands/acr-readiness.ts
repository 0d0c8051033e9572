// `cove acr public-access readiness -n R [-g G] [--since 7d]` (issue 9 section 4): before public
// access is disabled, every client address that used the registry's public endpoint in the window,
// its network, and whether it will break (toolkit/readiness.ts). `-o json` (the default) prints the
// report: the clients and the summary {willBreak, hasPrivatePath, unknown}; `-o table` one row per
// client and a closing summary row. `acr update --public-network-enabled false` prints the same
// verdicts as warnings and, with --require-readiness, refuses while a client would break.
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { parseGroupName, parseNonEmpty, parseRegistryName } from "../flags.js";
import type { ReadinessReport } from "../toolkit/readiness.js";

export const groups: GroupSpec[] = [{ name: "acr public-access", summary: "Check who still uses a registry's public endpoint before it is disabled." }];

/** The default window, as the example. */
export const DEFAULT_SINCE = "7d";

export const SINCE: OptionSpec = {
  flags: "--since <when>",
  description: `Window of the audit log to read: a duration back from now (30m, 24h, 7d, 2w) or an ISO 8601 time. Default ${DEFAULT_SINCE}.`,
  parse: parseNonEmpty,
};

/** Rows a table shows: one per client, then the summary (a table has no other place for it). */
export function readinessTable(report: ReadinessReport): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = report.clients.map((c) => ({
    Client: c.clientIp,
    Network: c.network,
    Verdict: c.verdict,
    Cause: c.cause ?? "",
    Tokens: c.tokens,
    Denials: c.denials,
    "Last seen": c.lastSeen,
    Reason: c.reason,
  }));
  const s = report.summary;
  rows.push({ Client: "summary", Network: "", Verdict: `will-break ${s.willBreak}, has-private-path ${s.hasPrivatePath}, unknown ${s.unknown}` });
  return rows;
}

export const commands: CommandSpec[] = [
  {
    name: "acr public-access readiness",
    summary: "List the clients that used the registry's public endpoint (from the audit log) and whether each would break if public access were disabled.",
    options: [
      { flags: "-n, --name <name>", description: "Name of the registry.", parse: parseRegistryName, required: true },
      { flags: "-g, --resource-group <group>", description: "Resource group of the registry (any when omitted).", parse: parseGroupName },
      SINCE,
    ],
    // The table view turns the one report into rows (formatTable takes an array as its rows).
    table: readinessTable as never,
    async run(opts, ctx) {
      const { parseSince, registryReadiness } = await import("../toolkit/readiness.js");
      const since = parseSince(opts.since ?? DEFAULT_SINCE);
      return registryReadiness(await ctx.session(), { name: opts.name, group: opts.resourceGroup, since });
    },
  },
];
