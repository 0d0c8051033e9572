// SQLite MetadataStore (Node's built-in node:sqlite, synchronous; each method is async only to
// honour the interface that networked drivers share; better-sqlite3 was measured against it in
// docs/benchmarks.md, "SQLite driver"). One connection per process in WAL mode with
// synchronous=FULL: a transaction that returned is in the WAL and fsynced, so a committed manifest
// survives kill -9 and power loss. Statements are prepared once and cached by SQL text.
// Schema and migrations: sqlite-schema.ts.

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { AUDIT_GENESIS_HASH, auditRecordHash } from "../domain/audit-chain.js";
import { pageLimit, toManifest, toPage, toResource, toTag, toUpload, type Row } from "./sqlite-rows.js";
import { migrate } from "./sqlite-schema.js";
import { LocalChangeFeed } from "./change-feed.js";
import { transaction } from "./sqlite-transaction.js";
import { SerialChain } from "./serial-chain.js";
import type { AuditRecord, Digest, ManifestRecord, MetadataStore, Page, ResourceRecord, TagRecord, UploadRecord } from "./types.js";

/** Upper bound for "starts with" range scans: no UTF-8 string continues a prefix beyond it. */
const PREFIX_END = "\u{10FFFF}";

export class SqliteMetadataStore implements MetadataStore {
  /** Fired after each committed resource write (types.ts ChangeFeed): the state view follows it. */
  readonly changes = new LocalChangeFeed();
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private readonly putManifestTx: (m: ManifestRecord, tag?: string) => void;
  private readonly appendAuditTx: (event: Record<string, unknown>) => AuditRecord;
  private readonly appendAuditsTx: (events: Record<string, unknown>[]) => AuditRecord[];
  private readonly sections = new SerialChain();

  private constructor(db: DatabaseSync) {
    this.db = db;
    this.putManifestTx = (m: ManifestRecord, tag?: string) => transaction(db, () => {
      this.sql(
        `INSERT INTO manifests (registry, repository, digest, media_type, size, body, subject, artifact_type,
           annotations, blob_refs, manifest_refs, created_at)
         VALUES (@registry, @repository, @digest, @mediaType, @size, @body, @subject, @artifactType,
           @annotations, @blobRefs, @manifestRefs, @createdAt)
         ON CONFLICT (registry, repository, digest) DO UPDATE SET
           media_type = excluded.media_type, size = excluded.size, body = excluded.body,
           subject = excluded.subject, artifact_type = excluded.artifact_type,
           annotations = excluded.annotations, blob_refs = excluded.blob_refs,
           manifest_refs = excluded.manifest_refs`,
      ).run({
        registry: m.registry,
        repository: m.repository,
        digest: m.digest,
        mediaType: m.mediaType,
        size: m.size,
        body: m.body,
        subject: m.subject ?? null,
        artifactType: m.artifactType ?? null,
        annotations: m.annotations === undefined ? null : JSON.stringify(m.annotations),
        blobRefs: JSON.stringify(m.blobRefs ?? []),
        manifestRefs: JSON.stringify(m.manifestRefs ?? []),
        createdAt: m.createdAt,
      });
      // Same digest, same body, same refs; rewritten anyway so the pair table can never drift.
      this.sql("DELETE FROM manifest_blob_refs WHERE registry = ? AND repository = ? AND manifest_digest = ?").run(m.registry, m.repository, m.digest);
      for (const b of new Set(m.blobRefs ?? [])) {
        this.sql("INSERT INTO manifest_blob_refs (registry, repository, manifest_digest, blob_digest) VALUES (?, ?, ?, ?)").run(m.registry, m.repository, m.digest, b);
      }
      if (tag !== undefined) {
        const now = new Date().toISOString();
        this.upsertTag({ registry: m.registry, repository: m.repository, tag, digest: m.digest, createdAt: now, updatedAt: now });
      }
    });
    const appendAudit = (event: Record<string, unknown>): AuditRecord => {
      const last = this.sql("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").get() as Row | undefined;
      // Store what JSON can carry, so the record read back hashes exactly as the one written.
      const stored = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
      const rec = { seq: (last?.seq ?? 0) + 1, time: new Date().toISOString(), event: stored };
      const hash = auditRecordHash(last?.hash ?? AUDIT_GENESIS_HASH, rec);
      this.sql("INSERT INTO audit (seq, time, hash, event) VALUES (?, ?, ?, ?)").run(rec.seq, rec.time, hash, JSON.stringify(stored));
      return { ...rec, hash };
    };
    // IMMEDIATE: take the write lock before reading the chain head, so two processes sharing the
    // file can never append two records with the same predecessor.
    this.appendAuditTx = (event) => transaction(db, () => appendAudit(event), true);
    this.appendAuditsTx = (events) => transaction(db, () => events.map(appendAudit), true);
  }

