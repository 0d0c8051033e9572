// Entry of the `cove` command (bin/cove.js calls main()). runCli builds the parser from the
// command table, runs the one selected command and is the one place that writes results
// (--query, --output) and errors (`ERROR: ...` on stderr, exit codes from exit-codes.ts).
// Tests drive it in-process with their own stdout/stderr/env.
import { createInterface } from "node:readline/promises";
import { Command, CommanderError, Option } from "commander";
import type { CliIo, CommandContext, CommandSpec } from "./command.js";
import { COMMANDS, GROUPS } from "./command-table.js";
import { CliError, notLoggedIn, toCliError, usageError } from "./errors.js";
import { EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
import { MAX_ARG_LENGTH, choice } from "./flags.js";
import { OUTPUT_FORMATS, checkQuery, formatOutput, type OutputFormat } from "./output.js";
import { loadProfile } from "./profile.js";
import { versionText } from "./version.js";
// session.ts loads the Azure SDKs (~25 MB); it is imported only when a command needs a session,
// so `cove serve` does not carry them.
import type { Session } from "./session.js";

export type { CliIo } from "./command.js";
export { EXIT_CODES, EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_AUTH } from "./exit-codes.js";

/** More arguments than any command takes (--scopes and --ids lists included). */
const MAX_ARGS = 512;

interface Selected {
  spec: CommandSpec;
  opts: Record<string, any>;
  args: string[];
}

function buildProgram(io: CliIo, onSelect: (s: Selected) => void): Command {
  const program = new Command("cove")
    .description("Cove: a self-hosted container registry with an ARM-compatible management API. Commands mirror az.")
    .exitOverride()
    // `az --version` prints the CLI's version and exits 0; commander's version error is mapped to 0 below.
    .version(versionText(), "--version", "Print the version of cove and exit.")
    .configureOutput({
      writeOut: (s) => { io.stdout.write(s); },
      writeErr: (s) => { io.stderr.write(s); },
      outputError: () => { /* runCli prints `ERROR: ...` itself */ },
    })
    .showSuggestionAfterError(true);

  const summaries = new Map(GROUPS.map((g) => [g.name, g.summary]));
  for (const spec of COMMANDS) {
    const words = spec.name.split(" ");
    let parent = program;
    for (let i = 0; i < words.length - 1; i++) {
      const path = words.slice(0, i + 1).join(" ");
      parent = parent.commands.find((c) => c.name() === words[i]) ?? parent.command(words[i]).description(summaries.get(path) ?? "");
    }
    const leaf = parent.command(words[words.length - 1]).description(spec.summary).allowExcessArguments(false);
    for (const a of spec.args ?? []) leaf.argument(a.name, a.description);
    for (const o of spec.options) {
      const opt = new Option(o.flags, o.description);
      if (o.parse) opt.argParser(o.parse as (v: string, p: unknown) => unknown);
      if (o.required) opt.makeOptionMandatory();
      if (o.defaultValue !== undefined) opt.default(o.defaultValue);
      leaf.addOption(opt);
    }
    if (spec.printsResult !== false) {
      leaf.addOption(new Option("-o, --output <format>", `Output format: ${OUTPUT_FORMATS.join(", ")}.`).argParser(choice(OUTPUT_FORMATS)).default("json"));
      leaf.addOption(new Option("--query <jmespath>", "JMESPath query applied to the result before output, as az.").argParser((q: string) => { checkQuery(q); return q; }));
    }
    leaf.addOption(new Option("--only-show-errors", "Only print errors, no warnings."));
    leaf.addOption(new Option("--debug", "Log requests (method, URL, status; never tokens, secrets or bodies) to stderr."));
    leaf.action((...a: unknown[]) => {
      const cmd = a[a.length - 1] as Command;
      onSelect({ spec, opts: cmd.opts(), args: cmd.args });
    });
  }
  return program;
}

function commanderExit(e: CommanderError, io: CliIo): number {
  if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT_OK;
  if (e.code !== "commander.help") io.stderr.write(`ERROR: ${e.message.replace(/^error: /, "")}\n`);
  return EXIT_USAGE;
}

export async function runCli(argv: string[], ioIn: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = {
    stdout: ioIn.stdout ?? process.stdout,
    stderr: ioIn.stderr ?? process.stderr,
    env: ioIn.env ?? process.env,
    stdin: ioIn.stdin ?? (ioIn.env ? undefined : process.stdin),
  };
  let selected: Selected | undefined;
  try {
    if (argv.length > MAX_ARGS) throw usageError(`too many arguments (${argv.length}; at most ${MAX_ARGS}).`);
    const long = argv.find((a) => a.length > MAX_ARG_LENGTH);
    if (long !== undefined) throw usageError(`argument '${long.slice(0, 40)}...' is too long (${long.length} characters; at most ${MAX_ARG_LENGTH}).`);
    await buildProgram(io, (s) => { selected = s; }).parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // An argParser's CliError (e.g. --query) arrives wrapped by commander in some versions.
      return commanderExit(e, io);
    }
    const err = toCliError(e);
    io.stderr.write(`ERROR: ${err.message}\n`);
    return err.exitCode;
  }
  if (!selected) return EXIT_USAGE;
  const { spec, opts, args } = selected;

  const debugOn = opts.debug === true;
  const quiet = opts.onlyShowErrors === true;
  const debug = (m: string) => { if (debugOn) io.stderr.write(`DEBUG: cove: ${m}\n`); };
  let session: Session | undefined;
  const ctx: CommandContext = {
    io,
    env: io.env,
    debug,
    warn: (m) => { if (!quiet) io.stderr.write(`WARNING: ${m}\n`); },
    async session() {
      if (session) return session;
      const profile = await loadProfile(io.env);
      if (!profile) throw notLoggedIn();
      debug(`management endpoint ${profile.managementEndpoint}, tenant ${profile.tenantId}, subscription ${profile.subscriptionId}, client ${profile.clientId}`);
      const { createSession } = await import("./session.js");
      session = createSession(profile, debugOn ? debug : undefined);
      return session;
    },
    async confirm(yes) {
      if (yes) return true;
      if (!io.stdin?.isTTY) throw usageError("Unable to prompt for confirmation as no tty available. Use --yes.");
      const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream });
      try {
        const answer = await rl.question("Are you sure you want to perform this operation? (y/n): ");
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
  };

  try {
    debug(`command: ${spec.name}`);
    const value = await spec.run(opts, ctx, args);
    if (spec.printsResult !== false && value !== undefined) {
      const text = formatOutput(value, (opts.output ?? "json") as OutputFormat, { query: opts.query, table: spec.table });
      if (text) io.stdout.write(text);
    } else if (spec.render && value !== undefined) {
      io.stdout.write(spec.render(value, opts));
    }
    return spec.exitCode && value !== undefined ? spec.exitCode(value) : EXIT_OK;
  } catch (e) {
    let cause = e;
    if (session && /endpoints_resolution_error/.test(String((e as Error)?.message))) {
      // MSAL hides why it could not reach the identity provider; ask directly.
      try { await session.probe(); } catch (probeError) { cause = probeError; }
    }
    const err: CliError = toCliError(cause, session?.profile.managementEndpoint);
    io.stderr.write(`ERROR: ${err.message}\n`);
    return err.exitCode;
  }
}

/** bin/cove.js: run with the process's argv and exit with the code (except while `cove serve` runs). */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const code = await runCli(argv);
  if (argv[0] === "serve" && code === EXIT_OK) return; // the listeners keep the process alive
  // process.exit() drops what a pipe has not taken yet (beyond 64 KiB: a large report piped to jq
  // arrived cut); wait until both streams have handed everything to the kernel.
  await new Promise<void>((done) => process.stdout.write("", () => process.stderr.write("", () => done())));
  process.exit(code);
}
