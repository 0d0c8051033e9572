// What the soak concludes from its samples: the RSS slope after warm-up (least squares over the
// samples after the warm-up, MB per minute; see warmupEndS), a row per minute (per sixth of the run
// when it is shorter than 3 minutes), the totals per workload and the two target verdicts, as the
// lines of docs/benchmarks.md's "Soak" section.
import type { Sample } from "./soak-sampler.js";
import type { Counts, Tally } from "./soak-workload.js";

export interface WorkloadSpec { name: string; rate: number; maxInFlight: number; timeoutMs: number; what: string }

export const WARMUP_SHARE = 0.2;
export const SLOPE_TARGET = 1; // MB per minute

/** Least squares y = intercept + slope * x. */
export function leastSquares(pts: [number, number][]): { slope: number; intercept: number } {
  const n = pts.length;
  if (n < 2) return { slope: NaN, intercept: pts[0]?.[1] ?? NaN };
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of pts) { sxy += (x - mx) * (y - my); sxx += (x - mx) ** 2; }
  const slope = sxx === 0 ? NaN : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** The fit of RSS (MB) over minutes, on the samples after the warm-up. */
/** The warm-up never lasts longer than this share of the run, whatever the young generation does. */
export const WARMUP_MAX_SHARE = 0.5;
const NEW_SPACE = "new";

/**
 * When the warm-up ends, in seconds from the start: the first sample, no earlier than the first
 * WARMUP_SHARE of the run, at which V8's young generation (the "new" space) has reached the largest
 * size it has in the run (within 1 MB). V8 doubles that space step by step up to its cap while the
 * load runs, and each step adds its size to RSS for good: in 10-minute runs here the steps went on
 * for 3 to 5 minutes and read as 2.6 to 3.5 MB/min, where a 30-minute run of the same code fitted
 * 0.63. The young generation is bounded by its cap, so a leak cannot hide in it; and the warm-up
 * stops at WARMUP_MAX_SHARE of the run, so a space still growing then counts against the slope.
 */
export function warmupEndS(samples: Sample[], durationS: number): number {
  const young = (s: Sample) => s.heapSpacesMB?.[NEW_SPACE] ?? NaN;
  const peak = Math.max(...samples.map(young).filter(Number.isFinite));
  const capped = Number.isFinite(peak) ? samples.find((s) => young(s) >= peak - 1)?.t ?? 0 : 0;
  return Math.min(Math.max(WARMUP_SHARE * durationS, capped), WARMUP_MAX_SHARE * durationS);
}

export function rssFit(samples: Sample[], durationS: number) {
  const end = warmupEndS(samples, durationS);
  const after = samples.filter((s) => s.t >= end);
  return { ...leastSquares(after.map((s) => [s.t / 60, s.rssMB])), samples: after.length, warmupS: end };
}

const done = (c: Counts | undefined) => (c ? c.ok + c.denied : 0);

