// Starts a real Cove for end-to-end tests: real TLS listeners on loopback, a fresh data dir,
// free ports (ports.ts). In-process by default (fast); `spawnCove` runs `cove serve` as a
// child process for the tests that must kill it.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { start, type Credentials } from "../../src/main.js";

import { freePort } from "./ports.js";

export { freePort };

export interface TestCove {
  dataDir: string;
  credentials: Credentials;
  ca: string;
  managementUrl: string;
  registryPort: number;
  suffix: string;
  stop(): Promise<void>;
}

export async function startCove(extra: Record<string, string> = {}): Promise<TestCove> {
  // A port found free can still be taken before Cove binds it, by a program that is not a test
  // (ports.ts keeps tests and outgoing connections off it): try again with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCoveOnce(extra);
    } catch (err) {
      // The DNS bind failure is reported in a sentence (main.ts) that names the code.
      const inUse = (err as NodeJS.ErrnoException).code === "EADDRINUSE" || /\bEADDRINUSE\b/.test(String((err as Error).message));
      if (!inUse || attempt >= 3) throw err;
    }
  }
}

async function startCoveOnce(extra: Record<string, string>): Promise<TestCove> {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-test-"));
  const mport = await freePort();
  const rport = await freePort();
  const dport = await freePort();
  const flags = {
    dataDir,
    managementListen: `127.0.0.1:${mport}`,
    registryPort: String(rport),
    // A free DNS port too: several Coves (and other tests) may run on this machine at once.
    dnsListen: `127.0.0.1:${dport}`,
    logLevel: process.env.COVE_TEST_LOG ?? "silent",
    shutdownGraceSeconds: "2",
    ...extra,
  };
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start(flags, {});
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const ca = await readFile(running.credentials.caCertPath, "utf8");
  return {
    dataDir,
    credentials: running.credentials,
    ca,
    managementUrl: running.credentials.managementEndpoint,
    registryPort: rport,
    suffix: running.config.loginServerSuffix,
    async stop() {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SpawnedCove {
  child: ChildProcess;
  credentials: Credentials;
  waitExit(): Promise<number | null>;
  /** Everything the server wrote to stdout and stderr so far (only with `capture`). */
  output(): string;
}

export interface SpawnOptions {
  /** A command that runs cove: its argv comes after these words (e.g. `nsenter -t <pid> -m --`). */
  prefix?: string[];
  /** Where this process finds a path of the server's (its credentials, CA) when the server sees another mount namespace: `/proc/<pid>/root<path>`. */
  view?: (path: string) => string;
}

/** Runs `node bin/cove.js serve` and waits until credentials.json exists and /healthz answers. */
export async function spawnCove(dataDir: string, mport: number, rport: number, env: NodeJS.ProcessEnv = {}, capture = false, o: SpawnOptions = {}): Promise<SpawnedCove> {
  const argv = [process.execPath, "bin/cove.js", "serve", "--data-dir", dataDir, "--management-listen", `127.0.0.1:${mport}`, "--registry-port", String(rport)];
  const [command, ...args] = [...(o.prefix ?? []), ...argv];
  const view = o.view ?? ((p: string) => p);
  const child = spawn(command!, args, {
    env: { ...process.env, COVE_LOG_LEVEL: "warn", COVE_DNS_LISTEN: `127.0.0.1:${await freePort()}`, ...env },
    stdio: ["ignore", capture ? "pipe" : "inherit", capture ? "pipe" : "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (c) => (out += c));
  child.stderr?.on("data", (c) => (out += c));
  const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
  // 20 s: nodes on one shared store start one after another through its lock, on a loaded 2-core machine.
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`cove serve exited with ${child.exitCode}${out ? `: ${out.slice(-2000)}` : ""}`);
    try {
      const credentials = JSON.parse(await readFile(view(join(dataDir, "credentials.json")), "utf8")) as Credentials;
      const ca = await readFile(view(credentials.caCertPath));
      const ok = await new Promise<boolean>((resolve) => {
        import("node:https").then(({ get }) => {
          const req = get({ host: "127.0.0.1", port: mport, path: "/healthz", ca }, (res) => { res.resume(); resolve(res.statusCode === 200); });
          req.on("error", () => resolve(false));
        });
      });
      if (ok) return { child, credentials, waitExit: () => exited, output: () => out };
    } catch { /* not ready yet */ }
    await sleep(50);
  }
  child.kill("SIGKILL");
  throw new Error(`cove serve did not become ready within 20 s${out ? `: ${out.slice(-2000)}` : ""}`);
}

/**
 * `cove <args>` to its end, as a user runs it (the real bin/cove.js): its exit code and everything it
 * printed. For commands that stop by themselves (a failed start, `config verify`); SIGKILLed after
 * `timeoutMs` so a test never waits on one that does not.
 */
export function runCove(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ["bin/cove.js", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => { clearTimeout(timer); ok({ code, out }); });
  });
}
