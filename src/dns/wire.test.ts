// Table tests for the hot-path parser and the UDP size rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import { parseQuery, udpLimit } from "./wire.js";

test("a query parses to its lower-cased name, type, class and EDNS size", () => {
  const q = dnsPacket.encode({
    type: "query", id: 1, questions: [{ type: "AAAA", name: "Reg.Cove.Test" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 4096, flags: dnsPacket.DNSSEC_OK } as never],
  });
  const p = parseQuery(q);
  assert.equal(p.kind, "query");
  if (p.kind !== "query") return;
  assert.equal(p.qname, "reg.cove.test");
  assert.equal(p.qtype, 28);
  assert.equal(p.qclass, 1);
  assert.deepEqual(p.edns, { size: 4096, version: 0, dnssecOk: true });
  assert.equal(p.odd, false);
});

test("a label holding a dot is marked odd (it can match no Cove name)", () => {
  const q = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([5, 0x72, 0x2e, 0x63, 0x6f, 0x76, 0, 0, 1, 0, 1])]);
  const p = parseQuery(q);
  assert.equal(p.kind === "query" && p.odd, true);
});

test("UDP limit: 512 without EDNS, sizes under 512 count as 512, capped at 1232", () => {
  const cases: [number | undefined, number][] = [[undefined, 512], [0, 512], [100, 512], [900, 900], [4096, 1232]];
  for (const [size, want] of cases) {
    assert.equal(udpLimit(size === undefined ? undefined : { size, version: 0, dnssecOk: false }), want, String(size));
  }
});
