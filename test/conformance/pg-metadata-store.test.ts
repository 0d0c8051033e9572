// Runs the MetadataStore conformance suite, unchanged, against the PostgreSQL driver: one throwaway
// cluster for the file, a fresh database for every case. Plus what only this driver has: the
// versioned migrations and the newer-schema guard.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { PgMetadataStore } from "../../src/storage/pg-metadata-store.js";
import { PG_SCHEMA_VERSION } from "../../src/storage/pg-schema.js";
import { isDomainError } from "../../src/domain/errors.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { metadataStoreSuite, type MetadataStoreHarness } from "./metadata-store-suite.js";

let server: TestPostgres;
before(async () => { server = await startPostgres(); });
after(async () => { await server?.stop(); });

async function makePg(): Promise<MetadataStoreHarness> {
  const url = await server.createDatabase();
  const h: MetadataStoreHarness = {
    store: await PgMetadataStore.open(url),
    cleanup: async () => { await h.store.close(); },
    reopen: async () => {
      await h.store.close();
      return PgMetadataStore.open(url);
    },
  };
  return h;
}

metadataStoreSuite("postgresql", makePg);

describe("PgMetadataStore schema", () => {
  it("records each migration once, and a second open applies none", async () => {
    const url = await server.createDatabase();
    const first = await PgMetadataStore.open(url);
    assert.equal(first.migrationsApplied, PG_SCHEMA_VERSION);
    await first.close();
    const again = await PgMetadataStore.open(url);
    assert.equal(again.migrationsApplied, 0);
    await again.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query("SELECT version FROM cove_schema_migrations ORDER BY version");
    await c.end();
    assert.deepEqual(rows.map((r) => r.version), Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it("refuses a database written by a newer Cove, and leaves it untouched", async () => {
    const url = await server.createDatabase();
    const s = await PgMetadataStore.open(url);
    await s.putResource({ id: "/subscriptions/x", type: "t", body: { keep: true } });
    await s.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query("INSERT INTO cove_schema_migrations (version, applied_at) VALUES ($1, 'later')", [PG_SCHEMA_VERSION + 1]);
    await assert.rejects(PgMetadataStore.open(url), (e: unknown) => isDomainError(e) && e.code === "STORE_VERSION_UNSUPPORTED" && /newer Cove/.test(e.message));
    await c.query("DELETE FROM cove_schema_migrations WHERE version = $1", [PG_SCHEMA_VERSION + 1]);
    await c.end();
    const back = await PgMetadataStore.open(url);
    assert.deepEqual((await back.getResource("/subscriptions/x"))?.body, { keep: true });
    await back.close();
  });

  it("names the server but never the password when it cannot connect", async () => {
    const wrong = server.url.replace(server.password, "not-the-password");
    await assert.rejects(PgMetadataStore.open(wrong), (e: unknown) => {
      assert.ok(isDomainError(e) && e.code === "STORE_UNAVAILABLE", String(e));
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${server.port}`));
      assert.doesNotMatch(e.message, /not-the-password/);
      assert.match(e.message, /\*\*\*/);
      return true;
    });
  });
});
