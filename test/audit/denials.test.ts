// The denial auditor against a real SQLite store: each source has its own quota, the first denial
// of every (source, reason) is written by name, sources beyond the cap are counted together, and
// the window's summary is written by a timer with exact counts. The requests are plain records
// (what the pipeline hands over); test/audit/denial-sources.test.ts drives the same through a
// real Cove and real sockets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { SqliteMetadataStore } from "../../src/storage/sqlite-metadata-store.js";
import { createDenialAuditor, type DenialAuditOptions } from "../../src/audit/denials.js";
import type { RequestContext } from "../../src/http/types.js";

let dir: string;
let meta: SqliteMetadataStore;
before(async () => { dir = await mkdtemp(join(tmpdir(), "cove-denials-")); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

let n = 0;
async function fresh(o: DenialAuditOptions) {
  meta = SqliteMetadataStore.open(join(dir, `meta-${++n}.db`));
  return createDenialAuditor(meta, pino({ level: "silent" }), o);
}
function req(clientIp: string, authorization = "Bearer junk"): RequestContext {
  return { clientIp, headers: { authorization }, host: "r.cove.test", method: "GET", rawPath: "/v2/", requestId: `req-${clientIp}` } as unknown as RequestContext;
}
async function events() {
  return (await meta.readAudit(0)).map((r) => r.event as any);
}
/** Per source and reason: how many were written by name and how many only counted. */
function tally(evs: any[]) {
  const out = new Map<string, { named: number; counted: number }>();
  const at = (k: string) => out.get(k) ?? (out.set(k, { named: 0, counted: 0 }), out.get(k)!);
  for (const e of evs) {
    if (e.kind === "data-plane-denied") at(`${e.clientIp} ${e.reason}`).named++;
    if (e.kind === "data-plane-denied-summary") for (const s of e.sources) at(`${s.clientIp} ${s.reason}`).counted += s.suppressed;
  }
  return out;
}

test("each source has its own quota: a flood from one address does not hide another's failed logins", async () => {
  const a = await fresh({ limit: 5, windowMs: 60_000 });
  for (let i = 0; i < 200; i++) a.record(req("127.0.0.1"), 401);
  for (let i = 0; i < 50; i++) a.record(req("127.0.0.2", "Basic eDp5"), 401);
  await a.close();
  const t = tally(await events());
  assert.deepEqual(t.get("127.0.0.1 token-rejected"), { named: 5, counted: 195 });
  assert.deepEqual(t.get("127.0.0.2 credentials-rejected"), { named: 5, counted: 45 });
  const summary = (await events()).find((e) => e.kind === "data-plane-denied-summary");
  assert.equal(summary.suppressed, 240);
  assert.deepEqual(summary.sources.find((s: any) => s.clientIp === "127.0.0.2"), { clientIp: "127.0.0.2", reason: "credentials-rejected", recorded: 5, suppressed: 45 });
  await meta.close();
});

test("the first denial of each (source, reason) in a window is written by name, even past the quota", async () => {
  const a = await fresh({ limit: 2, windowMs: 60_000 });
  for (let i = 0; i < 10; i++) a.record(req("127.0.0.3"), 401);
  a.record(req("127.0.0.3"), 403);
  a.record(req("127.0.0.3", "Basic eDp5"), 401);
  a.record(req("127.0.0.3", "Basic eDp5"), 401);
  await a.close();
  const t = tally(await events());
  assert.deepEqual(t.get("127.0.0.3 token-rejected"), { named: 2, counted: 8 });
  assert.deepEqual(t.get("127.0.0.3 forbidden"), { named: 1, counted: 0 });
  assert.deepEqual(t.get("127.0.0.3 credentials-rejected"), { named: 1, counted: 1 });
  await meta.close();
});

test("sources beyond the cap are counted together, exactly, per reason", async () => {
  const a = await fresh({ limit: 1, windowMs: 60_000, maxSources: 2 });
  for (const ip of ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4"]) for (let i = 0; i < 3; i++) a.record(req(ip), 401);
  a.record(req("127.0.1.5"), 403);
  await a.close();
  const evs = await events();
  const named = evs.filter((e) => e.kind === "data-plane-denied");
  assert.deepEqual(named.map((e) => e.clientIp), ["127.0.1.1", "127.0.1.2"]);
  const summary = evs.find((e) => e.kind === "data-plane-denied-summary");
  assert.deepEqual(summary.untrackedSources, { count: 7, byReason: { "token-rejected": 6, forbidden: 1 } });
  assert.equal(named.length + summary.suppressed, 13, "every denial is either named or counted");
  await meta.close();
});

test("the summary is written when the window ends, without waiting for a later denial", async () => {
  const a = await fresh({ limit: 1, windowMs: 400 });
  for (let i = 0; i < 4; i++) a.record(req("127.0.0.4"), 401);
  const t0 = Date.now();
  let summary: any;
  while (!summary && Date.now() - t0 < 5000) {
    await sleep(25);
    summary = (await events()).find((e) => e.kind === "data-plane-denied-summary");
  }
  const ms = Date.now() - t0;
  assert.ok(summary, "a summary without any later denial");
  assert.ok(ms <= 400 + 1000, `within the window and a second (${ms} ms)`);
  assert.deepEqual(summary.sources, [{ clientIp: "127.0.0.4", reason: "token-rejected", recorded: 1, suppressed: 3 }]);
  // The next window starts empty: one more denial is written by name again.
  a.record(req("127.0.0.4"), 401);
  await a.close();
  assert.equal((await events()).filter((e) => e.kind === "data-plane-denied").length, 2);
  await meta.close();
});

test("a window closed by a denial while the timer was late lasts a whole window: the late tick does not close the next one at once", async () => {
  const a = await fresh({ limit: 1, windowMs: 200 });
  a.record(req("127.0.2.1"), 401);
  const busy = Date.now() + 260;
  while (Date.now() < busy); // the event loop is held: the window's timer is late
  a.record(req("127.0.2.1"), 401); // this denial closes the first window and opens the second
  await sleep(20); // the late tick runs now
  a.record(req("127.0.2.1"), 401); // still the second window: over the quota, counted
  await a.close();
  const t = tally(await events());
  assert.deepEqual(t.get("127.0.2.1 token-rejected"), { named: 2, counted: 1 });
  await meta.close();
});
