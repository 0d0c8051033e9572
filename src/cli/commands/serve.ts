// `cove serve` and `cove config verify`: the two commands that run server code in-process.
// Server modules are imported lazily so that client commands start without loading them
// (and because main.ts, the composition root, sits above cli/ in the import order).
import type { CommandSpec, GroupSpec } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT_ERROR } from "../exit-codes.js";
import { parseDnsSuffix, parseHostPort, parseIp, parsePort } from "../flags.js";

export const groups: GroupSpec[] = [{ name: "config", summary: "Check Cove configuration files." }];

export const commands: CommandSpec[] = [
  {
    name: "serve",
    summary: "Run Cove: management endpoint, identity provider and registry data plane. Each flag is also COVE_<NAME> and a config file key.",
    printsResult: false,
    options: [
      { flags: "--data-dir <dir>", description: "Data directory (default ./.cove)." },
      { flags: "--management-listen <host:port>", description: "HTTPS address of the management endpoint (default 127.0.0.1:8443).", parse: parseHostPort },
      { flags: "--registry-port <port>", description: "Port of the registry data plane (default 8444).", parse: (v) => String(parsePort(v)) },
      { flags: "--public-address <ip>", description: "IP address of the public registry endpoint (default 127.0.0.1).", parse: parseIp },
      { flags: "--login-server-suffix <suffix>", description: "DNS suffix of login servers (default cove.test).", parse: parseDnsSuffix },
      { flags: "--config <file>", description: "Configuration file (strict: unknown keys are errors)." },
    ],
    async run(opts) {
      const flags: Record<string, string | undefined> = {
        dataDir: opts.dataDir,
        managementListen: opts.managementListen,
        registryPort: opts.registryPort,
        publicAddress: opts.publicAddress,
        loginServerSuffix: opts.loginServerSuffix,
        config: opts.config,
      };
      for (const k of Object.keys(flags)) if (flags[k] === undefined) delete flags[k];
      const { serve } = await import("../../main.js");
      await serve(flags);
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
