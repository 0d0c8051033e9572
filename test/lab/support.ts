// A real lab for tests: the real `cove serve --lab` (bin/cove.js, as root, as CI runs), a private
// config dir logged in with `cove login --from-data-dir`, and the real `cove lab ...` commands. The
// model uses 198.18.0.0/15 only; every packet stays in namespaces the lab made. `stop()` stops the
// server (which removes the lab) and then checks, from the kernel, that nothing of it is left.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { join, resolve } from "node:path";
import { runCove, type CliRun } from "../cli/real-cli.js";
import { labLeftovers, removeLab } from "../../src/lab/core.js";

const BIN = resolve("bin/cove.js");

export interface TestLab {
  dataDir: string;
  caPath: string;
  env: Record<string, string | undefined>;
  run(...args: string[]): Promise<CliRun>;
  ok(...args: string[]): Promise<string>;
  json<T = any>(...args: string[]): Promise<T>;
  /** `cove lab exec HOST -- ...cmd`; never throws. */
  exec(host: string, cmd: string[], timeoutMs?: number): Promise<CliRun>;
  /** Writes a hosts file and runs `cove lab up --hosts` with it. */
  up(hosts: unknown[]): Promise<any>;
  serverLog(): string;
  /** Milliseconds from starting `cove serve --lab` to its "cove is serving" (the lock's wait excluded). */
  startMs: number;
  /** SIGKILL for the supervisor and for Cove inside the core: nobody gets to clean up. */
  crash(): Promise<void>;
  stop(): Promise<string[]>;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * One lab per machine: test runs started at the same time (several sessions on one machine) take
 * turns through a lock directory holding the owner's pid; a dead owner's lock and lab are taken over.
 */
const LOCK = "/tmp/cove-lab-test.lock";

export async function takeLock(): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, "pid"), String(process.pid));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(await readFile(join(LOCK, "pid"), "utf8").catch(() => "0"));
      let alive = pid === process.pid;
      if (pid && !alive) { try { process.kill(pid, 0); alive = true; } catch { alive = false; } }
      if (!alive && (pid || Date.now() - (await stat(LOCK)).mtimeMs > 10_000)) { await rm(LOCK, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`another lab test (pid ${pid}) held ${LOCK} for 15 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** For a test that starts its own lab (the README's block): its turn is over. */
export async function releaseLock(): Promise<void> {
  await rm(LOCK, { recursive: true, force: true });
}

/** Starts Cove in lab mode; resolves once it serves and the CLI is logged in. */
export async function startLab(opts: { extraArgs?: string[] } = {}): Promise<TestLab> {
  await takeLock();
  // Only the lock's holder has a lab: whatever is left is from a run that died.
  if ((await labLeftovers()).length) await removeLab({ keepCore: false });
  const dir = await mkdtemp(join(tmpdir(), "cove-lab-"));
  const dataDir = join(dir, "data");
  const env = { PATH: process.env.PATH, HOME: dir, COVE_CONFIG_DIR: join(dir, "cfg") };
  let log = "";
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, [BIN, "serve", "--lab", "--data-dir", dataDir, "--private-endpoint-deny-mode", "drop", ...(opts.extraArgs ?? [])], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => { log += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number>((r) => child.once("exit", (c) => r(c ?? -1)));
  const deadline = Date.now() + 30_000;
  while (!log.includes("cove is serving")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGTERM");
      await rm(LOCK, { recursive: true, force: true });
      throw new Error(`cove serve --lab did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const startMs = performance.now() - spawnedAt;
  const run = (...args: string[]) => runCove(args, env, 120_000);
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    if (r.code !== 0) throw new Error(`cove ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
    return r.stdout;
  };
  await ok("login", "--from-data-dir", dataDir, "-o", "none");
  return {
    dataDir,
    caPath: join(dataDir, "ca", "ca.crt"),
    env,
    run,
    ok,
    json: async (...args) => JSON.parse(await ok(...args)),
    exec: (host, cmd, timeoutMs = 60_000) => runCove(["lab", "exec", host, "--", ...cmd], env, timeoutMs),
    async up(hosts) {
      const file = join(dir, `hosts-${Date.now()}.json`);
      await writeFile(file, JSON.stringify(hosts));
      return JSON.parse(await ok("lab", "up", "--hosts", file));
    },
    serverLog: () => log,
    startMs,
    async crash() {
      const inside = (await new Promise<string>((r) => execFile("ip", ["netns", "pids", "cove-lab"], (_e, out) => r(String(out ?? ""))))).trim().split("\n").filter(Boolean);
      child.kill("SIGKILL");
      for (const pid of inside) { try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ } }
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      const left = await labLeftovers();
      if (left.length) await removeLab({ keepCore: false });
      await rm(dir, { recursive: true, force: true });
      await rm(LOCK, { recursive: true, force: true });
      return left;
    },
  };
}

/** A small landing zone, as a user types it: a hub with the endpoint and a linked, peered spoke, and a stranger VNet. */
export async function buildLandingZone(lab: TestLab, opts: { registry?: string } = {}): Promise<{ registryId: string; registry: string }> {
  const registry = opts.registry ?? "labreg";
  const c = (...a: string[]) => lab.ok(...a, "-o", "none");
  await c("group", "create", "-n", "rg", "-l", "eastus");
  await c("acr", "create", "-g", "rg", "-n", registry, "--sku", "Premium");
  const registryId = (await lab.ok("acr", "show", "-n", registry, "--query", "id", "-o", "tsv")).trim();
  await c("network", "vnet", "create", "-g", "rg", "-n", "hub", "--address-prefixes", "198.18.0.0/20", "--subnet-name", "endpoints", "--subnet-prefixes", "198.18.1.0/24");
  await c("network", "vnet", "create", "-g", "rg", "-n", "spoke", "--address-prefixes", "198.18.16.0/20", "--subnet-name", "apps", "--subnet-prefixes", "198.18.17.0/24");
  await c("network", "vnet", "create", "-g", "rg", "-n", "stranger", "--address-prefixes", "198.18.32.0/20", "--subnet-name", "s1", "--subnet-prefixes", "198.18.33.0/24");
  await c("network", "vnet", "peering", "create", "-g", "rg", "-n", "hub-spoke", "--vnet-name", "hub", "--remote-vnet", "spoke", "--allow-vnet-access");
  await c("network", "vnet", "peering", "create", "-g", "rg", "-n", "spoke-hub", "--vnet-name", "spoke", "--remote-vnet", "hub", "--allow-vnet-access");
  await c("network", "private-endpoint", "create", "-g", "rg", "-n", "pe-hub", "--vnet-name", "hub", "--subnet", "endpoints",
    "--private-connection-resource-id", registryId, "--group-id", "registry", "--connection-name", "hub-conn");
  await c("network", "private-dns", "zone", "create", "-g", "rg", "-n", "privatelink.cove.test");
  await c("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-z", "privatelink.cove.test", "-n", "hub-link", "-v", "hub", "-e", "false");
  await c("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-z", "privatelink.cove.test", "-n", "spoke-link", "-v", "spoke", "-e", "false");
  await c("network", "private-endpoint", "dns-zone-group", "create", "-g", "rg", "--endpoint-name", "pe-hub", "-n", "default",
    "--private-dns-zone", "privatelink.cove.test", "--zone-name", "registry");
  return { registryId, registry };
}