  /** Opens (creating when needed) the database file at `path` and brings its schema up to date. */
  static open(path: string): SqliteMetadataStore {
    const db = new DatabaseSync(path);
    try {
      db.exec("PRAGMA journal_mode = WAL");
      // FULL: the WAL is fsynced at every commit (NORMAL would only sync at checkpoints).
      db.exec("PRAGMA synchronous = FULL");
      db.exec("PRAGMA foreign_keys = ON");
      db.exec("PRAGMA busy_timeout = 5000");
      migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    return new SqliteMetadataStore(db);
  }

  private sql(text: string): StatementSync {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  // ---- ARM resources

  async getResource(id: string): Promise<ResourceRecord | undefined> {
    const r = this.sql("SELECT id, type, body FROM resources WHERE id_lower = ?").get(id.toLowerCase()) as Row | undefined;
    return r && toResource(r);
  }

  async putResource(rec: ResourceRecord): Promise<void> {
    this.sql(
      `INSERT INTO resources (id_lower, id, type_lower, type, body) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id_lower) DO UPDATE SET type_lower = excluded.type_lower, type = excluded.type, body = excluded.body`,
    ).run(rec.id.toLowerCase(), rec.id, rec.type.toLowerCase(), rec.type, JSON.stringify(rec.body));
    this.changes.committed();
  }

  async deleteResource(id: string, recursive = false): Promise<boolean> {
    const key = id.toLowerCase();
    const deleted = transaction(this.db, () => {
      let n = Number(this.sql("DELETE FROM resources WHERE id_lower = ?").run(key).changes);
      if (recursive) {
        const under = key + "/";
        n += Number(this.sql("DELETE FROM resources WHERE id_lower >= ? AND id_lower < ?").run(under, under + PREFIX_END).changes);
      }
      return n > 0;
    });
    // Deleting nothing changed nothing: no signal.
    if (deleted) this.changes.committed();
    return deleted;
  }

  async listResources(filter: { type?: string; underId?: string }): Promise<ResourceRecord[]> {
    const prefix = (filter.underId ?? "").toLowerCase();
    const rows =
      filter.type !== undefined
        ? this.sql(
            "SELECT id, type, body FROM resources WHERE type_lower = ? AND id_lower >= ? AND id_lower < ? ORDER BY id_lower",
          ).all(filter.type.toLowerCase(), prefix, prefix + PREFIX_END)
        : this.sql("SELECT id, type, body FROM resources WHERE id_lower >= ? AND id_lower < ? ORDER BY id_lower").all(
            prefix,
            prefix + PREFIX_END,
          );
    return (rows as Row[]).map(toResource);
  }

  // ---- blob links

  async linkBlob(registry: string, repository: string, digest: Digest, size: number): Promise<void> {
    this.sql(
      `INSERT INTO blob_links (registry, repository, digest, size) VALUES (?, ?, ?, ?)
       ON CONFLICT (registry, repository, digest) DO UPDATE SET size = excluded.size`,
    ).run(registry, repository, digest, size);
  }

  async getBlobLink(registry: string, repository: string, digest: Digest): Promise<number | undefined> {
    const r = this.sql("SELECT size FROM blob_links WHERE registry = ? AND repository = ? AND digest = ?").get(
      registry,
      repository,
      digest,
    ) as Row | undefined;
    return r?.size;
  }

  async unlinkBlob(registry: string, repository: string, digest: Digest): Promise<boolean> {
    return this.sql("DELETE FROM blob_links WHERE registry = ? AND repository = ? AND digest = ?").run(registry, repository, digest).changes > 0;
  }

  async countBlobLinks(digest: Digest): Promise<number> {
    return (this.sql("SELECT count(*) AS n FROM blob_links WHERE digest = ?").get(digest) as Row).n;
  }

  // ---- manifests and tags

  async putManifest(m: ManifestRecord, tag?: string): Promise<void> {
    this.putManifestTx(m, tag);
  }

  async getManifest(registry: string, repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    const r = this.sql("SELECT * FROM manifests WHERE registry = ? AND repository = ? AND digest = ?").get(registry, repository, digest) as
      | Row
      | undefined;
    return r && toManifest(r);
  }

  /** Also deletes the tags that point at the manifest: a tag never names a missing manifest. */
  async deleteManifest(registry: string, repository: string, digest: Digest): Promise<boolean> {
    return transaction(this.db, () => {
      const n = Number(this.sql("DELETE FROM manifests WHERE registry = ? AND repository = ? AND digest = ?").run(registry, repository, digest).changes);
      if (n > 0) this.sql("DELETE FROM tags WHERE registry = ? AND repository = ? AND digest = ?").run(registry, repository, digest);
      this.sql("DELETE FROM manifest_blob_refs WHERE registry = ? AND repository = ? AND manifest_digest = ?").run(registry, repository, digest);
      return n > 0;
    });
  }

  async manifestsReferencingBlob(registry: string, repository: string, digest: Digest, limit: number): Promise<Digest[]> {
    const rows = this.sql(
      "SELECT manifest_digest FROM manifest_blob_refs WHERE registry = ? AND repository = ? AND blob_digest = ? ORDER BY manifest_digest LIMIT ?",
    ).all(registry, repository, digest, Math.max(0, Math.floor(limit))) as Row[];
    return rows.map((r) => r.manifest_digest as string);
  }

  async listManifests(registry: string, repository: string): Promise<ManifestRecord[]> {
    const rows = this.sql("SELECT * FROM manifests WHERE registry = ? AND repository = ? ORDER BY created_at, digest").all(registry, repository);
    return (rows as Row[]).map(toManifest);
  }

  async listReferrers(registry: string, repository: string, digest: Digest): Promise<ManifestRecord[]> {
    const rows = this.sql("SELECT * FROM manifests WHERE registry = ? AND repository = ? AND subject = ? ORDER BY created_at, digest").all(
      registry,
      repository,
      digest,
    );
    return (rows as Row[]).map(toManifest);
  }

  async getTag(registry: string, repository: string, tag: string): Promise<TagRecord | undefined> {
    const r = this.sql("SELECT * FROM tags WHERE registry = ? AND repository = ? AND tag = ?").get(registry, repository, tag) as Row | undefined;
    return r && toTag(r);
  }

  async putTag(t: TagRecord): Promise<void> {
    this.upsertTag(t);
  }

  /** Re-pointing a tag keeps its first createdAt. */
  private upsertTag(t: TagRecord): void {
    this.sql(
      `INSERT INTO tags (registry, repository, tag, digest, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (registry, repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
    ).run(t.registry, t.repository, t.tag, t.digest, t.createdAt, t.updatedAt);
  }

  async deleteTag(registry: string, repository: string, tag: string): Promise<boolean> {
    return this.sql("DELETE FROM tags WHERE registry = ? AND repository = ? AND tag = ?").run(registry, repository, tag).changes > 0;
  }

  async listTags(registry: string, repository: string, n?: number, last?: string): Promise<Page<TagRecord>> {
    const limit = pageLimit(n);
    const rows = this.sql("SELECT * FROM tags WHERE registry = ? AND repository = ? AND tag > ? ORDER BY tag LIMIT ?").all(
      registry,
      repository,
      last ?? "",
      limit,
    ) as Row[];
    return toPage(rows.map(toTag), n, (t) => t.tag);
  }

  async listRepositories(registry: string, n?: number, last?: string): Promise<Page<string>> {
    const limit = pageLimit(n);
    const rows = this.sql(
      "SELECT DISTINCT repository FROM manifests WHERE registry = ? AND repository > ? ORDER BY repository LIMIT ?",
    ).all(registry, last ?? "", limit) as Row[];
    return toPage(
      rows.map((r) => r.repository as string),
      n,
      (r) => r,
    );
  }

  async deleteRepository(registry: string, repository: string): Promise<boolean> {
    return transaction(this.db, () => {
      let n = 0;
      for (const table of ["tags", "manifests", "manifest_blob_refs", "blob_links"]) {
        n += Number(this.sql(`DELETE FROM ${table} WHERE registry = ? AND repository = ?`).run(registry, repository).changes);
      }
      return n > 0;
    });
  }

  async deleteRegistryContent(registry: string): Promise<void> {
    transaction(this.db, () => {
      for (const table of ["tags", "manifests", "manifest_blob_refs", "blob_links", "uploads"]) {
        this.sql(`DELETE FROM ${table} WHERE registry = ?`).run(registry);
      }
    });
  }

  // ---- upload sessions

  async createUpload(u: UploadRecord): Promise<void> {
    this.sql("INSERT INTO uploads (id, registry, repository, created_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(
      u.id,
      u.registry,
      u.repository,
      u.createdAt,
      u.expiresAt,
    );
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const r = this.sql("SELECT * FROM uploads WHERE id = ?").get(id) as Row | undefined;
    return r && toUpload(r);
  }

  async deleteUpload(id: string): Promise<void> {
    this.sql("DELETE FROM uploads WHERE id = ?").run(id);
  }

  async listExpiredUploads(now: number): Promise<UploadRecord[]> {
    return (this.sql("SELECT * FROM uploads WHERE expires_at <= ? ORDER BY expires_at, id").all(now) as Row[]).map(toUpload);
  }

  // ---- audit

  async appendAudit(event: Record<string, unknown>): Promise<AuditRecord> {
    return this.appendAuditTx(event);
  }

  async appendAudits(events: Record<string, unknown>[]): Promise<AuditRecord[]> {
    return events.length === 0 ? [] : this.appendAuditsTx(events);
  }

  async readAudit(afterSeq = 0, limit?: number): Promise<AuditRecord[]> {
    const rows = this.sql("SELECT seq, time, hash, event FROM audit WHERE seq > ? ORDER BY seq LIMIT ?").all(afterSeq, limit ?? -1) as Row[];
    return rows.map((r) => ({ seq: r.seq, time: r.time, hash: r.hash, event: JSON.parse(r.event) }));
  }

  // ---- exclusive sections: one process owns the file, so the process's own queue is the whole lock.

  keyed<T>(_key: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.sections.run(fn);
  }

  async close(): Promise<void> {
    if (!this.db.isOpen) return;
    this.statements.clear();
    // A clean close checkpoints the WAL into the main file and removes it.
    this.db.close();
  }
}
