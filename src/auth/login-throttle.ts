// Failed-login limits and their audit, for every place that checks a password (Basic on /v2 and
// /acr/v1, the ACR token endpoint's password grant and Basic GET, the identity provider's
// client_secret grant).
//
// Limits: fixed windows of `windowSeconds`, counted per source address and per user name. Once a
// source or a user name has `sourceLimit` / `userLimit` failures in its window, further attempts are
// answered 429 with Retry-After (the end of that window) WITHOUT checking the password, so a guess
// made while throttled can never succeed and costs nothing. Recovery is automatic when the window
// ends. A success resets nothing: a valid login for one name must not buy an attacker on the same
// source fresh guesses at other names. The ACR null-GUID user name is shared by every refresh-token
// login, so it has no per-name limit (only the source's); its "password" is a signed token anyway.
// The per-name limit means an attacker can lock a name out for a window: that is the price of
// stopping guessing at it, as Entra's smart lockout; the operator sees it in the audit log.
//
// Memory: each map holds at most `maxKeys` entries; a new key beyond that evicts the oldest (the
// first inserted, whose window is the earliest, so usually already over).
//
// Audit: every failed attempt (wrong password, unknown name, or refused while throttled) is counted
// in one aggregate per (source IP, user name, endpoint, registry); the aggregates are appended as
// `login-failed` records with their exact counts on a timer, when there are too many to hold, and
// at close(). So 900 guesses are 900 counted, in a handful of records instead of 900.
import type { AuditSink } from "../audit/event.js";

export interface LoginAttempt {
  clientIp: string;
  username: string;
  /** "v2", "acr", "token" (ACR /oauth2/token), "identity" (/{tenant}/oauth2/v2.0/token). */
  endpoint: string;
  /** The registry's resource id on the data plane. */
  registry?: string;
}

export interface LoginThrottleOptions {
  /** Failures per user name in one window before further attempts are refused. */
  userLimit: number;
  /** Failures per source address in one window before further attempts are refused. */
  sourceLimit: number;
  windowSeconds: number;
  /** Entries per map (sources, user names, audit aggregates). Default 10,000. */
  maxKeys?: number;
  /** How often aggregates are written. Default: once per window. */
  flushIntervalMs?: number;
  audit?: AuditSink;
  /** Told when an audit append fails (the counts are lost then, and this says how many). */
  onAuditError?: (err: unknown, lost: number) => void;
  /** Milliseconds; tests may pass a clock. */
  now?: () => number;
}

export interface LoginThrottle {
  /** undefined: check the password. A number: refuse with 429 and Retry-After of that many seconds. */
  admit(a: LoginAttempt): number | undefined;
  /** Counts a wrong password or unknown name. */
  failed(a: LoginAttempt): void;
  /** Appends every pending aggregate now. */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
  /** Tracked entries (for tests of the memory bound). */
  size(): { sources: number; users: number; aggregates: number };
}

/** ACR's null-GUID user name: the password is a refresh token, the name is everyone's. */
const SHARED_USER_NAME = "00000000-0000-0000-0000-000000000000";
/** User names are bounded before they become keys or audit fields. */
const MAX_NAME = 256;

interface Counter { count: number; start: number }
interface Aggregate { clientIp: string; username: string; endpoint: string; registry?: string; count: number; throttled: number; firstAt: number; lastAt: number }

export function createLoginThrottle(opts: LoginThrottleOptions): LoginThrottle {
  const now = opts.now ?? Date.now;
  const windowMs = Math.max(1, opts.windowSeconds) * 1000;
  const maxKeys = Math.max(1, opts.maxKeys ?? 10_000);
  const sources = new Map<string, Counter>();
  const users = new Map<string, Counter>();
  let pending = new Map<string, Aggregate>();
  let flushing: Promise<void> = Promise.resolve();

  const nameOf = (u: string) => String(u ?? "").slice(0, MAX_NAME);
  const userKey = (u: string) => {
    const n = nameOf(u).toLowerCase();
    return n === SHARED_USER_NAME ? undefined : n;
  };

  /** Seconds until the key's window ends when it is over its limit, else undefined. */
  function blockedFor(map: Map<string, Counter>, key: string | undefined, limit: number, t: number): number | undefined {
    if (key === undefined) return undefined;
    const c = map.get(key);
    if (!c) return undefined;
    if (t - c.start >= windowMs) {
      map.delete(key);
      return undefined;
    }
    return c.count >= limit ? Math.max(1, Math.ceil((c.start + windowMs - t) / 1000)) : undefined;
  }

  function bump(map: Map<string, Counter>, key: string | undefined, t: number): void {
    if (key === undefined) return;
    const c = map.get(key);
    if (c && t - c.start < windowMs) {
      c.count++;
      return;
    }
    map.delete(key);
    if (map.size >= maxKeys) map.delete(map.keys().next().value!);
    map.set(key, { count: 1, start: t });
  }

  function count(a: LoginAttempt, throttled: boolean, t: number): void {
    const username = nameOf(a.username);
    const key = JSON.stringify([a.clientIp, username, a.endpoint, a.registry ?? ""]);
    let g = pending.get(key);
    if (!g) {
      g = { clientIp: a.clientIp, username, endpoint: a.endpoint, registry: a.registry, count: 0, throttled: 0, firstAt: t, lastAt: t };
      pending.set(key, g);
    }
    g.count++;
    if (throttled) g.throttled++;
    g.lastAt = t;
    // Too many distinct aggregates to hold: write them now rather than drop any.
    if (pending.size >= maxKeys) void flush();
  }

  async function writeAll(batch: Map<string, Aggregate>): Promise<void> {
    for (const g of batch.values()) {
      try {
        await opts.audit?.({
          kind: "login-failed", clientIp: g.clientIp, username: g.username, endpoint: g.endpoint,
          ...(g.registry ? { registry: g.registry } : {}),
          count: g.count, throttled: g.throttled,
          firstAt: new Date(g.firstAt).toISOString(), lastAt: new Date(g.lastAt).toISOString(),
        });
      } catch (err) {
        opts.onAuditError?.(err, g.count);
      }
    }
  }

  function flush(): Promise<void> {
    // Swap first: attempts that arrive while the batch is written land in the next one.
    const batch = pending;
    pending = new Map();
    flushing = flushing.then(() => (batch.size ? writeAll(batch) : undefined));
    return flushing;
  }

  const timer = setInterval(() => { void flush(); }, Math.max(200, opts.flushIntervalMs ?? windowMs));
  timer.unref();

  return {
    admit(a) {
      const t = now();
      const wait = Math.max(
        blockedFor(sources, a.clientIp, opts.sourceLimit, t) ?? 0,
        blockedFor(users, userKey(a.username), opts.userLimit, t) ?? 0,
      );
      if (wait === 0) return undefined;
      count(a, true, t);
      return wait;
    },
    failed(a) {
      const t = now();
      bump(sources, a.clientIp, t);
      bump(users, userKey(a.username), t);
      count(a, false, t);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
    size: () => ({ sources: sources.size, users: users.size, aggregates: pending.size }),
  };
}
