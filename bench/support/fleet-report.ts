// The "Fleet pull" section of docs/benchmarks.md (between <!-- fleet:begin --> and <!-- fleet:end -->),
// from one run of bench/fleet-bench.ts. The hand-written profile notes after the end marker stay.
import { replaceSection } from "../report-section.js";
import type { BatchResult } from "./fleet-clients.js";
import type { ProcSample } from "./fleet-threads.js";
import type { ProfileSummary } from "./cpu-profile.js";

export type Server = "cove" | "peer";
export interface Batch extends BatchResult { server: Server; round: number; serverCpu: number; clientsCpu: number; peakRssMiB: number; proc: ProcSample }
export interface FleetRun {
  measuredAt: string; node: string; wallSeconds: number; loadAverage: { start: number; end: number };
  imageMiB: number; imageBytes: number; pullTo: string; rounds: number; batches: Batch[];
  small: { count: number; bytesEach: number; seconds: Record<Server, number>; halves: Record<Server, number[]> };
  blob: {
    mib: number; shaBytesPerSecond: number; writeRates: number[]; coveSeconds: number; peerSeconds: number;
    coveCpu: number; covePeakRssMiB: number;
    /** Cove's threads during its push, and this (the client's) process's CPU seconds. */
    coveThreads: ProcSample; clientCpu: number;
    /** The same client's push into bench/support/discard-sink.ts. */
    sink: { seconds: number; clientCpu: number; sinkCpu: number };
  };
  profile?: {
    clients: number; wall: number; cpu: number; proc: ProcSample; summary: ProfileSummary; unprofiledWall: number;
    /** Collections during the batch (bench/support/fleet-gc-probe.ts) and their main-thread pauses. */
    gc: { major: number; minor: number; pauseMs: number };
  };
}

const f = (n: number, d = 2) => n.toFixed(d);
const MB = 1e6;
const NAME: Record<Server, string> = { cove: "Cove", peer: "docker-registry" };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Each server's fastest round for `clients` (the least disturbed by the machine's other work). */
export function best(batches: Batch[], clients: number, server: Server): Batch | undefined {
  return batches.filter((b) => b.clients === clients && b.server === server).sort((a, b) => a.wall - b.wall)[0];
}

const aggregate = (b: Batch) => (b.clients * b.bytesEach) / b.wall / MB;

/** The batch size whose Cove / peer aggregate ratio is the lowest: the one to profile. */
export function profileSize(batches: Batch[]): number {
  const sizes = [...new Set(batches.map((b) => b.clients))];
  const ratio = (n: number) => aggregate(best(batches, n, "cove")!) / aggregate(best(batches, n, "peer")!);
  return sizes.sort((a, b) => ratio(a) - ratio(b))[0] ?? 8;
}
const slowest = (b: Batch) => Math.max(...b.times);

