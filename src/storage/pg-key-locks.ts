// MetadataStore.keyed on PostgreSQL: per-key locks that hold across nodes, for the data plane's
// "commit bytes, then link" against "unlink, count links, remove bytes" on one blob digest
// (data-plane/key-lock.ts keeps each node's own holders one at a time per key first).
//
// One dedicated session holds this node's key locks: a session-level advisory lock in the two-key
// space (which never meets the one-key space of exclusive() and the audit lock), taken with
// pg_try_advisory_lock and retried, so a key another node holds never blocks the session for the
// keys nobody holds. A manifest PUT locks all its blobs at once; on one session that costs no extra
// connections, however many layers. A key still held elsewhere after LOCK_WAIT_MS fails as
// StoreUnavailable (503: the client retries). If the session is lost, PostgreSQL frees its locks;
// the next key lock opens a new session.
import { createHash } from "node:crypto";
import pg from "pg";
import { StoreUnavailable } from "../domain/errors.js";
import { STORE_NAME } from "./pg-errors.js";
import type { StoreHealth } from "./store-health.js";

/** The first key of every digest lock ("cove" + "k", as an int4): the namespace in the two-key space. */
const KEY_SPACE = 0x636f766b | 0;
const LOCK_WAIT_MS = 10_000;

/** The second key: 32 bits of the key's SHA-256 (a collision only makes two digests wait for each other). */
function keyOf(key: string): number {
  return createHash("sha256").update(key).digest().readInt32BE(0);
}

export class PgKeyLocks {
  private session?: Promise<pg.Client>;
  private closed = false;

  constructor(private readonly connection: pg.ClientConfig, private readonly health: StoreHealth) {}

  private open(): Promise<pg.Client> {
    if (this.session) return this.session;
    const client = new pg.Client({ ...this.connection, application_name: "cove-key-locks", connectionTimeoutMillis: 2000, query_timeout: 10_000 });
    const forget = () => { if (this.session === made) this.session = undefined; };
    client.on("error", forget);
    client.on("end", forget);
    const made: Promise<pg.Client> = client.connect().then(() => client, (e) => { forget(); throw e; });
    this.session = made;
    return made;
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailable(STORE_NAME, "closed");
    const k = keyOf(key);
    const deadline = Date.now() + LOCK_WAIT_MS;
    let client: pg.Client | undefined;
    for (let wait = 5; !client; wait = Math.min(wait * 2, 100)) {
      // Only the database's answers count as its health: a key held too long is contention, not an outage.
      client = await this.health.call(async () => {
        const c = await this.open();
        return (await c.query("SELECT pg_try_advisory_lock($1, $2) AS ok", [KEY_SPACE, k])).rows[0]?.ok === true ? c : undefined;
      });
      if (client) break;
      if (Date.now() + wait > deadline) throw new StoreUnavailable(STORE_NAME, `blob ${key} is locked by another node for more than ${LOCK_WAIT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, wait));
    }
    try {
      return await fn();
    } finally {
      // A failed unlock means the session is gone, and its locks with it.
      await client.query("SELECT pg_advisory_unlock($1, $2)", [KEY_SPACE, k]).catch(() => client.end().catch(() => undefined));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    await s?.then((c) => c.end(), () => undefined).catch(() => undefined);
  }
}
