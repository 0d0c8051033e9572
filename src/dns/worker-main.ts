// One DNS worker thread (dnsThreads > 1, started by workers.ts): its own UDP socket on the shared
// address (SO_REUSEPORT), its own Responder, answer cache, rate limiter and forwarder, over its own
// snapshot. The snapshot is rebuilt here, by the same pure buildSnapshot, from the facts the main
// thread posts on every view change; the worker acknowledges each version once it answers from it,
// and the main thread holds the management write's answer until every worker has.
//
// Metrics are counted here and posted in batches (query-counts.ts); log lines are posted to the
// main thread, which writes them through its own logger, so level, redaction and destination are
// the main thread's.

import { parentPort, workerData } from "node:worker_threads";
import { pino } from "pino";
import { buildSnapshot } from "../network-policy/snapshot.js";
import { Forwarder } from "./forwarder.js";
import { QueryCounts } from "./query-counts.js";
import { ResponseRateLimiter } from "./rate-limit.js";
import { Responder } from "./responder.js";
import type { FromWorker, ToWorker, WorkerSetup } from "./thread-messages.js";
import { UdpServer } from "./udp-server.js";

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (m: FromWorker): void => port.postMessage(m);

const log = pino({ level: setup.logLevel, base: { thread: setup.thread } }, { write: (line: string) => post({ type: "log", line }) });
let snapshot = buildSnapshot(setup.view.facts, setup.view.options);
const counts = new QueryCounts();
const forwarder = setup.upstream ? new Forwarder(setup.upstream, log, setup.upstreamTimeoutMs) : undefined;
const rateLimit = setup.rateLimit && setup.rateLimit.responsesPerSecond > 0 ? new ResponseRateLimiter(setup.rateLimit, log) : undefined;
const responder = new Responder({
  snapshot: () => snapshot, forwarder, log, nsAddress: setup.nsAddress, rateLimit,
  onQuery: (view, rcode) => counts.query(view, rcode),
  onRateLimit: (action) => counts.rateLimited(action),
});
const udp = new UdpServer(responder, log, true);

function flush(): void {
  const batch = counts.take();
  if (batch) post(batch);
}

async function stop(timer: NodeJS.Timeout): Promise<void> {
  clearInterval(timer);
  await Promise.all([udp.close(), forwarder?.stop()]);
  flush();
  post({ type: "stopped" });
  // Nothing is left on this thread's event loop: it ends by itself.
  port.close();
}

try {
  await forwarder?.start();
  await udp.listen(setup.host, setup.port);
} catch (err) {
  await forwarder?.stop();
  post({ type: "failed", message: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
  // In a worker, exit ends this thread only; the main thread fails the start.
  process.exit(1);
}
// Messages posted before this point (a view change during the bind) wait in the port until now.
const timer = setInterval(flush, setup.flushMs);
port.on("message", (m: ToWorker) => {
  if (m.type === "view") {
    try {
      snapshot = buildSnapshot(m.facts, m.options);
    } catch (err) {
      // Not acknowledged: the main thread logs that this thread is behind and keeps its old view here.
      log.error({ err: (err as Error).message, version: m.options.version }, "dns worker could not build the snapshot");
      return;
    }
    post({ type: "ack", version: m.options.version });
  } else if (m.type === "stop") {
    void stop(timer);
  }
});
post({ type: "listening" });
