import { test } from "node:test";
import assert from "node:assert/strict";
import { ipv4ToNumber, unwrapMapped } from "./ip-address.js";

test("ipv4ToNumber: dotted quads to unsigned 32-bit numbers, -1 for everything else", () => {
  const cases: Array<[string, number]> = [
    ["0.0.0.0", 0],
    ["127.0.0.1", 0x7f000001],
    ["255.255.255.255", 0xffffffff],
    ["10.1.2.3", 0x0a010203],
    ["::ffff:127.16.1.4", 0x7f100104],
    ["::FFFF:127.16.1.4", 0x7f100104],
    ["256.0.0.1", -1],
    ["1.2.3", -1],
    ["1.2.3.4.5", -1],
    ["1..2.3", -1],
    ["01.2.3.4", -1],
    ["1.2.3.4 ", -1],
    ["", -1],
    ["::1", -1],
    ["::ffff:7f00:1", -1],
    ["fe80::1", -1],
  ];
  for (const [text, want] of cases) assert.equal(ipv4ToNumber(text), want, JSON.stringify(text));
});

test("unwrapMapped: only IPv4-mapped IPv6 changes", () => {
  assert.equal(unwrapMapped("::ffff:10.0.0.1"), "10.0.0.1");
  assert.equal(unwrapMapped("10.0.0.1"), "10.0.0.1");
  assert.equal(unwrapMapped("::ffff:7f00:1"), "::ffff:7f00:1");
  assert.equal(unwrapMapped("::1"), "::1");
});
