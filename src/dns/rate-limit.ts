// Response rate limiting (RRL) for UDP answers, after the semantics of BIND's and Knot's RRL (this
// is Cove's own token bucket, not their code). Why: a UDP answer is larger than its query and UDP
// does not prove the source address, so a forged source turns a DNS server into an amplifier aimed
// at that address (the review measured 3.17x, every query answered). TCP is never limited: the
// handshake proves the address, and TCP is where a limited client is sent (slip).
//
// Accounts are per (source prefix, response kind). The prefix (/24 for IPv4, /56 for IPv6, BIND's
// defaults) groups the addresses one victim network owns, so spreading forged sources over a
// subnet does not multiply the rate. The kind groups responses the way an attacker would vary them:
//   - an answer with records:            the name and type ("identical responses")
//   - NODATA (NOERROR, no answer):       the name
//   - NXDOMAIN:                          one account per prefix (random names cannot open new ones)
//   - errors (REFUSED, FORMERR, ...):    one account per prefix
// Each account is a bucket that refills at `responsesPerSecond` and holds at most one second's
// worth, so over any interval of T seconds an account sends at most rate * (T + 1) full answers.
// Over the rate, responses are dropped, except every `slip`-th, which is sent as an empty answer
// with TC set: a real client behind a forged-looking flood still gets through, over TCP.
// Sources inside a modelled VNet are exempt by default (vnets: "exempt", as BIND's exempt-clients):
// a VNet's fabric does not carry forged source addresses (Azure drops them at the host), so the
// reflection RRL defends against comes from outside, and a build farm in one /24 is not throttled by
// a limit meant for strangers. "limit" counts them like everyone else.
// With several UDP threads each holds its own limiter at rate / threads (index.ts), so the sum keeps
// the bound above; a bucket holds at least one token, or a rate under 1 would send nothing at all.

import type { Logger } from "pino";

export interface RateLimitOptions {
  /** Responses per second per account; 0 turns response rate limiting off. */
  responsesPerSecond: number;
  /** Every slip-th limited response is sent truncated instead of dropped; 0 drops them all, 1 truncates them all. */
  slip: number;
  /** Sources inside a modelled VNet: "exempt" (the default, as BIND's exempt-clients) or "limit" like any other. */
  vnets?: "exempt" | "limit";
}

export type RateLimitAction = "dropped" | "slipped";
export type Verdict = "send" | RateLimitAction;

export const IPV4_PREFIX_LENGTH = 24;
export const IPV6_PREFIX_LENGTH = 56;
/** At most this many accounts are kept (about 150 bytes each): a flood of distinct keys cannot grow memory without end. */
export const MAX_ACCOUNTS = 50_000;
/** At most one "rate limiting started" log line per this many ms, however many accounts start. */
const LOG_EVERY_MS = 10_000;

interface Account {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, monotonic). */
  at: number;
  /** Responses this account has limited so far; every slip-th is slipped. Not reset when a token
   *  comes back, so that over a flood slipped and dropped alternate exactly. */
  limited: number;
}

export class ResponseRateLimiter {
  private readonly accounts = new Map<string, Account>();
  private lastLog = -Infinity;
  private startedSinceLog = 0;

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly log?: Logger,
    private readonly now: () => number = () => performance.now(),
    private readonly maxAccounts = MAX_ACCOUNTS,
  ) {}

  get enabled(): boolean {
    return this.opts.responsesPerSecond > 0;
  }

  /** Whether a source inside a modelled VNet is answered without counting (see the module comment). */
  get exemptsVnets(): boolean {
    return this.opts.vnets !== "limit";
  }

  /** Accounts held right now (for tests of the memory bound). */
  get size(): number {
    return this.accounts.size;
  }

  /** Decides one UDP response from `source` of `kind` (see responseKind). */
  check(source: string, kind: string): Verdict {
    const rate = this.opts.responsesPerSecond;
    if (rate <= 0) return "send";
    const key = sourcePrefix(source) + " " + kind;
    const now = this.now();
    let acct = this.accounts.get(key);
    const capacity = Math.max(1, rate);
    if (acct === undefined) {
      if (this.accounts.size >= this.maxAccounts) this.makeRoom(now);
      acct = { tokens: capacity, at: now, limited: 0 };
      this.accounts.set(key, acct);
    } else {
      acct.tokens = Math.min(capacity, acct.tokens + ((now - acct.at) * rate) / 1000);
      acct.at = now;
    }
    if (acct.tokens >= 1) {
      acct.tokens -= 1;
      return "send";
    }
    acct.limited++;
    if (acct.limited === 1) this.started(key, now);
    const slip = this.opts.slip;
    return slip > 0 && acct.limited % slip === 0 ? "slipped" : "dropped";
  }

  /** Full accounts are the same as new ones, so they go first; if that frees too little, the oldest go. */
  private makeRoom(now: number): void {
    const rate = this.opts.responsesPerSecond;
    const capacity = Math.max(1, rate);
    for (const [key, a] of this.accounts) {
      if (a.tokens + ((now - a.at) * rate) / 1000 >= capacity) this.accounts.delete(key);
    }
    // Still nearly full: a spread flood. Drop the oldest tenth at once so this sweep stays rare.
    const target = Math.floor(this.maxAccounts * 0.9);
    if (this.accounts.size <= target) return;
    for (const key of this.accounts.keys()) {
      this.accounts.delete(key);
      if (this.accounts.size <= target) break;
    }
  }

  private started(key: string, now: number): void {
    this.startedSinceLog++;
    if (!this.log || now - this.lastLog < LOG_EVERY_MS) return;
    const [prefix, ...kind] = key.split(" ");
    this.log.info({ prefix, kind: kind.join(" "), accountsLimited: this.startedSinceLog }, "dns response rate limiting started");
    this.lastLog = now;
    this.startedSinceLog = 0;
  }
}

/** The account kind of a response: see the module comment. `qname` is lower-case. */
export function responseKind(rcode: number, ancount: number, qname: string, qtype: number): string {
  if (rcode === 0) return ancount > 0 ? `${qname}/${qtype}` : `nodata ${qname}`;
  if (rcode === 3) return "nxdomain";
  return "error";
}

/** The source's network: a.b.c.0/24 for IPv4, the first 56 bits for IPv6 (unparseable input stands for itself). */
export function sourcePrefix(ip: string, v4Bits = IPV4_PREFIX_LENGTH, v6Bits = IPV6_PREFIX_LENGTH): string {
  if (!ip.includes(":")) {
    const n = ipv4ToInt(ip);
    if (n === undefined) return ip;
    const mask = v4Bits === 0 ? 0 : (0xffffffff << (32 - v4Bits)) >>> 0;
    const m = (n & mask) >>> 0;
    return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${v4Bits}`;
  }
  const words = expandIpv6(ip);
  if (!words) return ip;
  const out: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, v6Bits - i * 16));
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    out.push((words[i]! & mask).toString(16));
  }
  return `${out.join(":")}/${v6Bits}`;
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (p === "" || !Number.isInteger(v) || v < 0 || v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** The eight 16-bit words of an IPv6 address ("::" and a trailing dotted IPv4 part allowed; zone ids dropped). */
export function expandIpv6(ip: string): number[] | undefined {
  const addr = ip.split("%")[0]!;
  const halves = addr.split("::");
  if (halves.length > 2) return undefined;
  const words = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = ipv4ToInt(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}
