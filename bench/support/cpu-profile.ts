// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per part of the process
// (Cove's own code, pg, the Azure SDK, Node's internals, GC, idle...), from the samples' time deltas.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileSummary {
  /** Wall time the summary covers (the window, within the profile), ms. */
  totalMs: number;
  /** ms per part, largest first. */
  parts: { part: string; ms: number }[];
  /**
   * ms per owner, largest first: a sample's self time goes to the nearest frame on its stack that
   * is Cove's own file or a package, so Node's internals (hashing, streams, TLS) count for whoever
   * called them. Samples with no such frame keep their part ((garbage collector), (program)...).
   */
  owners: { owner: string; ms: number }[];
  /** The functions with the most self time (idle excluded), largest first. */
  top: { fn: string; where: string; part: string; ms: number }[];
}

/** Which part of the process a frame belongs to. */
function partOf(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  if (url.includes("/node_modules/")) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.slice(url.lastIndexOf("/node_modules/")));
    return m ? m[1]! : "node_modules";
  }
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/dist/src/")) return "cove";
  return url.replace(/^file:\/\//, "").split("/").slice(-2).join("/");
}

/**
 * `window`: only the samples taken between these two readings of process.hrtime.bigint() (ns). V8's
 * profile clock and libuv's hrtime are both CLOCK_MONOTONIC on Linux, the same in every process.
 * `self_`: the package the process is (azurite), whose files then own their samples one by one.
 */
export async function summariseProfile(path: string, window?: { from: bigint; to: bigint }, self_?: string, top = 10): Promise<ProfileSummary> {
  const p = JSON.parse(await readFile(path, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const from = window ? Number(window.from / 1000n) : -Infinity;
  const to = window ? Number(window.to / 1000n) : Infinity;
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t >= from && t <= to) self.set(id, (self.get(id) ?? 0) + dt / 1000);
  });
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ownerMemo = new Map<number, string | undefined>();
  const ownerOf = (id: number): string | undefined => {
    if (ownerMemo.has(id)) return ownerMemo.get(id);
    const url = byId.get(id)!.callFrame.url;
    let o: string | undefined;
    const own = self_ ? url.indexOf(`/node_modules/${self_}/`) : -1;
    if (own >= 0) o = `${self_} ${url.slice(own + self_!.length + 15).replace(/^dist\/src\//, "")}`;
    else if (url.includes("/node_modules/")) o = partOf(url, "");
    else if (url.includes("/dist/src/")) o = "cove " + url.slice(url.indexOf("/dist/src/") + 10);
    else if (parent.has(id)) o = ownerOf(parent.get(id)!);
    ownerMemo.set(id, o);
    return o;
  };
  const owners = new Map<string, number>();
  const parts = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; part: string; ms: number }>();
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const part = partOf(url, functionName);
    parts.set(part, (parts.get(part) ?? 0) + ms);
    if (functionName === "(idle)") continue;
    const owner = ownerOf(id) ?? part;
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const where = url ? `${url.replace(/^.*\/(node_modules|dist)\//, "$1/")}:${lineNumber + 1}` : "";
    const key = `${functionName}@${where}`;
    const f = fns.get(key) ?? { fn: functionName || "(anonymous)", where, part, ms: 0 };
    f.ms += ms;
    fns.set(key, f);
  }
  return {
    totalMs: (Math.min(to, p.endTime) - Math.max(from, p.startTime)) / 1000,
    parts: [...parts].map(([part, ms]) => ({ part, ms })).sort((a, b) => b.ms - a.ms),
    owners: [...owners].map(([owner, ms]) => ({ owner, ms })).sort((a, b) => b.ms - a.ms),
    top: [...fns.values()].sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}

/**
 * The main thread's .cpuprofile of the process that wrote into `dir` (node --cpu-prof-dir). Every
 * thread writes its own (CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile): a DNS worker's is
 * almost all idle, so the main thread's, thread id 0, is the one that describes the serving.
 */
export async function profileIn(dir: string): Promise<string | undefined> {
  const f = (await readdir(dir).catch(() => [] as string[])).filter((x) => x.endsWith(".cpuprofile")).sort();
  const main = f.filter((x) => x.split(".")[4] === "0");
  const pick = main.at(-1) ?? f.at(-1);
  return pick ? join(dir, pick) : undefined;
}
