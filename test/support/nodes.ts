// N real `cove serve` processes sharing one metadata store and one blob store, as the scale-out
// mode runs them: each node on a loopback address of its own (its management endpoint,
// public registry address and DNS listener), each with its own data dir, all on one registry port,
// so a registry's login server (which carries the port of the node that created it) names every
// node alike and a client picks its node by what the name resolves to, as behind a load balancer.
// Children are spawned, not started in-process, so a test can `kill -9` one; a test file that exits
// without stopping them still takes them down (SIGKILL on exit).
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Credentials } from "../../src/main.js";
import { basic, https, type HttpResult } from "./http.js";

export interface CoveNode {
  name: string;
  /** The node's own loopback address: management endpoint, public registry address and DNS. */
  ip: string;
  dataDir: string;
  managementUrl: string;
  dnsPort: number;
  credentials: Credentials;
  /** This node's CA certificate (PEM). */
  ca: string;
  child: ChildProcess;
  /** Everything the process printed so far (across restarts). */
  output(): string;
  /** Signals the process and waits (at most 15 s, then SIGKILL) for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same address, ports and data dir. */
  restart(): Promise<void>;
}

export interface Cluster {
  nodes: CoveNode[];
  registryPort: number;
  /** Every node's CA, concatenated: a client that trusts them all (one CA once nodes share it). */
  ca: string;
  stop(): Promise<void>;
  /** Starts more of the planned nodes, all at once. */
  launch(...names: string[]): Promise<void>;
}

export interface NodesOptions {
  workDir: string;
  /** Environment every node gets (COVE_METADATA_URL, COVE_BLOB_CONNECTION_STRING, ...). */
  env: NodeJS.ProcessEnv;
  names?: string[];
  /** Start them all at once instead of one after another. */
  together?: boolean;
}

const READY_MS = 30_000;

/** A port free on every one of `hosts` (bound and released on each). */
export async function portFreeOn(hosts: string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await bindOnce(hosts[0]!, 0);
    let free = true;
    for (const h of hosts.slice(1)) free = free && (await bindOnce(h, port).then(() => true, () => false));
    if (free) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(", ")} after 20 tries`);
}

function bindOnce(host: string, port: number): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(port, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

function healthy(ip: string, port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: ip, port, path: "/healthz", ca, timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => child.once("exit", () => ok()));
}

async function spawnNode(name: string, ip: string, dataDir: string, ports: { m: number; dns: number; registry: number }, env: NodeJS.ProcessEnv): Promise<CoveNode> {
  let out = "";
  let child!: ChildProcess;
  const orphan = () => child.kill("SIGKILL");
  process.on("exit", orphan);
  const launch = async () => {
    child = spawn(process.execPath, ["bin/cove.js", "serve", "--data-dir", dataDir], {
      env: {
        ...process.env, COVE_LOG_LEVEL: "warn", COVE_SHUTDOWN_GRACE_SECONDS: "1", ...env,
        COVE_MANAGEMENT_LISTEN: `${ip}:${ports.m}`, COVE_PUBLIC_ADDRESS: ip, COVE_REGISTRY_PORT: String(ports.registry), COVE_DNS_LISTEN: `${ip}:${ports.dns}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (c) => (out += c));
    child.stderr!.on("data", (c) => (out += c));
    const deadline = Date.now() + READY_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`node ${name}: cove serve exited with ${child.exitCode}: ${out.slice(-2000)}`);
      try {
        const credentials = JSON.parse(await readFile(join(dataDir, "credentials.json"), "utf8")) as Credentials;
        const ca = await readFile(credentials.caCertPath, "utf8");
        if (credentials.managementEndpoint === `https://${ip}:${ports.m}` && await healthy(ip, ports.m, ca)) return { credentials, ca };
      } catch { /* not ready yet */ }
      await sleep(50);
    }
    child.kill("SIGKILL");
    throw new Error(`node ${name}: cove serve was not ready within ${READY_MS / 1000} s: ${out.slice(-2000)}`);
  };
  const first = await launch();
  const node: CoveNode = {
    name, ip, dataDir, managementUrl: `https://${ip}:${ports.m}`, dnsPort: ports.dns, ...first,
    get child() { return child; },
    output: () => out,
    async stop(signal = "SIGTERM") {
      process.off("exit", orphan);
      const c = child;
      c.kill(signal);
      const timer = setTimeout(() => c.kill("SIGKILL"), 15_000);
      await exited(c);
      clearTimeout(timer);
    },
    async restart() {
      process.on("exit", orphan);
      Object.assign(node, await launch());
    },
  };
  return node;
}

/**
 * Starts the nodes (named a, b, c at 127.0.0.31, .32, .33 by default); with `first`, only those,
 * and `cluster.launch` starts the others later on their planned addresses and ports.
 */
