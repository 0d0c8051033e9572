// PostgreSQL MetadataStore: the same records and semantics as sqlite-metadata-store.ts, on a
// database that several Cove nodes share. A pool of connections (node-postgres); what SQLite does
// in one transaction is one transaction here too (READ COMMITTED, PostgreSQL's default: every
// write is an upsert or a delete whose row locks and unique keys already make it exact).
// What one process serialised for free takes a lock across nodes:
//   - the audit chain: appends take a transaction-scoped advisory lock before reading the head, so
//     seq stays gap-free and every record hashes over its true predecessor, whichever node appends;
//   - the change feed: resource writes bump the one cove_state row (its row lock orders them) and
//     NOTIFY in the same transaction (pg-change-feed.ts).
// Schema and migrations: pg-schema.ts. Choosing this driver: storage/open.ts (metadataUrl).

import pg from "pg";
import { AUDIT_GENESIS_HASH, auditRecordHash } from "../domain/audit-chain.js";
import { DomainError } from "../domain/errors.js";
import { CHANGES_CHANNEL, PgChangeFeed } from "./pg-change-feed.js";
import { pgHealth, type StoreLog } from "./pg-errors.js";
import type { StoreHealth } from "./store-health.js";
import { PgKeyLocks } from "./pg-key-locks.js";
import { maskUrl, pgPageLimit, toManifest, toTag, toUpload, type Row } from "./pg-rows.js";
import { migrate } from "./pg-schema.js";
import { SerialChain } from "./serial-chain.js";
import { toPage, toResource } from "./sqlite-rows.js";
import type { AuditRecord, Digest, ManifestRecord, MetadataStore, Page, ResourceRecord, TagRecord, UploadRecord } from "./types.js";

/** Upper bound for "starts with" range scans: no UTF-8 string continues a prefix beyond it (C collation). */
const PREFIX_END = "\u{10FFFF}";
/** pg_advisory_xact_lock key that serialises audit appends ("cove" + "aud"). */
export const AUDIT_LOCK = 0x636f7665617564;
const POOL_SIZE = 10;
/**
 * A stopped or unreachable database must answer requests with a 503 in bounded time, not hold them:
 * a pooled connection that cannot be made in 2 s, or a query with no answer in 10 s, fails as
 * StoreUnavailable (pg-errors.ts). docs/storage.md names both numbers.
 */
const CONNECT_TIMEOUT_MS = 2000;
const QUERY_TIMEOUT_MS = 10_000;

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult<Row>>;

