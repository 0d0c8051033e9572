import { test } from "node:test";
import assert from "node:assert/strict";
import {
  allocate, cidrContains, cidrContainsAddress, cidrsOverlap, firstOverlap, formatCidr, formatIPv4, isReserved, parseCidr, parseIPv4, type Cidr,
} from "./network.js";

function c(s: string): Cidr {
  const r = parseCidr(s);
  if (!r.ok) throw new Error(`bad cidr ${s}`);
  return r.cidr;
}

test("parseCidr accepts exact prefixes and refuses malformed ones and host bits", () => {
  const ok: [string, number, number][] = [["10.0.0.0/16", 16, 65536], ["127.16.1.0/24", 24, 256], ["0.0.0.0/0", 0, 2 ** 32], ["10.1.2.3/32", 32, 1]];
  for (const [s, prefix, size] of ok) {
    const r = parseCidr(s);
    assert.ok(r.ok, s);
    assert.equal(r.cidr.prefix, prefix);
    assert.equal(r.cidr.size, size);
    assert.equal(formatCidr(r.cidr), s);
  }
  for (const s of ["10.0.0.0", "10.0.0.0/33", "10.0.0/8", "256.0.0.0/8", "10.0.0.0/-1", "a.b.c.d/8", "10.0.0.0/8/1", " 10.0.0.0/8", "::1/128"]) {
    assert.deepEqual(parseCidr(s), { ok: false, reason: "syntax" }, s);
  }
  assert.deepEqual(parseCidr("10.0.0.1/24"), { ok: false, reason: "host-bits", canonical: "10.0.0.0/24" });
  assert.deepEqual(parseCidr("127.16.1.128/23"), { ok: false, reason: "host-bits", canonical: "127.16.0.0/23" });
});

test("addresses round-trip and containment, overlap work at the edges", () => {
  for (const s of ["0.0.0.0", "255.255.255.255", "127.16.1.4", "10.0.0.255"]) assert.equal(formatIPv4(parseIPv4(s)!), s);
  assert.equal(parseIPv4("1.2.3"), undefined);
  const cases: [string, string, boolean, boolean][] = [
    // outer, inner, contains, overlaps
    ["10.0.0.0/16", "10.0.1.0/24", true, true],
    ["10.0.0.0/16", "10.0.0.0/16", true, true],
    ["10.0.0.0/24", "10.0.1.0/24", false, false],
    ["10.0.0.0/24", "10.0.0.0/16", false, true],
    ["10.0.0.0/25", "10.0.0.128/25", false, false],
    ["10.0.0.0/23", "10.0.1.128/25", true, true],
    ["0.0.0.0/0", "255.255.255.255/32", true, true],
  ];
  for (const [a, b, contains, overlaps] of cases) {
    assert.equal(cidrContains(c(a), c(b)), contains, `${a} contains ${b}`);
    assert.equal(cidrsOverlap(c(a), c(b)), overlaps, `${a} overlaps ${b}`);
    assert.equal(cidrsOverlap(c(b), c(a)), overlaps, `${b} overlaps ${a}`);
  }
  assert.equal(cidrContainsAddress(c("10.0.1.0/24"), parseIPv4("10.0.1.255")!), true);
  assert.equal(cidrContainsAddress(c("10.0.1.0/24"), parseIPv4("10.0.2.0")!), false);
  assert.deepEqual(firstOverlap([c("10.0.0.0/24"), c("10.0.1.0/24"), c("10.0.1.128/25")]), [1, 2]);
  assert.equal(firstOverlap([c("10.0.0.0/24"), c("10.0.1.0/24")]), undefined);
});

test("allocation skips Azure's reserved addresses, takes the lowest free, and reports a full subnet", () => {
  const s = c("127.16.1.0/24");
  const ip = (x: string) => parseIPv4(x)!;
  assert.deepEqual(allocate(s, new Set(), 2)!.map(formatIPv4), ["127.16.1.4", "127.16.1.5"]);
  assert.deepEqual(allocate(s, new Set([ip("127.16.1.4"), ip("127.16.1.6")]), 2)!.map(formatIPv4), ["127.16.1.5", "127.16.1.7"]);
  for (const r of ["127.16.1.0", "127.16.1.1", "127.16.1.2", "127.16.1.3", "127.16.1.255"]) assert.equal(isReserved(s, ip(r)), true, r);
  assert.equal(isReserved(s, ip("127.16.1.4")), false);
  assert.equal(isReserved(s, ip("127.16.1.254")), false);
  const tiny = c("127.16.2.0/29"); // .4 .5 .6 usable
  assert.deepEqual(allocate(tiny, new Set(), 3)!.map(formatIPv4), ["127.16.2.4", "127.16.2.5", "127.16.2.6"]);
  assert.equal(allocate(tiny, new Set([ip("127.16.2.5")]), 3), undefined);
  assert.equal(allocate(c("127.16.3.0/30"), new Set(), 1), undefined);
});
