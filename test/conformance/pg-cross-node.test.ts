// Two PgMetadataStore instances on one database, as two Cove nodes would be: what one process
// serialised for free must stay exact when both write at the same moment, and each node must hear
// of the other's resource writes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { PgMetadataStore } from "../../src/storage/pg-metadata-store.js";
import { PG_SCHEMA_VERSION } from "../../src/storage/pg-schema.js";
import { verifyAuditChain } from "../../src/audit/chain.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

const SUB = "/subscriptions/00000000-0000-0000-0000-000000000002";
let server: TestPostgres;
before(async () => { server = await startPostgres(); });
after(async () => { await server?.stop(); });

async function twoNodes(): Promise<{ url: string; a: PgMetadataStore; b: PgMetadataStore; close(): Promise<void> }> {
  const url = await server.createDatabase();
  const [a, b] = await Promise.all([PgMetadataStore.open(url), PgMetadataStore.open(url)]);
  return { url, a, b, close: async () => { await a.close(); await b.close(); } };
}

/** Resolves with the first version `store` announces that is at least `version`, or rejects after `ms`. */
function heard(store: PgMetadataStore, version: number, ms: number): Promise<number> {
  return new Promise((ok, fail) => {
    if (store.changes.version >= version) return ok(store.changes.version);
    const timer = setTimeout(() => { off(); fail(new Error(`version ${version} not heard within ${ms} ms (at ${store.changes.version})`)); }, ms);
    const off = store.changes.onCommitted((v) => {
      if (v >= version) { clearTimeout(timer); off(); ok(v); }
    });
  });
}