export class PgMetadataStore implements MetadataStore {
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly changes: PgChangeFeed,
    /** How many migrations this instance applied at open (0 when another node, or an earlier start, had). */
    readonly migrationsApplied: number,
    private readonly health: StoreHealth,
    private readonly keyLocks: PgKeyLocks,
  ) {}

  /** Connects to `url` (postgres:// or postgresql://), brings the schema up to date and starts the change feed. */
  static async open(url: string, log?: StoreLog): Promise<PgMetadataStore> {
    const connection: pg.ClientConfig = { connectionString: url, application_name: "cove", connectionTimeoutMillis: 10_000 };
    // The pool serves requests, so it gets the tight bounds; the migration below (which may queue
    // on another node's migration lock) and the change feed's LISTEN connection do not.
    const pool = new pg.Pool({ ...connection, max: POOL_SIZE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS });
    // An idle pooled connection that breaks emits 'error' on the pool; without a handler the process
    // would die. The pool drops that client; the next query opens a new one.
    pool.on("error", () => undefined);
    let changes: PgChangeFeed | undefined;
    try {
      const client = new pg.Client(connection);
      client.on("error", () => undefined);
      let applied: number;
      try {
        await client.connect();
        applied = await migrate(client);
      } finally {
        await client.end().catch(() => undefined);
      }
      const readVersion = async () => Number((await pool.query("SELECT version FROM cove_state WHERE id = 1")).rows[0].version);
      changes = await PgChangeFeed.start({ connection, readVersion, initial: await readVersion() });
      const health = pgHealth(log);
      return new PgMetadataStore(pool, changes, applied, health, new PgKeyLocks(connection, health));
    } catch (e) {
      await changes?.close();
      await pool.end().catch(() => undefined);
      if (e instanceof DomainError) throw e;
      // node-postgres messages name the host and port, never the password; the URL is masked anyway.
      throw new DomainError("STORE_UNAVAILABLE", `cannot open the PostgreSQL metadata store at ${maskUrl(url)}: ${(e as Error).message}`);
    }
  }

  private q: Query = (text, values) => this.health.call(() => this.pool.query(text, values));

  /** Runs `fn` in one transaction on one pooled connection: committed when it returns, rolled back when it throws. */
  private tx<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    return this.health.call(() => this.txOnce(fn));
  }

  private async txOnce<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client whose connection breaks emits 'error' (the pool listens only while it is
    // idle); the query in flight rejects anyway, and without a listener the process would die.
    const onLost = () => undefined;
    client.on("error", onLost);
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn((text, values) => client.query(text, values));
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch((lost: Error) => { broken = lost; });
      throw e;
    } finally {
      client.off("error", onLost);
      // A connection that could not even roll back is dropped, not handed to the next request.
      client.release(broken);
    }
  }

  /** Inside a resource write's transaction: the next store version, announced to every node at COMMIT. */
  private async bumpVersion(q: Query): Promise<number> {
    const v = Number((await q("UPDATE cove_state SET version = version + 1 WHERE id = 1 RETURNING version")).rows[0].version);
    await q("SELECT pg_notify($1, $2)", [CHANGES_CHANNEL, String(v)]);
    return v;
  }

  // ---- ARM resources

  async getResource(id: string): Promise<ResourceRecord | undefined> {
    const r = (await this.q("SELECT id, type, body FROM resources WHERE id_lower = $1", [id.toLowerCase()])).rows[0];
    return r && toResource(r);
  }

  async putResource(rec: ResourceRecord): Promise<void> {
    const version = await this.tx(async (q) => {
      await q(
        `INSERT INTO resources (id_lower, id, type_lower, type, body) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id_lower) DO UPDATE SET type_lower = excluded.type_lower, type = excluded.type, body = excluded.body`,
        [rec.id.toLowerCase(), rec.id, rec.type.toLowerCase(), rec.type, JSON.stringify(rec.body)],
      );
      return this.bumpVersion(q);
    });
    this.changes.advance(version);
  }

  async deleteResource(id: string, recursive = false): Promise<boolean> {
    const key = id.toLowerCase();
    const version = await this.tx(async (q) => {
      let n = (await q("DELETE FROM resources WHERE id_lower = $1", [key])).rowCount ?? 0;
      if (recursive) {
        const under = key + "/";
        n += (await q("DELETE FROM resources WHERE id_lower >= $1 AND id_lower < $2", [under, under + PREFIX_END])).rowCount ?? 0;
      }
      // Deleting nothing changed nothing: no version, no signal.
      return n > 0 ? this.bumpVersion(q) : undefined;
    });
    if (version === undefined) return false;
    this.changes.advance(version);
    return true;
  }

  async listResources(filter: { type?: string; underId?: string }): Promise<ResourceRecord[]> {
    const prefix = (filter.underId ?? "").toLowerCase();
    const { rows } =
      filter.type !== undefined
        ? await this.q(
            "SELECT id, type, body FROM resources WHERE type_lower = $1 AND id_lower >= $2 AND id_lower < $3 ORDER BY id_lower",
            [filter.type.toLowerCase(), prefix, prefix + PREFIX_END],
          )
        : await this.q("SELECT id, type, body FROM resources WHERE id_lower >= $1 AND id_lower < $2 ORDER BY id_lower", [prefix, prefix + PREFIX_END]);
    return rows.map(toResource);
  }

  // ---- blob links

  async linkBlob(registry: string, repository: string, digest: Digest, size: number): Promise<void> {
    await this.q(
      `INSERT INTO blob_links (registry, repository, digest, size) VALUES ($1, $2, $3, $4)
       ON CONFLICT (registry, repository, digest) DO UPDATE SET size = excluded.size`,
      [registry, repository, digest, size],
    );
  }

  async getBlobLink(registry: string, repository: string, digest: Digest): Promise<number | undefined> {
    const r = (await this.q("SELECT size FROM blob_links WHERE registry = $1 AND repository = $2 AND digest = $3", [registry, repository, digest])).rows[0];
    return r === undefined ? undefined : Number(r.size);
  }

  async unlinkBlob(registry: string, repository: string, digest: Digest): Promise<boolean> {
    return ((await this.q("DELETE FROM blob_links WHERE registry = $1 AND repository = $2 AND digest = $3", [registry, repository, digest])).rowCount ?? 0) > 0;
  }

  async countBlobLinks(digest: Digest): Promise<number> {
    return Number((await this.q("SELECT count(*) AS n FROM blob_links WHERE digest = $1", [digest])).rows[0].n);
  }

  // ---- manifests and tags

  async putManifest(m: ManifestRecord, tag?: string): Promise<void> {
    await this.tx(async (q) => {
      await q(
        `INSERT INTO manifests (registry, repository, digest, media_type, size, body, subject, artifact_type,
           annotations, blob_refs, manifest_refs, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (registry, repository, digest) DO UPDATE SET
           media_type = excluded.media_type, size = excluded.size, body = excluded.body,
           subject = excluded.subject, artifact_type = excluded.artifact_type,
           annotations = excluded.annotations, blob_refs = excluded.blob_refs,
           manifest_refs = excluded.manifest_refs`,
        [
          m.registry, m.repository, m.digest, m.mediaType, m.size, m.body, m.subject ?? null, m.artifactType ?? null,
          m.annotations === undefined ? null : JSON.stringify(m.annotations),
          JSON.stringify(m.blobRefs ?? []), JSON.stringify(m.manifestRefs ?? []), m.createdAt,
        ],
      );
      // Same digest, same body, same refs; rewritten anyway so the pair table can never drift.
      await q("DELETE FROM manifest_blob_refs WHERE registry = $1 AND repository = $2 AND manifest_digest = $3", [m.registry, m.repository, m.digest]);
      const refs = [...new Set(m.blobRefs ?? [])];
      if (refs.length > 0) {
        await q(
          `INSERT INTO manifest_blob_refs (registry, repository, manifest_digest, blob_digest)
           SELECT $1, $2, $3, b FROM unnest($4::text[]) AS b`,
          [m.registry, m.repository, m.digest, refs],
        );
      }
      if (tag !== undefined) {
        const now = new Date().toISOString();
        await this.upsertTag(q, { registry: m.registry, repository: m.repository, tag, digest: m.digest, createdAt: now, updatedAt: now });
      }
    });
  }

  async getManifest(registry: string, repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    const r = (await this.q("SELECT * FROM manifests WHERE registry = $1 AND repository = $2 AND digest = $3", [registry, repository, digest])).rows[0];
    return r && toManifest(r);
  }

  /** Also deletes the tags that point at the manifest: a tag never names a missing manifest. */
  async deleteManifest(registry: string, repository: string, digest: Digest): Promise<boolean> {
    return this.tx(async (q) => {
      const key = [registry, repository, digest];
      const n = (await q("DELETE FROM manifests WHERE registry = $1 AND repository = $2 AND digest = $3", key)).rowCount ?? 0;
      if (n > 0) await q("DELETE FROM tags WHERE registry = $1 AND repository = $2 AND digest = $3", key);
      await q("DELETE FROM manifest_blob_refs WHERE registry = $1 AND repository = $2 AND manifest_digest = $3", key);
      return n > 0;
    });
  }

  async manifestsReferencingBlob(registry: string, repository: string, digest: Digest, limit: number): Promise<Digest[]> {
    const { rows } = await this.q(
      "SELECT manifest_digest FROM manifest_blob_refs WHERE registry = $1 AND repository = $2 AND blob_digest = $3 ORDER BY manifest_digest LIMIT $4",
      [registry, repository, digest, Math.max(0, Math.floor(limit))],
    );
    return rows.map((r) => r.manifest_digest as string);
  }

  async listManifests(registry: string, repository: string): Promise<ManifestRecord[]> {
    const { rows } = await this.q("SELECT * FROM manifests WHERE registry = $1 AND repository = $2 ORDER BY created_at, digest", [registry, repository]);
    return rows.map(toManifest);
  }

  async listReferrers(registry: string, repository: string, digest: Digest): Promise<ManifestRecord[]> {
    const { rows } = await this.q(
      "SELECT * FROM manifests WHERE registry = $1 AND repository = $2 AND subject = $3 ORDER BY created_at, digest",
      [registry, repository, digest],
    );
    return rows.map(toManifest);
  }

  async getTag(registry: string, repository: string, tag: string): Promise<TagRecord | undefined> {
    const r = (await this.q("SELECT * FROM tags WHERE registry = $1 AND repository = $2 AND tag = $3", [registry, repository, tag])).rows[0];
    return r && toTag(r);
  }

  async putTag(t: TagRecord): Promise<void> {
    await this.upsertTag(this.q, t);
  }

  /** Re-pointing a tag keeps its first createdAt. */
  private async upsertTag(q: Query, t: TagRecord): Promise<void> {
    await q(
      `INSERT INTO tags (registry, repository, tag, digest, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (registry, repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
      [t.registry, t.repository, t.tag, t.digest, t.createdAt, t.updatedAt],
    );
  }

  async deleteTag(registry: string, repository: string, tag: string): Promise<boolean> {
    return ((await this.q("DELETE FROM tags WHERE registry = $1 AND repository = $2 AND tag = $3", [registry, repository, tag])).rowCount ?? 0) > 0;
  }

  async listTags(registry: string, repository: string, n?: number, last?: string): Promise<Page<TagRecord>> {
    const { rows } = await this.q(
      "SELECT * FROM tags WHERE registry = $1 AND repository = $2 AND tag > $3 ORDER BY tag LIMIT $4",
      [registry, repository, last ?? "", pgPageLimit(n)],
    );
    return toPage(rows.map(toTag), n, (t) => t.tag);
  }

  async listRepositories(registry: string, n?: number, last?: string): Promise<Page<string>> {
    const { rows } = await this.q(
      "SELECT DISTINCT repository FROM manifests WHERE registry = $1 AND repository > $2 ORDER BY repository LIMIT $3",
      [registry, last ?? "", pgPageLimit(n)],
    );
    return toPage(rows.map((r) => r.repository as string), n, (r) => r);
  }

  async deleteRepository(registry: string, repository: string): Promise<boolean> {
    return this.tx(async (q) => {
      let n = 0;
      for (const table of ["tags", "manifests", "manifest_blob_refs", "blob_links"]) {
        n += (await q(`DELETE FROM ${table} WHERE registry = $1 AND repository = $2`, [registry, repository])).rowCount ?? 0;
      }
      return n > 0;
    });
  }

  async deleteRegistryContent(registry: string): Promise<void> {
    await this.tx(async (q) => {
      for (const table of ["tags", "manifests", "manifest_blob_refs", "blob_links", "uploads"]) {
        await q(`DELETE FROM ${table} WHERE registry = $1`, [registry]);
      }
    });
  }

  // ---- upload sessions

  async createUpload(u: UploadRecord): Promise<void> {
    await this.q("INSERT INTO uploads (id, registry, repository, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)", [
      u.id, u.registry, u.repository, u.createdAt, u.expiresAt,
    ]);
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const r = (await this.q("SELECT * FROM uploads WHERE id = $1", [id])).rows[0];
    return r && toUpload(r);
  }

  async deleteUpload(id: string): Promise<void> {
    await this.q("DELETE FROM uploads WHERE id = $1", [id]);
  }

  async listExpiredUploads(now: number): Promise<UploadRecord[]> {
    return (await this.q("SELECT * FROM uploads WHERE expires_at <= $1 ORDER BY expires_at, id", [now])).rows.map(toUpload);
  }

  // ---- audit

  async appendAudit(event: Record<string, unknown>): Promise<AuditRecord> {
    return (await this.appendAuditTx([event]))[0]!;
  }

  async appendAudits(events: Record<string, unknown>[]): Promise<AuditRecord[]> {
    return events.length === 0 ? [] : this.appendAuditTx(events);
  }

  private appendAuditTx(events: Record<string, unknown>[]): Promise<AuditRecord[]> {
    // Store what JSON can carry, so the record read back hashes exactly as the one written.
    const stored = events.map((e) => JSON.parse(JSON.stringify(e)) as Record<string, unknown>);
    return this.tx(async (q) => {
      // Held until COMMIT: no other appender, on any node, reads the head before these records are in.
      await q("SELECT pg_advisory_xact_lock($1)", [AUDIT_LOCK]);
      let last = (await q("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")).rows[0] as { seq: unknown; hash: string } | undefined;
      const out: AuditRecord[] = [];
      for (const event of stored) {
        const rec = { seq: last === undefined ? 1 : Number(last.seq) + 1, time: new Date().toISOString(), event };
        const hash = auditRecordHash(last?.hash ?? AUDIT_GENESIS_HASH, rec);
        await q("INSERT INTO audit (seq, time, hash, event) VALUES ($1, $2, $3, $4)", [rec.seq, rec.time, hash, JSON.stringify(event)]);
        out.push({ ...rec, hash });
        last = { seq: rec.seq, hash };
      }
      return out;
    });
  }

  async readAudit(afterSeq = 0, limit?: number): Promise<AuditRecord[]> {
    const { rows } = await this.q("SELECT seq, time, hash, event FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2", [afterSeq, limit ?? null]);
    return rows.map((r) => ({ seq: Number(r.seq), time: r.time, hash: r.hash, event: JSON.parse(r.event) }));
  }

  // ---- exclusive sections

  /** Session-level advisory lock key of exclusive() ("cove" + "ex"; below 2^53, so exact as a JS number). */
  static readonly EXCLUSIVE_LOCK = 0x636f76656578;
  private readonly sections = new SerialChain();

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    // This node's sections queue in memory first, so it holds one connection on the lock, not one per request.
    // Through health.call: a database that is down makes the section fail as StoreUnavailable (503), not a 500.
    return this.sections.run(() => this.health.call(async () => {
      const client = await this.pool.connect();
      // Checked out, the client is nobody's to watch: a connection lost while fn runs must not kill the process.
      const onLost = () => undefined;
      client.on("error", onLost);
      // Session-level, not a transaction's: fn's writes commit in their own transactions on other
      // pooled connections, each visible to the next holder. The lock goes with the session, so a
      // connection that cannot say pg_advisory_unlock (or whose lock request failed half-way, e.g.
      // a client-side timeout while the server still grants it later) is destroyed, never pooled.
      let clean = false;
      try {
        await client.query("SELECT pg_advisory_lock($1)", [PgMetadataStore.EXCLUSIVE_LOCK]);
        try {
          return await fn();
        } finally {
          clean = await client.query("SELECT pg_advisory_unlock($1) AS ok", [PgMetadataStore.EXCLUSIVE_LOCK]).then((r) => r.rows[0]?.ok === true, () => false);
        }
      } finally {
        client.off("error", onLost);
        client.release(clean ? undefined : true);
      }
    }));
  }

  keyed<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.keyLocks.run(key, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.keyLocks.close();
    await this.changes.close();
    await this.pool.end();
  }
}
