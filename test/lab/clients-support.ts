// What the client tests share (clients-*.test.ts): a lab with one host in each kind of place, an
// identity holding AcrPush as `cove ad sp create-for-rbac` makes it, an OCI image to push, and
// ways to run a real client on a host and read what Cove recorded about it.
//
// The places, on buildLandingZone's hub (the endpoint) and its linked, peered spoke:
//   agent     spoke/apps      linked and peered: the private IP, and a route to it
//   outsider  stranger/s1     neither linked nor peered: the public answer
//   islander  island/s1       linked (the private IP) but not peered: no route, i/o timeout
//   internet  (lab up's own)  outside every VNet
// Everything a client writes (certificates, credentials, storage) lives in one temp directory,
// named in lower case because podman names an image pulled from an OCI layout after its path.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { https } from "../support/http.js";
import { buildLandingZone, startLab, type TestLab } from "./support.js";

const run = promisify(execFile);
const BIN = resolve("bin/cove.js");

export type Place = "agent" | "outsider" | "islander" | "internet";

export interface ClientLab {
  lab: TestLab;
  registry: string;
  /** The login server, as every client names the registry: `<registry>.cove.test`, port 443. */
  login: string;
  /** `appId:password` of a service principal holding AcrPush on the registry. */
  creds: string;
  appId: string;
  password: string;
  work: string;
  /** A directory holding Cove's CA as ca.crt: what --cert-dir and certs.d expect. */
  certDir: string;
  caPath: string;
  /** An OCI layout (tag v1) made by scripts/make-oci-image.mjs, and its manifest digest. */
  image: { layout: string; digest: string };
  address: Record<Place, string>;
  /** The hub endpoint's IP for the registry's login server. */
  endpointIp: string;
  stop(): Promise<string[]>;
}

export async function startClientLab(): Promise<ClientLab> {
  const lab = await startLab();
  const work = join(tmpdir(), `cove-clients-${randomBytes(6).toString("hex")}`);
  try {
    const { registry, registryId } = await buildLandingZone(lab);
    await lab.ok("network", "vnet", "create", "-g", "rg", "-n", "island", "--address-prefixes", "198.18.48.0/20", "--subnet-name", "s1", "--subnet-prefixes", "198.18.49.0/24", "-o", "none");
    await lab.ok("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-z", "privatelink.cove.test", "-n", "island-link", "-v", "island", "-e", "false", "-o", "none");
    const up = await lab.up([{ name: "agent", subnet: "spoke/apps" }, { name: "outsider", subnet: "stranger/s1" }, { name: "islander", subnet: "island/s1" }]);
    const address = Object.fromEntries(up.hosts.map((h: { name: string; address: string }) => [h.name, h.address])) as Record<Place, string>;
    const login = `${registry}.cove.test`;
    const endpointIp = up.listeners.find((l: { fqdn: string; ipAddress: string }) => l.fqdn === login).ipAddress;
    const sp = await lab.json("ad", "sp", "create-for-rbac", "-n", "clients-pusher", "--role", "AcrPush", "--scopes", registryId);
    const certDir = join(work, "certs");
    await mkdir(certDir, { recursive: true });
    await writeFile(join(certDir, "ca.crt"), await readFile(lab.caPath));
    const layout = join(work, "image");
    const made = await run(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "256", "64"]);
    return {
      lab, registry, login, appId: sp.appId, password: sp.password, creds: `${sp.appId}:${sp.password}`,
      work, certDir, caPath: join(certDir, "ca.crt"), image: { layout, digest: made.stdout.trim() }, address, endpointIp,
      async stop() {
        const left = await lab.stop();
        await rm(work, { recursive: true, force: true });
        return left;
      },
    };
  } catch (e) {
    await lab.stop();
    await rm(work, { recursive: true, force: true });
    throw e;
  }
}

export interface HostRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface OnHostOptions {
  /** Written to the command's standard input (a secret for --password-stdin). */
  input?: string;
  /** Stop the command (SIGKILL) once its output matches: for a client that retries for minutes. */
  until?: RegExp;
  timeoutMs?: number;
}

/** A command started on a host through `cove lab exec`. */
export interface OnHost {
  stdout(): string;
  stderr(): string;
  /** Called on every chunk of output. */
  onOutput(fn: () => void): void;
  exited: Promise<number>;
  /** Signals the command itself (by its pid), and waits for it to end. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `cove lab exec HOST -- CMD...`. The command writes its pid first (sh, then exec), so it
 * is stopped by that pid: stopping `cove` would leave the command running in the namespace.
 */
export function startOnHost(cl: ClientLab, host: Place, cmd: string[], input?: string): OnHost {
  const pidFile = join(cl.work, `pid-${randomBytes(4).toString("hex")}`);
  const child = spawn(process.execPath, [BIN, "lab", "exec", host, "--", "sh", "-c", 'echo $$ > "$0"; exec "$@"', pidFile, ...cmd],
    { env: cl.lab.env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const listeners: Array<() => void> = [];
  child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); for (const f of listeners) f(); });
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); for (const f of listeners) f(); });
  child.stdin.end(input ?? "");
  const exited = new Promise<number>((r) => child.once("exit", (c, sig) => r(c ?? (sig ? 137 : -1))));
  void exited.then(() => rm(pidFile, { force: true }));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    onOutput: (fn) => { listeners.push(fn); },
    exited,
    async kill(signal = "SIGTERM") {
      const pid = Number(await readFile(pidFile, "utf8").catch(() => "0"));
      if (pid > 0) { try { process.kill(pid, signal); } catch { /* gone already */ } }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    },
  };
}

