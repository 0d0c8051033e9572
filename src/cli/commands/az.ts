// `cove az setup` and `cove az -- ARGS...`: the real Azure CLI (Debian's azure-cli 2.45) against
// Cove, in its own AZURE_CONFIG_DIR (docs/az.md). One command rather than a group with a `setup`
// verb: commander hands a parent's flags to the parent, so `cove az setup --data-dir D` would lose
// D to `cove az`; `setup` is therefore the first word of the arguments (az itself has no `setup`).
//
// `cove az -- ARGS` is the one command whose output this CLI does not write: az writes its own
// output to the inherited stdout and stderr, and its exit code becomes cove's.
import type { CommandSpec, GroupSpec } from "../command.js";
import { usageError } from "../errors.js";
import type { ExitCode } from "../exit-codes.js";
import { parseNonEmpty } from "../flags.js";
import { azEnv, findAz, runInherited } from "../az/az-process.js";
import { loginServerSuffix } from "../az/cloud-metadata.js";
import { readSetup, runSetup, setupScript, type SetupPlan, type SetupRecord } from "../az/setup.js";
import { shimDir } from "../az/shim.js";
import { dataDirOf, readTarget, type AzTarget } from "../az/target.js";

export const groups: GroupSpec[] = [];

type AzResult =
  | { kind: "setup"; record: SetupRecord }
  | { kind: "script"; text: string }
  | { kind: "ran"; code: number };

/** az's global flags that take no value and may come before the command words. */
const LEADING_FLAGS = new Set(["--debug", "--verbose", "--only-show-errors"]);

/** `acr check-health` runs with ACC_CLOUD=1 (docs/az.md): nothing else does, because az login then warns of Cloud Shell. */
export function isCheckHealth(args: string[]): boolean {
  const words = args.filter((a, i) => !(LEADING_FLAGS.has(a) && args.slice(0, i).every((b) => LEADING_FLAGS.has(b))));
  return words[0] === "acr" && words[1] === "check-health";
}

async function plan(target: AzTarget, opts: Record<string, any>, shim: boolean): Promise<SetupPlan> {
  return {
    target,
    loginServerSuffix: await loginServerSuffix(target.managementEndpoint, target.caCertPath),
    clientId: opts.username ?? target.clientId,
    password: opts.password,
    shim,
    shimDir: shimDir(),
  };
}

export const commands: CommandSpec[] = [
  {
    name: "az",
    summary: "Run the real Azure CLI against Cove: 'cove az setup [--print] [--shim]', then 'cove az [--shim] -- ARGS...'.",
    args: [{ name: "[args...]", description: "'setup', or (after --) the arguments of az." }],
    options: [
      { flags: "--data-dir <dir>", description: "Cove's data directory, whose credentials.json names the endpoint and the bootstrap principal (default: $COVE_DATA_DIR, else ./.cove)." },
      { flags: "--shim", description: "Load the compatibility shim for Debian's az 2.45 (docs/az.md). With setup: saved for every later 'cove az'; otherwise: this run." },
      { flags: "--print", description: "setup: print the shell commands (export lines and az commands) instead of running them; the secret is not printed." },
      { flags: "-u, --username <appId>", description: "setup: log az in as this service principal instead of the bootstrap one (with -p).", parse: parseNonEmpty },
      { flags: "-p, --password <secret>", description: "setup: the secret of the -u service principal.", parse: parseNonEmpty },
    ],
    printsResult: false,
    async run(opts, ctx, args): Promise<AzResult> {
      const setup = args[0] === "setup";
      if (setup && args.length > 1) throw usageError(`cove az setup takes no arguments (got '${args[1]}'); az's own go after 'cove az --'.`);
      if (!setup && (opts.print || opts.username || opts.password)) throw usageError("--print, -u and -p belong to 'cove az setup'.");
      if (!setup && args.length === 0) throw usageError("Usage: cove az setup [--print] [--shim] [--data-dir DIR], then cove az [--shim] -- AZ_ARGUMENTS...");
      if ((opts.username === undefined) !== (opts.password === undefined)) throw usageError("-u/--username and -p/--password go together.");

      const target = await readTarget(dataDirOf(opts.dataDir, ctx.env), ctx.env);
      if (setup && opts.print) return { kind: "script", text: setupScript(await plan(target, opts, opts.shim === true)) };
      const az = findAz(ctx.env);
      if (setup) return { kind: "setup", record: await runSetup(await plan(target, opts, opts.shim === true), az, ctx.env) };

      let record = await readSetup(target);
      if (!record) {
        ctx.warn(`cove az: setting az up for ${target.managementEndpoint} first (cove az setup; AZURE_CONFIG_DIR=${target.configDir}).`);
        record = await runSetup(await plan(target, {}, opts.shim === true), az, ctx.env);
      }
      const env = azEnv(target, ctx.env, {
        loginServerSuffix: record.loginServerSuffix,
        shimDir: opts.shim || record.shim ? shimDir() : undefined,
        cloudShell: isCheckHealth(args),
      });
      ctx.debug(`running ${az} with AZURE_CONFIG_DIR=${target.configDir}${env.PYTHONPATH ? ` PYTHONPATH=${env.PYTHONPATH}` : ""}${env.ACC_CLOUD ? " ACC_CLOUD=1" : ""}`);
      return { kind: "ran", code: await runInherited(az, args, env) };
    },
    render(value: AzResult) {
      if (value.kind === "script") return value.text;
      if (value.kind === "setup") return JSON.stringify(value.record, null, 2) + "\n";
      return "";
    },
    // az's own exit code (0, 1, 2, 3, or 128 + a signal), passed through unchanged.
    exitCode: (value: AzResult) => (value.kind === "ran" ? value.code : 0) as ExitCode,
  },
];
