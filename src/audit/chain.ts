// Verification of the audit log's hash chain: evidence exports, the checkpointer and
// `cove audit verify` check a stream of records with verifyAuditChain(). The record hash itself
// (auditRecordHash, canonical JSON, the genesis hash) is domain/audit-chain.ts, where the storage
// drivers that compute it on append can reach it. Pure: no I/O.

import type { AuditRecord } from "../storage/types.js";
import { AUDIT_GENESIS_HASH, auditRecordHash } from "../domain/audit-chain.js";

export type AuditChainResult =
  | { ok: true; lastHash: string; lastSeq: number }
  | { ok: false; seq: number; code: "seq-gap" | "hash-mismatch"; reason: string };

/**
 * Checks that `records` form an unbroken chain: consecutive seq numbers and each hash matching
 * the record's content and its predecessor. For a page that does not start at the first record,
 * pass the hash (and seq) of the record just before it.
 */
export function verifyAuditChain(
  records: readonly AuditRecord[],
  start: { prevHash: string; prevSeq: number } = { prevHash: AUDIT_GENESIS_HASH, prevSeq: 0 },
): AuditChainResult {
  let prevHash = start.prevHash;
  let prevSeq = start.prevSeq;
  for (const r of records) {
    if (r.seq !== prevSeq + 1) return { ok: false, seq: r.seq, code: "seq-gap", reason: `expected seq ${prevSeq + 1}, found ${r.seq}` };
    const expected = auditRecordHash(prevHash, r);
    if (r.hash !== expected) return { ok: false, seq: r.seq, code: "hash-mismatch", reason: "hash does not match the record's content and its predecessor" };
    prevHash = r.hash;
    prevSeq = r.seq;
  }
  return { ok: true, lastHash: prevHash, lastSeq: prevSeq };
}
