// `cove acr check-health`: `az acr check-health` from the client's network path, then Cove's own
// checks with the one root cause and its fix (toolkit/live/health.ts). Like az it prints no result,
// only its check lines on stderr (az's logger): nothing goes to stdout, and --output/--query are
// not offered. Exit codes as az: 0, or 1 at the first error unless --ignore-errors.
import type { CommandSpec, GroupSpec } from "../command.js";
import { parseGroupName, parseIp, parseNonEmpty, parseRegistryName } from "../flags.js";
import { InvalidArgumentError } from "commander";
import { checkHealth } from "../toolkit/live/health.js";

export const groups: GroupSpec[] = [];

/** HOST[:PORT] (port 53 when omitted), as --dns-server takes it. */
function parseDnsServer(v: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) throw new InvalidArgumentError("Expected HOST[:PORT], e.g. 127.0.0.1:5353.");
  return v;
}

export const commands: CommandSpec[] = [
  {
    name: "acr check-health",
    summary: "Get health information on the environment and optionally a target registry, from a client's network path (az's checks, then Cove's).",
    printsResult: false,
    options: [
      { flags: "-n, --name <name>", description: "The name of the container registry.", parse: parseRegistryName },
      { flags: "-g, --resource-group <group>", description: "Resource group (found by listing when omitted).", parse: parseGroupName },
      { flags: "--vnet <vnet>", description: "Virtual network name or id: verify the DNS routing to the registry's private endpoints in it.", parse: parseNonEmpty },
      { flags: "--source-address <ip>", description: "Check from this source address (its network's DNS view and route); default: this machine's own.", parse: parseIp },
      { flags: "--dns-server <host:port>", description: "DNS server to ask (default: the profile's, i.e. Cove's DNS, else the system's).", parse: parseDnsServer },
      { flags: "-y, --yes", description: "Do not prompt for confirmation (accepted as az; Cove pulls no Docker image)." },
      { flags: "--ignore-errors", description: "Print errors and go on with the next check; exit 0." },
    ],
    async run(opts, ctx) {
      await checkHealth(ctx, {
        name: opts.name, resourceGroup: opts.resourceGroup, vnet: opts.vnet, sourceAddress: opts.sourceAddress,
        dnsServer: opts.dnsServer, ignoreErrors: opts.ignoreErrors === true,
      });
      return undefined;
    },
  },
];
