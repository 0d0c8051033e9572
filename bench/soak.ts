// `npm run soak`: a benchmark, not a test. One `cove serve` under a mixed, rate-bounded workload for
// COVE_SOAK_MINUTES (default 10; COVE_SOAK_SECONDS for a quick run): pushes, pulls, manifest GETs,
// DNS queries, ARM writes (private endpoints created, approved or rejected, deleted; a zone record
// rewritten) and requests the firewall refuses. Every 5 s it samples the server (RSS, open fds,
// /metrics: handles, event-loop delay; what its main thread and the disk were doing, to explain a
// stall) and the workloads' counts; at the end it rewrites the "Soak"
// section of docs/benchmarks.md (between its soak:begin/end markers) and docs/images/soak.svg
// (COVE_SOAK_DOCS names another directory for trial runs; COVE_SOAK_SAMPLES=<file> writes every
// sample as JSON; COVE_SOAK_NODE_OPTIONS=<flags> starts the server alone with those NODE_OPTIONS).
// Targets: no errors other than the expected 403 DENIED, and RSS flat after warm-up (least-squares
// slope under 1 MB/min over the samples after the warm-up: the first 20 % of the run, longer while V8's
// young generation still grows to its cap, never more than half; see warmupEndS). Exit code 1 when
// either is missed.
// Loopback only (the landing zone's VNets are 127.113/16 and 127.114/16); every loop stops by
// itself, and the server is stopped (SIGTERM, then SIGKILL) at the end.
import { mkdtemp, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ADDRESSES, GROUP, soakLanding } from "./support/soak-landing.js";
import { registryOps } from "./support/soak-registry.js";
import { dnsLoad } from "./support/soak-dns.js";
import { CYCLE_RECORD, armLoop } from "./support/soak-arm.js";
import { sampler, type Sample } from "./support/soak-sampler.js";
import { Tally, paced, type Outcome } from "./support/soak-workload.js";
import { rate, reportLines, rssFit, type WorkloadSpec } from "./support/soak-report.js";
import { soakSvg } from "./support/soak-svg.js";
import { replaceSection } from "./report-section.js";

const SAMPLE_EVERY_MS = 5000;
// Where the report goes: docs/ (COVE_SOAK_DOCS=<dir> for trial runs that must not touch it).
const DOCS = process.env.COVE_SOAK_DOCS ?? "docs";

export function durationSeconds(env: NodeJS.ProcessEnv): number {
  const s = env.COVE_SOAK_SECONDS ? Number(env.COVE_SOAK_SECONDS) : Number(env.COVE_SOAK_MINUTES ?? 10) * 60;
  if (!Number.isFinite(s) || s < 10) throw new Error(`the soak runs at least 10 s: COVE_SOAK_MINUTES=${env.COVE_SOAK_MINUTES ?? ""} COVE_SOAK_SECONDS=${env.COVE_SOAK_SECONDS ?? ""}`);
  return s;
}

const SPECS: (WorkloadSpec & { color: string })[] = [
  { name: "push", rate: 2, maxInFlight: 4, timeoutMs: 15_000, color: "#1f77b4", what: "token, 2 blobs (POST + PUT), manifest PUT" },
  { name: "pull", rate: 5, maxInFlight: 10, timeoutMs: 15_000, color: "#ff7f0e", what: "token, manifest GET, 2 blob GETs (digests checked)" },
  { name: "manifest", rate: 200, maxInFlight: 32, timeoutMs: 10_000, color: "#2ca02c", what: "manifest GET by tag, keep-alive, bearer token" },
  { name: "dns", rate: 200, maxInFlight: 64, timeoutMs: 5_000, color: "#9467bd", what: "UDP A query from a linked spoke (4 sources, 3 names)" },
  { name: "arm", rate: 1, maxInFlight: 1, timeoutMs: 30_000, color: "#8c564b", what: "ARM write: endpoint create / approve or reject / record / delete" },
  { name: "denial", rate: 20, maxInFlight: 8, timeoutMs: 10_000, color: "#e377c2", what: "public GET /v2/ from outside: 403 DENIED expected" },
];

/** The data directory's size at the end, and the blob files in it. */
async function diskSentence(dir: string): Promise<string> {
  let bytes = 0;
  let blobs = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    bytes += (await stat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
    if (/(^|\/)blobs(\/|$)/.test(e.parentPath.slice(dir.length))) blobs++;
  }
  return `The data directory held ${(bytes / 1e6).toFixed(1)} MB at the end (${blobs} files under blobs/).`;
}

