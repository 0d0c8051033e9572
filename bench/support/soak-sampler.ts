// The soak's sampler, every few seconds: the server's RSS (VmRSS in /proc/<pid>/status, with its
// anonymous and file-backed parts, and the thread count) and open file descriptors (entries of
// /proc/<pid>/fd), what Cove's /metrics says of itself (prom-client's
// default metrics under cove_: event-loop delay p99 and max over the interval since the previous
// scrape, since prom-client resets its histogram at every scrape and the soak is the only scraper;
// active handles and resources; V8 heap used and total, external memory), the load generator's own
// event-loop delay (a saturated client would show here, not as a slower server), and every
// workload's cumulative counts.
import { readdir, readFile } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { https } from "../../test/support/http.js";
import type { Counts, Tally } from "./soak-workload.js";
import type { SoakLanding } from "./soak-landing.js";

export interface Sample {
  /** Seconds since the workload started. */
  t: number;
  rssMB: number;
  /** RssAnon and RssFile: the heap and malloc'd memory, and mapped files (the node binary, libraries). */
  anonMB: number;
  fileMB: number;
  threads: number;
  fds: number;
  /** From /metrics; NaN when the metric is absent or the scrape failed. */
  handles: number;
  resources: number;
  heapUsedMB: number;
  heapTotalMB: number;
  /** Memory outside the V8 heap that JS objects hold (Buffers and other ArrayBuffers). */
  externalMB: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** The load generator's own event-loop delay p99 over the interval. */
  clientLoopP99Ms: number;
  counts: Record<string, Counts>;
}

const MB = 1e6;

/** VmRSS and its anonymous and file-backed parts (MB), and the thread count, from /proc/<pid>/status. */
async function procStatus(pid: number): Promise<{ rssMB: number; anonMB: number; fileMB: number; threads: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => (Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024) / MB;
  return { rssMB: kb("VmRSS"), anonMB: kb("RssAnon"), fileMB: kb("RssFile"), threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1]) };
}

/** Reads one unlabelled sample `name` from Prometheus text; NaN when absent. */
export function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+|NaN)$`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

export interface Sampler {
  take(): Promise<Sample>;
  close(): void;
}

export function sampler(z: SoakLanding, tallies: Tally[], started: number): Sampler {
  const own = monitorEventLoopDelay({ resolution: 10 });
  own.enable();
  let token: { value: string; at: number } | undefined;
  const scrape = async (): Promise<string> => {
    if (!token || Date.now() - token.at > 5 * 60_000) token = { value: await z.managementToken(), at: Date.now() };
    const r = await https(`${z.managementUrl}/metrics`, { ca: z.ca, headers: { authorization: `Bearer ${token.value}` } });
    if (r.status !== 200) throw new Error(`/metrics: ${r.status}`);
    return r.body.toString("utf8");
  };
  return {
    async take() {
      const t = (Date.now() - started) / 1000;
      const counts = Object.fromEntries(tallies.map((x) => [x.name, x.counts()]));
      const text = await scrape().catch(() => "");
      const s: Sample = {
        t,
        ...(await procStatus(z.pid)),
        fds: (await readdir(`/proc/${z.pid}/fd`)).length,
        handles: metric(text, "cove_nodejs_active_handles_total"),
        resources: metric(text, "cove_nodejs_active_resources_total"),
        heapUsedMB: metric(text, "cove_nodejs_heap_size_used_bytes") / MB,
        heapTotalMB: metric(text, "cove_nodejs_heap_size_total_bytes") / MB,
        externalMB: metric(text, "cove_nodejs_external_memory_bytes") / MB,
        loopP99Ms: metric(text, "cove_nodejs_eventloop_lag_p99_seconds") * 1000,
        loopMaxMs: metric(text, "cove_nodejs_eventloop_lag_max_seconds") * 1000,
        clientLoopP99Ms: own.percentile(99) / 1e6,
        counts,
      };
      own.reset();
      return s;
    },
    close: () => own.disable(),
  };
}
