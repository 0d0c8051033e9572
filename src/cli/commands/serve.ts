// `cove serve` and `cove config verify`: the two commands that run server code in-process.
// Server modules are imported lazily so that client commands start without loading them
// (and because main.ts, the composition root, sits above cli/ in the import order).
import type { CommandSpec, GroupSpec } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT_ERROR, EXIT_USAGE } from "../exit-codes.js";
import { ConfigError, FIELDS } from "../../config/index.js";

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

export const groups: GroupSpec[] = [{ name: "config", summary: "Check Cove configuration files." }];

export const commands: CommandSpec[] = [
  {
    name: "serve",
    summary: "Run Cove: management endpoint, identity provider and registry data plane. Each flag is also COVE_<NAME> and a config file key.",
    printsResult: false,
    // One flag per key of the config schema (config/schema.ts), so flags, COVE_* variables and
    // config file keys can never disagree; loadConfig validates them all in one place.
    options: [
      ...FIELDS.map((f) => ({ flags: `--${kebab(f.key)} <value>`, description: f.doc })),
      { flags: "--config <file>", description: "Configuration file (strict: unknown keys are errors)." },
      { flags: "--lab", description: "Lab mode (root): Cove runs in a network namespace of its own, lab hosts in theirs (docs/lab.md). Same as --network-mode lab." },
    ],
    async run(opts, ctx) {
      const flags: Record<string, string | undefined> = {};
      for (const key of [...FIELDS.map((f) => f.key as string), "config"]) {
        if (opts[key] !== undefined) flags[key] = String(opts[key]);
      }
      if (opts.lab) flags.networkMode = "lab";
      try {
        // Lab mode starts in the machine's namespace: make the core, then run this same command inside it.
        const { loadConfig } = await import("../../config/index.js");
        const cfg = await loadConfig({ flags, env: ctx.env });
        const { insideLab, superviseLab } = await import("../../lab/supervisor.js");
        if (cfg.networkMode === "lab" && !insideLab(ctx.env)) {
          const code = await superviseLab(cfg.labAddress, process.argv.slice(2), process.env, ctx.io);
          if (code !== 0) throw new CliError(`Cove in the lab exited with code ${code}.`, EXIT_ERROR);
          return undefined;
        }
        const { serve } = await import("../../main.js");
        await serve(flags);
      } catch (e) {
        if (e instanceof ConfigError) throw new CliError(e.message, EXIT_USAGE);
        if (e instanceof Error && e.name === "LabError") throw new CliError(e.message, EXIT_ERROR, (e as Error & { code?: string }).code);
        throw e;
      }
      return undefined;
    },
  },
  {
    name: "config verify",
    summary: "Check a configuration file without starting Cove.",
    args: [{ name: "<file>", description: "The configuration file." }],
    options: [],
    async run(_opts, ctx, args) {
      const file = args[0];
      const { verifyConfigFile } = await import("../../config/index.js");
      const result = await verifyConfigFile(file);
      if (!result.ok) {
        // Each error already names the file and the key.
        for (const e of result.errors.slice(0, -1)) ctx.io.stderr.write(`ERROR: ${e}\n`);
        throw new CliError(result.errors[result.errors.length - 1] ?? `${file}: invalid configuration`, EXIT_ERROR);
      }
      return { file, valid: true };
    },
  },
];
