// Cove's DNS server: authoritative for the login-server suffix,
// privatelink.<suffix> and every private DNS zone, answering from the querying address's view of
// the current NetworkSnapshot (read per query, so answers follow state changes immediately), over
// UDP and TCP on the same port. Names outside Cove's zones are forwarded when an upstream is set,
// otherwise REFUSED. UDP answers are rate limited per source prefix (rate-limit.ts); TCP connections
// are bounded in time and number (tcp-server.ts). Behaviour and values: docs/dns.md; response codes: rcodes.ts.
//
// Threads (dnsThreads > 1): the main thread's UDP socket and N-1 worker threads' sockets bind the
// same address with SO_REUSEPORT and the kernel spreads queries over them (workers.ts). Each worker
// answers from its own snapshot, rebuilt from the state view's facts on every change; the view's
// subscriber resolves when every worker has the new version, so a management write is answered only
// once every thread answers from it. TCP stays on the main thread.

import type { Logger } from "pino";
import { isIPv4 } from "node:net";
import type { NetworkFacts } from "../network-policy/facts.js";
import type { NetworkSnapshot } from "../network-policy/types.js";
import { Forwarder } from "./forwarder.js";
import { ResponseRateLimiter, type RateLimitAction, type RateLimitOptions } from "./rate-limit.js";
import { Responder } from "./responder.js";
import { DEFAULT_TCP_LIMITS, TcpServer, type TcpLimits } from "./tcp-server.js";
import type { CountsMessage, ViewFacts } from "./thread-messages.js";
import { UdpServer } from "./udp-server.js";
import { DnsWorkers } from "./workers.js";

export { RCODES, type RcodeEntry, type RcodeName } from "./rcodes.js";
export type { TcpLimits } from "./tcp-server.js";
export type { RateLimitAction, RateLimitOptions } from "./rate-limit.js";

/** What the DNS server reads of the state view (src/state/ StateHolder and StateView fit it). */
export interface DnsStateSource {
  current(): DnsStateView;
  /** A returned promise is awaited before a management write is answered (state/holder.ts). */
  subscribe(cb: (view: DnsStateView) => void | Promise<unknown>): () => void;
}

export interface DnsStateView {
  readonly network: NetworkSnapshot;
  /** The facts `network` was built from: what worker threads rebuild it from. */
  readonly facts: { readonly network: NetworkFacts };
}

export interface DnsServerOptions {
  listen: { host: string; port: number };
  /** The state view; its snapshot is read per query. Needed for threads > 1. */
  state?: DnsStateSource;
  /** Instead of `state`, a snapshot read per query (single thread only; the tests' hand-built snapshots). */
  snapshot?: () => NetworkSnapshot;
  /** UDP sockets, one per thread (dnsThreads, 1-16; default 1: the main thread alone). */
  threads?: number;
  upstream?: { host: string; port: number };
  log: Logger;
  /** Answered queries; `count` (default 1) is more than 1 when a worker thread's batch arrives. */
  onQuery?: (view: string, rcode: string, count?: number) => void;
  /** Answered queries per thread ("0" is the main thread: its UDP socket and all of TCP), in batches. */
  onThreadQueries?: (thread: string, count: number) => void;
  /** Optional tuning (tests use short values); defaults in tcp-server.ts. */
  tcp?: Partial<TcpLimits>;
  /** How long a forwarded query waits for the upstream before SERVFAIL (default 2000 ms). */
  upstreamTimeoutMs?: number;
  /** Response rate limiting of UDP answers; absent or responsesPerSecond 0: off. */
  rateLimit?: RateLimitOptions;
  /** Called for UDP responses that rate limiting dropped or slipped (sent truncated); `count` as in onQuery. */
  onRateLimit?: (action: RateLimitAction, count?: number) => void;
  /** How long a management write waits for the worker threads to follow the new view (default 2000 ms). */
  followTimeoutMs?: number;
  /** The worker entry (tests only: one that crashes). */
  workerScript?: URL;
}

/** How often worker threads post their counts, and the main thread's per-thread count is flushed. */
const FLUSH_MS = 250;

/** What a worker needs to rebuild the view's snapshot: the same facts and options, the same version. */
function viewFacts(view: DnsStateView): ViewFacts {
  const n = view.network;
  return { facts: view.facts.network, options: { suffix: n.suffix, publicAddress: n.publicAddress, version: n.version } };
}

export interface DnsServer {
  start(): Promise<void>;
  stop(): Promise<void>;
  address(): { udp: { address: string; port: number }; tcp: { address: string; port: number } };
}

