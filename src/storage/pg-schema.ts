// The PostgreSQL schema as an ordered list of migrations, as sqlite-schema.ts is for SQLite.
// cove_schema_migrations holds one row per migration applied. Migrations run at start-up in ONE
// transaction that first takes a transaction-scoped advisory lock: two nodes starting at once
// queue on the lock, the first migrates, the second then finds nothing left to do. A database
// written by a newer Cove (a version above what we know) is refused, untouched. To change the
// schema: append a migration, never edit a released one.
//
// Every text column that Cove compares or orders is COLLATE "C": byte order, as SQLite compares
// TEXT, so tags and repositories page in the same lexical order on both drivers and the prefix
// range scans of listResources stay index scans whatever the database's default locale is.

import type { ClientBase } from "pg";
import { DomainError } from "../domain/errors.js";

/** pg_advisory_xact_lock key of the migration step ("cove" + "mig" as bytes: any constant, fixed forever). */
export const MIGRATION_LOCK = 0x636f76656d6967;

const MIGRATIONS: readonly string[] = [
  // 1: the SQLite schema up to its migration 2 (manifest_blob_refs included), plus the change feed's
  // version row.
  `
  CREATE TABLE resources (
    id_lower   TEXT COLLATE "C" PRIMARY KEY,
    id         TEXT NOT NULL,
    type_lower TEXT COLLATE "C" NOT NULL,
    type       TEXT NOT NULL,
    body       TEXT NOT NULL
  );
  CREATE INDEX resources_by_type ON resources (type_lower, id_lower);

  CREATE TABLE blob_links (
    registry   TEXT COLLATE "C" NOT NULL,
    repository TEXT COLLATE "C" NOT NULL,
    digest     TEXT COLLATE "C" NOT NULL,
    size       BIGINT NOT NULL,
    PRIMARY KEY (registry, repository, digest)
  );
  CREATE INDEX blob_links_by_digest ON blob_links (digest);

  CREATE TABLE manifests (
    registry      TEXT COLLATE "C" NOT NULL,
    repository    TEXT COLLATE "C" NOT NULL,
    digest        TEXT COLLATE "C" NOT NULL,
    media_type    TEXT NOT NULL,
    size          BIGINT NOT NULL,
    body          BYTEA NOT NULL,
    subject       TEXT COLLATE "C",
    artifact_type TEXT,
    annotations   TEXT,
    blob_refs     TEXT NOT NULL,
    manifest_refs TEXT NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (registry, repository, digest)
  );
  CREATE INDEX manifests_by_subject ON manifests (registry, repository, subject) WHERE subject IS NOT NULL;

  CREATE TABLE manifest_blob_refs (
    registry        TEXT COLLATE "C" NOT NULL,
    repository      TEXT COLLATE "C" NOT NULL,
    manifest_digest TEXT COLLATE "C" NOT NULL,
    blob_digest     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (registry, repository, manifest_digest, blob_digest)
  );
  CREATE INDEX manifest_blob_refs_by_blob ON manifest_blob_refs (registry, repository, blob_digest, manifest_digest);

  CREATE TABLE tags (
    registry   TEXT COLLATE "C" NOT NULL,
    repository TEXT COLLATE "C" NOT NULL,
    tag        TEXT COLLATE "C" NOT NULL,
    digest     TEXT COLLATE "C" NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (registry, repository, tag)
  );
  CREATE INDEX tags_by_digest ON tags (registry, repository, digest);

  CREATE TABLE uploads (
    id         TEXT COLLATE "C" PRIMARY KEY,
    registry   TEXT COLLATE "C" NOT NULL,
    repository TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX uploads_by_expiry ON uploads (expires_at);
  CREATE INDEX uploads_by_registry ON uploads (registry);

  -- Append-only; seq is assigned by the appender under the audit lock (never a sequence, whose
  -- values a rolled-back transaction would skip).
  CREATE TABLE audit (
    seq   BIGINT PRIMARY KEY,
    time  TEXT NOT NULL,
    hash  TEXT NOT NULL,
    event TEXT NOT NULL
  );

  -- The change feed's version (storage/types.ts ChangeFeed): one row, bumped by every resource write
  -- in the writer's transaction. Its row lock orders those commits, so versions follow commit order.
  CREATE TABLE cove_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
  );
  INSERT INTO cove_state (id, version) VALUES (1, 0);
  `,
];

/** The schema version this build writes. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to PG_SCHEMA_VERSION on `client` (a connection of its own, outside any
 * transaction); refuses a database from a newer Cove. Returns how many migrations this call applied.
 */
export async function migrate(client: ClientBase): Promise<number> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS cove_schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    const { rows } = await client.query("SELECT coalesce(max(version), 0) AS v FROM cove_schema_migrations");
    const current = Number(rows[0].v);
    if (current > PG_SCHEMA_VERSION) {
      throw new DomainError(
        "STORE_VERSION_UNSUPPORTED",
        `the PostgreSQL metadata database has schema version ${current}, but this Cove understands at most ${PG_SCHEMA_VERSION}: ` +
          `it was written by a newer Cove; run that version or restore a backup`,
        { found: current, supported: PG_SCHEMA_VERSION },
      );
    }
    for (let v = current + 1; v <= PG_SCHEMA_VERSION; v++) {
      await client.query(MIGRATIONS[v - 1]);
      await client.query("INSERT INTO cove_schema_migrations (version, applied_at) VALUES ($1, $2)", [v, new Date().toISOString()]);
    }
    await client.query("COMMIT");
    return PG_SCHEMA_VERSION - current;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}
