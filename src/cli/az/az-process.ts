// Starting the real Azure CLI for `cove az`: finding it, the environment of a set-up (az-cli.md 2),
// and the two ways it runs: captured (setup's own steps) or with the terminal handed over
// (`cove az -- ARGS`, whose output is az's own and goes straight to the user's stdout and stderr).
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, join } from "node:path";
import { CliError } from "../errors.js";
import { EXIT_ERROR } from "../exit-codes.js";
import type { AzTarget } from "./target.js";

/** The package that brings the az these commands are tested with (docs/az.md). */
export const AZ_PACKAGE = "azure-cli";

/** `az` on PATH, as a shell finds it (Debian's package installs /usr/bin/az). */
export function findAz(env: Record<string, string | undefined>): string {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, "az");
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch { /* not here */ }
  }
  throw new CliError(`The Azure CLI (az) was not found on PATH. Install Debian's package: apt-get install ${AZ_PACKAGE} (az 2.45, what cove az is tested with; docs/az.md).`, EXIT_ERROR);
}

/**
 * Where az's HTTP clients are sent for every host but Cove's: a closed local port, so such a
 * request fails at once and nothing is looked up in DNS (a client hands the name to its proxy).
 * az 2.45 has no switch for two lookups of its own: on the first run in a fresh AZURE_CONFIG_DIR it
 * checks connectivity with `HEAD https://azure.microsoft.com` (handle_version_update), and
 * `az --version` asks GitHub. In the root namespace those would ask the machine's resolver.
 */
export const NOWHERE_PROXY = "http://127.0.0.1:9";
const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

/** NO_PROXY for a set-up: the management endpoint's host and the login servers' suffix (requests matches suffixes). */
export function directHosts(target: AzTarget, loginServerSuffix: string): string {
  return [new URL(target.managementEndpoint).hostname.replace(/^\[|\]$/g, ""), loginServerSuffix].join(",");
}

export interface AzEnvOptions {
  /** The login-server suffix: its hosts, with the management endpoint's, are the only ones az reaches. */
  loginServerSuffix: string;
  /** The compatibility shim's directory, put first on PYTHONPATH (shim.ts). */
  shimDir?: string;
  /** ACC_CLOUD=1: only for `acr check-health` (docs/az.md): az then skips its docker/helm/notary checks. */
  cloudShell?: boolean;
}

/**
 * The caller's environment plus the set-up's: its own AZURE_CONFIG_DIR (the user's ~/.azure is
 * never touched), Cove's CA for every HTTPS client inside az (MSAL, the SDKs, the ACR calls),
 * telemetry off from the very first az process (the variable overrides the config file, so not
 * even `az config set` itself reports home), and every host but Cove's sent to NOWHERE_PROXY.
 */
export function azEnv(target: AzTarget, env: Record<string, string | undefined>, o: AzEnvOptions): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    ...env,
    AZURE_CONFIG_DIR: target.configDir,
    AZURE_CORE_COLLECT_TELEMETRY: "false",
  };
  for (const v of PROXY_VARIABLES) out[v] = NOWHERE_PROXY;
  delete out.ALL_PROXY;
  delete out.all_proxy;
  out.NO_PROXY = out.no_proxy = directHosts(target, o.loginServerSuffix);
  if (target.caCertPath) out.REQUESTS_CA_BUNDLE = target.caCertPath;
  if (o.shimDir) out.PYTHONPATH = env.PYTHONPATH ? `${o.shimDir}${delimiter}${env.PYTHONPATH}` : o.shimDir;
  if (o.cloudShell) out.ACC_CLOUD = "1";
  return out;
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs az with output captured (setup's steps); a start failure is an exit code, not a throw. */
export function runCaptured(az: string, args: string[], env: Record<string, string | undefined>): Promise<Captured> {
  return new Promise((done) => {
    const child = spawn(az, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => { stdout += c; });
    child.stderr.setEncoding("utf8").on("data", (c: string) => { stderr += c; });
    child.on("error", (e) => done({ code: 127, stdout, stderr: `${stderr}${e.message}\n` }));
    child.on("close", (code, signal) => done({ code: code ?? 128 + signalNumber(signal), stdout, stderr }));
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (osConstants.signals[signal] ?? 0) : 0;
}

/**
 * Runs az on the caller's stdin, stdout and stderr and resolves with its exit code (128 + the
 * signal's number when a signal ended it, as a shell reports). Ctrl-C, Ctrl-\ and a hang-up reach
 * the terminal's whole foreground group, az included, so this process only waits through them;
 * SIGTERM, which a supervisor sends to this process alone, is passed on.
 */
export function runInherited(az: string, args: string[], env: Record<string, string | undefined>): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(az, args, { env, stdio: "inherit" });
    const wait = () => { /* the child got it too */ };
    const term = () => { child.kill("SIGTERM"); };
    const waited: NodeJS.Signals[] = ["SIGINT", "SIGQUIT", "SIGHUP"];
    for (const s of waited) process.on(s, wait);
    process.on("SIGTERM", term);
    const off = () => {
      for (const s of waited) process.off(s, wait);
      process.off("SIGTERM", term);
    };
    child.on("error", (e) => { off(); fail(new CliError(`Could not start ${az}: ${e.message}`, EXIT_ERROR)); });
    child.on("close", (code, signal) => { off(); done(code ?? 128 + signalNumber(signal)); });
  });
}