/** Runs a command on a host to its end (or until its output matches), with how long it took. */
export async function onHost(cl: ClientLab, host: Place, cmd: string[], o: OnHostOptions = {}): Promise<HostRun> {
  const t0 = Date.now();
  const h = startOnHost(cl, host, cmd, o.input);
  const until = o.until;
  if (until) h.onOutput(() => { if (until.test(h.stdout() + h.stderr())) void h.kill("SIGKILL"); });
  const timer = setTimeout(() => void h.kill("SIGKILL"), o.timeoutMs ?? 120_000);
  const code = await h.exited;
  clearTimeout(timer);
  return { code, stdout: h.stdout(), stderr: h.stderr(), ms: Date.now() - t0 };
}

/**
 * Runs a client while watching the host's sockets: whether one of them sat in SYN-SENT towards
 * `ip:443`, the state of a connection whose SYN nobody answers (Azure's dropped traffic), as
 * opposed to a connection that was accepted and then held.
 */
export async function withSynWatch(host: Place, ip: string, client: () => Promise<HostRun>): Promise<HostRun & { synSent: boolean }> {
  let synSent = false;
  let done = false;
  const watch = (async () => {
    while (!done && !synSent) {
      const r = await run("ip", ["netns", "exec", `cove-${host}`, "ss", "-Htn", "state", "syn-sent", "dst", `${ip}:443`]).catch(() => ({ stdout: "" }));
      if (r.stdout.trim()) synSent = true;
      else await new Promise((w) => setTimeout(w, 100));
    }
  })();
  const r = await client();
  done = true;
  await watch;
  return { ...r, synSent };
}

/** The host's routes, as `ip route` prints them in its namespace. */
export async function routesOf(host: Place): Promise<string> {
  return (await run("ip", ["-n", `cove-${host}`, "route"])).stdout;
}

/** Cove's audit records of these kinds, read as an auditor does (GET /cove/audit with a management token). */
export async function auditEvents(cl: ClientLab, kinds: string[]): Promise<any[]> {
  const c = JSON.parse(await readFile(join(cl.lab.dataDir, "credentials.json"), "utf8"));
  const ca = await readFile(cl.lab.caPath, "utf8");
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: c.clientId, client_secret: c.clientSecret, scope: `${c.managementEndpoint}/.default` });
  const t = await https(`${c.authorityHost}/${c.tenantId}/oauth2/v2.0/token`, { method: "POST", ca, headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
  if (t.status !== 200) throw new Error(`token: ${t.status} ${t.body}`);
  const auth = { authorization: `Bearer ${t.json().access_token}` };
  const events: any[] = [];
  let url: string | undefined = `${c.managementEndpoint}/cove/audit?limit=1000&kind=${kinds.join(",")}`;
  for (let pages = 0; url && pages < 100; pages++) {
    const r = await https(url, { ca, headers: auth });
    if (r.status !== 200) throw new Error(`audit: ${r.status} ${r.body}`);
    const body = r.json();
    events.push(...body.value.map((v: { event: unknown }) => v.event));
    url = body.value.length ? body.nextLink : undefined;
  }
  return events;
}

/** How each client reached the token endpoint, from the audit's token aggregates: `ip -> path[@endpointIp]`. */
export async function tokenPaths(cl: ClientLab): Promise<Map<string, Set<string>>> {
  const paths = new Map<string, Set<string>>();
  for (const e of await auditEvents(cl, ["registry.token-aggregate"])) {
    for (const c of e.clients) {
      const set = paths.get(c.clientIp) ?? new Set<string>();
      set.add(c.path === "private" ? `private@${c.endpointIp}` : c.path);
      paths.set(c.clientIp, set);
    }
  }
  return paths;
}

/** `publicNetworkAccess` off, as a user turns it off. */
export async function disablePublicAccess(cl: ClientLab): Promise<void> {
  await cl.lab.ok("acr", "update", "-n", cl.registry, "--public-network-enabled", "false", "-o", "none");
}

/** The hub endpoint's connection rejected by the registry owner. */
export async function rejectConnection(cl: ClientLab): Promise<void> {
  const conns = await cl.lab.json("acr", "private-endpoint-connection", "list", "-r", cl.registry, "-g", "rg");
  await cl.lab.ok("acr", "private-endpoint-connection", "reject", "-r", cl.registry, "-g", "rg", "-n", conns[0].name, "-o", "none");
}

/** A RegExp matching `s` literally; Go's loggers escape quotes inside msg="...", so `"` may come as `\"`. */
export function literal(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&").replace(/"/g, '\\\\?"'));
}
