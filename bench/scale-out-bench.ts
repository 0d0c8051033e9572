// `node dist/bench/scale-out-bench.js` (in `npm run bench`): issue 13's "Measured", in ONE run on this
// machine. Three set-ups of real `cove serve` processes, all started first, each on stores of its own:
//   embedded  1 node, SQLite + files in its data dir (the default, the reference of every ratio)
//   pg1       1 node, PostgreSQL (a throwaway initdb cluster) + Azurite (the Azure Storage emulator)
//   pg3       3 nodes on that PostgreSQL + Azurite, on 127.0.2.1-3 and one registry port
// then each workload on each set-up in turn: skopeo push and pull of one image, then of three images
// at once (image i pushed through node i and pulled through the next, as a load balancer spreads
// clients); manifest GET by tag from 32 keep-alive connections spread over the nodes (3 rounds, the
// best counts); approve-to-enforced and reject-to-cut rounds, across nodes where there are several.
// CPU seconds of every part (Cove, Azurite, PostgreSQL, the clients) and PostgreSQL's statement
// counts come with each phase. Then, unless COVE_BENCH_PROFILE=0, the largest cost is profiled: one
// push through a fresh PostgreSQL + Azurite node with Cove and Azurite under --cpu-prof (a separate
// push, so the timed ones are not slowed). Everything is on loopback; every loop is bounded; every
// process and directory is removed at the end, also on failure or Ctrl-C.
// COVE_BENCH_PROFILE_DIR keeps the two .cpuprofile files (whole lives; the report keeps the push's samples).
// COVE_BENCH_SCALE_MIB (default 256) sizes the images, COVE_BENCH_APPROVALS (30) the rounds,
// BENCH_LOAD_SECONDS (5) each load round. Rewrites the "Scale-out" section of docs/benchmarks.md (or
// of the file COVE_BENCH_REPORT names).
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startPostgres } from "../test/support/postgres.js";
import { startAzurite, type TestAzurite } from "../test/support/azurite.js";
import { startCluster, type BenchCluster } from "./support/scale-nodes.js";
import { azuritePids, cpuDelta, readCpu, type CpuParts, type CpuProbe } from "./support/proc-cpu.js";
import { enableStatements, statementsDelta, statementsOf, type Statements } from "./support/pg-statements.js";
import { prepareApproval, type ApprovalResult } from "./support/approval-probe.js";
import { profileIn, summariseProfile, type ProfileSummary } from "./support/cpu-profile.js";
import type { SpreadResult, SpreadSpec } from "./support/spread-load.js";
import { writeScaleOutReport } from "./support/scale-out-report.js";

const exec = promisify(execFile);
const SCALE_MIB = Number(process.env.COVE_BENCH_SCALE_MIB ?? 256);
const LAYERS = 4;
const ROUNDS = Number(process.env.COVE_BENCH_APPROVALS ?? 30);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const LOAD_ROUNDS = 3;
const CONNECTIONS = 32;
const PROFILE = process.env.COVE_BENCH_PROFILE !== "0";

export interface Phase { seconds: number; cpu: CpuParts; statements?: Statements }
export interface SetupResult {
  key: string; label: string; nodes: number; shared: boolean;
  one: { push: Phase; pull: Phase }; three: { push: Phase; pull: Phase };
  /** The best of the load rounds, and every round's req/s. */
  load: SpreadResult & { cpu: CpuParts; statements?: Statements }; loads: number[]; approval: ApprovalResult;
}
export interface ProfileResult { push: Phase; cove: ProfileSummary; azurite?: ProfileSummary }
export interface BenchRun { measuredAt: string; loadAverage: { start: number; end: number }; scaleMiB: number; layers: number; loadSeconds: number; loadRounds: number; connections: number; wallSeconds: number; setups: SetupResult[]; profile?: ProfileResult }

const clusters = new Set<BenchCluster>();

