// The "Geo-replication" section of docs/benchmarks.md, from one run of bench/geo-replication-bench.ts.
import { replaceSection } from "../report-section.js";

export interface PullRun {
  seconds: number;
  redirects: number;
  /** The host the 307 sent curl to. */
  dataHost: string;
  /** The data host's `x-cove-served-from` answer, when it sent one. */
  servedFrom?: string;
}

export interface GeoRun {
  measuredAt: string;
  node: string;
  mib: number;
  loadAverage: { start: number; end: number };
  wallSeconds: number;
  home: string;
  replica: string;
  lag: { seenSeconds: number; completedSeconds: number; polls: number; sawSyncing: boolean; maxPendingBytes: number };
  copySeconds: number;
  copies: number[];
  pulls: { replica: PullRun[]; home: PullRun[]; replicaMedian: number; homeMedian: number };
}

export async function writeGeoReport(path: string, r: GeoRun): Promise<void> {
  const f = (n: number, d = 2) => n.toFixed(d);
  const rate = (s: number) => `${f(r.mib / s, 0)} MiB/s`;
  const pullCell = (ps: PullRun[]) => ps.map((p) => f(p.seconds)).join(", ");
  const where = (ps: PullRun[]) => [...new Set(ps.map((p) => `${p.dataHost.split(".").slice(1, 2)[0]} data host${p.servedFrom ? `, served from ${p.servedFrom}` : ""}`))].join("; ");
  const lines = [
    "## Geo-replication",
    "",
    `Measured ${r.measuredAt} by \`node dist/bench/geo-replication-bench.js\` (bench/geo-replication-bench.ts), Node ${r.node},`,
    `on this 2-core machine, in ONE run of ${f(r.wallSeconds, 0)} s (load average ${f(r.loadAverage.start)} at the start, ${f(r.loadAverage.end)} at the end).`,
    `One spawned \`cove serve\` (embedded stores: the replica's store is a directory of the same data dir, on the same disk): a Premium`,
    `registry in ${r.home} with a replica in ${r.replica}, one hub per region with its own private endpoint and its own private zone`,
    "(one zone per region). Image: one layer of random bytes pushed from the home hub through its endpoint, as a monolithic upload.",
    "",
    "| what | Cove | peer | ratio |",
    "| --- | --- | --- | --- |",
    `| replication lag of a ${r.mib} MiB image: manifest PUT's 201 to the replica complete (its \`lastSyncedAt\`) | ${f(r.lag.completedSeconds)} s (${rate(r.lag.completedSeconds)}) | plain copy of the same bytes on the same disk, fsync'd, median of ${r.copies.length}: ${f(r.copySeconds)} s (${rate(r.copySeconds)}; ${r.copies.map((c) => f(c)).join(", ")}) | ${f(r.lag.completedSeconds / r.copySeconds)} |`,
    `| ... until \`syncStatus.state\` read Synced (polled every 100 ms, ${r.lag.polls} polls) | ${f(r.lag.seenSeconds)} s (${rate(r.lag.seenSeconds)}) | the same copy | ${f(r.lag.seenSeconds / r.copySeconds)} |`,
    `| blob GET of the ${r.mib} MiB layer from the replica hub (curl, 307 followed), median of ${r.pulls.replica.length} | ${f(r.pulls.replicaMedian)} s (${rate(r.pulls.replicaMedian)}; ${pullCell(r.pulls.replica)}) | the same GET from the home hub: ${f(r.pulls.homeMedian)} s (${rate(r.pulls.homeMedian)}; ${pullCell(r.pulls.home)}) | ${f(r.pulls.replicaMedian / r.pulls.homeMedian)} |`,
    "",
    `Routing seen by the clients: replica hub -> ${where(r.pulls.replica)}; home hub -> ${where(r.pulls.home)}.`,
    `While it synced the replica reported Syncing${r.lag.sawSyncing ? "" : " in no poll (it was done before the first status write)"}, at most ${f(r.lag.maxPendingBytes / 2 ** 20, 0)} MiB pending.`,
    "The replicator reads the blob from the home store, writes it to the replica's store and hashes it there before it counts",
    "(the store verifies the digest), so the copy peer is its floor; the status record is written at most once a second, so the lag",
    "a poller sees can trail the replica's completion by up to a second. Both pulls come from the same machine and disk: the ratio",
    "shows the replica's data endpoint costs what the home one does.",
  ];
  await replaceSection(path, "geo-replication", lines);
}
