// A geo-replicated registry in two regions, built through the official SDK clients against a real
// Cove, as the platform team would: `georeg` (Premium, home westeurope) with a replica in
// northeurope; a hub VNet in each region (127.<n>.0.0/16, not peered), each with its own private
// endpoint in its own region and its own privatelink zone (one zone per region, so neither zone
// group overwrites the other's login-server record). Clients stand in each hub's `app` subnet and
// reach Cove the way a real one does: the name resolved by Cove's DNS from the client's own address
// (dig -b), then curl bound to that address (--interface), connecting to what DNS answered (--resolve).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { landing, type Landing } from "../toolkit/landing.js";
import { basic, https } from "../support/http.js";
import { managementToken } from "../support/arm.js";
import type { TestCove } from "../support/cove.js";

const exec = promisify(execFile);
export const NAME = "georeg";
export const HOME = "westeurope";
export const REPLICA = "northeurope";
export const REPO = "team/app";

export interface Region { land: Landing; location: string; vnet: string; endpoint: string; client: string }
export interface Geo { cove: TestCove; registryId: string; home: Region; replica: Region; caFile: string }

/** The registry, its replica (made before the endpoints, so each endpoint is born with every member), both hubs. */
export async function geoLanding(cove: TestCove, caDir: string, n: [number, number]): Promise<Geo> {
  const caFile = join(caDir, "ca.crt");
  await writeFile(caFile, cove.ca);
  await writeFile(join(caDir, "curl-user"), `user = "${cove.credentials.clientId}:${cove.credentials.clientSecret}"\n`, { mode: 0o600 });
  const we = await landing(cove, "geo-weu");
  const ne = await landing(cove, "geo-neu");
  const registryId = await we.registry(NAME, "Premium");
  await we.acr.replications.beginCreateAndWait("geo-weu", NAME, REPLICA, { location: REPLICA });
  const home: Region = { land: we, location: HOME, vnet: "hub-weu", endpoint: "pe-weu", client: we.client(n[0]) };
  const replica: Region = { land: ne, location: REPLICA, vnet: "hub-neu", endpoint: "pe-neu", client: ne.client(n[1]) };
  for (const [r, i] of [[home, 0], [replica, 1]] as const) {
    await r.land.vnet(r.vnet, n[i], r.location);
    await r.land.endpoint(r.endpoint, r.vnet, registryId, false, r.location);
    await r.land.zone();
    await r.land.link(r.vnet);
    await r.land.zoneGroup(r.endpoint);
  }
  return { cove, registryId, home, replica, caFile };
}

export const loginHost = (g: Geo) => `${NAME}.${g.cove.suffix}`;
export const dataHost = (g: Geo, region: string) => `${NAME}.${region}.data.${g.cove.suffix}`;

/** What Cove's DNS answers `name` to a client at `from` (its zone's record), or "" for none. */
export async function resolve(g: Geo, from: string, name: string): Promise<string> {
  const [host, port] = g.cove.credentials.dnsAddress.split(":");
  const { stdout } = await exec("dig", ["-b", from, `@${host}`, "-p", port!, "+short", "+tries=1", "+time=2", name, "A"]);
  return stdout.trim().split("\n").filter((l) => /^[\d.]+$/.test(l))[0] ?? "";
}

/** An image of one random layer of `size` bytes, pushed through the home hub's endpoint; its digests. */
export async function pushImage(g: Geo, tag: string, size = 256 * 1024): Promise<{ manifest: string; layer: string; bytes: Buffer }> {
  const layer = randomBytes(size);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", tag }));
  const sha = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex");
  for (const b of [config, layer]) {
    const r = await login(g, g.home, "POST", `/v2/${REPO}/blobs/uploads/?digest=${sha(b)}`, b, { "content-type": "application/octet-stream" });
    assert.equal(r.status, 201, `blob push: ${r.status} ${r.body}`);
  }
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha(layer), size: layer.length }],
  }));
  const r = await login(g, g.home, "PUT", `/v2/${REPO}/manifests/${tag}`, manifest, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
  assert.equal(r.status, 201, `manifest push: ${r.status} ${r.body}`);
  return { manifest: sha(manifest), layer: sha(layer), bytes: layer };
}

/** A login-server request from a client in `r` (Node's https bound to the client's address, to the IP its zone answers). */
export async function login(g: Geo, r: Region, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) {
  const ip = await resolve(g, r.client, loginHost(g));
  assert.ok(ip, `no record for ${loginHost(g)} in ${r.location}'s zone`);
  const { clientId, clientSecret } = g.cove.credentials;
  return https(`https://${ip}:${g.cove.registryPort}${path}`, {
    method, body, ca: g.cove.ca, host: `${loginHost(g)}:${g.cove.registryPort}`, localAddress: r.client,
    headers: { authorization: basic(clientId, clientSecret), ...headers },
  });
}

