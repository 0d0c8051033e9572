// The "Scale-out" section of docs/benchmarks.md, from one run of bench/scale-out-bench.ts: every
// figure with its ratio to the embedded default measured in the same run, the CPU seconds of each
// part per phase, and the profile summary.
import { replaceSection } from "../report-section.js";
import type { BenchRun, Phase, SetupResult } from "../scale-out-bench.js";
import type { ProfileSummary } from "./cpu-profile.js";

const f = (n: number, d = 2) => n.toFixed(d);
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

function rows(run: BenchRun): string[] {
  const [base, ...rest] = run.setups as [SetupResult, ...SetupResult[]];
  const mib = run.scaleMiB;
  const time = (p: Phase, total: number) => `${f(p.seconds)} s (${f(total / p.seconds, 0)} MiB/s)`;
  const line = (name: string, cell: (s: SetupResult) => string, value: (s: SetupResult) => number) =>
    `| ${name} | ${cell(base)} | ${rest.map((s) => `${cell(s)} | **${f(value(s) / value(base))}**`).join(" | ")} |`;
  const ms = (xs: number[], q: number) => `${f(pct(xs, q), 1)} ms`;
  const n = base.approval.rounds;
  return [
    `| workload | ${base.label} | ${rest.map((s) => `${s.label} | ratio`).join(" | ")} |`,
    `| --- | --- | ${rest.map(() => "--- | ---").join(" | ")} |`,
    line(`push, one image (${mib} MiB), one skopeo`, (s) => time(s.one.push, mib), (s) => s.one.push.seconds),
    line("pull of it (3 nodes: through B)", (s) => time(s.one.pull, mib), (s) => s.one.pull.seconds),
    line(`push, three images at once (${3 * mib} MiB; image i through node i)`, (s) => time(s.three.push, 3 * mib), (s) => s.three.push.seconds),
    line("pull of them at once (through the next node)", (s) => time(s.three.pull, 3 * mib), (s) => s.three.pull.seconds),
    line(`manifest GET by tag, ${run.connections} connections spread over the nodes (best of ${run.loadRounds} rounds of ${run.loadSeconds} s)`,
      (s) => `${f(s.load.perSecond, 0)} req/s (p50 ${f(s.load.p50ms, 1)} ms, p99 ${f(s.load.p99ms, 1)} ms)`, (s) => s.load.perSecond),
    line(`approve -> enforced, p50 of ${n}`, (s) => ms(s.approval.approve, 0.5), (s) => pct(s.approval.approve, 0.5)),
    line(`approve -> enforced, p99 of ${n} (the largest)`, (s) => ms(s.approval.approve, 0.99), (s) => pct(s.approval.approve, 0.99)),
    line(`reject -> open connection cut, p50 of ${n}`, (s) => ms(s.approval.reject, 0.5), (s) => pct(s.approval.reject, 0.5)),
    line(`reject -> open connection cut, p99 of ${n}`, (s) => ms(s.approval.reject, 0.99), (s) => pct(s.approval.reject, 0.99)),
  ];
}

function cpuRows(run: BenchRun): string[] {
  const out = ["| set-up | phase | wall | Cove | Azurite | PostgreSQL | clients | PostgreSQL statements |", "| --- | --- | --- | --- | --- | --- | --- | --- |"];
  for (const s of run.setups) {
    const phases: [string, Phase][] = [["push one", s.one.push], ["pull one", s.one.pull], ["push three", s.three.push], ["pull three", s.three.pull]];
    for (const [name, p] of phases) {
      const c = p.cpu;
      out.push(`| ${s.label} | ${name} | ${f(p.seconds)} s | ${f(c.cove)} s | ${s.key === "embedded" ? "-" : `${f(c.azurite)} s`} | ${s.key === "embedded" ? "-" : `${f(c.postgres)} s`} | ${f(c.clients)} s | ${p.statements ? p.statements.calls : "-"} |`);
    }
    const c = s.load.cpu;
    const st = s.load.statements;
    const perGet = st ? `${st.calls} (${f(st.calls / s.load.requests, 2)} per GET)` : "-";
    out.push(`| ${s.label} | manifest load (best round) | ${run.loadSeconds} s | ${f(c.cove)} s | ${s.key === "embedded" ? "-" : `${f(c.azurite)} s`} | ${s.key === "embedded" ? "-" : `${f(c.postgres)} s`} | ${f(c.clients)} s | ${perGet} |`);
  }
  return out;
}

function profileLines(name: string, p: ProfileSummary, top: number): string[] {
  const busy = p.parts.filter((x) => x.part !== "(idle)").reduce((a, x) => a + x.ms, 0);
  const share = (ms: number) => `${f((100 * ms) / busy, 1)} %`;
  return [
    `${name}: its main thread was sampled busy for ${f(busy / 1000)} s of the push's ${f(p.totalMs / 1000, 1)} s (wall clock between samples, so on a loaded`,
    "machine it includes waiting for a core; the CPU seconds above are the exact ones). By owner (a frame's self time, Node's internals",
    "included, given to the nearest file of the process's own code or package on its stack): " +
      p.owners.slice(0, 8).map((x) => `${x.owner} ${share(x.ms)}`).join(", ") + ".",
    "",
    "| function | where | self time | share |",
    "| --- | --- | --- | --- |",
    ...p.top.slice(0, top).map((t) => `| \`${t.fn}\` | ${t.where || "-"} | ${f(t.ms, 0)} ms | ${share(t.ms)} |`),
    "",
  ];
}