function threadsLine(t: Record<string, number>): string {
  return Object.entries(t).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${f(v)} s`).join(", ") || "-";
}

export async function writeFleetReport(path: string, r: FleetRun): Promise<void> {
  const counts = [...new Set(r.batches.map((b) => b.clients))].sort((a, b) => a - b);
  const rows: string[] = [];
  const targets: string[] = [];
  for (const n of counts) {
    for (const s of ["cove", "peer"] as Server[]) {
      const b = best(r.batches, n, s)!;
      const all = r.batches.filter((x) => x.clients === n && x.server === s).map((x) => f(x.wall)).join(", ");
      rows.push(`| ${n} | ${NAME[s]} | ${f(b.wall)} s (${all}) | ${f(aggregate(b), 0)} MB/s | ${f(slowest(b))} s | ${f(median(b.times))} s | ${f(b.serverCpu)} s (${f(b.serverCpu / b.wall)} cores) | ${f(b.clientsCpu)} s | ${f(b.peakRssMiB, 0)} MiB |`);
    }
    const c = best(r.batches, n, "cove")!;
    const p = best(r.batches, n, "peer")!;
    const ra = aggregate(c) / aggregate(p);
    const rs = slowest(c) / slowest(p);
    targets.push(`| aggregate, ${n} clients | ${f(aggregate(c), 0)} MB/s | ${f(aggregate(p), 0)} MB/s | ${f(ra)} | >= 1.0 | ${ra >= 1 ? "met" : "**missed**"} |`);
    targets.push(`| slowest client, ${n} clients | ${f(slowest(c))} s | ${f(slowest(p))} s | ${f(rs)} | <= 1.0 | ${rs <= 1 ? "met" : "**missed**"} |`);
  }
  const perThread = counts.flatMap((n) => (["cove", "peer"] as Server[]).map((sv) => {
    const b = best(r.batches, n, sv)!;
    const mib = (b.clients * b.bytesEach) / 2 ** 20;
    return `| ${n} | ${NAME[sv]} | ${threadsLine(b.proc.threads)} | ${threadsLine(b.proc.waited)} | ${f(b.proc.syscr / mib, 1)} / ${f(b.proc.syscw / mib, 1)} |`;
  }));
  const ips = (s: Server) => r.small.count / r.small.seconds[s];
  const ceiling = Math.min(r.blob.shaBytesPerSecond, Math.max(...r.blob.writeRates));
  const blobBytes = r.blob.mib * 2 ** 20;
  const coveRate = blobBytes / r.blob.coveSeconds;
  const fraction = coveRate / ceiling;
  const sinkRate = blobBytes / r.blob.sink.seconds;
  const lines = [
    "## Fleet pull: N nodes pull one image at once",
    "",
    `Measured ${r.measuredAt} by \`node dist/bench/fleet-bench.js\` (bench/fleet-bench.ts), Node ${r.node}, on this 2-core machine`,
    `in ONE run of ${f(r.wallSeconds, 0)} s (load average ${f(r.loadAverage.start)} at the start, ${f(r.loadAverage.end)} at the end). Cove (\`cove serve\`: token`,
    "auth, the network decision and the audit log on, embedded stores) and Debian's docker-registry 2.8 (no auth), both over TLS on",
    "loopback, both separate processes, sharing the 2 cores with their clients. Image: one random gzip layer of",
    `${r.imageMiB} MiB (${f(r.imageBytes / MB, 1)} MB with config and manifest), pushed once to each. A batch: N skopeo processes started together, each`,
    `\`skopeo copy docker://... dir:\` (to ${r.pullTo}) with its own TLS connections and, on Cove, its own token; every copy is checked`,
    `(layer present at its size; skopeo verifies digests). ${r.rounds} rounds per batch size, the servers' order alternating; each`,
    "server's fastest round counts (the machine's other work only slows a round down), every round's time in brackets.",
    "Aggregate = N x image bytes / batch wall time. CPU: utime + stime from /proc, clients = the skopeo processes.",
    "",
    "| clients | server | batch wall (rounds) | aggregate | slowest client | median client | server CPU | clients CPU | server peak RSS |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "| target | Cove | docker-registry | ratio | target | |",
    "| --- | --- | --- | --- | --- | --- |",
    ...targets,
    `| ${r.small.count} small images pushed one after another (skopeo, tags of one repository) | ${f(ips("cove"), 1)} images/s | ${f(ips("peer"), 1)} images/s | ${f(ips("cove") / ips("peer"))} | - | |`,
    `| ${r.blob.mib} MiB blob pushed by a Node client (POST, PUT ?digest= streamed), Cove vs the machine's ceiling | ${f(r.blob.coveSeconds)} s, ${f(coveRate / MB, 0)} MB/s | ceiling ${f(ceiling / MB, 0)} MB/s | ${f(fraction)} | >= 0.8 | ${fraction >= 0.8 ? "met" : "**missed**"} |`,
    "",
    `Small images: ${f(r.small.bytesEach / 1024, 1)} KiB each (a 4 KiB random file, tar'd and gzip'd, and a config), pushed as the halves`,
    `peer, Cove, Cove, peer (${r.small.halves.peer.map((s) => f(s)).join(" + ")} s and ${r.small.halves.cove.map((s) => f(s)).join(" + ")} s); every skopeo logs in afresh on Cove.`,
    `Ceiling of the ${r.blob.mib} MiB push = min(sha256 of the same bytes in memory, 1 MiB updates: ${f(r.blob.shaBytesPerSecond / MB, 0)} MB/s; fsync'd`,
    `sequential write of them next to Cove's data dir, 1 MiB writes and one fdatasync, the better of ${r.blob.writeRates.length}: ${r.blob.writeRates.map((w) => f(w / MB, 0)).join(", ")} MB/s),`,
    `measured in the same run. During the push Cove used ${f(r.blob.coveCpu)} CPU-s, peak RSS ${f(r.blob.covePeakRssMiB, 0)} MiB; by thread:`,
    `${threadsLine(r.blob.coveThreads.threads)}; waited for a CPU: ${threadsLine(r.blob.coveThreads.waited)}. The client (this bench's`,
    `process) used ${f(r.blob.clientCpu)} CPU-s. The same client into a TLS sink that reads and discards (bench/support/discard-sink.ts, one Node`,
    `process: no hash, no disk, no registry): ${f(r.blob.sink.seconds)} s, ${f(sinkRate / MB, 0)} MB/s, ${f(sinkRate / ceiling)} of the ceiling, with the sink using ${f(r.blob.sink.sinkCpu)} CPU-s`,
    `and the client ${f(r.blob.sink.clientCpu)}: ${sinkRate / ceiling < 0.8 ? "below the target before Cove does any work of its own" : "what TLS and the client leave for Cove's own work"}. The same upload to`,
    `docker-registry (which does not fsync): ${f(r.blob.peerSeconds)} s, ${f(blobBytes / r.blob.peerSeconds / MB, 0)} MB/s.`,
    "",
    "The servers' threads in the fastest rounds (bench/support/fleet-threads.ts): CPU seconds by thread kind, the seconds those",
    "threads spent runnable but waiting for a CPU (schedstat; a Go program's threads all carry its name and run in parallel,",
    "Cove's serving is on its main thread), and read / write syscalls per MiB served (/proc/<pid>/io: files, sockets, eventfds).",
    "",
    "| clients | server | CPU by thread | waited for a CPU | reads / writes per MiB |",
    "| --- | --- | --- | --- | --- |",
    ...perThread,
  ];
  if (r.profile) {
    const p = r.profile;
    const owners = p.summary.owners.slice(0, 8).map((o) => `${o.owner} ${f(o.ms, 0)} ms`).join(", ");
    const top = p.summary.top.slice(0, 10).map((t) => `\`${t.fn}\` ${t.where ? `(${t.where}) ` : ""}${f(t.ms, 0)} ms`).join(", ");
    const idle = p.summary.parts.find((x) => x.part === "(idle)")?.ms ?? 0;
    const served = (p.clients * r.imageBytes) / 2 ** 20;
    lines.push(
      "",
      `Profile: a second Cove under \`--cpu-prof\` (and bench/support/fleet-gc-probe.ts), the same image, ${p.clients} clients: batch ${f(p.wall)} s`,
      `(${f(p.unprofiledWall)} s unprofiled in the fastest round above). Cove ${f(p.cpu)} CPU-s by thread: ${threadsLine(p.proc.threads)}`,
      `(node-V8Worker threads run V8's concurrent marking and sweeping); waited for a CPU: ${threadsLine(p.proc.waited)}. ${p.gc.major} major and ${p.gc.minor} minor GCs in the batch`,
      `(${p.gc.major > 0 ? `one major per ${f(served / p.gc.major, 0)} MiB served` : `none for the ${f(served, 0)} MiB served`}), ${f(p.gc.pauseMs, 0)} ms of main-thread GC time. The main thread's samples`,
      `(${f(p.summary.totalMs, 0)} ms of wall time, ${f(idle, 0)} ms idle; samples are wall-clock, so on a loaded machine a function the`,
      `scheduler preempted keeps the time it waited) by owner: ${owners}. Top functions (self time): ${top}.`,
    );
  }
  await replaceSection(path, "fleet", lines);
}