/** Completed operations per second of `name` between two samples. */
export function rate(a: Sample, b: Sample, name: string): number {
  return b.t > a.t ? (done(b.counts[name]) - done(a.counts[name])) / (b.t - a.t) : 0;
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
const sumErrors = (s: Sample) => Object.values(s.counts).reduce((a, c) => a + c.errors, 0);
const sumSkipped = (s: Sample) => Object.values(s.counts).reduce((a, c) => a + c.skipped, 0);

export function bucketSeconds(durationS: number): number {
  // A multiple of the 5 s sampling interval, so every bucket holds the same number of samples.
  return durationS >= 180 ? 60 : Math.max(5, Math.ceil(durationS / 6 / 5) * 5);
}

interface Bucket { label: string; from: Sample; last: Sample; inside: Sample[] }

/** The run cut into buckets (bucketSeconds), each with the sample before it and the samples in it. */
export function buckets(samples: Sample[], durationS: number): Bucket[] {
  const b = bucketSeconds(durationS);
  const out: Bucket[] = [];
  let from = samples[0]!;
  for (let k = 1; from.t < durationS - 0.5 && k <= Math.ceil(durationS / b) + 1; k++) {
    const inside = samples.filter((s) => s.t > from.t && s.t <= k * b + 0.5);
    if (inside.length === 0) continue;
    const last = inside[inside.length - 1]!;
    out.push({ label: b === 60 ? `${k - 1}-${k}` : `${f(from.t / 60, 2)}-${f(last.t / 60, 2)}`, from, last, inside });
    from = last;
  }
  return out;
}

/** The share of wall time between two samples that a cumulative seconds counter grew by. */
export const share = (a: Sample, b: Sample, key: "mainCpuS" | "mainWaitS" | "cpuS") => (b.t > a.t ? (b[key] - a[key]) / (b.t - a.t) : NaN);
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)} %` : "n/a");

/** How the machine's CPUs spent the intervals: busy, waiting on I/O, stolen, idle (shares of all ticks). */
function machine(ps: { a: Sample; b: Sample }[]): string {
  const sum = { busy: 0, idle: 0, iowait: 0, steal: 0 };
  for (const { a, b } of ps) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += b.machine[k] - a.machine[k];
  const all = sum.busy + sum.idle + sum.iowait + sum.steal || 1;
  return `${pct(sum.busy / all)} busy, ${pct(sum.iowait / all)} waiting on I/O, ${pct(sum.steal / all)} stolen, ${pct(sum.idle / all)} idle`;
}

/**
 * The 5 s intervals in which the server's event loop stalled for a second or more, against the
 * others: how much its main thread ran and waited for a core, and the probe's slowest fdatasync.
 */
export function stalls(samples: Sample[]): string {
  const pairs = samples.slice(1).map((b, i) => ({ a: samples[i]!, b }));
  const stalled = pairs.filter((p) => p.b.loopMaxMs >= 1000);
  const calm = pairs.filter((p) => !(p.b.loopMaxMs >= 1000));
  const mean = (xs: number[]) => xs.filter(Number.isFinite).reduce((s, x, _, all) => s + x / all.length, 0);
  const describe = (ps: typeof pairs) =>
    `the main thread ran ${pct(mean(ps.map((p) => share(p.a, p.b, "mainCpuS"))))} and waited for a core ${pct(mean(ps.map((p) => share(p.a, p.b, "mainWaitS"))))} of the time, `
    + `the server used ${f(mean(ps.map((p) => share(p.a, p.b, "cpuS"))), 2)} cores, the slowest probe fdatasync took ${f(mean(ps.map((p) => p.b.fsyncMaxMs)), 0)} ms, `
    + `and the machine's CPUs were ${machine(ps)} (means over the intervals)`;
  if (stalled.length === 0) return `No 5 s interval had an event-loop stall of 1 s or more; in them ${describe(calm)}.`;
  return `${stalled.length} of ${pairs.length} intervals of 5 s had an event-loop stall of 1 s or more: in those ${describe(stalled)}; in the others ${describe(calm)}.`;
}

const most = (xs: Sample[], pick: (s: Sample) => number) => Math.max(...xs.map(pick).filter(Number.isFinite));
const least = (xs: Sample[], pick: (s: Sample) => number) => Math.min(...xs.map(pick).filter(Number.isFinite));

/** One table row per bucket: the state at its end, extremes inside it, rates over it. */
export function rows(samples: Sample[], durationS: number, names: string[]): string[] {
  return buckets(samples, durationS).map(({ label, from, last, inside }) =>
    `| ${label} | ${f(last.rssMB)} | ${f(least(inside, (s) => s.heapUsedMB))} / ${f(last.heapTotalMB)} | ${last.fds} | ${f(most(inside, (s) => s.handles), 0)} | `
    + `${f(most(inside, (s) => s.loopP99Ms))} / ${f(most(inside, (s) => s.loopMaxMs))} | ${pct(share(from, last, "mainCpuS"))} / ${pct(share(from, last, "mainWaitS"))} | ${f(most(inside, (s) => s.fsyncMaxMs), 0)} | `
    + `${names.map((n) => f(rate(from, last, n))).join(" | ")} | ${sumErrors(last) - sumErrors(from)} | ${sumSkipped(last) - sumSkipped(from)} |`);
}