export function createDnsServer(opts: DnsServerOptions): DnsServer {
  const log = opts.log;
  const threads = opts.threads ?? 1;
  const state = opts.state;
  const snapshot = state ? () => state.current().network : opts.snapshot;
  if (!snapshot) throw new Error("createDnsServer: give state or snapshot");
  if (threads > 1 && !state) throw new Error("createDnsServer: threads > 1 needs the state view (workers rebuild it from its facts)");
  const forwarder = opts.upstream ? new Forwarder(opts.upstream, log, opts.upstreamTimeoutMs) : undefined;
  const host = opts.listen.host;
  const nsAddress = isIPv4(host) && host !== "0.0.0.0" ? host : undefined;
  // Each UDP socket limits at its share, so the sum over the threads keeps rate x (T + 1) per account.
  const rateLimit = opts.rateLimit && opts.rateLimit.responsesPerSecond > 0
    ? { ...opts.rateLimit, responsesPerSecond: opts.rateLimit.responsesPerSecond / threads } : undefined;
  const limiter = rateLimit ? new ResponseRateLimiter(rateLimit, log) : undefined;
  let mainQueries = 0;
  const onQuery = opts.onQuery;
  const counted = opts.onThreadQueries ? (view: string, rcode: string) => { mainQueries++; onQuery?.(view, rcode); } : onQuery;
  const responder = new Responder({ snapshot, forwarder, log, onQuery: counted, nsAddress, rateLimit: limiter, onRateLimit: opts.onRateLimit });
  const udp = new UdpServer(responder, log, threads > 1);
  const tcp = new TcpServer(responder, log, { ...DEFAULT_TCP_LIMITS, ...opts.tcp });
  const workers = threads > 1 ? new DnsWorkers({
    count: threads - 1,
    setup: { host, upstream: opts.upstream, upstreamTimeoutMs: opts.upstreamTimeoutMs, rateLimit, nsAddress, logLevel: log.level, flushMs: FLUSH_MS },
    log, onCounts: (thread, c) => applyCounts(opts, thread, c), ackTimeoutMs: opts.followTimeoutMs, script: opts.workerScript,
  }) : undefined;
  let unfollow: (() => void) | undefined;
  let flusher: NodeJS.Timeout | undefined;
  const flushMain = () => {
    if (mainQueries > 0) opts.onThreadQueries?.("0", mainQueries);
    mainQueries = 0;
  };

  async function bind(): Promise<void> {
    // Port 0: take the port the UDP socket got for TCP too (and for the workers); another process
    // may hold it on TCP, so try a few times.
    for (let attempt = 0; ; attempt++) {
      await udp.listen(host, opts.listen.port);
      try {
        await tcp.listen(host, udp.address().port);
        return;
      } catch (err) {
        await udp.close();
        if (opts.listen.port !== 0 || attempt >= 8) throw err;
      }
    }
  }

  return {
    async start() {
      if (forwarder) await forwarder.start();
      try {
        await bind();
        if (workers && state) {
          // Follow first: a view that changes while the threads start is posted to them too.
          unfollow = state.subscribe((view) => workers.follow(viewFacts(view)));
          await workers.start(udp.address().port, viewFacts(state.current()));
        }
      } catch (err) {
        unfollow?.();
        await Promise.all([udp.close(), tcp.close(), forwarder?.stop()]);
        throw err;
      }
      if (opts.onThreadQueries) flusher = setInterval(flushMain, FLUSH_MS).unref();
      log.info({ udp: udp.address(), tcp: tcp.address(), threads, upstream: opts.upstream, rateLimit: rateLimit ? opts.rateLimit : "off" }, "dns server listening");
    },
    async stop() {
      unfollow?.();
      clearInterval(flusher);
      await workers?.stop();
      await Promise.all([udp.close(), tcp.close(), forwarder?.stop()]);
      flushMain();
    },
    address() {
      return { udp: udp.address(), tcp: tcp.address() };
    },
  };
}

/** A worker's batch, into the same hooks the main thread calls per query. */
function applyCounts(opts: DnsServerOptions, thread: number, c: CountsMessage): void {
  try {
    for (const [view, rcode, n] of c.queries) opts.onQuery?.(view, rcode, n);
    if (c.dropped > 0) opts.onRateLimit?.("dropped", c.dropped);
    if (c.slipped > 0) opts.onRateLimit?.("slipped", c.slipped);
    if (c.total > 0) opts.onThreadQueries?.(String(thread), c.total);
  } catch (err) {
    opts.log.warn({ err: (err as Error).message }, "dns metrics hook threw");
  }
}
