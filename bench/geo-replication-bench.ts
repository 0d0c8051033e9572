// `node dist/bench/geo-replication-bench.js` (in `npm run bench`): geo-replication in ONE run on this
// machine, against a spawned `cove serve` (bench/support/geo-landing.ts: a Premium registry in
// westeurope, a replica in eastus, one hub, private endpoint and private zone per region).
//   lag   one single-layer image of COVE_BENCH_GEO_MIB (default 256) random bytes, pushed from the
//         home hub through its private endpoint; the lag runs from the manifest PUT's 201 to the
//         replication's `properties.syncStatus.state` reading Synced for this push (polled every
//         100 ms, at most 120 s); `lastSyncedAt` gives the moment the replica completed it, which
//         the status record (written at most once a second) may report up to a second later.
//         Peer, in the same run: a plain stream copy of the same bytes on the same disk, fsync'd (median of 3).
//   pull  the same layer blob GET by curl from a client in each hub: the login server (as that
//         hub's zone resolves it) answers 307 to its region's data host, which curl follows;
//         replica hub against home hub, alternating, median of COVE_BENCH_GEO_PULLS (default 5).
// Rewrites the "Geo-replication" section of docs/benchmarks.md (or of the file COVE_BENCH_REPORT names).
import { execFile } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { https } from "../test/support/http.js";
import { geoLanding, type GeoLanding, type GeoRegion } from "./support/geo-landing.js";
import { writeGeoReport, type GeoRun, type PullRun } from "./support/geo-report.js";

const exec = promisify(execFile);
const MIB = Number(process.env.COVE_BENCH_GEO_MIB ?? 256);
const PULLS = Number(process.env.COVE_BENCH_GEO_PULLS ?? 5);
const POLL_MS = 100;
const LAG_TIMEOUT_MS = 120_000;
const REPO = "bench/geo";

/** MIB random bytes in a file, and their digest. */
async function writeLayer(path: string): Promise<string> {
  const hash = createHash("sha256");
  const fh = await open(path, "w");
  const chunk = Buffer.alloc(4 << 20);
  try {
    for (let i = 0; i < (MIB << 20) / chunk.length; i++) {
      randomFillSync(chunk);
      hash.update(chunk);
      await fh.write(chunk);
    }
  } finally { await fh.close(); }
  return `sha256:${hash.digest("hex")}`;
}

/** One blob by a monolithic upload (POST, then PUT with the bytes and the digest), as a client in `from` sends it. */
async function pushBlob(g: GeoLanding, ip: string, from: string, auth: string, digest: string, body: Buffer | string): Promise<void> {
  const base = `https://${ip}:${g.registryPort}`;
  const opts = { ca: g.ca, host: g.loginServer, localAddress: from };
  const start = await https(`${base}/v2/${REPO}/blobs/uploads/`, { ...opts, method: "POST", headers: { authorization: auth, "content-length": "0" } });
  if (start.status !== 202) throw new Error(`upload start: ${start.status} ${start.body.toString().slice(0, 300)}`);
  const loc = new URL(String(start.headers.location), base);
  loc.searchParams.set("digest", digest);
  const size = typeof body === "string" ? (await stat(body)).size : body.length;
  const put = await https(`${base}${loc.pathname}${loc.search}`, {
    ...opts, method: "PUT", body: typeof body === "string" ? createReadStream(body) : body,
    headers: { authorization: auth, "content-type": "application/octet-stream", "content-length": String(size) },
  });
  if (put.status !== 201) throw new Error(`upload of ${digest}: ${put.status} ${put.body.toString().slice(0, 300)}`);
}

interface Pushed { layerDigest: string; manifestAt: number }

/** The image pushed from the home hub: config, layer, then the manifest, whose 201 starts the clock. */
async function pushImage(g: GeoLanding, layerPath: string, layerDigest: string): Promise<Pushed> {
  const from = g.home.client;
  const ip = await g.resolve(g.loginServer, from);
  const auth = `Bearer ${await g.token(`repository:${REPO}:push,pull`)}`;
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  await pushBlob(g, ip, from, auth, configDigest, config);
  await pushBlob(g, ip, from, auth, layerDigest, layerPath);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerDigest, size: MIB << 20 }],
  }));
  const r = await https(`https://${ip}:${g.registryPort}/v2/${REPO}/manifests/v1`, {
    ca: g.ca, host: g.loginServer, localAddress: from, method: "PUT", body: manifest,
    headers: { authorization: auth, "content-type": "application/vnd.oci.image.manifest.v1+json" },
  });
  const manifestAt = Date.now();
  if (r.status !== 201) throw new Error(`manifest PUT: ${r.status} ${r.body.toString().slice(0, 300)}`);
  return { layerDigest, manifestAt };
}

