// Running a command on a lab host (docs/lab.md): `cove lab exec HOST -- CMD` and the toolkit's
// `--host HOST` (acr preflight) both go through here. The command runs in the host's network
// namespace through iproute2's `ip netns exec`, which also bind-mounts the host's
// /etc/netns/cove-HOST/resolv.conf, so a client there asks Cove's DNS from the host's own address.
// stdio is passed through and the command's exit code is the result.
import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CommandContext, OptionSpec } from "./command.js";
import { CliError, usageError } from "./errors.js";
import { EXIT_ERROR, EXIT_NOT_FOUND } from "./exit-codes.js";
import { isRoot } from "../lab/kernel.js";
import { HOST_ENV, HOST_NAME, NETNS_RUN_DIR, hostNamespace } from "../lab/names.js";

/** Cove's lab endpoint on the management listener (src/lab/routes.ts). */
export const LAB_PATH = "/cove/lab";

/** This installation's `cove` (dist/src/cli/ -> bin/cove.js): a re-run on a host is the same binary. */
export const COVE_BIN = fileURLToPath(new URL("../../../bin/cove.js", import.meta.url));

/** The lab's hosts are network namespaces: entering one needs root. `what` names the command line refused. */
export function needLabRoot(what: string): void {
  if (!isRoot()) throw new CliError(`'${what}' needs root: the lab's hosts are network namespaces. Run it with sudo.`, EXIT_ERROR, "LabNeedsRoot");
}

/** A usage error for a malformed name; UnknownLabHost (exit 3) when no such namespace exists now. */
export async function checkLabHost(host: string | undefined): Promise<string> {
  if (!host || !HOST_NAME.test(host)) throw usageError(`'${host ?? ""}' is not a lab host name.`);
  try {
    await access(join(NETNS_RUN_DIR, hostNamespace(host)));
  } catch {
    throw unknownLabHost(host);
  }
  return host;
}

export function unknownLabHost(host: string, known?: readonly string[]): CliError {
  const list = known?.length ? ` The lab's hosts: ${[...known].sort().join(", ")}.` : " 'cove lab status' lists the hosts, 'cove lab up' makes them.";
  return new CliError(`There is no lab host '${host}'.${list}`, EXIT_NOT_FOUND, "UnknownLabHost");
}

export interface LabExecIo {
  env: Record<string, string | undefined>;
  stderr: { write(s: string): unknown };
}

/** Runs `command` on `host` with stdio passed through; resolves with its exit code (128+n for a signal). */
export function execOnLabHost(host: string, command: readonly string[], io: LabExecIo): Promise<number> {
  const child = spawn("ip", ["netns", "exec", hostNamespace(host), ...command], { stdio: "inherit", env: { ...process.env, ...io.env, [HOST_ENV]: host } });
  return new Promise<number>((resolve) => {
    child.once("error", (e) => { io.stderr.write(`ERROR: ${e.message}\n`); resolve(EXIT_ERROR); });
    child.once("exit", (c, sig) => resolve(c ?? (sig === "SIGKILL" ? 137 : 143)));
  });
}

/** `cove ARGS` on `host`: this Node.js running this installation's bin/cove.js. */
export function coveOnLabHost(host: string, args: readonly string[], io: LabExecIo): Promise<number> {
  return execOnLabHost(host, [process.execPath, COVE_BIN, ...args], io);
}

/**
 * The command line that gives a command these parsed options again, minus `omit` (long names), as
 * `--flag=value` so a value that starts with '-' stays a value. The global --debug and
 * --only-show-errors go along.
 */
export function optionArgv(options: readonly OptionSpec[], opts: Record<string, unknown>, omit: readonly string[] = []): string[] {
  const out: string[] = [];
  const flags = [...options.map((o) => o.flags), "--only-show-errors", "--debug"];
  for (const f of flags) {
    const long = /--([a-z0-9-]+)/.exec(f)?.[1];
    if (!long || omit.includes(long)) continue;
    const value = opts[long.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase())];
    if (value === undefined || value === false) continue;
    if (value === true) out.push(`--${long}`);
    else for (const v of Array.isArray(value) ? value : [value]) out.push(`--${long}=${String(v)}`);
  }
  return out;
}

/**
 * `--host HOST` of a toolkit command: `cove COMMAND ARGS` (the same command line minus --host) run
 * on that lab host. Cove must serve a lab that has the host (LabNotRunning in loopback mode,
 * UnknownLabHost naming the hosts otherwise), and entering it needs root. Resolves with the
 * re-run's exit code.
 */
export async function rerunOnLabHost(ctx: CommandContext, command: string, host: string, args: readonly string[]): Promise<number> {
  if (!HOST_NAME.test(host)) throw usageError(`--host takes a lab host's name, not '${host}'.`);
  const s = await ctx.session();
  const lab = await s.request<{ mode: string; hosts?: Array<{ name: string }> }>("GET", LAB_PATH);
  if (lab.mode !== "lab") {
    throw new CliError(`--host runs the check on a lab host, but Cove serves in ${lab.mode} mode, which has none: start it with 'sudo cove serve --lab' and make the hosts with 'sudo cove lab up --hosts FILE' (docs/lab.md). In ${lab.mode} mode use --source-address or --from.`, EXIT_ERROR, "LabNotRunning");
  }
  const names = (lab.hosts ?? []).map((h) => h.name);
  if (!names.includes(host)) throw unknownLabHost(host, names);
  needLabRoot(`cove ${command} --host`);
  await checkLabHost(host);
  const argv = [...command.split(" "), ...args];
  ctx.debug(`on lab host ${host}: cove ${argv.join(" ")}`);
  return coveOnLabHost(host, argv, { env: ctx.env, stderr: ctx.io.stderr });
}