describe("PgMetadataStore across nodes", () => {
  it("migrates once when two nodes start at once, and both work", async () => {
    const url = await server.createDatabase();
    const nodes = await Promise.all([PgMetadataStore.open(url), PgMetadataStore.open(url), PgMetadataStore.open(url)]);
    try {
      assert.deepEqual(nodes.map((n) => n.migrationsApplied).sort(), [0, 0, PG_SCHEMA_VERSION]);
      await nodes[0].putResource({ id: `${SUB}/resourceGroups/fromA`, type: "t", body: { by: "a" } });
      assert.deepEqual((await nodes[2].getResource(`${SUB}/resourcegroups/FROMA`))?.body, { by: "a" });
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  it("keeps one record per resource id when two nodes write it at the same moment", async () => {
    const { a, b, close } = await twoNodes();
    try {
      for (let i = 0; i < 20; i++) {
        const id = `${SUB}/resourceGroups/Race${i}`;
        await Promise.all([
          a.putResource({ id, type: "Microsoft.Resources/resourceGroups", body: { by: "a" } }),
          b.putResource({ id: id.toUpperCase(), type: "Microsoft.Resources/resourceGroups", body: { by: "b" } }),
        ]);
        const [fromA, fromB] = await Promise.all([a.getResource(id), b.getResource(id)]);
        assert.deepEqual(fromA, fromB, "both nodes read the same record");
        assert.ok(fromA && [id, id.toUpperCase()].includes(fromA.id), "one of the two spellings, whole");
      }
      const all = await b.listResources({ type: "microsoft.resources/resourcegroups" });
      assert.equal(all.length, 20);
      assert.equal(new Set(all.map((r) => r.id.toLowerCase())).size, 20);
    } finally {
      await close();
    }
  });

  it("appends concurrently from two nodes into one gap-free chain that verifies", async () => {
    const { a, b, close } = await twoNodes();
    try {
      const burst = (s: PgMetadataStore, writer: string) =>
        Promise.all(Array.from({ length: 10 }, async (_, lane) => {
          for (let i = 0; i < 15; i++) await s.appendAudit({ kind: "test", writer, lane, i });
        }));
      await Promise.all([burst(a, "a"), burst(b, "b")]);
      const all = await a.readAudit();
      assert.equal(all.length, 300);
      assert.deepEqual(all.map((r) => r.seq), Array.from({ length: 300 }, (_, i) => i + 1));
      assert.equal(verifyAuditChain(all).ok, true);
      assert.equal(all.filter((r) => r.event.writer === "b").length, 150);
      assert.deepEqual(await b.readAudit(), all);
    } finally {
      await close();
    }
  });

  it("tells the other node of every committed resource write within 1 s, in order, once each", async () => {
    const { a, b, close } = await twoNodes();
    try {
      const seenByB: number[] = [];
      b.changes.onCommitted((v) => seenByB.push(v));
      const start = b.changes.version;
      const t0 = performance.now();
      await a.putResource({ id: `${SUB}/resourceGroups/one`, type: "t", body: {} });
      assert.equal(await heard(b, a.changes.version, 1000), a.changes.version);
      const firstMs = performance.now() - t0;
      // Writes from both nodes interleaved: B hears A's and its own, never going back.
      for (let i = 0; i < 10; i++) {
        await Promise.all([
          a.putResource({ id: `${SUB}/resourceGroups/a${i}`, type: "t", body: {} }),
          b.putResource({ id: `${SUB}/resourceGroups/b${i}`, type: "t", body: {} }),
        ]);
      }
      assert.equal(await a.deleteResource(`${SUB}/resourceGroups/a0`), true);
      assert.equal(await a.deleteResource(`${SUB}/resourceGroups/a0`), false, "a delete that deleted nothing");
      const final = a.changes.version;
      assert.equal(final, start + 22, "one version per committed write, none for the empty delete");
      await heard(b, final, 1000);
      await sleep(100);
      assert.equal(b.changes.version, final);
      assert.ok(seenByB.every((v, i) => i === 0 || v > seenByB[i - 1]), `strictly increasing: ${seenByB.join(",")}`);
      assert.equal(seenByB.at(-1), final);
      assert.ok(firstMs < 1000, `first notification after ${firstMs} ms`);
    } finally {
      await close();
    }
  });

  it("heals a lost notification with the periodic re-check", async () => {
    const { url, a, b, close } = await twoNodes();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // A commit whose NOTIFY never arrived: the version row moves, and nobody is told.
      const { rows } = await admin.query("UPDATE cove_state SET version = version + 1 RETURNING version");
      const lost = Number(rows[0].version);
      assert.ok(a.changes.version < lost && b.changes.version < lost);
      // Within one re-check period (2 s) and some slack.
      await Promise.all([heard(a, lost, 3000), heard(b, lost, 3000)]);
    } finally {
      await admin.end();
      await close();
    }
  });

  it("hears writes again after its LISTEN connection is cut", async () => {
    const { url, a, b, close } = await twoNodes();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // Cut every listening connection of this database (both nodes'), then write at once, while
      // nobody listens: the notification reaches no one, and the reconnect or the re-check heals it.
      const cut = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cove-changes' AND datname = current_database()");
      assert.equal(cut.rowCount, 2);
      await a.putResource({ id: `${SUB}/resourceGroups/while-cut`, type: "t", body: {} });
      await heard(b, a.changes.version, 3000);
      // Listening again: the next write arrives by notification, well inside the re-check's 2 s.
      for (let i = 0; i < 50; i++) {
        const { rowCount } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'cove-changes' AND datname = current_database()");
        if (rowCount === 2) break;
        await sleep(100);
      }
      const t0 = performance.now();
      await a.putResource({ id: `${SUB}/resourceGroups/after-cut`, type: "t", body: {} });
      await heard(b, a.changes.version, 1000);
      assert.ok(performance.now() - t0 < 1000);
    } finally {
      await admin.end();
      await close();
    }
  });

  it("keyed sections for one digest never overlap across nodes; other digests go on; a lost session frees its keys", async () => {
    const { url, a, b, close } = await twoNodes();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const digest = "sha256:" + "ab".repeat(32);
      let inside = 0;
      let most = 0;
      const section = (s: PgMetadataStore) => s.keyed(digest, async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(15);
        inside--;
      });
      // Each node's own holders of one key queue in the data plane (KeyLock); here one per node at a time.
      for (let round = 0; round < 5; round++) await Promise.all([section(a), section(b)]);
      assert.equal(most, 1, "two nodes held one digest at once");
      // While a holds the digest, b still locks another digest at once.
      let release!: () => void;
      const held = a.keyed(digest, () => new Promise<void>((r) => (release = r)));
      await sleep(20);
      const t0 = performance.now();
      assert.equal(await b.keyed("sha256:" + "cd".repeat(32), async () => "other"), "other");
      assert.ok(performance.now() - t0 < 500, "another digest did not wait for the held one");
      // b waits for the held digest; cutting a's lock session frees it.
      let bIn = false;
      const waiting = b.keyed(digest, async () => { bIn = true; });
      await sleep(100);
      assert.equal(bIn, false, "b entered while a held the digest");
      // The holder's session: the one granted an advisory lock in the two-key space (objsubid 2).
      const cut = await admin.query("SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND a.application_name = 'cove-key-locks' AND a.datname = current_database()");
      assert.equal(cut.rowCount, 1);
      await Promise.race([waiting, sleep(5000).then(() => { throw new Error("b did not get the digest within 5 s of a's session ending"); })]);
      assert.equal(bIn, true);
      release();
      await held;
    } finally {
      await admin.end();
      await close();
    }
  });
});