/** Polls the replication until it reports this push synced; the lag seen, and the one its lastSyncedAt gives. */
async function waitSynced(g: GeoLanding, since: number): Promise<GeoRun["lag"]> {
  let polls = 0;
  let maxPendingBytes = 0;
  let sawSyncing = false;
  for (const deadline = since + LAG_TIMEOUT_MS; Date.now() < deadline; await sleep(POLL_MS)) {
    polls++;
    const s = (await g.arm(g.replicationId)).properties?.syncStatus;
    if (s?.state === "Syncing") sawSyncing = true;
    maxPendingBytes = Math.max(maxPendingBytes, s?.pendingBytes ?? 0);
    const completed = s?.lastSyncedAt ? Date.parse(s.lastSyncedAt) : NaN;
    if (s?.state === "Failed") throw new Error(`the replica reports Failed: ${s.message ?? ""}`);
    if (s?.state === "Synced" && completed >= since - 1000) {
      return { seenSeconds: (Date.now() - since) / 1000, completedSeconds: Math.max(0, completed - since) / 1000, polls, sawSyncing, maxPendingBytes };
    }
  }
  throw new Error(`the replica did not report Synced within ${LAG_TIMEOUT_MS / 1000} s of the manifest PUT`);
}

/** A plain copy of the same bytes on the same disk, fsync'd as the stores fsync a committed blob. */
async function copyPeer(from: string, to: string): Promise<number> {
  const t0 = performance.now();
  await pipeline(createReadStream(from, { highWaterMark: 1 << 20 }), createWriteStream(to));
  const fh = await open(to, "r+");
  try { await fh.datasync(); } finally { await fh.close(); }
  const seconds = (performance.now() - t0) / 1000;
  await rm(to, { force: true });
  return seconds;
}

/** One blob GET by curl from a client in `region`'s hub, following the 307 as that hub's DNS resolves. */
async function pullOnce(g: GeoLanding, region: GeoRegion, digest: string, token: string, work: string): Promise<PullRun> {
  const suffix = g.loginServer.replace(/:\d+$/, "").slice(g.name.length + 1);
  const hosts = [g.loginServer.replace(/:\d+$/, ""), ...[g.home, g.replica].map((r) => `${g.name}.${r.location}.data.${suffix}`)];
  const resolves = await Promise.all(hosts.map(async (h) => ["--resolve", `${h}:${g.registryPort}:${await g.resolve(h, region.client)}`]));
  const headers = join(work, `headers-${region.location}`);
  const { stdout } = await exec("curl", [
    "-sS", "--fail", "-L", "--max-redirs", "2", "--interface", region.client, "--cacert", g.cove.credentials.caCertPath, ...resolves.flat(),
    "-H", `Authorization: Bearer ${token}`, "-D", headers, "-o", "/dev/null",
    "-w", "%{time_total} %{size_download} %{num_redirects} %{url_effective}",
    `https://${g.loginServer}/v2/${REPO}/blobs/${digest}`,
  ], { maxBuffer: 1 << 20 });
  const [time, size, redirects, url] = stdout.trim().split(" ");
  const last = (await readFile(headers, "utf8")).split(/\r?\n\r?\n/).filter((b) => b.trim()).pop() ?? "";
  if (Number(size) !== MIB << 20) throw new Error(`pull from ${region.location}: ${size} bytes`);
  return {
    seconds: Number(time), redirects: Number(redirects), dataHost: new URL(url!).hostname,
    servedFrom: /^x-cove-served-from:\s*(.+)$/im.exec(last)?.[1]?.trim(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const started = performance.now();
  const loadStart = loadavg()[0]!;
  const work = await mkdtemp(join(tmpdir(), "cove-geo-bench-"));
  let g: GeoLanding | undefined;
  try {
    console.error(`geo-replication bench: writing a ${MIB} MiB layer`);
    const layer = join(work, "layer");
    const digest = await writeLayer(layer);
    console.error("geo-replication bench: landing zone (registry, replica, two hubs, endpoints, zones)");
    g = await geoLanding(join(work, "cove"));

    console.error("geo-replication bench: push, then wait for the replica");
    const pushed = await pushImage(g, layer, digest);
    const lag = await waitSynced(g, pushed.manifestAt);
    // The peer three times (its median): one copy is at the mercy of the disk's write-back of the replica's bytes.
    const copies: number[] = [];
    for (let i = 0; i < 3; i++) copies.push(await copyPeer(layer, join(work, "copy")));

    console.error(`geo-replication bench: ${PULLS} pulls from each hub, alternating`);
    const token = await g.token(`repository:${REPO}:pull`);
    const replica: PullRun[] = [];
    const home: PullRun[] = [];
    for (let i = 0; i < PULLS; i++) {
      replica.push(await pullOnce(g, g.replica, digest, token, work));
      home.push(await pullOnce(g, g.home, digest, token, work));
    }
    const run: GeoRun = {
      measuredAt: new Date().toISOString(), node: process.version, mib: MIB, loadAverage: { start: loadStart, end: loadavg()[0]! },
      wallSeconds: (performance.now() - started) / 1000, home: g.home.location, replica: g.replica.location,
      lag, copySeconds: median(copies), copies, pulls: { replica, home, replicaMedian: median(replica.map((p) => p.seconds)), homeMedian: median(home.map((p) => p.seconds)) },
    };
    console.log(JSON.stringify(run, null, 2));
    await writeGeoReport(process.env.COVE_BENCH_REPORT ?? "docs/benchmarks.md", run);
  } finally {
    g?.cove.child.kill("SIGKILL");
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
