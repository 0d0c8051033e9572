// A bounded HTTP(S) load generator: N keep-alive connections, each issuing one request after
// another for a fixed time, then it stops by itself. Runs in its own process (bench/registry-bench
// spawns it) so the server under test and the load share the machine the same way for every peer.
// HEAD is supported (autocannon and wrk wait for a body on HEAD; see reference/baselines.md).
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";
import { request as httpRequest, Agent as HttpAgent } from "node:http";

export interface LoadSpec {
  url: string;
  method: "GET" | "HEAD";
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  ca?: string;
  servername?: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const u = new URL(spec.url);
  const secure = u.protocol === "https:";
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: spec.connections, ca: spec.ca, servername: spec.servername })
    : new HttpAgent({ keepAlive: true, maxSockets: spec.connections });
  const send = secure ? httpsRequest : httpRequest;
  const deadline = Date.now() + spec.seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const one = () => new Promise<void>((ok) => {
    const t0 = process.hrtime.bigint();
    const req = send({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: spec.method, headers: spec.headers, agent }, (res) => {
      res.on("data", () => {});
      res.on("end", () => {
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if ((res.statusCode ?? 0) >= 300) non2xx++;
        ok();
      });
    });
    req.on("error", () => { errors++; ok(); });
    req.end();
  });
  const started = Date.now();
  await Promise.all(Array.from({ length: spec.connections }, async () => {
    while (Date.now() < deadline) await one();
  }));
  const elapsed = (Date.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, non2xx, perSecond: latencies.length / elapsed, p50ms: pick(0.5), p99ms: pick(0.99) };
}

// When run as a process: the spec comes as JSON in argv[2]; the result goes to stdout.
if (process.argv[1]?.endsWith("load.js") && process.argv[2]) {
  runLoad(JSON.parse(process.argv[2])).then((r) => console.log(JSON.stringify(r)));
}
