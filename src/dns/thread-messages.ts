// What the main thread and the DNS worker threads (workers.ts, worker-main.ts) say to each other.
// Everything is plain, structured-clonable data: a worker never shares an object with the main
// thread, it rebuilds its own snapshot from the posted facts with the same pure function.

import type { NetworkFacts } from "../network-policy/facts.js";
import type { SnapshotOptions } from "../network-policy/snapshot.js";
import type { RateLimitOptions } from "./rate-limit.js";

/** One state view as a worker needs it: the facts and the options buildSnapshot takes. */
export interface ViewFacts {
  facts: NetworkFacts;
  /** version is the snapshot version: what a worker acknowledges and its answer cache keys on. */
  options: SnapshotOptions & { version: number };
}

/** workerData of a DNS worker thread. */
export interface WorkerSetup {
  /** 1..N-1 (the main thread is 0): the `thread` label of its metrics and logs. */
  thread: number;
  host: string;
  port: number;
  view: ViewFacts;
  upstream?: { host: string; port: number };
  upstreamTimeoutMs?: number;
  /** This thread's share of the limit (index.ts divides it by the thread count). */
  rateLimit?: RateLimitOptions;
  nsAddress?: string;
  /** The main logger's level: a worker logs exactly what the main thread would. */
  logLevel: string;
  /** How often counts are posted (ms). */
  flushMs: number;
}

export type ToWorker = ({ type: "view" } & ViewFacts) | { type: "stop" };

/** Counts since the last post: answered queries by view and rcode, rate-limited responses. */
export interface CountsMessage {
  type: "counts";
  queries: Array<[view: string, rcode: string, count: number]>;
  dropped: number;
  slipped: number;
  /** Every answered query (the sum of `queries`): cove_dns_thread_queries_total. */
  total: number;
}

export type FromWorker =
  | { type: "listening" }
  | { type: "failed"; message: string; code?: string }
  | { type: "ack"; version: number }
  | CountsMessage
  /** One pino JSON line; the main thread logs it through its own logger (level, redaction, destination). */
  | { type: "log"; line: string }
  | { type: "stopped" };
