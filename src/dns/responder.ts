// One DNS message in, one response out (or nothing): transport-independent, shared by the UDP and
// TCP servers. Order: parse (FORMERR / NOTIMP / drop) -> the client's view -> the cached or freshly
// resolved answer -> forward or REFUSED for names outside Cove's zones -> EDNS and truncation ->
// response rate limiting (UDP only: send, drop, or slip an empty TC answer; rate-limit.ts).
// Synchronous except for forwarded queries, so the common path allocates one Buffer and no Promise.

import type { Logger } from "pino";
import type { NetworkSnapshot } from "../network-policy/types.js";
import { QTYPE, resolve } from "./answers.js";
import { AnswerCache, type Cached } from "./answer-cache.js";
import { encodeBody } from "./codec.js";
import type { Forwarder } from "./forwarder.js";
import { type RateLimitAction, type ResponseRateLimiter, responseKind, type Verdict } from "./rate-limit.js";
import { RCODES, rcodeName, type RcodeName } from "./rcodes.js";
import { viewOf } from "./views.js";
import { errorResponse, parseQuery, truncateRelayed, udpLimit, writeResponse } from "./wire.js";

const CLASS_IN = 1;

export interface ResponderOptions {
  snapshot: () => NetworkSnapshot;
  forwarder?: Forwarder;
  log: Logger;
  onQuery?: (view: string, rcode: string) => void;
  nsAddress?: string;
  rateLimit?: ResponseRateLimiter;
  onRateLimit?: (action: RateLimitAction) => void;
}

export type Transport = "udp" | "tcp";

export class Responder {
  private readonly cache = new AnswerCache();

  constructor(private readonly opts: ResponderOptions) {}

  handle(msg: Buffer, sourceIp: string, transport: Transport): Buffer | undefined | Promise<Buffer | undefined> {
    const parsed = parseQuery(msg);
    if (parsed.kind === "drop") {
      this.opts.log.debug({ client: sourceIp, why: parsed.why }, "dns message dropped");
      return undefined;
    }
    const snapshot = this.opts.snapshot();
    this.cache.sync(snapshot.version);
    const view = this.cache.view(sourceIp, () => viewOf(snapshot, sourceIp));
    const ra = this.opts.forwarder !== undefined;
    if (parsed.kind === "error") {
      const v = this.limit(transport, view.key, sourceIp, "error");
      if (v === "dropped") return undefined;
      this.count(view.name, parsed.rcode);
      return errorResponse(msg, parsed.questionEnd, parsed.edns, parsed.rcode, ra, v === "slipped");
    }
    const { qname, qtype, qclass, questionEnd, edns } = parsed;
    const limit = transport === "udp" ? udpLimit(edns) : 0xffff;

    const key = `${view.key}\n${qname}\n${qtype}\n${qclass}`;
    let cached: Cached | undefined = this.cache.get(key);
    if (cached === undefined) {
      cached = this.compute(snapshot, view, parsed.odd, qname, qtype, qclass, ra);
      this.cache.set(key, cached);
    }
    if (cached !== "outside") {
      const v = this.limit(transport, view.key, sourceIp, responseKind(RCODES[cached.rcode].code, cached.ancount, qname, qtype));
      if (v === "dropped") return undefined;
      this.count(view.name, cached.rcode);
      // Slipped: a limit of 0 makes writeResponse send the header and question only, with TC.
      return writeResponse(msg, questionEnd, edns, cached, v === "slipped" ? 0 : limit);
    }
    const forwarder = this.opts.forwarder;
    if (!forwarder) {
      const v = this.limit(transport, view.key, sourceIp, "error");
      if (v === "dropped") return undefined;
      this.count(view.name, "REFUSED");
      return errorResponse(msg, questionEnd, edns, "REFUSED", ra, v === "slipped");
    }
    return forwarder.forward(msg, questionEnd).then((reply) => {
      if (!reply) {
        const v = this.limit(transport, view.key, sourceIp, "error");
        if (v === "dropped") return undefined;
        this.count(view.name, "SERVFAIL");
        return errorResponse(msg, questionEnd, edns, "SERVFAIL", ra, v === "slipped");
      }
      if (transport === "tcp") {
        this.count(view.name, rcodeName(reply[3]! & 0x0f));
        return reply;
      }
      const v = this.limit(transport, view.key, sourceIp, responseKind(reply[3]! & 0x0f, reply.readUInt16BE(6), qname, qtype));
      if (v === "dropped") return undefined;
      this.count(view.name, rcodeName(reply[3]! & 0x0f));
      return truncateRelayed(reply, questionEnd, edns, v === "slipped" ? 0 : limit);
    });
  }

  /** Response rate limiting: UDP only (a TCP client has proven its address), only when configured,
   *  and not for a source inside a modelled VNet (`vnetKey` not "") unless the limiter says so. */
  private limit(transport: Transport, vnetKey: string, sourceIp: string, kind: string): Verdict {
    const rrl = this.opts.rateLimit;
    if (transport !== "udp" || rrl === undefined || !rrl.enabled) return "send";
    if (vnetKey !== "" && rrl.exemptsVnets) return "send";
    const v = rrl.check(sourceIp, kind);
    if (v !== "send") {
      try { this.opts.onRateLimit?.(v); } catch (err) { this.opts.log.warn({ err: (err as Error).message }, "dns onRateLimit hook threw"); }
    }
    return v;
  }

  private compute(snapshot: NetworkSnapshot, view: ReturnType<typeof viewOf>, odd: boolean, qname: string, qtype: number, qclass: number, ra: boolean): Cached {
    // Zone transfers are not offered; other classes than IN hold nothing here.
    if (qclass !== CLASS_IN || qtype === QTYPE.AXFR || qtype === QTYPE.IXFR) return encodeBody("REFUSED", [], [], { aa: false, ra });
    if (odd) return "outside";
    const r = resolve({ snapshot, view, nsAddress: this.opts.nsAddress }, qname, qtype);
    if (r.kind === "outside") return "outside";
    return encodeBody(r.rcode, r.answers, r.authorities, { aa: true, ra });
  }

  private count(view: string, rcode: RcodeName | string): void {
    const hook = this.opts.onQuery;
    if (!hook) return;
    try { hook(view, rcode); } catch (err) { this.opts.log.warn({ err: (err as Error).message }, "dns onQuery hook threw"); }
  }
}