export async function writeScaleOutReport(path: string, run: BenchRun): Promise<void> {
  const [base, , three] = run.setups;
  const shared = three?.shared
    ? "one principal and token for every node (the nodes share their signing keys and CA)"
    : "each node's own credentials.json and CA (tokens and CAs are per node until the nodes share them)";
  const puts = run.setups.map((s) => `${s.label} ${f(pct(s.approval.putMs, 0.5), 1)} ms`).join(", ");
  const moved = run.setups.map((s) => s.approval.holderMoved).reduce((a, b) => a + b, 0);
  const timeouts = run.setups.map((s) => s.approval.timeouts).reduce((a, b) => a + b, 0);
  const errs = run.setups.map((s) => `${s.label} ${s.load.errors}/${s.load.non2xx}`).join(", ");
  const rounds = run.setups.map((s) => `${s.label} ${s.loads.map((x) => f(x, 0)).join(", ")}`).join("; ");
  const lines = [
    "## Scale-out",
    "",
    `Measured ${run.measuredAt} by \`node dist/bench/scale-out-bench.js\` (bench/scale-out-bench.ts), Node ${process.version},`,
    `on this 2-core machine, in ONE run of ${f(run.wallSeconds, 0)} s. Real \`cove serve\` processes in three set-ups, each on fresh`,
    "stores, all up at once: the embedded default (SQLite and files in the data dir), 1 node and 3 nodes on one throwaway PostgreSQL cluster",
    "(test/support/postgres.ts) and one Azurite (test/support/azurite.ts), all on loopback. The 3 nodes listen on 127.0.2.1-3 and one",
    "registry port, so one login server reaches each of them, and a client picks its node by what the name resolves to, as behind",
    `a load balancer. Image: ${run.scaleMiB} MiB, ${run.layers} random gzip layers of ${run.scaleMiB / run.layers} MiB (scripts/make-oci-image.mjs), pushed as is by skopeo`,
    "over TLS with token auth and pulled to `dir:`; \"three at once\" is three such images by three skopeo processes, image i through",
    `node i and pulled through the next (one node: all through it). Clients use ${shared}.`,
    `Manifest load: bench/support/spread-load.ts, one process, ${run.connections} keep-alive connections, connection k on node k mod N; ${run.loadRounds} rounds`,
    `of ${run.loadSeconds} s per set-up, taking turns, and each set-up's best round counts (other work only slows a round down).`,
    "Every workload runs on the three set-ups in turn before the next workload starts, so a ratio's two sides are measured seconds apart.",
    "Approvals: a manual private endpoint per round made through node A (Pending), a client in its VNet connected to its IP and held",
    "unanswered, the connection approved by an ARM PUT through the next node; the time is from sending that PUT until the held",
    "client's TLS handshake completes on the node listening there; then rejected through the third node, until that node cuts the",
    "open connection. With one node the same node does all of it.",
    "Ratios are set-up / embedded default, measured in the same run: for times above 1 is slower, for req/s below 1 is slower.",
    `Other sessions' tests share these 2 cores (load average ${f(run.loadAverage.start, 1)} at the start, ${f(run.loadAverage.end, 1)} at the end), so the figures are`,
    "noisy: compare ratios within this run, not runs.",
    "",
    ...rows(run),
    "",
    `Manifest load rounds, req/s: ${rounds}. Errors/non-2xx in the best rounds: ${errs}. The approving PUT itself answered in (p50) ${puts}.`,
    `Approval rounds whose endpoint IP was held by another node than the one that made it: ${moved}; rounds over the 10 s bound: ${timeouts}.`,
    "",
    "Where the time goes: CPU seconds of each part during each phase (Cove: all its nodes; clients: skopeo or the load process),",
    "read from /proc, and the statements Cove sent to PostgreSQL (pg_stat_statements, each a round trip).",
    "",
    ...cpuRows(run),
    "",
  ];
  const p = run.profile;
  if (p) {
    const st = p.push.statements;
    lines.push(
      "### Profile of the largest cost: a push through PostgreSQL + Azurite",
      "",
      `One more ${run.scaleMiB} MiB push through 1 fresh node on PostgreSQL + Azurite, Cove and Azurite under \`node --cpu-prof\`: ${f(p.push.seconds)} s`,
      `(the timed one above: ${f(run.setups[1]!.one.push.seconds)} s; embedded ${f(base!.one.push.seconds)} s). CPU during it: Cove ${f(p.push.cpu.cove)} s, Azurite ${f(p.push.cpu.azurite)} s,`,
      `PostgreSQL ${f(p.push.cpu.postgres)} s, skopeo ${f(p.push.cpu.clients)} s.` +
        (st ? ` Statements to PostgreSQL: ${st.calls} (${f(st.ms, 0)} ms of execution), most called: ${st.top.map((t) => `\`${t.query}\` ${t.calls}`).join("; ")}.` : ""),
      "",
      ...profileLines("Cove", p.cove, 10),
      ...(p.azurite ? profileLines("Azurite", p.azurite, 6) : []),
    );
  }
  await replaceSection(path, "scale-out", lines);
}
