import { test } from "node:test";
import assert from "node:assert/strict";
import { createLoginThrottle } from "./login-throttle.js";

function setup(over: Partial<Parameters<typeof createLoginThrottle>[0]> = {}) {
  let t = 1_000_000;
  const events: Record<string, any>[] = [];
  const throttle = createLoginThrottle({
    userLimit: 3, sourceLimit: 5, windowSeconds: 10, now: () => t, audit: (e) => { events.push(e); }, flushIntervalMs: 3_600_000, ...over,
  });
  return { throttle, events, advance: (ms: number) => { t += ms; } };
}
const at = (clientIp: string, username: string) => ({ clientIp, username, endpoint: "v2", registry: "/r" });

test("a user name over its limit is refused until its window ends, then recovers", async () => {
  const { throttle, advance } = setup();
  for (let i = 0; i < 3; i++) {
    assert.equal(throttle.admit(at("10.0.0.1", "app")), undefined);
    throttle.failed(at("10.0.0.1", "app"));
  }
  assert.equal(throttle.admit(at("10.0.0.2", "app")), 10, "another source is refused too: the name is the target");
  advance(4_000);
  assert.equal(throttle.admit(at("10.0.0.1", "APP")), 6, "names compare case-insensitively; Retry-After counts down");
  advance(6_000);
  assert.equal(throttle.admit(at("10.0.0.1", "app")), undefined);
  await throttle.close();
});

test("a source over its limit is refused for every name; the null GUID has no per-name limit", async () => {
  const { throttle } = setup();
  const nullGuid = "00000000-0000-0000-0000-000000000000";
  for (let i = 0; i < 4; i++) throttle.failed(at("10.0.0.9", nullGuid));
  assert.equal(throttle.admit(at("10.0.0.8", nullGuid)), undefined, "other refresh-token users are not locked out");
  throttle.failed(at("10.0.0.9", `user${0}`));
  assert.equal(throttle.admit(at("10.0.0.9", "someone-else")), 10);
  await throttle.close();
});

test("every failure is counted exactly in the audit, throttled ones included, and flushed at close", async () => {
  const { throttle, events } = setup();
  let refused = 0;
  for (let i = 0; i < 900; i++) {
    if (throttle.admit(at("10.0.0.1", "app")) !== undefined) { refused++; continue; }
    throttle.failed(at("10.0.0.1", "app"));
  }
  assert.equal(events.length, 0, "aggregated, not written one by one");
  await throttle.close();
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, "login-failed");
  assert.equal(events[0].count, 900);
  assert.equal(events[0].throttled, refused);
  assert.equal(refused, 897);
});

test("memory is bounded: at most maxKeys entries per map, and no count is lost", async () => {
  const { throttle, events } = setup({ maxKeys: 50, sourceLimit: 1000, userLimit: 1000 });
  for (let i = 0; i < 5_000; i++) {
    const a = at(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `name-${i}`);
    throttle.admit(a);
    throttle.failed(a);
    const s = throttle.size();
    assert.ok(s.sources <= 50 && s.users <= 50 && s.aggregates <= 50, JSON.stringify(s));
  }
  await throttle.close();
  assert.equal(events.reduce((n, e) => n + e.count, 0), 5_000);
});

test("the timer flushes on its own", async () => {
  const events: Record<string, any>[] = [];
  const throttle = createLoginThrottle({ userLimit: 3, sourceLimit: 5, windowSeconds: 10, flushIntervalMs: 200, audit: (e) => { events.push(e); } });
  throttle.failed(at("10.0.0.1", "x"));
  for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(events.length, 1);
  await throttle.close();
});
