import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { verifyAuditChain } from "./chain.js";
import { AUDIT_GENESIS_HASH, auditRecordHash } from "../domain/audit-chain.js";
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

describe("audit hash chain", () => {
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
