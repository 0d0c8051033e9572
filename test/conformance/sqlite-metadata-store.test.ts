// Runs the MetadataStore conformance suite against the SQLite driver, plus what only SQLite has:
// the schema version guard and the durability pragmas.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { SqliteMetadataStore } from "../../src/storage/sqlite-metadata-store.js";
import { SQLITE_SCHEMA_VERSION } from "../../src/storage/sqlite-schema.js";
import { isDomainError } from "../../src/domain/errors.js";
import { metadataStoreSuite, type MetadataStoreHarness } from "./metadata-store-suite.js";

async function makeSqlite(): Promise<MetadataStoreHarness & { file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "cove-sqlite-"));
  const file = join(dir, "cove.db");
  const h = {
    file,
    store: SqliteMetadataStore.open(file),
    cleanup: async () => {
      await h.store.close();
      await rm(dir, { recursive: true, force: true });
    },
    reopen: async () => {
      await h.store.close();
      return SqliteMetadataStore.open(file);
    },
  } as MetadataStoreHarness & { file: string };
  return h;
}

metadataStoreSuite("sqlite", makeSqlite);

describe("SqliteMetadataStore on disk", () => {
  it("uses WAL and records its schema version", async () => {
    const h = await makeSqlite();
    try {
      const raw = new Database(h.file, { readonly: true });
      try {
        assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
        assert.equal(raw.pragma("user_version", { simple: true }), SQLITE_SCHEMA_VERSION);
        const applied = raw.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[];
        assert.deepEqual(applied.map((r) => r.version), Array.from({ length: SQLITE_SCHEMA_VERSION }, (_, i) => i + 1));
      } finally {
        raw.close();
      }
    } finally {
      await h.cleanup();
    }
  });

  it("refuses a database written by a newer Cove, and leaves it untouched", async () => {
    const h = await makeSqlite();
    try {
      await h.store.putResource({ id: "/subscriptions/x", type: "t", body: { keep: true } });
      await h.store.close();
      const raw = new Database(h.file);
      raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
      raw.close();
      assert.throws(
        () => SqliteMetadataStore.open(h.file),
        (e: unknown) => isDomainError(e) && e.code === "STORE_VERSION_UNSUPPORTED" && /newer Cove/.test(e.message),
      );
      const again = new Database(h.file);
      assert.equal(again.pragma("user_version", { simple: true }), SQLITE_SCHEMA_VERSION + 1);
      again.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      again.close();
      h.store = SqliteMetadataStore.open(h.file);
      assert.deepEqual((await h.store.getResource("/subscriptions/x"))?.body, { keep: true });
    } finally {
      await h.cleanup();
    }
  });
});
