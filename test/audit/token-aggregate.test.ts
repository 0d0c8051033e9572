// The token aggregator against a real SQLite store: routine token issues of one (principal,
// registry, minute) become one record with exact counts per endpoint and per client, each client
// with the path it came by; the minute's record is written by a timer; the pending set's bounds
// write early and lose no count; the chain verifies over aggregates. Issues are the records the
// token flows hand over; test/audit/token-aggregate-cove.test.ts drives the same through a real
// Cove and real sockets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { SqliteMetadataStore } from "../../src/storage/sqlite-metadata-store.js";
import { createTokenAggregator, type TokenAggregateOptions, type TokenIssue } from "../../src/audit/token-aggregate.js";
import { verifyAuditChain } from "../../src/audit/chain.js";
import { appendAudit } from "../../src/audit/log.js";
import { StoreUnavailable } from "../../src/domain/errors.js";

const REG = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r1";
const PE = "/subscriptions/s/resourcegroups/g/providers/microsoft.network/privateendpoints/hub-pe";
let dir: string;
let meta: SqliteMetadataStore;
before(async () => { dir = await mkdtemp(join(tmpdir(), "cove-token-agg-")); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

let n = 0;
function fresh(o: TokenAggregateOptions = {}) {
  meta = SqliteMetadataStore.open(join(dir, `meta-${++n}.db`));
  return createTokenAggregator(meta, pino({ level: "silent" }), { endpointAt: (ip) => (ip === "127.20.1.4" ? PE : undefined), ...o });
}
const issue = (clientIp: string, endpoint: "exchange" | "token", via: TokenIssue["via"] = { kind: "public", address: "127.0.0.1" }, principalId = "sp-1", registry = REG): TokenIssue =>
  ({ endpoint, registry, principalKind: "servicePrincipal", principalId, clientIp, via });
const records = () => meta.readAudit(0);
const aggregates = async () => (await records()).map((r) => r.event as any).filter((e) => e.kind === "registry.token-aggregate");

test("N issues from 2 addresses in one minute: one aggregate, exact counts per endpoint and client, both paths", async () => {
  const t0 = Date.UTC(2026, 0, 1, 10, 0, 5);
  let clock = t0;
  const agg = fresh({ now: () => clock });
  for (let i = 0; i < 7; i++) { agg.record(issue("127.99.0.10", "exchange")); agg.record(issue("127.99.0.10", "token")); clock += 1000; }
  for (let i = 0; i < 5; i++) { agg.record(issue("127.22.1.10", "token", { kind: "private", address: "127.20.1.4" })); clock += 1000; }
  // A denial is its own record, written at once, while the counts are still pending.
  await appendAudit(meta, { kind: "data-plane-denied", effect: "drop", reason: "public-network-access-disabled", rule: "r", via: "public:127.0.0.1", phase: "request", clientIp: "127.99.0.11" });
  assert.equal((await aggregates()).length, 0, "nothing is written before the minute ends");
  await agg.close();
  const all = await aggregates();
  assert.equal(all.length, 1);
  const a = all[0];
  assert.equal(a.registry, REG);
  assert.equal(a.principalId, "sp-1");
  assert.equal(a.count, 19);
  assert.deepEqual(a.endpoints, { exchange: 7, token: 12 });
  assert.equal(a.from, "2026-01-01T10:00:00.000Z");
  assert.equal(a.to, "2026-01-01T10:01:00.000Z");
  assert.equal(a.firstAt, new Date(t0).toISOString());
  assert.equal(a.lastAt, new Date(t0 + 11_000).toISOString());
  assert.equal(a.flush, "close");
  assert.deepEqual(a.clients, [
    { clientIp: "127.99.0.10", path: "public", count: 14, exchange: 7, token: 7, firstAt: new Date(t0).toISOString(), lastAt: new Date(t0 + 6000).toISOString() },
    { clientIp: "127.22.1.10", path: "private", endpointIp: "127.20.1.4", endpointId: PE, count: 5, exchange: 0, token: 5, firstAt: new Date(t0 + 7000).toISOString(), lastAt: new Date(t0 + 11_000).toISOString() },
  ]);
  const recs = await records();
  assert.equal(recs.filter((r) => (r.event as any).kind === "data-plane-denied").length, 1, "the denial is one record of its own");
  assert.deepEqual(verifyAuditChain(recs), { ok: true, lastHash: recs.at(-1)!.hash, lastSeq: recs.length });
  await meta.close();
});

test("each principal and registry has its own aggregate; a client on both paths is two entries", async () => {
  const agg = fresh({ now: () => Date.UTC(2026, 0, 1, 10, 0, 30) });
  agg.record(issue("127.99.0.10", "token", undefined, "sp-1"));
  agg.record(issue("127.99.0.10", "token", undefined, "sp-2"));
  agg.record(issue("127.99.0.10", "token", undefined, "sp-1", `${REG}2`));
  agg.record(issue("127.99.0.10", "token", { kind: "private", address: "127.20.1.9" }, "sp-1"));
  await agg.close();
  const all = await aggregates();
  assert.deepEqual(all.map((a) => [a.principalId, a.registry.slice(-3), a.count]), [["sp-1", "/r1", 2], ["sp-2", "/r1", 1], ["sp-1", "r12", 1]]);
  assert.deepEqual(all[0].clients.map((c: any) => [c.path, c.endpointIp, c.endpointId]), [["public", undefined, undefined], ["private", "127.20.1.9", undefined]],
    "an IP that no endpoint owns keeps its address, without an id");
  await meta.close();
});

test("the window's aggregate is written by a timer when it ends, not by the next issue", async () => {
  const agg = fresh({ windowMs: 300 });
  agg.record(issue("127.99.0.10", "token"));
  agg.record(issue("127.99.0.10", "token"));
  await sleep(700);
  const written = await aggregates();
  assert.equal(written.length, 1);
  assert.equal(written[0].flush, "window");
  assert.equal(written[0].count, 2);
  assert.equal(Date.parse(written[0].to) - Date.parse(written[0].from), 300);
  agg.record(issue("127.99.0.10", "token"));
  await agg.close();
  const all = await aggregates();
  assert.deepEqual(all.map((a) => a.count), [2, 1], "the next window's issues are a record of their own");
  await meta.close();
});

test("the bound: reaching maxEntries writes everything pending at once, and no count is lost", async () => {
  const agg = fresh({ maxEntries: 3, now: () => Date.UTC(2026, 0, 1, 10, 0, 30) });
  for (let i = 1; i <= 3; i++) for (let k = 0; k < i; k++) agg.record(issue(`127.99.0.${i}`, "token", undefined, `sp-${i % 2}`));
  assert.equal(agg.pendingEntries(), 3);
  assert.equal((await aggregates()).length, 0);
  agg.record(issue("127.99.0.4", "token", undefined, "sp-0"));
  assert.equal(agg.pendingEntries(), 1, "the fourth entry starts a new pending set");
  await sleep(50);
  const early = await aggregates();
  assert.equal(early.length, 2, "written before the window ends");
  assert.ok(early.every((a) => a.flush === "bound"));
  for (let i = 0; i < 1000; i++) agg.record(issue(`127.99.1.${i % 200}`, "exchange"));
  assert.ok(agg.pendingEntries() <= 3, "memory stays bounded under any number of addresses");
  await agg.close();
  const all = await aggregates();
  const perClient = new Map<string, number>();
  for (const a of all) for (const c of a.clients) perClient.set(c.clientIp, (perClient.get(c.clientIp) ?? 0) + c.count);
  assert.equal(perClient.get("127.99.0.3"), 3);
  assert.equal(perClient.get("127.99.1.7"), 5);
  assert.equal(all.reduce((s, a) => s + a.count, 0), 1 + 2 + 3 + 1 + 1000, "every issue is counted exactly once");
  assert.ok(all.every((a) => a.clients.length <= 3));
  await meta.close();
});

test("the bound per record: a client beyond maxClients writes that aggregate alone", async () => {
  const agg = fresh({ maxClients: 2, now: () => Date.UTC(2026, 0, 1, 10, 0, 30) });
  agg.record(issue("127.99.0.1", "token", undefined, "other"));
  for (const ip of ["127.99.0.1", "127.99.0.2", "127.99.0.3"]) agg.record(issue(ip, "token"));
  await sleep(50);
  const early = await aggregates();
  assert.equal(early.length, 1);
  assert.deepEqual([early[0].principalId, early[0].flush, early[0].clients.map((c: any) => c.clientIp)], ["sp-1", "bound", ["127.99.0.1", "127.99.0.2"]]);
  await agg.close();
  assert.deepEqual((await aggregates()).map((a) => [a.principalId, a.count]), [["sp-1", 2], ["other", 1], ["sp-1", 1]]);
  await meta.close();
});

test("the time and kind filter readiness reads with: the start found by search, bounded scans, every match once across pages", async () => {
  const { readFiltered, SCAN_BUDGET } = await import("../../src/audit/read-filter.js");
  const base = Date.UTC(2026, 0, 1);
  // 30,000 records one second apart; every tenth a token aggregate.
  const log = Array.from({ length: 30_000 }, (_, i) => ({
    seq: i + 1, time: new Date(base + i * 1000).toISOString(), hash: "",
    event: i % 10 === 0 ? { kind: "registry.token-aggregate" } : i % 10 === 1 ? { type: "registry.token", kind: "auth" } : { kind: "control-plane" },
  }));
  let reads = 0;
  const read = async (after: number, limit: number) => { reads++; return log.filter((r) => r.seq > after).slice(0, limit); };
  const since = new Date(base + 5_000 * 1000).toISOString();
  const until = new Date(base + 25_000 * 1000).toISOString();
  const kinds = new Set(["registry.token-aggregate", "registry.token"]);
  const got: number[] = [];
  let after = 0;
  for (let page = 0; page < 100; page++) {
    reads = 0;
    const r = await readFiltered(read, { after, limit: 300, since, until, kinds });
    assert.ok(reads <= 40 + SCAN_BUDGET / 1000, `a request reads a bounded number of pages (${reads})`);
    got.push(...r.value.map((x) => x.seq));
    if (r.next === undefined) break;
    after = r.next;
  }
  const want = log.filter((r) => r.time >= since && r.time <= until && (r.seq - 1) % 10 <= 1).map((r) => r.seq);
  assert.equal(got.length, want.length);
  assert.deepEqual(got, want, "each matching record once, in order; an older record counts under its type");
  assert.deepEqual((await readFiltered(read, { after: 0, limit: 10, since: new Date(base + 10 ** 9).toISOString() })).value, [], "a window after the log's end");
});

test("an outage across the minute's end loses no count: the aggregate is retried until the store is back, once", async () => {
  const store = SqliteMetadataStore.open(join(dir, `meta-${++n}.db`));
  let down = true;
  let refused = 0;
  const flaky = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "appendAudit") {
        return async (event: unknown) => {
          if (down) { refused++; throw new StoreUnavailable("metadata store", "ECONNREFUSED"); }
          return target.appendAudit(event as never);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  try {
    const agg = createTokenAggregator(flaky, pino({ level: "silent" }), { windowMs: 200 });
    for (let i = 0; i < 3; i++) agg.record(issue("127.99.0.10", "token"));
    await sleep(1200); // the window ends while the store is down: the first tries are refused
    assert.ok(refused >= 2, `retried while down (${refused} tries)`);
    down = false;
    await sleep(1500);
    const written = (await store.readAudit(0)).map((r) => r.event as any).filter((e) => e.kind === "registry.token-aggregate");
    assert.equal(written.length, 1, "written once the store is back");
    assert.equal(written[0].count, 3, "with every count");
    await agg.close();
  } finally {
    await store.close();
  }
});

test("close during an outage does not wait out the retries", async () => {
  const store = SqliteMetadataStore.open(join(dir, `meta-${++n}.db`));
  const down = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "appendAudit") return async () => { throw new StoreUnavailable("metadata store", "ECONNREFUSED"); };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  try {
    const agg = createTokenAggregator(down, pino({ level: "silent" }), { windowMs: 100 });
    agg.record(issue("127.99.0.10", "token"));
    await sleep(400);
    const t0 = performance.now();
    await agg.close();
    assert.ok(performance.now() - t0 < 1000, `close took ${Math.round(performance.now() - t0)} ms`);
  } finally {
    await store.close();
  }
});