/**
 * The V8 heap's floor: the least heap used in each bucket after the warm-up (what survives the
 * collections), fitted over the buckets' ends. RSS follows the heap's total size, which V8 grows and
 * shrinks in steps of tens of MB; a leak shows as a rising floor.
 */
export function heapFloorFit(samples: Sample[], durationS: number) {
  const end = warmupEndS(samples, durationS);
  const pts = buckets(samples, durationS).filter((b) => b.from.t >= end - 0.5)
    .map((b) => [b.last.t / 60, least(b.inside, (s) => s.heapUsedMB)] as [number, number]);
  return { ...leastSquares(pts), points: pts.length };
}

export interface ReportInput {
  date: string;
  node: string;
  durationS: number;
  seed: number;
  specs: WorkloadSpec[];
  tallies: Tally[];
  samples: Sample[];
  arm: { cycles: number; approved: number; rejected: number };
  load: string;
  /** A sentence on the data directory at the end. */
  disk: string;
}

export function reportLines(r: ReportInput): { lines: string[]; errors: number; slope: number; heapFloorSlope: number; met: boolean } {
  const fit = rssFit(r.samples, r.durationS);
  const floor = heapFloorFit(r.samples, r.durationS);
  const first = r.samples[0]!;
  const last = r.samples[r.samples.length - 1]!;
  const afterWarm = r.samples.find((s) => s.t >= fit.warmupS) ?? last;
  const errors = r.tallies.reduce((a, t) => a + t.errors, 0);
  const slopeMet = Number.isFinite(fit.slope) && fit.slope < SLOPE_TARGET;
  const minutes = r.durationS / 60;
  const names = r.specs.map((s) => s.name);
  const unit = bucketSeconds(r.durationS) === 60 ? "minute" : "interval (minutes)";
  const reasons = r.tallies.flatMap((t) => [...t.reasons].map(([why, n]) => `${t.name}: ${n} x ${why}`));
  const loops = r.samples.slice(1).map((s) => s.loopP99Ms).filter(Number.isFinite).sort((a, b) => a - b);
  const lines = [
    "## Soak",
    "",
    `Measured ${r.date} by \`npm run soak\` (bench/soak.ts), ${f(minutes, minutes < 2 ? 2 : 1)} minutes (COVE_SOAK_MINUTES; seed ${r.seed}), against one \`cove serve\``,
    `(Node ${r.node}, SQLite and the file store, default settings) with a landing zone made through the SDKs: a Premium registry with`,
    "publicNetworkAccess Disabled, a private endpoint in a hub VNet approved by hand, `privatelink.<suffix>` linked to a peered spoke",
    "and written by the endpoint's zone group. Every loop runs at a fixed rate with a cap on requests in flight (a slot that finds",
    "the cap reached is skipped and counted) and stops by itself; the load generator is one Node process on the same 2 cores.",
    `Load average at the start and end: ${r.load}.`,
    "",
    "| workload | what one operation is | target /s | done | expected denials | errors | skipped | achieved /s | p50 ms | p99 ms |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.specs.map((s, i) => {
      const t = r.tallies[i]!;
      return `| ${s.name} | ${s.what} | ${s.rate} | ${t.ok + t.denied} | ${t.denied} | ${t.errors} | ${t.skipped} | ${f((t.ok + t.denied) / r.durationS)} | ${f(t.percentile(0.5))} | ${f(t.percentile(0.99))} |`;
    }),
    "",
    `ARM cycles completed: ${r.arm.cycles}: ${r.arm.approved} endpoints approved (each must then answer a hub client within 2 s, or the`,
    `step is an arm error) and ${r.arm.rejected} rejected, each deleted after its zone record was rewritten.`,
    "",
    `Per ${unit}: the server's RSS, V8 heap total (MB) and open file descriptors at the end of it; the least V8 heap used, the most`,
    "active handles and event-loop delay (p99 / max over each 5 s scrape interval, `cove_nodejs_eventloop_lag_*`) inside it; the share of it",
    "the server's main thread ran and waited for a core (/proc/<pid>/schedstat); the slowest fdatasync of 4 KiB on the same file system",
    "(a probe, every 250 ms); completed operations per second.",
    "",
    `| ${unit} | RSS MB | heap used (least) / total MB | fds | handles | loop p99 / max ms | main thread runs / waits | fsync max ms | ${names.map((n) => `${n}/s`).join(" | ")} | errors | skipped |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | ${names.map(() => "---").join(" | ")} | --- | --- |`,
    ...rows(r.samples, r.durationS, names),
    "",
    `Memory: RSS ${f(first.rssMB)} MB before the load, ${f(afterWarm.rssMB)} MB after the warm-up (${f(fit.warmupS / 60, 1)} min: ${warmupWhy(fit.warmupS, r.durationS)}), ${f(last.rssMB)} MB at the end, at most`,
    `${f(most(r.samples, (s) => s.rssMB))} MB; at the end ${f(last.anonMB)} MB of it anonymous (the V8 heap, ${f(last.heapTotalMB)} MB, and malloc) and ${f(last.fileMB)} MB mapped files.`,
    "RSS follows the V8 heap's total size, which V8 grows and shrinks in steps of tens of MB; the heap's floor (its least use",
    `per ${unit === "minute" ? "minute" : "interval"} after the warm-up) moved ${f(floor.slope, 2)} MB/min (least squares over ${floor.points} points). Open fds ${first.fds} -> ${last.fds},`,
    `threads ${first.threads} -> ${last.threads}, active handles ${f(first.handles, 0)} -> ${f(last.handles, 0)}. ${r.disk}`,
    `The heap's total by V8 space, after the warm-up -> at the end (MB): ${spaces(afterWarm, last)}.`,
    `Event-loop delay p99 per 5 s interval: median ${f(loops[Math.floor(loops.length / 2)] ?? NaN)} ms, worst ${f(loops[loops.length - 1] ?? NaN)} ms; the load generator's own p99 at most`,
    `${f(most(r.samples, (s) => s.clientLoopP99Ms))} ms. ${stalls(r.samples)}`,
    "",
    `- No errors other than the expected denials: **${errors === 0 ? "met" : "missed"}** (${errors} errors${reasons.length ? `: ${reasons.join("; ")}` : ""}).`,
    `- RSS flat after warm-up, slope under ${SLOPE_TARGET} MB/min: **${slopeMet ? "met" : "missed"}** (${f(fit.slope, 2)} MB/min, least squares over ${fit.samples} samples).`,
    "",
    "![Soak: RSS and request rates over time](images/soak.svg)",
  ];
  return { lines, errors, slope: fit.slope, heapFloorSlope: floor.slope, met: errors === 0 && slopeMet };
}

/** Why the warm-up ended when it did, in the report's words. */
function warmupWhy(endS: number, durationS: number): string {
  if (endS >= WARMUP_MAX_SHARE * durationS - 1e-9) return `the young generation still grew at ${WARMUP_MAX_SHARE * 100} % of the run, where the warm-up stops`;
  if (endS <= WARMUP_SHARE * durationS + 1e-9) return `the first ${WARMUP_SHARE * 100} % of the run; the young generation had reached its size by then`;
  return "when V8's young generation reached its largest size of the run";
}

/** "old 40.1 -> 52.3, new 16.0 -> 32.0, ...": the spaces that hold at least 1 MB at either end. */
function spaces(a: Sample, b: Sample): string {
  const names = [...new Set([...Object.keys(a.heapSpacesMB ?? {}), ...Object.keys(b.heapSpacesMB ?? {})])];
  const parts = names
    .map((n) => ({ n, x: a.heapSpacesMB?.[n] ?? 0, y: b.heapSpacesMB?.[n] ?? 0 }))
    .filter((p) => p.x >= 1 || p.y >= 1)
    .map((p) => `${p.n} ${p.x.toFixed(1)} -> ${p.y.toFixed(1)}`);
  return parts.length ? parts.join(", ") : "not scraped";
}