export interface Pulled { status: number; location: string; servedFrom: string; digest: string; retryAfter: string; body: string }

/**
 * A blob download with curl from a client in `r`: the login server's answer (a 307), then the
 * Location followed, its host resolved through the same zone. Returns where it went and what came back.
 */
export async function pullBlob(g: Geo, r: Region, digest: string): Promise<Pulled> {
  const port = g.cove.registryPort;
  const ip = await resolve(g, r.client, loginHost(g));
  const first = await curl(g, r, [`${loginHost(g)}:${port}:${ip}`], ["-K", join(dirname(g.caFile), "curl-user"), `https://${loginHost(g)}:${port}/v2/${REPO}/blobs/${digest}`]);
  assert.equal(first.status, 307, `login server: ${first.status} ${first.body}`);
  const location = first.headers["location"] ?? "";
  const host = new URL(location).hostname;
  const dataIp = await resolve(g, r.client, host);
  assert.ok(dataIp, `no record for ${host} in ${r.location}'s zone`);
  const second = await curl(g, r, [`${host}:${port}:${dataIp}`], [location]);
  return {
    status: second.status, location, servedFrom: second.headers["x-cove-served-from"] ?? "", retryAfter: second.headers["retry-after"] ?? "",
    digest: second.status === 200 ? "sha256:" + createHash("sha256").update(second.raw).digest("hex") : "", body: second.status === 200 ? "" : second.raw.toString(),
  };
}

let curls = 0;

async function curl(g: Geo, r: Region, resolves: string[], args: string[]): Promise<{ status: number; headers: Record<string, string>; raw: Buffer; body: string }> {
  const dir = dirname(g.caFile);
  const headerFile = join(dir, `headers-${++curls}`);
  let stdout: Buffer;
  try {
    // The body to stdout, the headers to a file (-D); the password in a config file (-K), never on a command line.
    ({ stdout } = await exec("curl", [
      "-sS", "--max-time", "20", "--interface", r.client, "--cacert", g.caFile, ...resolves.flatMap((x) => ["--resolve", x]), "-D", headerFile, ...args,
    ], { encoding: "buffer", maxBuffer: 64 << 20 }));
  } catch (e) {
    throw new Error(`curl failed (exit ${(e as { code?: number }).code}): ${(e as { stderr?: Buffer }).stderr?.toString()}`);
  }
  const lines = (await readFile(headerFile, "utf8")).split(/\r?\n/);
  let start = -1;
  lines.forEach((l, i) => { if (/^HTTP\//.test(l)) start = i; });
  const status = Number(lines[start]?.split(" ")[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(start + 1)) {
    const m = /^([^:]+):\s*(.*)$/.exec(l);
    if (m) headers[m[1]!.toLowerCase()] = m[2]!;
  }
  return { status, headers, raw: stdout, body: stdout.toString() };
}

/** The replica's Cove sync status, as the replication GET shows it (raw: the SDK drops `syncStatus`). */
export interface ReplicaStatus { displayStatus: string; message: string; sync: any }

export async function replicaStatus(g: Geo, region = REPLICA): Promise<ReplicaStatus> {
  const token = await managementToken(g.cove);
  const r = await https(`${g.cove.managementUrl}${g.registryId}/replications/${region}?api-version=2023-07-01`, { ca: g.cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, r.body.toString());
  const p = r.json().properties;
  return { displayStatus: p.status?.displayStatus, message: p.status?.message ?? "", sync: p.syncStatus };
}

/** Polls the replication GET until `want` holds (bounded: 20 s), and returns that status. */
export async function waitStatus(g: Geo, want: (s: ReplicaStatus) => boolean, what: string): Promise<ReplicaStatus> {
  let last;
  for (const end = Date.now() + 20_000; Date.now() < end; await sleep(100)) {
    last = await replicaStatus(g);
    if (want(last)) return last;
  }
  assert.fail(`replica never ${what}: last ${JSON.stringify(last)}`);
}

/** Until the replica is Synced with a manifest completed at or after `since` (ms): a Synced from before a push does not count. */
export const synced = (g: Geo, since: number) => waitStatus(
  g, (s) => s.sync?.state === "Synced" && s.sync.pendingManifests === 0 && Date.parse(s.sync.lastSyncedAt ?? "") >= since - 1000, "Synced",
);
