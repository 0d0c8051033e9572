// `node dist/bench/fleet-bench.js` (in `npm run bench`): the AKS scale-out case, N nodes pulling the
// same image at the same moment, Cove against Debian's docker-registry in ONE run on this machine
// (reference/baselines.md: only ratios in the same run count). Both started as bench/registry-bench.ts
// starts them (bench/support/registry-servers.ts), both over TLS, Cove with token auth on.
//   fleet   one image of one FLEET_MIB (256) MiB random gzip layer, pulled by FLEET_CLIENTS ("8,32")
//           skopeo processes at once (bench/support/fleet-clients.ts), FLEET_ROUNDS (2) rounds per
//           size with the servers' order alternating: aggregate MB/s, slowest client, each server's
//           CPU, syscalls and peak RSS (VmHWM, reset before each batch).
//   small   FLEET_SMALL (200) distinct small images pushed one after another by skopeo: images/s.
//   blob    a FLEET_BLOB_MIB (1024) MiB blob pushed by a Node client, against this machine's ceiling
//           min(sha256 rate, fsync'd write rate) measured in the same run; target at least 0.8. Cove's
//           CPU by thread and the client's during it, and the same client into a TLS sink that
//           discards (bench/support/discard-sink.ts): what the client and TLS alone reach here.
//   profile unless FLEET_PROFILE=0, a second Cove under --cpu-prof through one batch of
//           FLEET_PROFILE_CLIENTS, by default the size whose aggregate ratio was the lowest (the
//           worst miss); FLEET_PROFILE_DIR keeps its .cpuprofile.
// Pulled copies go to /dev/shm when it has room (so the clients' writes do not meet the disk's dirty
// limits), else to the work directory. Loopback only; every process and directory is removed at the
// end, also on failure or Ctrl-C. Rewrites the "fleet" section of docs/benchmarks.md (or COVE_BENCH_REPORT's).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, statfs } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { peakRssMiB, resetPeakRss, startCoveRegistry, startPeerRegistry, type CoveRegistry } from "./support/registry-servers.js";
import { GeneratedBlob, layoutImage, smallImages } from "./support/fleet-images.js";
import { pullBatch, pushBlob, pushSmall, pushToSink, type FleetTarget } from "./support/fleet-clients.js";
import { procDelta, sampleProc } from "./support/fleet-threads.js";
import { clientsCpu, cpuOf } from "./support/proc-cpu.js";
import { profileIn, summariseProfile } from "./support/cpu-profile.js";
import { readGcTotals } from "./support/fleet-gc-probe.js";
import { best, profileSize, writeFleetReport, type Batch, type FleetRun, type Server } from "./support/fleet-report.js";

const exec = promisify(execFile);
const env = process.env;
const IMAGE_MIB = Number(env.FLEET_MIB ?? 256);
const CLIENTS = (env.FLEET_CLIENTS ?? "8,32").split(",").map(Number);
const ROUNDS = Number(env.FLEET_ROUNDS ?? 2);
const SMALL = Number(env.FLEET_SMALL ?? 200);
const BLOB_MIB = Number(env.FLEET_BLOB_MIB ?? 1024);
const PROFILE = env.FLEET_PROFILE !== "0";
const PROFILE_CLIENTS = env.FLEET_PROFILE_CLIENTS ? Number(env.FLEET_PROFILE_CLIENTS) : undefined;
const REPO = "bench/fleet";

const children = new Set<ChildProcess>();

function coveTarget(c: CoveRegistry): FleetTarget {
  return {
    label: "cove", pid: c.cove.child.pid!, ref: (repo, tag) => `docker://${c.registry.loginServer}/${repo}:${tag}`,
    certDir: c.certDir, creds: c.creds, hosts: c.hosts, base: `https://127.0.0.1:${c.registryPort}`, host: c.registry.loginServer, ca: c.ca,
    login: { id: c.cove.credentials.clientId, secret: c.cove.credentials.clientSecret, service: c.registry.loginServer },
  };
}

/** Where N copies of the image can go: tmpfs when it holds the largest batch with room to spare. */
async function pullRoot(work: string, bytes: number): Promise<string> {
  const need = Math.max(...CLIENTS, PROFILE ? (PROFILE_CLIENTS ?? 0) : 0) * bytes * 1.25 + (1 << 30);
  const s = await statfs("/dev/shm").catch(() => undefined);
  return s && s.bavail * s.bsize > need ? await mkdtemp("/dev/shm/cove-fleet-") : join(work, "pulls");
}

