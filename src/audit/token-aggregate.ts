// Routine registry tokens, aggregated. A busy registry issues a token for nearly every pull; one
// audit row each would make the log grow at pull rate and bury what matters. So issued tokens
// (refresh tokens from /oauth2/exchange, access tokens from /oauth2/token) are counted exactly per
// (principal, registry, window) and written as one `registry.token-aggregate` record, which keeps
// every client address with the path it came by (the public endpoint, or which private endpoint):
// readiness (cli/toolkit/readiness.ts) is computed from them. Security events stay one row each
// and never pass through here: refusals, logins, control-plane writes.
//
// The window is the wall-clock minute (windowMs, aligned to the epoch). Pending counts are written
// when their window ends (a timer, not the next issue), at close, and early when the pending set
// reaches its bound, so memory stays bounded under any load: at most `maxEntries` (client, path)
// entries in all, and at most `maxClients` in one record. A crash loses at most the counts not yet
// written: the current window's. A record the store refuses as unavailable (PostgreSQL restarting)
// is retried, in order, for up to RETRY_FOR_MS, so an outage across a minute's end loses no counts;
// at close the retries stop after the one under way.
import type { Logger } from "pino";
import type { AuditEvent, RegistryTokenAggregateEvent, TokenAggregateClient, TokenPath } from "./event.js";
import { appendAudit, type AuditStore } from "./log.js";
import { isDomainError } from "../domain/errors.js";

/** How long an aggregate waits for an unavailable store, and the pauses between its tries. */
const RETRY_FOR_MS = 10 * 60_000;
const RETRY_PAUSES_MS = [250, 500, 1000, 2000, 5000];

export const TOKEN_AGGREGATE_DEFAULTS = { windowMs: 60_000, maxEntries: 4096, maxClients: 256 } as const;

/** One issued token, as a token flow reports it (no token, no secret). */
export interface TokenIssue {
  endpoint: "exchange" | "token";
  registry: string;
  principalKind: string;
  principalId: string;
  clientIp: string;
  /** The listener the request came in on: the public endpoint, or a private endpoint's IP. */
  via: { kind: "public" | "private"; address: string };
  /** Repositories an access token granted pull on (evidence's "repositories not pulled"). */
  pulled?: string[];
}

/** Repository names one record keeps; beyond them it counts how many it left out. */
export const MAX_REPOSITORIES = 64;

export type TokenIssueSink = (issue: TokenIssue) => void;

export interface TokenAggregateOptions {
  windowMs?: number;
  /** (client, path) entries pending in all windows' aggregates; reaching it writes them all. */
  maxEntries?: number;
  /** Clients in one aggregate; a new one beyond it writes that aggregate first. */
  maxClients?: number;
  /** The private endpoint owning a listener IP (its resource id), looked up when the client is first seen. */
  endpointAt?: (ip: string) => string | undefined;
  now?: () => number;
}

export interface TokenAggregator {
  record: TokenIssueSink;
  /** Writes every pending aggregate now and waits for the writes (`why`: "read" before an audit read, else "close"). */
  flush(why?: "read" | "close"): Promise<void>;
  /** flush(), and stops the window timer (at shutdown). */
  close(): Promise<void>;
  /** Pending (client, path) entries, for tests and metrics. */
  pendingEntries(): number;
}

