// Response rate limiting as a table of decisions on a clock the test moves: the bucket, slip, the
// accounts (prefix x kind) and the memory bound. The socket-level behaviour is in test/dns/rrl.test.ts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { expandIpv6, ResponseRateLimiter, responseKind, sourcePrefix, type Verdict } from "./rate-limit.js";

function limiter(rate: number, slip: number, maxAccounts?: number) {
  let t = 0;
  const rrl = new ResponseRateLimiter({ responsesPerSecond: rate, slip }, undefined, () => t, maxAccounts);
  return { rrl, advance: (ms: number) => { t += ms; } };
}

function tally(vs: Verdict[]): Record<Verdict, number> {
  const out: Record<Verdict, number> = { send: 0, dropped: 0, slipped: 0 };
  for (const v of vs) out[v]++;
  return out;
}

test("a burst gets one second's worth, then every second slip is truncated and the rest dropped", () => {
  const { rrl } = limiter(10, 2);
  const vs = Array.from({ length: 30 }, () => rrl.check("192.0.2.7", "a/1"));
  assert.deepEqual(vs.slice(0, 10), Array(10).fill("send"));
  assert.deepEqual(vs.slice(10, 14), ["dropped", "slipped", "dropped", "slipped"]);
  assert.deepEqual(tally(vs), { send: 10, dropped: 10, slipped: 10 });
});

test("the bucket refills at the rate and never holds more than one second's worth", () => {
  const { rrl, advance } = limiter(10, 0);
  for (let i = 0; i < 10; i++) rrl.check("192.0.2.7", "a/1");
  assert.equal(rrl.check("192.0.2.7", "a/1"), "dropped");
  advance(250); // 2.5 tokens
  assert.deepEqual(tally(Array.from({ length: 5 }, () => rrl.check("192.0.2.7", "a/1"))), { send: 2, dropped: 3, slipped: 0 });
  advance(60_000); // a long pause refills to 10, not 600
  assert.equal(tally(Array.from({ length: 20 }, () => rrl.check("192.0.2.7", "a/1"))).send, 10);
});

test("a share of the rate under 1 (dnsThreads above dnsRateLimit) still sends: one token, refilled at the share", () => {
  const { rrl, advance } = limiter(0.5, 0);
  assert.deepEqual([rrl.check("192.0.2.7", "a/1"), rrl.check("192.0.2.7", "a/1")], ["send", "dropped"]);
  advance(1000); // half a token
  assert.equal(rrl.check("192.0.2.7", "a/1"), "dropped");
  advance(1000);
  assert.equal(rrl.check("192.0.2.7", "a/1"), "send");
});

test("over T seconds of flood an account sends at most rate x (T + 1)", () => {
  const { rrl, advance } = limiter(50, 2);
  let sent = 0;
  for (let ms = 0; ms < 5000; ms++) { // 1000 queries a second for 5 s
    if (rrl.check("192.0.2.7", "a/1") === "send") sent++;
    advance(1);
  }
  assert.ok(sent <= 50 * 6 && sent >= 50 * 5, `sent ${sent}`);
});

test("slip 1 truncates every limited response; slip 0 drops them all", () => {
  for (const [slip, expected] of [[1, "slipped"], [0, "dropped"]] as const) {
    const { rrl } = limiter(1, slip);
    rrl.check("192.0.2.7", "a/1");
    assert.deepEqual(tally([rrl.check("192.0.2.7", "a/1"), rrl.check("192.0.2.7", "a/1")])[expected], 2);
  }
});

test("accounts: one per /24 (or /56) and kind; other prefixes and kinds are untouched", () => {
  const { rrl } = limiter(2, 0);
  for (const ip of ["192.0.2.1", "192.0.2.200"]) rrl.check(ip, "a/1");
  assert.equal(rrl.check("192.0.2.99", "a/1"), "dropped", "same /24, same kind");
  assert.equal(rrl.check("192.0.3.1", "a/1"), "send", "another /24");
  assert.equal(rrl.check("192.0.2.99", "a/28"), "send", "another kind");
  for (const ip of ["2001:db8:0:ab01::1", "2001:db8:0:abff::2"]) rrl.check(ip, "a/1");
  assert.equal(rrl.check("2001:db8:0:ab42::3", "a/1"), "dropped", "same /56");
  assert.equal(rrl.check("2001:db8:0:ac00::1", "a/1"), "send", "another /56");
  assert.equal(rrl.size, 5); // 192.0.2/24 twice (two kinds), 192.0.3/24, two /56s
});

test("rate 0 is off", () => {
  const { rrl } = limiter(0, 2);
  assert.equal(rrl.enabled, false);
  assert.ok(Array.from({ length: 1000 }, () => rrl.check("192.0.2.7", "a/1")).every((v) => v === "send"));
  assert.equal(rrl.size, 0);
});

test("memory is bounded: refilled accounts make room first, so a limited one survives; a spread flood evicts the oldest", () => {
  const { rrl, advance } = limiter(5, 0, 100);
  for (let i = 0; i < 99; i++) rrl.check(`10.0.${i}.1`, "x");
  advance(1000); // the 99 are full again: the same as new accounts
  for (let i = 0; i < 5; i++) assert.equal(rrl.check("198.51.100.1", "hot"), "send");
  assert.equal(rrl.check("198.51.100.1", "hot"), "dropped");
  rrl.check("10.1.0.1", "x"); // the 101st account: the sweep removes the 99 full ones
  assert.equal(rrl.size, 2);
  assert.equal(rrl.check("198.51.100.1", "hot"), "dropped", "the limited account was forgotten");

  for (let i = 0; i < 10_000; i++) rrl.check(`10.${(i >> 8) & 255}.${i & 255}.1`, "x");
  assert.ok(rrl.size <= 100, `holds ${rrl.size} accounts`);
});

test("response kinds: answers by name and type, NODATA by name, NXDOMAIN and errors per prefix", () => {
  assert.equal(responseKind(0, 2, "contoso.cove.test", 1), "contoso.cove.test/1");
  assert.equal(responseKind(0, 0, "contoso.cove.test", 28), "nodata contoso.cove.test");
  assert.equal(responseKind(3, 0, "random123.cove.test", 1), "nxdomain");
  for (const rc of [1, 2, 4, 5, 16]) assert.equal(responseKind(rc, 0, "x", 1), "error");
});

test("source prefixes", () => {
  const rows: [string, string][] = [
    ["127.0.0.1", "127.0.0.0/24"],
    ["127.1.0.1", "127.1.0.0/24"],
    ["203.0.113.255", "203.0.113.0/24"],
    ["2001:db8:1:2ff::1", "2001:db8:1:200:0:0:0:0/56"],
    ["::1", "0:0:0:0:0:0:0:0/56"],
    ["fe80::1%eth0", "fe80:0:0:0:0:0:0:0/56"],
    ["64:ff9b::192.0.2.1", "64:ff9b:0:0:0:0:0:0/56"],
    ["not-an-ip", "not-an-ip"],
  ];
  for (const [ip, prefix] of rows) assert.equal(sourcePrefix(ip), prefix, ip);
  assert.deepEqual(expandIpv6("1:2:3:4:5:6:7:8"), [1, 2, 3, 4, 5, 6, 7, 8]);
  for (const bad of ["1::2::3", "1:2:3", "12345::", "1:2:3:4:5:6:7:8::"]) assert.equal(expandIpv6(bad), undefined, bad);
});
