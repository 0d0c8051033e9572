import { test } from "node:test";
import assert from "node:assert/strict";
import { compileRules, inRanges } from "./ip-ranges.js";
import { ipv4ToNumber } from "./ip-address.js";

test("compileRules + inRanges: addresses, CIDRs, overlaps merged, malformed entries ignored", () => {
  const r = compileRules(["10.0.0.7", "192.168.0.0/16", "192.168.5.0/24", "172.16.0.0/31", "203.0.113.9/32", "1.2.3.4/", "bad", "5.6.7.8/33", "9.9.9.9/x"]);
  assert.equal(r.first.length, 4, "the /24 inside the /16 is merged; four malformed rules dropped");
  const cases: Array<[string, boolean]> = [
    ["10.0.0.7", true], ["10.0.0.6", false], ["10.0.0.8", false],
    ["192.168.0.0", true], ["192.168.255.255", true], ["192.169.0.0", false], ["192.167.255.255", false],
    ["172.16.0.0", true], ["172.16.0.1", true], ["172.16.0.2", false],
    ["203.0.113.9", true], ["1.2.3.4", false], ["0.0.0.1", false], ["5.6.7.8", false],
  ];
  for (const [ip, want] of cases) assert.equal(inRanges(r, ipv4ToNumber(ip)), want, ip);
});

test("compileRules: adjacent ranges merge, host bits are ignored, /0 covers everything", () => {
  const adj = compileRules(["10.0.0.0/25", "10.0.0.128/25"]);
  assert.deepEqual([...adj.first], [ipv4ToNumber("10.0.0.0")]);
  assert.deepEqual([...adj.last], [ipv4ToNumber("10.0.0.255")]);
  assert.equal(inRanges(compileRules(["10.1.2.3/24"]), ipv4ToNumber("10.1.2.200")), true);
  assert.equal(inRanges(compileRules(["0.0.0.0/0"]), ipv4ToNumber("255.255.255.255")), true);
  assert.equal(inRanges(compileRules([]), ipv4ToNumber("10.0.0.1")), false);
});