async function main(): Promise<void> {
  const started = performance.now();
  const loadStart = loadavg()[0]!;
  const work = await mkdtemp(join(tmpdir(), "cove-scale-bench-"));
  // Ctrl-C or a kill: the nodes go at once; PostgreSQL and Azurite go through their own exit hooks.
  const abort = (sig: string) => {
    for (const c of clusters) for (const n of c.nodes) n.spawned.child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
    console.error(`scale-out bench: stopped by ${sig}`);
    process.exit(130);
  };
  process.once("SIGINT", () => abort("SIGINT"));
  process.once("SIGTERM", () => abort("SIGTERM"));
  const closers: (() => Promise<void>)[] = [];
  try {
    console.error(`scale-out bench: writing 4 images of ${SCALE_MIB} MiB (${LAYERS} random gzip layers each)`);
    const layerKiB = String((SCALE_MIB * 1024) / LAYERS);
    const images = [0, 1, 2, 3].map((i) => join(work, `image${i}`));
    await Promise.all(images.map((dir) => exec(process.execPath, ["scripts/make-oci-image.mjs", dir, "v1", ...Array(LAYERS).fill(layerKiB)])));

    const server = await startPostgres();
    closers.push(() => server.stop());
    await enableStatements(server);
    const azurite = await startAzurite();
    closers.push(() => azurite.stop());
    const [azPid] = await azuritePids();
    const remote = async (db: string, container: string, az: TestAzurite) => {
      const url = await server.createDatabase(db);
      const stm = await statementsOf(url);
      closers.push(() => stm.close());
      return { env: { COVE_METADATA_URL: url, COVE_BLOB_CONNECTION_STRING: az.connectionString, COVE_BLOB_CONTAINER: container }, stm };
    };
    const p1 = await remote("cove_bench_pg1", "bench-pg1", azurite);
    const p3 = await remote("cove_bench_pg3", "bench-pg3", azurite);
    const setups = await startSetups(work, [
      { key: "embedded", label: "1 node, SQLite + files", count: 1, env: {}, probe: { coves: [] }, prefix: "127.90" },
      { key: "pg1", label: "1 node, PostgreSQL + Azurite", count: 1, env: p1.env, probe: { coves: [], azurite: azPid, postmaster: p1.stm.postmaster }, prefix: "127.91", stm: p1.stm },
      { key: "pg3", label: "3 nodes, PostgreSQL + Azurite", count: 3, env: p3.env, probe: { coves: [], azurite: azPid, postmaster: p3.stm.postmaster }, prefix: "127.92", stm: p3.stm },
    ]);
    const results = await measure(work, images, setups);
    for (const s of setups) {
      await s.cluster.stop();
      clusters.delete(s.cluster);
    }

    let profile: ProfileResult | undefined;
    if (PROFILE) {
      console.error("scale-out bench: profiling a push through 1 node on PostgreSQL + Azurite");
      profile = await profilePush(work, images[0]!, (az) => remote("cove_bench_profile", "bench-profile", az), closers, azPid);
    }
    const run: BenchRun = { measuredAt: new Date().toISOString(), loadAverage: { start: loadStart, end: loadavg()[0]! }, scaleMiB: SCALE_MIB, layers: LAYERS, loadSeconds: LOAD_SECONDS, loadRounds: LOAD_ROUNDS, connections: CONNECTIONS, wallSeconds: (performance.now() - started) / 1000, setups: results, profile };
    console.log(JSON.stringify(run, null, 2));
    await writeScaleOutReport(process.env.COVE_BENCH_REPORT ?? "docs/benchmarks.md", run);
  } finally {
    for (const c of clusters) await c.stop();
    for (const close of closers.reverse()) await close().catch((e) => console.error(`scale-out bench: cleanup: ${String(e)}`));
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * One push through a fresh node on PostgreSQL and a second Azurite, both under --cpu-prof (Azurite
 * inherits NODE_OPTIONS from this process while it starts; the node gets it in its environment).
 * The summaries keep only the samples taken during the push.
 */
async function profilePush(
  work: string, image: string, remote: (az: TestAzurite) => Promise<{ env: NodeJS.ProcessEnv; stm: { read(): Promise<Statements>; postmaster: number } }>,
  closers: (() => Promise<void>)[], otherAzurite: number | undefined,
): Promise<ProfileResult> {
  const azDir = join(work, "prof-azurite");
  const coveDir = join(work, "prof-cove");
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${azDir}`;
  const az = await startAzurite().finally(() => { if (saved === undefined) delete process.env.NODE_OPTIONS; else process.env.NODE_OPTIONS = saved; });
  closers.push(() => az.stop());
  const pp = await remote(az);
  const c = await startCluster(work, "profile", 1, { ...pp.env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${coveDir}` });
  clusters.add(c);
  try {
    const probe = { coves: [c.nodes[0]!.spawned.child.pid!], azurite: (await azuritePids()).find((p) => p !== otherAzurite), postmaster: pp.stm.postmaster };
    const from = process.hrtime.bigint();
    const push = await phase(probe, pp.stm, () => c.skopeo(c.nodes[0]!, `oci:${image}:v1`, `docker://${c.registry.loginServer}/bench/one:v1`, true));
    const window = { from, to: process.hrtime.bigint() };
    await c.stop(); // SIGTERM: the node exits and writes its profile
    await az.halt(); // and so does Azurite
    const coveProf = await profileIn(coveDir);
    const azProf = await profileIn(azDir);
    if (!coveProf) throw new Error("the profiled node wrote no .cpuprofile");
    const keep = process.env.COVE_BENCH_PROFILE_DIR;
    if (keep) {
      await mkdir(keep, { recursive: true });
      await copyFile(coveProf, join(keep, "cove-push.cpuprofile"));
      if (azProf) await copyFile(azProf, join(keep, "azurite-push.cpuprofile"));
    }
    return { push, cove: await summariseProfile(coveProf, window), azurite: azProf ? await summariseProfile(azProf, window, "azurite") : undefined };
  } finally {
    await c.stop();
    clusters.delete(c);
  }
}

