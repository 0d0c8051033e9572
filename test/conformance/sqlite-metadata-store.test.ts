// Runs the MetadataStore conformance suite against the SQLite driver, plus what only SQLite has:
// the schema version guard and the durability pragmas.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { DatabaseSync } from "node:sqlite";
import { SqliteMetadataStore } from "../../src/storage/sqlite-metadata-store.js";
import { SQLITE_SCHEMA_VERSION } from "../../src/storage/sqlite-schema.js";
import { pragmaValue } from "../../src/storage/sqlite-transaction.js";
import { isDomainError } from "../../src/domain/errors.js";
import { verifyAuditChain } from "../../src/audit/chain.js";
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
      const raw = new DatabaseSync(h.file, { readOnly: true });
      try {
        assert.equal(pragmaValue(raw, "journal_mode"), "wal");
        assert.equal(pragmaValue(raw, "user_version"), SQLITE_SCHEMA_VERSION);
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
      const raw = new DatabaseSync(h.file);
      raw.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
      raw.close();
      assert.throws(
        () => SqliteMetadataStore.open(h.file),
        (e: unknown) => isDomainError(e) && e.code === "STORE_VERSION_UNSUPPORTED" && /newer Cove/.test(e.message),
      );
      const again = new DatabaseSync(h.file);
      assert.equal(pragmaValue(again, "user_version"), SQLITE_SCHEMA_VERSION + 1);
      again.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION}`);
      again.close();
      h.store = SqliteMetadataStore.open(h.file);
      assert.deepEqual((await h.store.getResource("/subscriptions/x"))?.body, { keep: true });
    } finally {
      await h.cleanup();
    }
  });

  it("two connections appending to one audit log at once wait for each other and keep one chain", async () => {
    const h = await makeSqlite();
    try {
      // Each worker thread has its own connection, as two Cove processes on one data dir would:
      // the second writer waits (busy_timeout) and reads the head only under the write lock (IMMEDIATE).
      const storeUrl = new URL("../../src/storage/sqlite-metadata-store.js", import.meta.url).href;
      const code = `
        const { workerData, parentPort } = require("node:worker_threads");
        import(workerData.storeUrl).then(async ({ SqliteMetadataStore }) => {
          const store = SqliteMetadataStore.open(workerData.file);
          for (let i = 0; i < 150; i++) await store.appendAudit({ kind: "test", writer: workerData.writer, i });
          await store.close();
          parentPort.postMessage("done");
        });`;
      const run = (writer: string) =>
        new Promise<void>((ok, fail) => {
          const w = new Worker(code, { eval: true, workerData: { storeUrl, file: h.file, writer } });
          w.once("message", () => ok());
          w.once("error", fail);
        });
      await Promise.all([run("a"), run("b")]);
      const all = await h.store.readAudit();
      assert.equal(all.length, 300);
      assert.deepEqual(all.map((r) => r.seq), Array.from({ length: 300 }, (_, i) => i + 1));
      assert.equal(verifyAuditChain(all).ok, true);
      assert.equal(all.filter((r) => r.event.writer === "a").length, 150);
    } finally {
      await h.cleanup();
    }
  });
});
