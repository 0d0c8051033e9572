// Where a phase's CPU goes, read from /proc (Linux): utime + stime of a process, plus cutime + cstime
// of the children it has reaped, in clock ticks (USER_HZ, 100 on Linux). Read before and after a
// phase, the difference is that phase's CPU seconds, per part: the Cove nodes, Azurite, PostgreSQL
// (the postmaster with every backend, live or reaped) and the clients (skopeo and the load
// generator: children of this process that have exited, so counted in its own cutime).
import { readdir, readFile } from "node:fs/promises";

const HZ = 100;

interface Stat { ppid: number; self: number; reaped: number }

async function stat(pid: number): Promise<Stat | undefined> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: split after its last ")".
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) / HZ, reaped: (Number(f[13]) + Number(f[14])) / HZ };
  } catch {
    return undefined; // gone
  }
}

/** CPU seconds of `pid` and its reaped children. */
export async function cpuOf(pid: number): Promise<number> {
  const s = await stat(pid);
  return s ? s.self + s.reaped : 0;
}

/** Live processes whose parent is `ppid`. */
export async function childrenOf(ppid: number): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const s = await stat(Number(e));
    if (s?.ppid === ppid) out.push(Number(e));
  }
  return out;
}

/** CPU seconds of a process tree one level deep: `pid`, its reaped children and its live children. */
export async function cpuOfFamily(pid: number): Promise<number> {
  let sum = await cpuOf(pid);
  for (const c of await childrenOf(pid)) sum += (await stat(c))?.self ?? 0;
  return sum;
}

export async function cmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
}

/** The pids of this process's Azurite children (test/support/azurite.ts spawns node .../azurite-blob). */
export async function azuritePids(): Promise<number[]> {
  const out: number[] = [];
  for (const c of await childrenOf(process.pid)) if ((await cmdline(c)).includes("azurite-blob")) out.push(c);
  return out;
}

/** This process's own reaped children (the clients that have finished). */
export async function clientsCpu(): Promise<number> {
  const s = await stat(process.pid);
  return s ? s.reaped : 0;
}

export interface CpuParts { cove: number; azurite: number; postgres: number; clients: number }

export interface CpuProbe {
  coves: number[];
  azurite?: number;
  postmaster?: number;
}

export async function readCpu(p: CpuProbe): Promise<CpuParts> {
  let cove = 0;
  for (const pid of p.coves) cove += await cpuOf(pid);
  return {
    cove,
    azurite: p.azurite ? await cpuOf(p.azurite) : 0,
    postgres: p.postmaster ? await cpuOfFamily(p.postmaster) : 0,
    clients: await clientsCpu(),
  };
}

export function cpuDelta(a: CpuParts, b: CpuParts): CpuParts {
  return { cove: b.cove - a.cove, azurite: b.azurite - a.azurite, postgres: b.postgres - a.postgres, clients: b.clients - a.clients };
}
