// The soak's sampler, every 5 s:
//   - the server from /proc: RSS (VmRSS, with its anonymous and file-backed parts), threads, open
//     file descriptors (entries of /proc/<pid>/fd), CPU seconds, and its main thread's (the event
//     loop's) running and run-queue time (/proc/<pid>/schedstat: waiting for a core, not running)
//   - the server from its /metrics (prom-client's defaults under cove_): event-loop delay p99 and
//     max since the previous scrape (prom-client resets its histogram at every scrape, and the soak
//     is the only scraper), active handles and resources, V8 heap used and total, external memory
//   - the machine: how its CPUs spent the time (/proc/stat), and the slowest of the fdatasyncs of
//     4 KiB a probe makes every 250 ms on the data directory's file system (SQLite commits fsync on
//     the server's event loop, synchronous=FULL: a slow disk stalls it)
//   - the load generator's own event-loop delay (a saturated client shows here, not as a slower
//     server), and every workload's cumulative counts.
import { open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { https } from "../../test/support/http.js";
import type { Counts, Tally } from "./soak-workload.js";
import type { SoakLanding } from "./soak-landing.js";
import { cpuOf } from "./proc-cpu.js";

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
  /** The heap's total size by V8 space (new, old, code, large_object, ...), from /metrics. */
  heapSpacesMB: Record<string, number>;
  /** Memory outside the V8 heap that JS objects hold (Buffers and other ArrayBuffers). */
  externalMB: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** The load generator's own event-loop delay p99 over the interval. */
  clientLoopP99Ms: number;
  /** Cumulative seconds: the server's CPU, its main thread's CPU and run-queue wait. */
  cpuS: number;
  mainCpuS: number;
  mainWaitS: number;
  /** The slowest fdatasync of the probe in the interval (ms). */
  fsyncMaxMs: number;
  /** The machine's CPU time since boot from /proc/stat (clock ticks, all cores): busy (user, nice,
   *  system, irq, softirq), idle, waiting on I/O, stolen by the hypervisor. */
  machine: { busy: number; idle: number; iowait: number; steal: number };
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

/** cove_nodejs_heap_space_size_total_bytes by its space label (MB). */
function heapSpaces(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cove_nodejs_heap_space_size_total_bytes\{space="([a-z_]+)"\} ([0-9.eE+-]+)$/gm)) out[m[1]!] = Number(m[2]) / MB;
  return out;
}

export interface Sampler {
  take(): Promise<Sample>;
  close(): Promise<void>;
}

export async function machineTicks(): Promise<Sample["machine"]> {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user! + nice! + system! + irq! + softirq!, idle: idle!, iowait: iowait!, steal: steal! };
}

async function schedstat(pid: number): Promise<{ mainCpuS: number; mainWaitS: number }> {
  const [run, wait] = (await readFile(`/proc/${pid}/schedstat`, "utf8")).trim().split(/\s+/).map(Number);
  return { mainCpuS: run! / 1e9, mainWaitS: wait! / 1e9 };
}

/** fdatasync of 4 KiB in `dir` every 250 ms until stopped; `takeMax()` returns the slowest since the last call. */
function fsyncProbe(dir: string) {
  let max = 0;
  let stopped = false;
  const block = Buffer.alloc(4096, 1);
  const done = (async () => {
    const fh = await open(join(dir, "soak-fsync-probe"), "w");
    try {
      for (let k = 0; !stopped; k++) {
        const t0 = performance.now();
        await fh.write(block, 0, block.length, (k % 256) * block.length);
        await fh.datasync();
        max = Math.max(max, performance.now() - t0);
        await new Promise((ok) => setTimeout(ok, 250));
      }
    } finally {
      await fh.close();
    }
  })();
  return {
    takeMax: () => { const m = max; max = 0; return m; },
    stop: async () => { stopped = true; await done; },
  };
}

export function sampler(z: SoakLanding, tallies: Tally[], started: number, probeDir: string): Sampler {
  const own = monitorEventLoopDelay({ resolution: 10 });
  own.enable();
  const disk = fsyncProbe(probeDir);
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
        heapSpacesMB: heapSpaces(text),
        externalMB: metric(text, "cove_nodejs_external_memory_bytes") / MB,
        loopP99Ms: metric(text, "cove_nodejs_eventloop_lag_p99_seconds") * 1000,
        loopMaxMs: metric(text, "cove_nodejs_eventloop_lag_max_seconds") * 1000,
        clientLoopP99Ms: own.percentile(99) / 1e6,
        cpuS: await cpuOf(z.pid),
        ...(await schedstat(z.pid)),
        fsyncMaxMs: disk.takeMax(),
        machine: await machineTicks(),
        counts,
      };
      own.reset();
      return s;
    },
    async close() {
      own.disable();
      await disk.stop();
    },
  };
}
