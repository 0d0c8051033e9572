// dnsperf for the DNS bench: a throughput run (as many queries as the server answers, dnsperf's own
// summary) with where the machine's two cores went meanwhile, and a latency run at a fixed offered
// rate (-Q) with -v, whose per-query latencies give p50 and p99 (dnsperf 2.10 prints no percentiles).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { cpuOf, clientsCpu } from "./proc-cpu.js";
import { machineTicks } from "./soak-sampler.js";

const exec = promisify(execFile);
const HZ = 100;

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  avgLatencyMs: number;
}

/** Reads dnsperf's summary ("Queries per second:", "Average Latency (s):", ...). */
export function parseDnsperf(out: string): DnsperfResult {
  const num = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) throw new Error(`dnsperf output lacks ${re}:\n${out.slice(-2000)}`);
    return Number(m[1]);
  };
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
  };
}

/** The latencies (ms) of `-v`'s per-query lines ("> NOERROR name A 0.000123"), answered ones only. */
export function verboseLatencies(out: string): number[] {
  const ms: number[] = [];
  for (const m of out.matchAll(/^> [A-Z]+ \S+ \S+ ([\d.]+)$/gm)) ms.push(Number(m[1]) * 1000);
  return ms;
}

/** The q-quantile (0..1) of `values`, nearest rank; NaN for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface Target { port: number; source: string; clients: number }

export interface Throughput extends DnsperfResult {
  /** Cores busy on average over the run: the server's process, dnsperf, and the whole machine. */
  serverCores: number;
  dnsperfCores: number;
  machineBusyCores: number;
  machineCores: number;
}

/** One saturating run of `seconds`, reading the server's and dnsperf's CPU around it. */
export async function throughput(t: Target, queries: string, seconds: number, serverPid: number): Promise<Throughput> {
  const args = ["-s", "127.0.0.1", "-p", String(t.port), "-a", t.source, "-c", String(t.clients), "-d", queries, "-l", String(seconds)];
  const [s0, c0, m0, t0] = [await cpuOf(serverPid), await clientsCpu(), await machineTicks(), performance.now()];
  const { stdout } = await exec("dnsperf", args, { maxBuffer: 1 << 20, timeout: (seconds + 30) * 1000 });
  const [s1, c1, m1, t1] = [await cpuOf(serverPid), await clientsCpu(), await machineTicks(), performance.now()];
  const wall = (t1 - t0) / 1000;
  const ticks = (m: typeof m0) => m.busy + m.idle + m.iowait + m.steal;
  return {
    ...parseDnsperf(stdout),
    serverCores: (s1 - s0) / wall,
    dnsperfCores: (c1 - c0) / wall,
    machineBusyCores: (m1.busy - m0.busy) / HZ / wall,
    machineCores: (ticks(m1) - ticks(m0)) / HZ / wall,
  };
}

export interface Latency { offeredQps: number; answered: number; lost: number; p50Ms: number; p99Ms: number }

/** A run at `qps` offered for `seconds` with -v: p50 and p99 of the answered queries. */
export async function latency(t: Target, queries: string, seconds: number, qps: number): Promise<Latency> {
  const args = ["-s", "127.0.0.1", "-p", String(t.port), "-a", t.source, "-c", String(t.clients), "-d", queries, "-l", String(seconds), "-Q", String(qps), "-v"];
  const { stdout } = await exec("dnsperf", args, { maxBuffer: 256 << 20, timeout: (seconds + 30) * 1000 });
  const ms = verboseLatencies(stdout);
  const summary = parseDnsperf(stdout);
  return { offeredQps: qps, answered: ms.length, lost: summary.lost, p50Ms: quantile(ms, 0.5), p99Ms: quantile(ms, 0.99) };
}
