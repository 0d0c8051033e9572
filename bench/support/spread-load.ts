// bench/load.ts's bounded keep-alive load, spread over several targets (the nodes behind a load
// balancer): connection k belongs to target k mod T for the whole run, each target with its own
// agent (its CA, its token in `headers`). Runs in a process of its own, like bench/load.ts, so the
// nodes under test and the load share the machine the same way whatever the number of nodes.
import { Agent, request } from "node:https";
import type { LoadResult } from "../load.js";

export interface SpreadTarget {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  ca: string;
  servername: string;
}

export interface SpreadSpec {
  targets: SpreadTarget[];
  connections: number;
  seconds: number;
}

export interface SpreadResult extends LoadResult {
  /** Requests answered per target, in the order given. */
  perTarget: number[];
}

export async function runSpread(spec: SpreadSpec): Promise<SpreadResult> {
  const agents = spec.targets.map((t, i) => new Agent({
    keepAlive: true, ca: t.ca, servername: t.servername,
    maxSockets: Math.ceil((spec.connections - i) / spec.targets.length),
  }));
  const deadline = Date.now() + spec.seconds * 1000;
  const latencies: number[] = [];
  const perTarget = spec.targets.map(() => 0);
  let errors = 0;
  let non2xx = 0;
  const one = (i: number) => new Promise<void>((ok) => {
    const t = spec.targets[i]!;
    const t0 = process.hrtime.bigint();
    const req = request({ host: t.host, port: t.port, path: t.path, method: "GET", headers: t.headers, agent: agents[i] }, (res) => {
      res.on("data", () => {});
      res.on("end", () => {
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        perTarget[i]!++;
        if ((res.statusCode ?? 0) >= 300) non2xx++;
        ok();
      });
    });
    req.on("error", () => { errors++; ok(); });
    req.end();
  });
  const started = Date.now();
  await Promise.all(Array.from({ length: spec.connections }, async (_, k) => {
    while (Date.now() < deadline) await one(k % spec.targets.length);
  }));
  const elapsed = (Date.now() - started) / 1000;
  for (const a of agents) a.destroy();
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, non2xx, perSecond: latencies.length / elapsed, p50ms: pick(0.5), p99ms: pick(0.99), perTarget };
}

// As a process: the spec as JSON in argv[2], the result as JSON on stdout.
if (process.argv[1]?.endsWith("spread-load.js") && process.argv[2]) {
  runSpread(JSON.parse(process.argv[2])).then((r) => console.log(JSON.stringify(r)));
}