export async function startNodes(o: NodesOptions & { first?: string[] }): Promise<Cluster> {
  const names = o.names ?? ["a", "b", "c"];
  const ips = names.map((_, i) => `127.0.0.${31 + i}`);
  const registryPort = await portFreeOn(ips);
  const ports = await Promise.all(ips.map(async (ip) => ({ m: await portFreeOn([ip]), dns: await portFreeOn([ip]), registry: registryPort })));
  const nodes: CoveNode[] = [];
  const one = (name: string) => {
    const i = names.indexOf(name);
    return spawnNode(name, ips[i]!, join(o.workDir, name), ports[i]!, o.env);
  };
  const cluster: Cluster = {
    nodes, registryPort,
    get ca() { return [...new Set(nodes.map((n) => n.ca))].join("\n"); },
    async stop() { await Promise.all(nodes.map((n) => n.stop())); },
    async launch(...more: string[]) {
      // Launched together; kept in name order.
      const started = await Promise.allSettled(more.map(one));
      for (const s of started) if (s.status === "fulfilled") nodes.push(s.value);
      nodes.sort((x, y) => names.indexOf(x.name) - names.indexOf(y.name));
      const failed = started.find((s) => s.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
  try {
    const first = o.first ?? names;
    if (o.together) await cluster.launch(...first);
    else for (const name of first) await cluster.launch(name);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

// ---------------------------------------------------------------------------------------------
// Clients of a cluster: ARM calls, registry calls and tokens, each given a deadline.

/** ARM's public-cloud audience: a management token for it counts on every node (auth/audiences.ts). */
export const ARM_SCOPE = "https://management.azure.com/.default";

export const sha256 = (b: Buffer): string => "sha256:" + createHash("sha256").update(b).digest("hex");

/** `p`, or a rejection naming `what` once `ms` passed without an answer: no wait is unbounded. */
export async function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => { timer = setTimeout(() => fail(new Error(`${what}: no answer in ${ms} ms`)), ms); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A management API token minted by `node` for the bootstrap principal (client credentials). */
export async function managementTokenFrom(node: CoveNode, ca: string): Promise<string> {
  const c = node.credentials;
  const body = new URLSearchParams({ grant_type: "client_credentials", client_id: c.clientId, client_secret: c.clientSecret, scope: ARM_SCOPE }).toString();
  const r = await deadline(https(`${node.managementUrl}/${c.tenantId}/oauth2/v2.0/token`, {
    method: "POST", ca, body, headers: { "content-type": "application/x-www-form-urlencoded" },
  }), 15_000, `token from node ${node.name}`);
  if (r.status !== 200) throw new Error(`token from node ${node.name}: ${r.status} ${r.body}`);
  return r.json().access_token as string;
}

/** One ARM call through `node`; status and body are the caller's to check. */
export function armCall(node: CoveNode, ca: string, token: string, method: string, path: string, body?: object, ms = 30_000): Promise<HttpResult> {
  return deadline(https(`${node.managementUrl}${path}`, { method, ca, headers: { authorization: `Bearer ${token}` }, body }), ms, `${method} ${path} on node ${node.name}`);
}

/** An ARM call that must succeed (200 or 201); its JSON body. */
export async function armOk(node: CoveNode, ca: string, token: string, method: string, path: string, body?: object): Promise<any> {
  const r = await armCall(node, ca, token, method, path, body);
  if (r.status !== 200 && r.status !== 201) throw new Error(`${method} ${path} on node ${node.name}: ${r.status} ${r.body}`);
  return r.json();
}

/** A registry (Premium) in a new resource group, made through `node`; its id and login server. */
export async function makeRegistry(node: CoveNode, ca: string, token: string, group: string, name: string): Promise<{ id: string; loginServer: string; host: string }> {
  const rg = `/subscriptions/${node.credentials.subscriptionId}/resourceGroups/${group}`;
  await armOk(node, ca, token, "PUT", `${rg}?api-version=2025-03-01`, { location: "westeurope" });
  const reg = await armOk(node, ca, token, "PUT", `${rg}/providers/Microsoft.ContainerRegistry/registries/${name}?api-version=2025-11-01`, { location: "westeurope", sku: { name: "Premium" } });
  const loginServer = reg.properties.loginServer as string;
  return { id: reg.id as string, loginServer, host: loginServer.replace(/:\d+$/, "") };
}

/** A registry request to `node`'s public address, naming the registry by its login server. */
export function registryCall(node: CoveNode, cluster: Cluster, loginServer: string, method: string, path: string,
  o: { auth?: string; body?: Buffer; headers?: Record<string, string>; ms?: number } = {}): Promise<HttpResult> {
  const headers = { ...(o.auth ? { authorization: o.auth } : {}), ...(o.headers ?? {}) };
  return deadline(https(`https://${node.ip}:${cluster.registryPort}${path}`, { method, ca: cluster.ca, host: loginServer, headers, body: o.body }),
    o.ms ?? 30_000, `${method} ${path} on node ${node.name}`);
}

/** A registry access token (the Docker token flow, Basic credentials) minted by `node`, as "Bearer ...". */
export async function registryTokenFrom(node: CoveNode, cluster: Cluster, loginServer: string, scope: string): Promise<string> {
  const c = node.credentials;
  const q = new URLSearchParams({ service: loginServer, scope }).toString();
  const r = await registryCall(node, cluster, loginServer, "GET", `/oauth2/token?${q}`, { auth: basic(c.clientId, c.clientSecret) });
  if (r.status !== 200) throw new Error(`registry token from node ${node.name}: ${r.status} ${r.body}`);
  return `Bearer ${r.json().access_token as string}`;
}