async function batch(t: FleetTarget, n: number, round: number, out: string, layerSizes: number[], bytes: number): Promise<Batch> {
  await resetPeakRss(t.pid);
  const c0 = await cpuOf(t.pid);
  const k0 = await clientsCpu();
  const p0 = await sampleProc(t.pid);
  const b = await pullBatch(t, n, t.ref(REPO, "v1"), join(out, `${t.label}-${n}-${round}`), layerSizes, bytes);
  const p1 = await sampleProc(t.pid);
  const result: Batch = {
    ...b, server: t.label, round, serverCpu: (await cpuOf(t.pid)) - c0, clientsCpu: (await clientsCpu()) - k0,
    peakRssMiB: await peakRssMiB(t.pid), proc: procDelta(p0, p1),
  };
  console.error(`fleet bench: ${n} clients, ${t.label}, round ${round + 1}: ${result.wall.toFixed(2)} s, slowest ${Math.max(...b.times).toFixed(2)} s, ${result.serverCpu.toFixed(2)} CPU-s`);
  return result;
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadStart = loadavg()[0]!;
  const work = await mkdtemp(join(tmpdir(), "cove-fleet-bench-"));
  let pulls = "";
  const cleanup = () => {
    for (const c of children) c.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
    if (pulls.startsWith("/dev/shm/")) rmSync(pulls, { recursive: true, force: true });
  };
  const abort = (sig: string) => { cleanup(); console.error(`fleet bench: stopped by ${sig}`); process.exit(130); };
  process.once("SIGINT", () => abort("SIGINT"));
  process.once("SIGTERM", () => abort("SIGTERM"));
  try {
    console.error(`fleet bench: writing a ${IMAGE_MIB} MiB gzip-layer image and ${SMALL} small images`);
    const image = join(work, "image");
    await exec(process.execPath, ["scripts/make-oci-image.mjs", image, "v1", String(IMAGE_MIB * 1024)], { maxBuffer: 1 << 20 });
    const { bytes: imageBytes, layerSizes } = await layoutImage(image);
    const small = await smallImages(join(work, "small"), SMALL);
    pulls = await pullRoot(work, imageBytes);

    const peerReg = await startPeerRegistry(work);
    children.add(peerReg.child);
    const coveReg = await startCoveRegistry(work, "cove");
    children.add(coveReg.cove.child);
    const peer: FleetTarget = {
      label: "peer", pid: peerReg.child.pid!, ref: (repo, tag) => `docker://127.0.0.1:${peerReg.port}/${repo}:${tag}`,
      certDir: peerReg.certDir, hosts: {}, base: `https://127.0.0.1:${peerReg.port}`, ca: peerReg.ca,
    };
    const cove = coveTarget(coveReg);
    const targets: Record<Server, FleetTarget> = { cove, peer };
    console.error("fleet bench: pushing the image to both");
    for (const t of [peer, cove]) await pushSmall(t, image, ["v1"], REPO);

    const batches: Batch[] = [];
    for (const n of CLIENTS) {
      for (let r = 0; r < ROUNDS; r++) {
        for (const s of (r % 2 ? ["cove", "peer"] : ["peer", "cove"]) as Server[]) batches.push(await batch(targets[s], n, r, pulls, layerSizes, imageBytes));
      }
    }

    console.error(`fleet bench: ${SMALL} small image pushes each, in halves peer, Cove, Cove, peer`);
    const half = Math.ceil(small.tags.length / 2);
    const [first, second] = [small.tags.slice(0, half), small.tags.slice(half)];
    const halves: Record<Server, number[]> = { peer: [], cove: [] };
    halves.peer.push(await pushSmall(peer, join(work, "small"), first, "bench/small"));
    halves.cove.push(await pushSmall(cove, join(work, "small"), first, "bench/small"));
    halves.cove.push(await pushSmall(cove, join(work, "small"), second, "bench/small"));
    halves.peer.push(await pushSmall(peer, join(work, "small"), second, "bench/small"));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

    console.error(`fleet bench: a ${BLOB_MIB} MiB blob from a Node client, and this machine's ceiling`);
    const blob = new GeneratedBlob(BLOB_MIB);
    const { digest, shaBytesPerSecond } = blob.digest();
    const writeRates = [await blob.writeRate(join(work, "ceiling.bin"))];
    await resetPeakRss(cove.pid);
    const c0 = await cpuOf(cove.pid);
    const t0 = await sampleProc(cove.pid);
    const u0 = process.cpuUsage();
    const coveSeconds = await pushBlob(cove, "bench/blob", blob, digest);
    const clientCpu = cpuSeconds(process.cpuUsage(u0));
    const coveThreads = procDelta(t0, await sampleProc(cove.pid));
    const coveCpu = (await cpuOf(cove.pid)) - c0;
    const covePeakRssMiB = await peakRssMiB(cove.pid);
    writeRates.push(await blob.writeRate(join(work, "ceiling.bin")));
    const peerSeconds = await pushBlob(peer, "bench/blob", blob, digest);
    const sink = await sinkPush(work, peerReg.ca, blob);

    let profile: FleetRun["profile"];
    if (PROFILE) {
      peerReg.child.kill("SIGKILL");
      coveReg.cove.child.kill("SIGKILL");
      const n = PROFILE_CLIENTS ?? profileSize(batches);
      profile = await profileBatch(work, image, pulls, layerSizes, imageBytes, n, best(batches, n, "cove")?.wall ?? NaN);
    }
    const run: FleetRun = {
      measuredAt: new Date().toISOString(), node: process.version, wallSeconds: (performance.now() - started) / 1000,
      loadAverage: { start: loadStart, end: loadavg()[0]! }, imageMiB: IMAGE_MIB, imageBytes,
      pullTo: pulls.startsWith("/dev/shm/") ? "tmpfs" : "the work directory's disk", rounds: ROUNDS, batches,
      small: { count: small.tags.length, bytesEach: small.bytesEach, seconds: { peer: sum(halves.peer), cove: sum(halves.cove) }, halves },
      blob: { mib: BLOB_MIB, shaBytesPerSecond, writeRates, coveSeconds, peerSeconds, coveCpu, covePeakRssMiB, coveThreads, clientCpu, sink },
      profile,
    };
    console.log(JSON.stringify(run, null, 2));
    await writeFleetReport(env.COVE_BENCH_REPORT ?? "docs/benchmarks.md", run);
  } finally {
    cleanup();
  }
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** The blob into bench/support/discard-sink.ts (the peer's certificate), with the sink's and the client's CPU. */
async function sinkPush(work: string, ca: string, blob: GeneratedBlob): Promise<FleetRun["blob"]["sink"]> {
  const script = new URL("./support/discard-sink.js", import.meta.url).pathname;
  const child = spawn(process.execPath, [script, join(work, "peer.crt"), join(work, "peer.key")], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  try {
    const port = await new Promise<number>((ok, fail) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => { out += d; if (out.includes("\n")) ok(Number(out.trim())); });
      child.once("exit", (code) => fail(new Error(`the discard sink exited with ${code} before it listened`)));
    });
    const s0 = await cpuOf(child.pid!);
    const u0 = process.cpuUsage();
    const seconds = await pushToSink(`https://127.0.0.1:${port}`, ca, blob);
    return { seconds, clientCpu: cpuSeconds(process.cpuUsage(u0)), sinkCpu: (await cpuOf(child.pid!)) - s0 };
  } finally {
    child.kill("SIGKILL");
    children.delete(child);
  }
}

/** One batch through a fresh Cove under --cpu-prof; the summary keeps the batch's samples. */
async function profileBatch(work: string, image: string, pulls: string, layerSizes: number[], bytes: number, clients: number, unprofiledWall: number): Promise<NonNullable<FleetRun["profile"]>> {
  console.error(`fleet bench: profiling Cove under a ${clients}-client pull`);
  const dir = join(work, "profile");
  const gcFile = join(work, "gc.json");
  const probe = new URL("./support/fleet-gc-probe.js", import.meta.url).href;
  const c = await startCoveRegistry(work, "prof-cove", { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir} --import=${probe}`, FLEET_GC_PROBE_OUT: gcFile });
  children.add(c.cove.child);
  const t = coveTarget(c);
  await pushSmall(t, image, ["v1"], REPO);
  const c0 = await cpuOf(t.pid);
  const p0 = await sampleProc(t.pid);
  const g0 = await readGcTotals(gcFile);
  const from = process.hrtime.bigint();
  const b = await pullBatch(t, clients, t.ref(REPO, "v1"), join(pulls, "profile"), layerSizes, bytes);
  const to = process.hrtime.bigint();
  const proc = procDelta(p0, await sampleProc(t.pid));
  const cpu = (await cpuOf(t.pid)) - c0;
  await sleep(600); // the probe's next write
  const g1 = await readGcTotals(gcFile);
  const gc = { major: g1.major - g0.major, minor: g1.minor - g0.minor, pauseMs: g1.pauseMs - g0.pauseMs };
  // SIGTERM: Cove drains and exits, and V8 writes the profile on the way out.
  c.cove.child.kill("SIGTERM");
  const killer = setTimeout(() => c.cove.child.kill("SIGKILL"), 20_000);
  await c.cove.waitExit();
  clearTimeout(killer);
  const file = await profileIn(dir);
  if (!file) throw new Error("the profiled Cove wrote no .cpuprofile");
  if (env.FLEET_PROFILE_DIR) {
    await mkdir(env.FLEET_PROFILE_DIR, { recursive: true });
    await copyFile(file, join(env.FLEET_PROFILE_DIR, "cove-fleet-pull.cpuprofile"));
  }
  await rm(join(pulls, "profile"), { recursive: true, force: true });
  return { clients, wall: b.wall, cpu, proc, gc, summary: await summariseProfile(file, { from, to }, undefined, 15), unprofiledWall };
}

main().catch((e) => { console.error(e); process.exit(1); });
