// The SQLite schema as an ordered list of migrations. PRAGMA user_version holds the number of the
// last migration applied (cheap to read before anything else); schema_migrations keeps when each
// one ran. A database written by a newer Cove (user_version above what we know) is refused rather
// than guessed at. To change the schema: append a migration, never edit a released one.

import type { DatabaseSync } from "node:sqlite";
import { DomainError } from "../domain/errors.js";
import { pragmaValue, transaction } from "./sqlite-transaction.js";

const MIGRATIONS: readonly string[] = [
  // 1: initial schema.
  `
  CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
  );

  -- ARM resources as JSON documents; ids compare case-insensitively (as ARM), first spelling kept.
  CREATE TABLE resources (
    id_lower   TEXT PRIMARY KEY,
    id         TEXT NOT NULL,
    type_lower TEXT NOT NULL,
    type       TEXT NOT NULL,
    body       TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX resources_by_type ON resources (type_lower, id_lower);

  CREATE TABLE blob_links (
    registry   TEXT NOT NULL,
    repository TEXT NOT NULL,
    digest     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (registry, repository, digest)
  ) WITHOUT ROWID;
  CREATE INDEX blob_links_by_digest ON blob_links (digest);

  CREATE TABLE manifests (
    registry      TEXT NOT NULL,
    repository    TEXT NOT NULL,
    digest        TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size          INTEGER NOT NULL,
    body          BLOB NOT NULL,
    subject       TEXT,
    artifact_type TEXT,
    annotations   TEXT,
    blob_refs     TEXT NOT NULL,
    manifest_refs TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (registry, repository, digest)
  );
  CREATE INDEX manifests_by_subject ON manifests (registry, repository, subject) WHERE subject IS NOT NULL;

  CREATE TABLE tags (
    registry   TEXT NOT NULL,
    repository TEXT NOT NULL,
    tag        TEXT NOT NULL,
    digest     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (registry, repository, tag)
  ) WITHOUT ROWID;
  CREATE INDEX tags_by_digest ON tags (registry, repository, digest);

  CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    registry   TEXT NOT NULL,
    repository TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX uploads_by_expiry ON uploads (expires_at);

  -- Append-only; seq is the chain position (no AUTOINCREMENT gaps matter: seq is assigned explicitly).
  CREATE TABLE audit (
    seq   INTEGER PRIMARY KEY,
    time  TEXT NOT NULL,
    hash  TEXT NOT NULL,
    event TEXT NOT NULL
  );
  `,
  // 2: which manifests reference which blob, one row per pair, so that a blob delete can ask
  // "does a manifest of this repository still need it?" with an index lookup instead of scanning
  // every manifest's blob_refs JSON. Backfilled from the manifests already stored.
  `
  CREATE TABLE manifest_blob_refs (
    registry        TEXT NOT NULL,
    repository      TEXT NOT NULL,
    manifest_digest TEXT NOT NULL,
    blob_digest     TEXT NOT NULL,
    PRIMARY KEY (registry, repository, manifest_digest, blob_digest)
  ) WITHOUT ROWID;
  CREATE INDEX manifest_blob_refs_by_blob ON manifest_blob_refs (registry, repository, blob_digest, manifest_digest);
  INSERT OR IGNORE INTO manifest_blob_refs (registry, repository, manifest_digest, blob_digest)
    SELECT m.registry, m.repository, m.digest, j.value FROM manifests AS m, json_each(m.blob_refs) AS j;
  `,
];

/** The schema version this build writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings `db` up to SQLITE_SCHEMA_VERSION; refuses a database from a newer Cove. */
export function migrate(db: DatabaseSync): void {
  const current = pragmaValue(db, "user_version") as number;
  if (current > SQLITE_SCHEMA_VERSION) {
    throw new DomainError(
      "STORE_VERSION_UNSUPPORTED",
      `the database ${db.location()} has schema version ${current}, but this Cove understands at most ${SQLITE_SCHEMA_VERSION}: ` +
        `it was written by a newer Cove; run that version or restore a backup`,
      { found: current, supported: SQLITE_SCHEMA_VERSION },
    );
  }
  for (let v = current + 1; v <= SQLITE_SCHEMA_VERSION; v++) {
    transaction(db, () => {
      db.exec(MIGRATIONS[v - 1]);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(v, new Date().toISOString());
      // PRAGMA cannot take parameters; v is an integer we control.
      db.exec(`PRAGMA user_version = ${v}`);
    }, true);
  }
}