/** Times `fn` and takes the CPU and statement counters around it. */
async function phase(probe: CpuProbe, stm: { read(): Promise<Statements> } | undefined, fn: () => Promise<unknown>): Promise<Phase> {
  const c0 = await readCpu(probe);
  const s0 = await stm?.read();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c1 = await readCpu(probe);
  const s1 = await stm?.read();
  return { seconds, cpu: cpuDelta(c0, c1), statements: s0 && s1 ? statementsDelta(s0, s1) : undefined };
}

interface SetupSpec { key: string; label: string; count: number; env: NodeJS.ProcessEnv; probe: CpuProbe; prefix: string; stm?: { read(): Promise<Statements> } }
interface Setup extends SetupSpec { cluster: BenchCluster }

async function startSetups(work: string, specs: SetupSpec[]): Promise<Setup[]> {
  const out: Setup[] = [];
  for (const spec of specs) {
    console.error(`scale-out bench: starting ${spec.label}`);
    const cluster = await startCluster(work, spec.key, spec.count, spec.env);
    clusters.add(cluster);
    spec.probe.coves = cluster.nodes.map((n) => n.spawned.child.pid!);
    out.push({ ...spec, cluster });
  }
  return out;
}

/**
 * Every workload on every set-up in turn (embedded, pg1, pg3), then the next workload: the machine's
 * other work drifts over minutes, so the set-ups compared in a ratio are measured seconds apart.
 */
