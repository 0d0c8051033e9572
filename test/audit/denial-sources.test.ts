// Item 8 of issue 7, end to end: 200 junk denials from 127.0.0.1 and 50 failed logins from
// 127.0.0.2, each on a real TLS socket bound to its source address, against the public registry
// listener. The audit log (read as an auditor reads it) names 127.0.0.2's failed logins, counts
// every denial of both sources exactly, and writes the window's summary without a later denial.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { startCove, type TestCove } from "../support/cove.js";
import { createRegistry, managementToken } from "../support/arm.js";
import { basic, https } from "../support/http.js";

const WINDOW_S = 2;
const LIMIT = 10;
let cove: TestCove;
let loginServer: string;
let token: string;

before(async () => {
  cove = await startCove({ auditDenialLimit: String(LIMIT), auditDenialWindowSeconds: String(WINDOW_S) });
  loginServer = (await createRegistry(cove, "denial-rg", "denialsrc01")).loginServer;
  token = await managementToken(cove);
});
after(async () => { await cove?.stop(); });

/** `count` requests from `localAddress`, `parallel` at a time; the statuses seen. */
async function burst(count: number, localAddress: string, authorization: () => string, parallel = 8): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      next++;
      const r = await https(`https://127.0.0.1:${cove.registryPort}/v2/`, {
        ca: cove.ca, host: loginServer, localAddress, headers: { authorization: authorization() },
      });
      statuses.push(r.status);
    }
  }));
  return statuses;
}

async function auditEvents(): Promise<any[]> {
  const out: any[] = [];
  let path = "/cove/audit?limit=1000";
  for (let page = 0; page < 20; page++) {
    const r = await https(`${cove.managementUrl}${path}`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    out.push(...r.json().value.map((x: any) => x.event));
    const link = r.json().nextLink;
    if (!link) break;
    const u = new URL(link);
    path = u.pathname + u.search;
  }
  return out;
}

/** Denials of `ip` in the log: written by name, and only counted in summaries. */
function counted(events: any[], ip: string) {
  const named = events.filter((e) => e.kind === "data-plane-denied" && e.clientIp === ip);
  let suppressed = 0;
  for (const e of events) {
    if (e.kind !== "data-plane-denied-summary") continue;
    for (const s of e.sources) if (s.clientIp === ip) suppressed += s.suppressed;
  }
  return { named, suppressed };
}

test("a flood from one source does not hide another's failed logins; counts are exact; the summary comes by itself", async () => {
  const junk = await burst(200, "127.0.0.1", () => "Bearer not-a-token");
  // Failed logins under 50 different names, as a password-spraying client would.
  const logins = await burst(50, "127.0.0.2", () => basic(randomUUID(), "wrong-password"));
  const lastDenial = Date.now();
  const deniedJunk = junk.filter((s) => s === 401 || s === 403).length;
  const deniedLogins = logins.filter((s) => s === 401 || s === 403).length;
  assert.equal(deniedJunk, 200, "every junk request was refused");
  assert.ok(deniedLogins >= LIMIT + 1, `enough failed logins to pass the quota (${deniedLogins} of 50)`);

  // No further denial from here on: only the window's timer can write the summaries.
  let events: any[] = [];
  let ms = 0;
  for (;;) {
    events = await auditEvents();
    const a = counted(events, "127.0.0.1");
    const b = counted(events, "127.0.0.2");
    ms = Date.now() - lastDenial;
    if ((a.named.length + a.suppressed === deniedJunk && b.named.length + b.suppressed === deniedLogins) || ms > 10_000) break;
    await sleep(100);
  }
  const a = counted(events, "127.0.0.1");
  const b = counted(events, "127.0.0.2");
  console.log(`# 127.0.0.1: ${a.named.length} named + ${a.suppressed} counted; 127.0.0.2: ${b.named.length} named + ${b.suppressed} counted; summaries complete ${ms} ms after the last denial`);
  assert.equal(a.named.length + a.suppressed, deniedJunk, "127.0.0.1's denials are counted exactly");
  assert.equal(b.named.length + b.suppressed, deniedLogins, "127.0.0.2's denials are counted exactly");
  assert.ok(ms <= WINDOW_S * 1000 + 1000, `the summary appeared within the window and a second (${ms} ms)`);

  // 127.0.0.2 is named: its first failed login is in the log by name, with what it tried.
  assert.ok(b.named.length >= 1);
  const first = b.named[0];
  assert.equal(first.status, 401);
  assert.equal(first.reason, "credentials-rejected");
  assert.equal(first.credentials, "Basic");
  assert.equal(first.path, "/v2/");
  assert.ok(!JSON.stringify(events).includes("wrong-password"), "never the password");
  // Each source had its own quota per window (plus the first of each reason).
  const windows = events.filter((e) => e.kind === "data-plane-denied-summary").length;
  assert.ok(a.named.length <= (LIMIT + 1) * Math.max(1, windows), `127.0.0.1's flood was held to its quota (${a.named.length})`);
  assert.ok(a.suppressed > 0, "the flood was summarised, not written one by one");
});
