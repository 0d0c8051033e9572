// Loaded into the profiled Cove only (NODE_OPTIONS=--import <this file>, by bench/fleet-bench.ts): counts
// V8's garbage collections by kind, with their main-thread pause time, and rewrites the totals to the
// file FLEET_GC_PROBE_OUT names every 500 ms. The bench reads it before and after a batch; the
// difference is the batch's. (--trace-gc is not allowed in NODE_OPTIONS; a PerformanceObserver is.)
// The file is written in place, padded to a fixed length: truncating it each time (writeFileSync) made
// ext4 flush it on close, a synchronous disk wait on the main thread of the very process being profiled.
// Only the main thread counts: Node preloads --import into worker threads too (Cove's DNS threads), and
// each would write its own totals over the main thread's.
import { openSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { PerformanceObserver, constants } from "node:perf_hooks";
import { isMainThread } from "node:worker_threads";

export interface GcTotals { major: number; minor: number; incremental: number; weak: number; pauseMs: number }

const out = process.env.FLEET_GC_PROBE_OUT;
if (out && isMainThread) {
  const t: GcTotals = { major: 0, minor: 0, incremental: 0, weak: 0, pauseMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) t.major++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) t.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) t.incremental++;
      else t.weak++;
      t.pauseMs += e.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  const fd = openSync(out, "w");
  setInterval(() => writeSync(fd, JSON.stringify(t).padEnd(256), 0), 500).unref();
}

/** The totals the probe last wrote (zeros before its first write). */
export async function readGcTotals(path: string): Promise<GcTotals> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as GcTotals;
  } catch {
    return { major: 0, minor: 0, incremental: 0, weak: 0, pauseMs: 0 };
  }
}