async function measure(work: string, images: string[], setups: Setup[]): Promise<SetupResult[]> {
  const each = async <T>(what: string, fn: (s: Setup) => Promise<T>): Promise<T[]> => {
    console.error(`scale-out bench: ${what}`);
    const out: T[] = [];
    for (const s of setups) out.push(await fn(s));
    return out;
  };
  const at = (s: Setup, i: number) => s.cluster.nodes[i % s.cluster.nodes.length]!;
  const ref = (s: Setup, repo: string) => `docker://${s.cluster.registry.loginServer}/bench/${repo}:v1`;
  const pulled = (s: Setup, name: string) => join(work, `${s.key}-pull-${name}`);
  const pushOne = await each("push of one image", (s) => phase(s.probe, s.stm, () => s.cluster.skopeo(at(s, 0), `oci:${images[0]}:v1`, ref(s, "one"), true)));
  const pullOne = await each("pull of one image", async (s) => {
    const p = await phase(s.probe, s.stm, () => s.cluster.skopeo(at(s, 1), ref(s, "one"), `dir:${pulled(s, "one")}`, false));
    await rm(pulled(s, "one"), { recursive: true, force: true });
    return p;
  });
  const pushThree = await each("push of three images at once", (s) => phase(s.probe, s.stm, () =>
    Promise.all([1, 2, 3].map((i) => s.cluster.skopeo(at(s, i - 1), `oci:${images[i]}:v1`, ref(s, `three${i}`), true)))));
  const pullThree = await each("pull of three images at once", async (s) => {
    const p = await phase(s.probe, s.stm, () =>
      Promise.all([1, 2, 3].map((i) => s.cluster.skopeo(at(s, i), ref(s, `three${i}`), `dir:${pulled(s, String(i))}`, false))));
    for (const i of [1, 2, 3]) await rm(pulled(s, String(i)), { recursive: true, force: true });
    return p;
  });

  const specs = await each("tokens for the manifest load", async (s) => {
    const spec: SpreadSpec = { connections: CONNECTIONS, seconds: LOAD_SECONDS, targets: [] };
    for (const n of s.cluster.nodes) {
      const token = await s.cluster.registryToken(n, "repository:bench/one:pull");
      spec.targets.push({
        host: n.ip, port: s.cluster.registryPort, path: "/v2/bench/one/manifests/v1", ca: n.ca, servername: s.cluster.registry.host,
        headers: { accept: "application/vnd.oci.image.manifest.v1+json", host: s.cluster.registry.loginServer, authorization: `Bearer ${token}` },
      });
    }
    return spec;
  });
  const loads: SetupResult["load"][][] = setups.map(() => []);
  for (let r = 0; r < LOAD_ROUNDS; r++) {
    await each(`manifest load, round ${r + 1} of ${LOAD_ROUNDS}`, async (s) => {
      const k = setups.indexOf(s);
      let result: SpreadResult | undefined;
      const p = await phase(s.probe, s.stm, async () => {
        const { stdout } = await exec(process.execPath, ["dist/bench/support/spread-load.js", JSON.stringify(specs[k])], { maxBuffer: 1 << 20, timeout: (LOAD_SECONDS + 60) * 1000 });
        result = JSON.parse(stdout.trim()) as SpreadResult;
      });
      loads[k]!.push({ ...result!, cpu: p.cpu, statements: p.statements });
    });
  }
  const approvals = await each("approval landing zones", (s) => prepareApproval(s.cluster, s.prefix));
  console.error(`scale-out bench: ${ROUNDS} approval rounds on each set-up, in turn`);
  for (let r = 0; r < ROUNDS; r++) for (const a of approvals) await a.round(r);

  return setups.map((s, k) => ({
    key: s.key, label: s.label, nodes: s.count, shared: s.cluster.shared,
    one: { push: pushOne[k]!, pull: pullOne[k]! }, three: { push: pushThree[k]!, pull: pullThree[k]! },
    // Other work on the machine only slows a round down: a set-up's best round is its least disturbed.
    load: [...loads[k]!].sort((x, y) => y.perSecond - x.perSecond)[0]!, loads: loads[k]!.map((l) => l.perSecond),
    approval: approvals[k]!.result,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
