import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { AUDIT_GENESIS_HASH, auditRecordHash, canonicalJson } from "./audit-chain.js";

describe("canonicalJson", () => {
  const cases: [unknown, string][] = [
    [{ b: 1, a: [3, { d: null, c: "x" }] }, '{"a":[3,{"c":"x","d":null}],"b":1}'],
    [{ skip: undefined, keep: 0 }, '{"keep":0}'],
    [[undefined, 1], "[null,1]"],
    ["é\n\"", JSON.stringify("é\n\"")],
    [{ when: new Date("2024-01-01T00:00:00Z") }, '{"when":"2024-01-01T00:00:00.000Z"}'],
    [{}, "{}"],
  ];
  for (const [value, expected] of cases) {
    it(`writes ${expected}`, () => assert.equal(canonicalJson(value), expected));
  }
});

describe("audit record hash", () => {
  it("hashes sha256(prevHash + canonical {seq,time,event}), independent of key order", () => {
    const rec = { seq: 1, time: "2024-01-01T00:00:00.000Z", event: { b: 2, a: 1 } };
    const expected = createHash("sha256")
      .update(AUDIT_GENESIS_HASH + '{"event":{"a":1,"b":2},"seq":1,"time":"2024-01-01T00:00:00.000Z"}')
      .digest("hex");
    assert.equal(auditRecordHash(AUDIT_GENESIS_HASH, rec), expected);
    assert.equal(auditRecordHash(AUDIT_GENESIS_HASH, { ...rec, event: { a: 1, b: 2 } }), expected);
  });
});