async function main() {
  const durationS = durationSeconds(process.env);
  const seed = Number(process.env.COVE_SOAK_SEED ?? 1);
  const work = await mkdtemp(join(tmpdir(), "cove-soak-"));
  const loadAtStart = loadavg()[0]!;
  let landing: Awaited<ReturnType<typeof soakLanding>> | undefined;
  try {
    console.error(`soak: ${durationS} s; landing zone through the SDKs`);
    landing = await soakLanding(join(work, "cove"));
    const z = landing;
    // The record the ARM loop rewrites exists before the DNS load asks for it.
    await z.dns.recordSets.createOrUpdate(GROUP, z.zoneName, "A", CYCLE_RECORD, { ttl: 10, aRecords: [{ ipv4Address: z.loginIp }] });
    const reg = registryOps(z, seed);
    await reg.seed();
    const dns = await dnsLoad(z.dnsPort, ADDRESSES.dnsClients, [z.loginHost, z.dataHost, `${CYCLE_RECORD}.${z.zoneName}`]);
    const arm = armLoop(z);
    const ops: Record<string, (i: number) => Promise<Outcome>> = {
      push: reg.push, pull: reg.pull, manifest: reg.manifest, dns: dns.ask, arm: () => arm.step(), denial: reg.denial,
    };
    const tallies = SPECS.map((s, i) => new Tally(s.name, seed + i));

    const started = Date.now();
    const until = started + durationS * 1000;
    const probe = sampler(z, tallies, started, work);
    const samples: Sample[] = [await probe.take()];
    const sampling = (async () => {
      // Every 5 s up to the end of the run (the last one as the loops stop starting operations).
      for (let k = 1; started + k * SAMPLE_EVERY_MS <= until; k++) {
        await sleep(Math.max(0, started + k * SAMPLE_EVERY_MS - Date.now()));
        samples.push(await probe.take());
        const s = samples[samples.length - 1]!;
        if (k % 12 === 0) console.error(`soak: ${(s.t / 60).toFixed(1)} min, RSS ${s.rssMB.toFixed(1)} MB, fds ${s.fds}, errors ${tallies.reduce((a, t) => a + t.errors, 0)}`);
      }
    })();
    await Promise.all(SPECS.map((s, i) => paced({ ...s, until }, tallies[i]!, ops[s.name]!)));
    await sampling;
    await probe.close();
    dns.close();
    reg.close();

    const report = reportLines({
      date: new Date().toISOString(), node: process.version, durationS, seed, specs: SPECS, tallies, samples, arm: arm.stats(),
      load: `${loadAtStart.toFixed(2)} and ${loadavg()[0]!.toFixed(2)} (1-minute)`, disk: await diskSentence(join(work, "cove")),
    });
    const fit = rssFit(samples, durationS);
    const series = SPECS.map((s) => ({
      name: s.name, color: s.color,
      points: samples.slice(1).map((b, i) => [b.t / 60, rate(samples[i]!, b, s.name)] as [number, number]),
    }));
    await mkdir(join(DOCS, "images"), { recursive: true });
    await writeFile(join(DOCS, "images", "soak.svg"), soakSvg({
      samples, durationMin: durationS / 60, warmupMin: fit.warmupS / 60, fit, rates: series,
      caption: `cove serve under the soak's mixed workload, ${(durationS / 60).toFixed(1)} min (bench/soak.ts)`,
    }));
    await replaceSection(join(DOCS, "benchmarks.md"), "soak", report.lines);
    // Every sample as JSON, for a closer look (COVE_SOAK_SAMPLES=<file>).
    if (process.env.COVE_SOAK_SAMPLES) await writeFile(process.env.COVE_SOAK_SAMPLES, JSON.stringify(samples, null, 1));
    console.log(report.lines.join("\n"));
    if (!report.met) process.exitCode = 1;
  } finally {
    if (landing) {
      const exited = landing.cove.waitExit();
      landing.cove.child.kill("SIGTERM");
      if (await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]) === false) landing.cove.child.kill("SIGKILL");
      const out = landing.cove.output().trim();
      if (out) console.error(`soak: the server wrote:\n${out.slice(-4000)}`);
    }
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
