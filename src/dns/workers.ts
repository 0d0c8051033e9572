// The DNS worker threads of the main thread's side (dnsThreads > 1): starts N-1 threads
// (worker-main.ts) on the port the main thread's UDP socket holds, posts every new state view to
// them, and resolves follow() once every live thread acknowledged it, so a management write is
// answered only when no thread can still answer from the old view. The wait is bounded
// (ackTimeoutMs): a thread that does not follow is logged, and the write answered anyway.
//
// A thread that crashes is logged and forgotten: its socket closes with it, the kernel sends its
// share of queries to the remaining sockets, and nobody waits for its acknowledgements any more.

import { Worker } from "node:worker_threads";
import { pino, type Logger } from "pino";
import type { CountsMessage, FromWorker, ToWorker, ViewFacts, WorkerSetup } from "./thread-messages.js";

export interface DnsWorkersOptions {
  /** Threads to start (the main thread's socket is not one of them). */
  count: number;
  setup: Omit<WorkerSetup, "thread" | "port" | "view">;
  log: Logger;
  onCounts(thread: number, counts: CountsMessage): void;
  ackTimeoutMs?: number;
  /** The worker entry; tests replace it with one that crashes. */
  script?: URL;
}

interface Thread {
  id: number;
  worker: Worker;
  acked: number;
  waiters: Array<{ version: number; done(): void }>;
  stopped?: () => void;
  stopping: boolean;
}

const STOP_WAIT_MS = 2000;

export class DnsWorkers {
  private readonly threads = new Map<number, Thread>();

  constructor(private readonly o: DnsWorkersOptions) {}

  /** Threads alive right now. */
  get live(): number {
    return this.threads.size;
  }

  /** Starts every thread on `port` and resolves once each listens; if one cannot, stops them all and throws. */
  async start(port: number, view: ViewFacts): Promise<void> {
    const started = Array.from({ length: this.o.count }, (_, i) => this.spawn(i + 1, port, view));
    const results = await Promise.allSettled(started);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
  }

  /** Posts the view to every thread; resolves when all have acknowledged it, or after the timeout. */
  follow(view: ViewFacts): Promise<void> {
    const version = view.options.version;
    const msg: ToWorker = { type: "view", ...view };
    const waits: Promise<void>[] = [];
    for (const t of this.threads.values()) {
      t.worker.postMessage(msg);
      if (t.acked < version) waits.push(new Promise((done) => t.waiters.push({ version, done })));
    }
    if (waits.length === 0) return Promise.resolve();
    const timeoutMs = this.o.ackTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"late">((ok) => { timer = setTimeout(() => ok("late"), timeoutMs); });
    return Promise.race([Promise.all(waits), timeout]).then((r) => {
      clearTimeout(timer);
      if (r !== "late") return;
      const behind = [...this.threads.values()].filter((t) => t.acked < version).map((t) => t.id);
      this.o.log.error({ version, threads: behind, timeoutMs }, "dns worker threads did not follow the state view in time; answering the write anyway");
    });
  }

  /** Asks every thread to flush its counts and close its socket, then ends it (bounded). */
  async stop(): Promise<void> {
    await Promise.all([...this.threads.values()].map(async (t) => {
      t.stopping = true;
      const stopped = new Promise<void>((ok) => { t.stopped = ok; });
      t.worker.postMessage({ type: "stop" } satisfies ToWorker);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise((ok) => { timer = setTimeout(ok, STOP_WAIT_MS); })]);
      clearTimeout(timer);
      await t.worker.terminate();
    }));
  }

  private spawn(id: number, port: number, view: ViewFacts): Promise<void> {
    const setup: WorkerSetup = { ...this.o.setup, thread: id, port, view };
    const worker = new Worker(this.o.script ?? new URL("./worker-main.js", import.meta.url), { workerData: setup });
    const t: Thread = { id, worker, acked: view.options.version, waiters: [], stopping: false };
    this.threads.set(id, t);
    const log = this.o.log;
    return new Promise<void>((listening, failed) => {
      let up = false;
      let failure: Error | undefined;
      worker.on("message", (m: FromWorker) => {
        switch (m.type) {
          case "listening": up = true; listening(); break;
          case "failed": failure = Object.assign(new Error(m.message), { code: m.code }); break;
          case "ack": this.acked(t, m.version); break;
          case "counts": this.o.onCounts(id, m); break;
          case "log": relog(log, m.line); break;
          case "stopped": t.stopped?.(); break;
        }
      });
      // An uncaught exception in the thread: 'error', then 'exit'. One log line, at the exit.
      worker.on("error", (err: unknown) => { failure ??= err instanceof Error ? err : new Error(String(err)); });
      worker.on("exit", (code) => {
        this.threads.delete(id);
        // Nobody waits for a thread that is gone.
        for (const w of t.waiters.splice(0)) w.done();
        t.stopped?.();
        if (!up) failed(failure ?? new Error(`dns worker thread ${id} exited with ${code} before listening`));
        else if (!t.stopping) {
          log.error({ thread: id, code, err: failure?.message, stack: failure?.stack, live: this.threads.size },
            "dns worker thread exited; the other sockets keep answering");
        }
      });
    });
  }

  private acked(t: Thread, version: number): void {
    t.acked = Math.max(t.acked, version);
    const done = t.waiters.filter((w) => w.version <= t.acked);
    t.waiters = t.waiters.filter((w) => w.version > t.acked);
    for (const w of done) w.done();
  }
}

/** A worker's pino line, written by the main thread's logger (its level already matched the worker's). */
function relog(log: Logger, line: string): void {
  let rec: Record<string, unknown>;
  try { rec = JSON.parse(line) as Record<string, unknown>; } catch { return; }
  const { level, time: _time, msg, ...fields } = rec;
  const label = pino.levels.labels[Number(level)] as "fatal" | "error" | "warn" | "info" | "debug" | "trace" | undefined;
  if (label) log[label](fields, String(msg ?? ""));
}
