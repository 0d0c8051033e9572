// The change feed of the PostgreSQL driver (storage/types.ts ChangeFeed has the contract). Every
// resource write bumps cove_state.version in its own transaction and NOTIFYs cove_changes with the
// new version; PostgreSQL delivers a NOTIFY only when (and if) its transaction commits, in commit
// order, to every listening session: every node's writes reach every node. Three sources advance
// the one local version, which only moves forward and fires the listeners once per advance:
//   - the writer itself, right after its COMMIT (so caughtUp() after a write includes it, without
//     waiting for the notification's round trip);
//   - the LISTEN connection, a dedicated client (a pooled one could be handed back and lose it);
//   - a re-check every 2 s reading the version row, which heals a lost notification and covers the
//     time the LISTEN connection is down. A dropped LISTEN connection reconnects with backoff and
//     re-reads the row once listening again, so nothing committed in between is missed for long.

import pg from "pg";
import type { ChangeFeed } from "./types.js";

export const CHANGES_CHANNEL = "cove_changes";
const RECHECK_MS = 2000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

export interface PgChangeFeedOptions {
  connection: pg.ClientConfig;
  /** Reads cove_state.version (through the driver's pool). */
  readVersion: () => Promise<number>;
  /** The version when the driver opened. */
  initial: number;
}

export class PgChangeFeed implements ChangeFeed {
  private current: number;
  private readonly listeners = new Set<(version: number) => void>();
  private client: pg.Client | undefined;
  private closed = false;
  private backoff = BACKOFF_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly recheckTimer: NodeJS.Timeout;

  private constructor(private readonly o: PgChangeFeedOptions) {
    this.current = o.initial;
    this.recheckTimer = setInterval(() => { void this.recheck(); }, RECHECK_MS);
    // The re-check must not keep a finished process alive: close() is the way to stop it.
    this.recheckTimer.unref();
  }

  /** Starts following; resolves once the first LISTEN is in place (throws if it cannot be). */
  static async start(o: PgChangeFeedOptions): Promise<PgChangeFeed> {
    const feed = new PgChangeFeed(o);
    try {
      await feed.listen();
    } catch (e) {
      await feed.close();
      throw e;
    }
    return feed;
  }

  get version(): number {
    return this.current;
  }

  onCommitted(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** A version seen committed (by this node's write, a notification or the re-check): fires when it is new. */
  advance(version: number): void {
    if (this.closed || !Number.isSafeInteger(version) || version <= this.current) return;
    this.current = version;
    for (const l of [...this.listeners]) {
      // A listener only schedules work (the contract); one that throws must not stop the others.
      try { l(version); } catch { /* the listener reports its own failures */ }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.recheckTimer);
    clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const c = new pg.Client({ ...this.o.connection, application_name: "cove-changes" });
    // An 'error' event without a handler would crash the process; a lost connection is healed here.
    c.on("error", () => this.lost(c));
    c.on("end", () => this.lost(c));
    c.on("notification", (n) => {
      if (n.channel === CHANGES_CHANNEL) this.advance(Number(n.payload));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (e) {
      c.removeAllListeners("end");
      await c.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) { await c.end().catch(() => undefined); return; }
    this.client = c;
    this.backoff = BACKOFF_MIN_MS;
    // Commits made while nobody listened sent their notifications to no one.
    await this.recheck();
  }

  private lost(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = undefined;
    c.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const wait = this.backoff;
    this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.listen().catch(() => this.scheduleReconnect());
    }, wait);
    this.reconnectTimer.unref();
  }

  private async recheck(): Promise<void> {
    if (this.closed) return;
    try {
      this.advance(await this.o.readVersion());
    } catch {
      // The database is unreachable: the next re-check (or the reconnect) tries again.
    }
  }
}
