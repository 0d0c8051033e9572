// The PostgreSQL driver while its database is down: every call fails fast with the domain's
// StoreUnavailable (no URL, no password, no port in it), the outage is logged once at warn and its
// end once at info, both surfaces map it to their catalogued 503, and the same store serves again
// once the server is back, with what was written before intact.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { armErrorResult } from "../../src/control-plane/arm/errors.js";
import { toOciError } from "../../src/data-plane/errors.js";
import { StoreUnavailable } from "../../src/domain/errors.js";
import { fromPg, unavailableReason } from "../../src/storage/pg-errors.js";
import { PgMetadataStore } from "../../src/storage/pg-metadata-store.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

const ID = "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/down";
let server: TestPostgres;
before(async () => { server = await startPostgres(); });
after(async () => { await server?.stop(); });

function recordingLog() {
  const lines: Array<{ level: string; o: object; msg: string }> = [];
  return {
    lines,
    warn: (o: object, msg: string) => lines.push({ level: "warn", o, msg }),
    info: (o: object, msg: string) => lines.push({ level: "info", o, msg }),
  };
}

describe("PgMetadataStore when PostgreSQL is down", () => {
  it("fails fast with StoreUnavailable, logs the outage once, and serves again after a restart", async () => {
    const url = await server.createDatabase();
    const log = recordingLog();
    const store = await PgMetadataStore.open(url, log);
    try {
      await store.putResource({ id: ID, type: "Microsoft.ContainerRegistry/registries", body: { name: "down" } });
      await store.appendAudit({ op: "before" });
      await server.halt();

      const calls: Array<[string, () => Promise<unknown>]> = [
        ["getResource", () => store.getResource(ID)],
        ["putResource", () => store.putResource({ id: ID, type: "Microsoft.ContainerRegistry/registries", body: { name: "down", v: 2 } })],
        ["appendAudit", () => store.appendAudit({ op: "during" })],
        ["getTag", () => store.getTag("r", "repo", "v1")],
        ["listResources", () => store.listResources({ type: "Microsoft.ContainerRegistry/registries" })],
        ["exclusive", () => store.exclusive(async () => "ran")],
      ];
      for (const [name, call] of calls) {
        const t0 = Date.now();
        const err = await call().then(() => undefined, (e: unknown) => e);
        const ms = Date.now() - t0;
        assert.ok(err instanceof StoreUnavailable, `${name}: ${String(err)}`);
        assert.equal(err.code, "StoreUnavailable");
        assert.deepEqual(err.detail, { store: "metadata store" });
        assert.ok(ms < 3000, `${name} took ${ms} ms (connect timeout is 2 s)`);
        for (const secret of [server.password, String(server.port), "127.0.0.1"]) assert.ok(!err.message.includes(secret), `${name}: ${err.message}`);
      }
      assert.deepEqual(log.lines.map((l) => l.level), ["warn"], "one warning for the whole outage");
      assert.match(log.lines[0].msg, /unavailable/);

      await server.restart();
      // Back without reopening the store: the pool opens new connections.
      let got;
      for (let i = 0; i < 100 && got === undefined; i++) {
        got = await store.getResource(ID).catch(() => undefined);
        if (got === undefined) await sleep(100);
      }
      assert.deepEqual(got?.body, { name: "down" }, "the write before the outage is intact, the refused one never landed");
      assert.deepEqual(log.lines.map((l) => l.level), ["warn", "info"], "one info line when it is back");
      const rec = await store.appendAudit({ op: "after" });
      assert.equal(rec.seq, 2, "the refused append took no sequence number");
    } finally {
      await server.restart().catch(() => undefined);
      await store.close();
    }
  });

  it("tells connection failures from query errors", () => {
    const sock = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    assert.equal(unavailableReason(sock), "ECONNREFUSED");
    assert.equal(unavailableReason(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })), "SQLSTATE 57P01");
    assert.equal(unavailableReason(Object.assign(new Error("the database system is starting up"), { code: "57P03" })), "SQLSTATE 57P03");
    assert.equal(unavailableReason(Object.assign(new Error("connection failure"), { code: "08006" })), "SQLSTATE 08006");
    assert.equal(unavailableReason(new Error("Connection terminated unexpectedly")), "connection terminated");
    assert.equal(unavailableReason(new Error("timeout exceeded when trying to connect")), "connect timeout");
    assert.equal(unavailableReason(new Error("Query read timeout")), "query timeout");
    const dup = Object.assign(new Error("duplicate key value violates unique constraint"), { code: "23505" });
    assert.equal(fromPg(dup), dup, "a constraint violation is not an outage");
    assert.ok(!(fromPg(sock) as Error).message.includes("5432"));
  });

  it("answers the catalogued 503 on both surfaces", () => {
    const e = new StoreUnavailable("metadata store", "ECONNREFUSED");
    const arm = armErrorResult(e);
    assert.equal(arm.status, 503);
    assert.equal(arm.internal, false, "an outage is not logged as an internal error");
    assert.deepEqual(arm.body, { error: { code: "ServiceUnavailable", message: "The service is temporarily unavailable: its metadata store cannot be reached. Please retry the request later." } });
    const oci = toOciError(e, "GET");
    assert.equal(oci.result.status, 503);
    assert.equal(oci.unexpected, false);
    assert.equal((oci.result.body as { errors: Array<{ code: string }> }).errors[0].code, "UNAVAILABLE");
  });
});