interface Pending {
  registry: string;
  principalKind: string;
  principalId: string;
  first: number;
  last: number;
  exchange: number;
  token: number;
  clients: Map<string, { path: TokenPath; clientIp: string; exchange: number; token: number; first: number; last: number }>;
  repositories: Set<string>;
  repositoriesOmitted: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function createTokenAggregator(meta: AuditStore, log: Logger, options: TokenAggregateOptions = {}): TokenAggregator {
  const windowMs = Math.max(1, options.windowMs ?? TOKEN_AGGREGATE_DEFAULTS.windowMs);
  const maxEntries = Math.max(1, options.maxEntries ?? TOKEN_AGGREGATE_DEFAULTS.maxEntries);
  const maxClients = Math.max(1, options.maxClients ?? TOKEN_AGGREGATE_DEFAULTS.maxClients);
  const now = options.now ?? Date.now;
  const windowOf = (t: number) => Math.floor(t / windowMs) * windowMs;
  let windowStart = windowOf(now());
  let pending = new Map<string, Pending>();
  let entries = 0;
  let writes: Promise<unknown> = Promise.resolve();

  let closing = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) => new Promise<void>((done) => {
    const t = setTimeout(done, ms);
    wake = () => { clearTimeout(t); done(); };
  });
  const appendRetrying = async (event: AuditEvent) => {
    const giveUpAt = Date.now() + RETRY_FOR_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await appendAudit(meta, event);
        if (attempt > 0) log.info({ attempts: attempt + 1 }, "token aggregate appended after the store came back");
        return;
      } catch (e) {
        const unavailable = isDomainError(e) && e.code === "StoreUnavailable";
        if (!unavailable || closing || Date.now() >= giveUpAt) throw e;
        await pause(RETRY_PAUSES_MS[Math.min(attempt, RETRY_PAUSES_MS.length - 1)]!);
      }
    }
  };
  const append = (event: AuditEvent) => {
    writes = writes.then(() => appendRetrying(event)).catch((e) => log.error({ err: String(e) }, "token aggregate append failed"));
  };

  const write = (p: Pending, flush: RegistryTokenAggregateEvent["flush"]) => {
    const clients: TokenAggregateClient[] = [...p.clients.values()].map((c) => ({
      clientIp: c.clientIp, ...c.path, count: c.exchange + c.token, exchange: c.exchange, token: c.token, firstAt: iso(c.first), lastAt: iso(c.last),
    }));
    append({
      kind: "registry.token-aggregate", registry: p.registry, principalKind: p.principalKind, principalId: p.principalId,
      from: iso(windowStart), to: iso(windowStart + windowMs), firstAt: iso(p.first), lastAt: iso(p.last),
      count: p.exchange + p.token, endpoints: { exchange: p.exchange, token: p.token }, clients,
      repositories: [...p.repositories].sort(), repositoriesOmitted: p.repositoriesOmitted, flush,
    });
    entries -= p.clients.size;
  };

  const writeAll = (flush: RegistryTokenAggregateEvent["flush"]) => {
    for (const p of pending.values()) write(p, flush);
    pending = new Map();
    entries = 0;
  };

  /** Closes the window when the clock has left it (the timer may run late on a busy event loop). */
  const roll = (t: number) => {
    const w = windowOf(t);
    if (w === windowStart) return;
    writeAll("window");
    windowStart = w;
  };

  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => { roll(now()); arm(); }, Math.max(1, windowStart + windowMs - now()));
    timer.unref();
  };
  arm();

  return {
    record(issue) {
      const t = now();
      roll(t);
      const key = `${issue.registry.toLowerCase()} ${issue.principalKind} ${issue.principalId}`;
      const path: TokenPath = issue.via.kind === "private"
        ? { path: "private", endpointIp: issue.via.address, ...optional("endpointId", options.endpointAt?.(issue.via.address)) }
        : { path: "public" };
      const clientKey = `${issue.clientIp} ${path.path === "private" ? path.endpointIp : "public"}`;
      let p = pending.get(key);
      const isNew = !p?.clients.has(clientKey);
      if (isNew && entries >= maxEntries) {
        writeAll("bound");
        p = undefined;
      }
      if (p && isNew && p.clients.size >= maxClients) {
        write(p, "bound");
        pending.delete(key);
        p = undefined;
      }
      if (!p) {
        p = { registry: issue.registry, principalKind: issue.principalKind, principalId: issue.principalId, first: t, last: t, exchange: 0, token: 0, clients: new Map(), repositories: new Set(), repositoriesOmitted: 0 };
        pending.set(key, p);
      }
      let c = p.clients.get(clientKey);
      if (!c) {
        c = { path, clientIp: issue.clientIp, exchange: 0, token: 0, first: t, last: t };
        p.clients.set(clientKey, c);
        entries++;
      }
      for (const r of issue.pulled ?? []) {
        if (p.repositories.has(r)) continue;
        if (p.repositories.size < MAX_REPOSITORIES) p.repositories.add(r);
        else p.repositoriesOmitted++;
      }
      p[issue.endpoint]++;
      c[issue.endpoint]++;
      p.last = c.last = t;
    },
    async flush(why = "close") {
      writeAll(why);
      await writes;
    },
    async close() {
      if (timer) clearTimeout(timer);
      closing = true;
      wake?.();
      writeAll("close");
      await writes;
    },
    pendingEntries: () => entries,
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
