// `cove acr preflight`: can this client reach the registry privately, and if not, why (docs/toolkit.md).
// Steps stream as they finish: a spinner on a terminal (ora), plain lines otherwise, nothing with
// --json (one object at the end, for pipelines). Exit 0 when the path works, 5 (CHECK_FAILED) with one
// root cause, 3 when the registry or the subnet does not exist.
import { writeFile } from "node:fs/promises";
import type { CommandSpec, GroupSpec } from "../command.js";
import { EXIT_CHECK_FAILED, EXIT_NOT_FOUND, EXIT_OK, type ExitCode } from "../exit-codes.js";
import { parseHostPort, parseIp, parseNonEmpty, parseRegistryName } from "../flags.js";
import { CliError, usageError } from "../errors.js";
import { optionArgv, rerunOnLabHost } from "../lab-exec.js";
import { runPreflight, type PreflightOptions, type PreflightResult } from "../toolkit/preflight.js";
import { junit, renderText, stepLine } from "../toolkit/preflight-render.js";
import type { StepResult } from "../toolkit/live/observe.js";

export const groups: GroupSpec[] = [];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** --host re-runs the command on a lab host, where the host's own address and resolver are the client's. */
const NOT_WITH_HOST: Record<string, string> = { sourceAddress: "--source-address", from: "--from", modelled: "--modelled" };

const preflight: CommandSpec = {
  name: "acr preflight",
  summary: "Check a client's path to a registry step by step (DNS, route, TLS, token, pull, push) and name one root cause with its fix.",
  printsResult: false,
  options: [
    { flags: "-n, --name <name>", description: "The name of the container registry.", parse: parseRegistryName, required: true },
    { flags: "--source-address <ip>", description: "Run from this source address (its network's DNS view and route).", parse: parseIp },
    { flags: "--from <subnet>", description: "Run from a subnet: its id, VNET/SUBNET, or an address inside a VNet.", parse: parseNonEmpty },
    { flags: "--host <name>", description: "Run the live steps on this lab host (cove lab up; root): its address, routes and resolver.", parse: parseNonEmpty },
    { flags: "--login-server <name>", description: "The registry name the client uses, when it is not the login server (e.g. a privatelink name).", parse: parseNonEmpty },
    { flags: "--push", description: "Also push the test artifact and delete it again (needs AcrPush)." },
    { flags: "--as <appId>", description: "Log in to the registry as this service principal instead of the logged-in one.", parse: parseNonEmpty },
    { flags: "--secret-env <var>", description: "Name of the environment variable holding --as's secret.", parse: (v: string) => { if (!ENV_NAME.test(v)) throw new CliError(`--secret-env takes a variable name, not '${v}'.`, 2); return v; } },
    { flags: "--dns-server <host:port>", description: "DNS server to ask (default: the profile's, i.e. Cove's DNS, else the system's).", parse: parseHostPort },
    { flags: "--repository <repo>", description: "Repository of the test artifact (default cove-preflight).", parse: parseNonEmpty },
    { flags: "--timeout <seconds>", description: "How long each step may take (default 3): a dropped private connection shows as this timeout.", parse: (v: string) => { if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0 || Number(v) > 120) throw new CliError(`--timeout takes seconds, more than 0 and at most 120, not '${v}'.`, 2); return Number(v); } },
    { flags: "--modelled", description: "Only the modelled check, from the ARM resources: no packet is sent." },
    { flags: "--json", description: "Print one JSON object (ok, steps, and on failure cause, evidence and fix)." },
    { flags: "--junit <file>", description: "Also write the steps as a JUnit XML report.", parse: parseNonEmpty },
  ],
  async run(opts, ctx) {
    if (opts.host !== undefined) {
      const clash = Object.keys(NOT_WITH_HOST).find((k) => opts[k] !== undefined);
      if (clash) throw usageError(`--host runs the live steps on the lab host itself, from its own address; it does not take ${NOT_WITH_HOST[clash]}.`);
      return { onHost: await rerunOnLabHost(ctx, preflight.name, opts.host, optionArgv(preflight.options, opts, ["host"])) };
    }
    const s = await ctx.session();
    // A terminal that reports no width (a bare pty) gets plain lines: ora counts lines to clear by the width.
    const out = ctx.io.stdout as { isTTY?: boolean; columns?: number };
    const tty = out.isTTY === true && (out.columns ?? 0) > 0 && !opts.json;
    const stream = !opts.json;
    // ora (and the 20 modules it brings) is loaded only for a terminal.
    const spinner = tty ? (await import("ora")).default({ stream: ctx.io.stdout as NodeJS.WritableStream, text: `Preflight of ${opts.name}`, discardStdin: false }).start() : undefined;
    let announced = false;
    const onStep = (step: StepResult) => {
      if (!stream) return;
      if (spinner) {
        spinner.stopAndPersist({ symbol: step.result === "ok" ? "✔" : step.result === "failed" ? "✖" : "-", text: stepLine(step).trim() });
        spinner.start("...");
      } else {
        if (!announced) ctx.io.stdout.write(`Preflight of ${opts.name}\n`);
        announced = true;
        ctx.io.stdout.write(stepLine(step) + "\n");
      }
    };
    try {
      const r = await runPreflight(s, { ...(opts as PreflightOptions), modelled: opts.modelled === true, push: opts.push === true, timeoutMs: opts.timeout ? opts.timeout * 1000 : undefined }, ctx.env, onStep);
      spinner?.stop();
      if (opts.junit) await writeFile(opts.junit, junit(r));
      if (!r.agree) ctx.debug(`modelled ${JSON.stringify(r.modelled)} differs from live ${r.cause ?? "ok"}`);
      return { result: r, streamed: stream && r.mode === "live" && r.steps.length > 0 && (announced || spinner !== undefined) };
    } catch (e) {
      spinner?.stop();
      throw e;
    }
  },
  render(value: { result: PreflightResult; streamed: boolean } | { onHost: number }, opts) {
    // The re-run on the host printed its own report.
    if ("onHost" in value) return "";
    const r = value.result;
    if (opts.json) return JSON.stringify(r, null, 2) + "\n";
    return renderText(r, value.streamed);
  },
  exitCode(value: { result: PreflightResult } | { onHost: number }) {
    if ("onHost" in value) return value.onHost as ExitCode;
    const r = value.result;
    if (r.ok) return EXIT_OK;
    return r.cause === "REGISTRY_NOT_FOUND" ? EXIT_NOT_FOUND : EXIT_CHECK_FAILED;
  },
};

export const commands: CommandSpec[] = [preflight];
