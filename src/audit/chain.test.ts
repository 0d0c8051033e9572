import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { AUDIT_GENESIS_HASH, auditRecordHash, canonicalJson, verifyAuditChain } from "./chain.js";
import type { AuditRecord } from "../storage/types.js";

function chain(events: Record<string, unknown>[]): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = AUDIT_GENESIS_HASH;
  events.forEach((event, i) => {
    const rec = { seq: i + 1, time: `2024-01-01T00:00:0${i}.000Z`, event };
    const hash = auditRecordHash(prev, rec);
    out.push({ ...rec, hash });
    prev = hash;
  });
  return out;
}

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

describe("audit hash chain", () => {
  it("hashes sha256(prevHash + canonical {seq,time,event}), independent of key order", () => {
    const rec = { seq: 1, time: "2024-01-01T00:00:00.000Z", event: { b: 2, a: 1 } };
    const expected = createHash("sha256")
      .update(AUDIT_GENESIS_HASH + '{"event":{"a":1,"b":2},"seq":1,"time":"2024-01-01T00:00:00.000Z"}')
      .digest("hex");
    assert.equal(auditRecordHash(AUDIT_GENESIS_HASH, rec), expected);
    assert.equal(auditRecordHash(AUDIT_GENESIS_HASH, { ...rec, event: { a: 1, b: 2 } }), expected);
  });

  it("verifies an intact chain and names the first record that was tampered with", () => {
    const recs = chain([{ k: "a" }, { k: "b" }, { k: "c" }]);
    assert.deepEqual(verifyAuditChain(recs), { ok: true, lastHash: recs[2].hash, lastSeq: 3 });
    assert.deepEqual(verifyAuditChain([]), { ok: true, lastHash: AUDIT_GENESIS_HASH, lastSeq: 0 });
    const forged = recs.map((r) => ({ ...r }));
    forged[1] = { ...forged[1], event: { k: "B" } };
    assert.equal((verifyAuditChain(forged) as { seq: number }).seq, 2);
    // Re-hashing the forged record alone is not enough: its successor no longer chains.
    forged[1].hash = auditRecordHash(recs[0].hash, forged[1]);
    assert.equal((verifyAuditChain(forged) as { seq: number }).seq, 3);
    assert.equal(verifyAuditChain(recs.slice(1)).ok, false);
    assert.equal(verifyAuditChain(recs.slice(1), { prevHash: recs[0].hash, prevSeq: 1 }).ok, true);
  });
});
