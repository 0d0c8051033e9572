// Cove's DNS server: authoritative for the login-server suffix,
// privatelink.<suffix> and every private DNS zone, answering from the querying address's view of
// the current NetworkSnapshot (read per query, so answers follow state changes immediately), over
// UDP and TCP on the same port. Names outside Cove's zones are forwarded when an upstream is set,
// otherwise REFUSED. UDP answers are rate limited per source prefix (rate-limit.ts); TCP connections
// are bounded in time and number (tcp-server.ts). Behaviour and values: docs/dns.md; response codes: rcodes.ts.

import type { Logger } from "pino";
import { isIPv4 } from "node:net";
import type { NetworkSnapshot } from "../network-policy/types.js";
import { Forwarder } from "./forwarder.js";
import { ResponseRateLimiter, type RateLimitAction, type RateLimitOptions } from "./rate-limit.js";
import { Responder } from "./responder.js";
import { DEFAULT_TCP_LIMITS, TcpServer, type TcpLimits } from "./tcp-server.js";
import { UdpServer } from "./udp-server.js";

export { RCODES, type RcodeEntry, type RcodeName } from "./rcodes.js";
export type { TcpLimits } from "./tcp-server.js";
export type { RateLimitAction, RateLimitOptions } from "./rate-limit.js";

export interface DnsServerOptions {
  listen: { host: string; port: number };
  snapshot: () => NetworkSnapshot;
  upstream?: { host: string; port: number };
  log: Logger;
  onQuery?: (view: string, rcode: string) => void;
  /** Optional tuning (tests use short values); defaults in tcp-server.ts. */
  tcp?: Partial<TcpLimits>;
  /** How long a forwarded query waits for the upstream before SERVFAIL (default 2000 ms). */
  upstreamTimeoutMs?: number;
  /** Response rate limiting of UDP answers; absent or responsesPerSecond 0: off. */
  rateLimit?: RateLimitOptions;
  /** Called for every UDP response that rate limiting dropped or slipped (sent truncated). */
  onRateLimit?: (action: RateLimitAction) => void;
}

export interface DnsServer {
  start(): Promise<void>;
  stop(): Promise<void>;
  address(): { udp: { address: string; port: number }; tcp: { address: string; port: number } };
}

export function createDnsServer(opts: DnsServerOptions): DnsServer {
  const log = opts.log;
  const forwarder = opts.upstream ? new Forwarder(opts.upstream, log, opts.upstreamTimeoutMs) : undefined;
  const host = opts.listen.host;
  const nsAddress = isIPv4(host) && host !== "0.0.0.0" ? host : undefined;
  const rateLimit = opts.rateLimit && opts.rateLimit.responsesPerSecond > 0 ? new ResponseRateLimiter(opts.rateLimit, log) : undefined;
  const responder = new Responder({ snapshot: opts.snapshot, forwarder, log, onQuery: opts.onQuery, nsAddress, rateLimit, onRateLimit: opts.onRateLimit });
  const udp = new UdpServer(responder, log);
  const tcp = new TcpServer(responder, log, { ...DEFAULT_TCP_LIMITS, ...opts.tcp });

  return {
    async start() {
      if (forwarder) await forwarder.start();
      // Port 0: take the port the UDP socket got for TCP too; another process may hold it on TCP,
      // so try a few times.
      for (let attempt = 0; ; attempt++) {
        await udp.listen(host, opts.listen.port);
        try {
          await tcp.listen(host, udp.address().port);
          break;
        } catch (err) {
          await udp.close();
          if (opts.listen.port !== 0 || attempt >= 8) {
            if (forwarder) await forwarder.stop();
            throw err;
          }
        }
      }
      log.info({ udp: udp.address(), tcp: tcp.address(), upstream: opts.upstream, rateLimit: rateLimit ? opts.rateLimit : "off" }, "dns server listening");
    },
    async stop() {
      await Promise.all([udp.close(), tcp.close(), forwarder?.stop()]);
    },
    address() {
      return { udp: udp.address(), tcp: tcp.address() };
    },
  };
}
