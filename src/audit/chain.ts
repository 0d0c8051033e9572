// The audit log's hash chain, defined once: every MetadataStore driver computes record hashes with
// auditRecordHash(), and evidence exports check a stream of records with verifyAuditChain().
//
//   hash(n) = sha256_hex( hash(n-1) + canonicalJson({ seq, time, event }) )
//   hash(0) = AUDIT_GENESIS_HASH (64 zeros), the "previous hash" of the first record
//
// Canonical JSON (sorted object keys at every depth, no whitespace, JSON.stringify's escaping)
// makes the hash independent of key order, so a record read back from any store hashes the same.
// Pure functions only: no I/O, so storage drivers can import this without depending on the log.

import { createHash } from "node:crypto";
import type { AuditRecord } from "../storage/types.js";

export const AUDIT_GENESIS_HASH = "0".repeat(64);

/** JSON with object keys sorted at every depth; `undefined` members are dropped as JSON does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const s = JSON.stringify(value);
    // JSON.stringify(undefined) is undefined; inside arrays JSON writes null, so do the same.
    return s === undefined ? "null" : s;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}

export function auditRecordHash(prevHash: string, rec: { seq: number; time: string; event: Record<string, unknown> }): string {
  return createHash("sha256")
    .update(prevHash)
    .update(canonicalJson({ seq: rec.seq, time: rec.time, event: rec.event }))
    .digest("hex");
}

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
