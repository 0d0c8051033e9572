// Cove's metrics in the Prometheus text format, served at /metrics on the
// management listener (metrics-route.ts). One prom-client Registry per running Cove, never the
// global one: several Coves in one process (the tests) must not share counters.
//
//   cove_http_requests_total{listener,status}        answered requests; listener = management|public|private
//   cove_network_denials_total{reason,listener}      refusals by the network decision (DenyReason), per
//                                                    listener (public: 403 DENIED; private: dropped or cut)
//   cove_dns_queries_total{view,rcode}               DNS answers by the client's view and the rcode name
//   cove_dns_rrl_total{action}                       UDP responses withheld by response rate limiting:
//                                                    dropped, or slipped (sent empty with TC set)
//   cove_dns_thread_queries_total{thread}            DNS answers per thread (dnsThreads): "0" is the main
//                                                    thread (its UDP socket and all TCP); worker threads'
//                                                    counts arrive in batches, at most ~250 ms late
//   cove_http_received_bytes_total{listener}         bytes read from clients' TCP connections (TLS included)
//   cove_http_sent_bytes_total{listener}             bytes written to them (TLS included)
//   cove_private_endpoint_listeners                  endpoint IPs listening right now
//   cove_held_connections                            refused connections held without an answer
//   cove_process_* / cove_nodejs_*                   prom-client's default process metrics
//
// Bytes are read from the sockets' own counters, added as deltas when a connection closes and at
// every scrape for the connections still open, so a long keep-alive connection shows up while it lives.
import type { Socket } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";

export interface CoveMetrics {
  readonly registry: Registry;
  request(listener: string, status: number): void;
  denial(reason: string, listener: string): void;
  /** The DNS server's onQuery hook (count: a worker thread's batch). */
  dnsQuery(view: string, rcode: string, count?: number): void;
  /** The DNS server's onRateLimit hook. */
  dnsRateLimited(action: "dropped" | "slipped", count?: number): void;
  /** The DNS server's onThreadQueries hook. */
  dnsThreadQueries(thread: string, count: number): void;
  /** Counts a connection's bytes under its listener label until it closes. */
  trackConnection(listener: string, socket: Socket): void;
  /** Where the gauges read their values (the listener manager and the drop pool exist later). */
  bindGauges(sources: { privateListeners(): number; heldConnections(): number }): void;
  render(): Promise<{ contentType: string; body: string }>;
}

interface Tracked {
  listener: string;
  read: number;
  written: number;
}

export function createMetrics(): CoveMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "cove_" });

  const open = new Map<Socket, Tracked>();
  const received = new Counter({ name: "cove_http_received_bytes_total", help: "Bytes read from client connections, TLS included, by listener.", labelNames: ["listener"], registers: [registry] });
  const sent = new Counter({ name: "cove_http_sent_bytes_total", help: "Bytes written to client connections, TLS included, by listener.", labelNames: ["listener"], registers: [registry] });
  const settle = (socket: Socket, t: Tracked) => {
    const r = socket.bytesRead;
    const w = socket.bytesWritten;
    if (r > t.read) { received.inc({ listener: t.listener }, r - t.read); t.read = r; }
    if (w > t.written) { sent.inc({ listener: t.listener }, w - t.written); t.written = w; }
  };

  // One shared close handler (`this` is the socket) rather than a closure per connection: an idle
  // connection should cost its map entry and little else.
  function closed(this: Socket): void {
    const t = open.get(this);
    if (t) { settle(this, t); open.delete(this); }
  }

  const requests = new Counter({ name: "cove_http_requests_total", help: "Answered HTTP requests by listener (management, public, private) and status.", labelNames: ["listener", "status"], registers: [registry] });
  const denials = new Counter({ name: "cove_network_denials_total", help: "Requests and connections refused by the network decision, by reason and listener.", labelNames: ["reason", "listener"], registers: [registry] });
  const dns = new Counter({ name: "cove_dns_queries_total", help: "DNS queries answered, by the client's view and the response code.", labelNames: ["view", "rcode"], registers: [registry] });
  const dnsChildren = new Map<string, { inc(value?: number): void }>();
  const rrl = new Counter({ name: "cove_dns_rrl_total", help: "UDP DNS responses withheld by response rate limiting: dropped, or slipped (sent empty and truncated).", labelNames: ["action"], registers: [registry] });
  // Bound once (a flood calls this per datagram); both series are shown from the start, at 0.
  const rrlChildren = { dropped: rrl.labels("dropped"), slipped: rrl.labels("slipped") };
  rrl.inc({ action: "dropped" }, 0);
  rrl.inc({ action: "slipped" }, 0);
  const dnsThreads = new Counter({ name: "cove_dns_thread_queries_total", help: "DNS queries answered, by the thread that answered (0: the main thread, its UDP socket and all TCP).", labelNames: ["thread"], registers: [registry] });

  let sources = { privateListeners: () => 0, heldConnections: () => 0 };
  new Gauge({
    name: "cove_private_endpoint_listeners", help: "Private endpoint IPs with an open listener.", registers: [registry],
    collect() { this.set(sources.privateListeners()); },
  });
  new Gauge({
    name: "cove_held_connections", help: "Refused connections held open without an answer (privateEndpointDenyMode drop).", registers: [registry],
    collect() { this.set(sources.heldConnections()); },
  });

  return {
    registry,
    request: (listener, status) => requests.inc({ listener, status: String(status) }),
    denial: (reason, listener) => denials.inc({ reason, listener }),
    // The DNS hot path: prom-client hashes a labels object on every inc(); the bound child per
    // (view, rcode) pair is looked up once and kept (views and rcodes are few).
    dnsQuery: (view, rcode, count = 1) => {
      const key = `${view}\n${rcode}`;
      let child = dnsChildren.get(key);
      if (child === undefined) {
        child = dns.labels(view, rcode);
        if (dnsChildren.size < 10_000) dnsChildren.set(key, child);
      }
      child.inc(count);
    },
    dnsRateLimited: (action, count = 1) => rrlChildren[action].inc(count),
    dnsThreadQueries: (thread, count) => dnsThreads.inc({ thread }, count),
    trackConnection(listener, socket) {
      open.set(socket, { listener, read: 0, written: 0 });
      socket.on("close", closed);
    },
    bindGauges(s) { sources = s; },
    async render() {
      for (const [socket, t] of open) settle(socket, t);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
