// Where a server process's CPU and syscalls go during one phase, from /proc (Linux), without slowing
// it down: CPU seconds (utime + stime) per thread kind (a thread's comm: node-MainThread, libuv-worker,
// node-V8Worker...; a Go program's threads all carry its name), and the read/write syscalls and bytes
// of /proc/<pid>/io (sockets and files alike), and how long each kind's threads waited, runnable, for
// a CPU (/proc/<pid>/task/<tid>/schedstat): on a machine whose cores the clients share, a server
// whose work is on one thread is held back by that wait. Read before and after, the difference is the phase's.
import { readdir, readFile } from "node:fs/promises";

const HZ = 100; // USER_HZ

export interface ProcSample {
  /** CPU seconds per thread kind, of the threads alive at the reading. */
  threads: Record<string, number>;
  /** Seconds the threads of each kind spent runnable on a run queue, waiting for a CPU. */
  waited: Record<string, number>;
  syscr: number;
  syscw: number;
  rchar: number;
  wchar: number;
}

export async function sampleProc(pid: number): Promise<ProcSample> {
  const threads: Record<string, number> = {};
  const waited: Record<string, number> = {};
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, "utf8").catch(() => "");
    if (!stat) continue;
    // comm (field 2) is in parentheses and may hold spaces: split after its last ")".
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    threads[comm] = (threads[comm] ?? 0) + (Number(f[11]) + Number(f[12])) / HZ;
    // schedstat: ns on the CPU, ns waiting on a run queue, timeslices.
    const sched = (await readFile(`/proc/${pid}/task/${tid}/schedstat`, "utf8").catch(() => "")).split(" ");
    if (sched.length >= 2) waited[comm] = (waited[comm] ?? 0) + Number(sched[1]) / 1e9;
  }
  const io = await readFile(`/proc/${pid}/io`, "utf8").catch(() => "");
  const num = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, "m").exec(io)?.[1] ?? NaN);
  return { threads, waited, syscr: num("syscr"), syscw: num("syscw"), rchar: num("rchar"), wchar: num("wchar") };
}

/** b - a; thread kinds that used no CPU in between are left out. */
export function procDelta(a: ProcSample, b: ProcSample): ProcSample {
  const diff = (x: Record<string, number>, y: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const d = (y[k] ?? 0) - (x[k] ?? 0);
      if (d > 0.005) out[k] = d;
    }
    return out;
  };
  return {
    threads: diff(a.threads, b.threads), waited: diff(a.waited, b.waited),
    syscr: b.syscr - a.syscr, syscw: b.syscw - a.syscw, rchar: b.rchar - a.rchar, wchar: b.wchar - a.wchar,
  };
}
