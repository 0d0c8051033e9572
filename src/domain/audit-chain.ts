// The audit log's record hash, defined once: every MetadataStore driver computes record hashes
// with auditRecordHash(), and audit/chain.ts verifies a stream of records with the same function.
//
//   hash(n) = sha256_hex( hash(n-1) + canonicalJson({ seq, time, event }) )
//   hash(0) = AUDIT_GENESIS_HASH (64 zeros), the "previous hash" of the first record
//
// Canonical JSON (sorted object keys at every depth, no whitespace, JSON.stringify's escaping)
// makes the hash independent of key order, so a record read back from any store hashes the same.
// In the domain because drivers need it and must not depend on the audit module above them; pure
// functions only, no I/O.

import { createHash } from "node:crypto";

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

export function auditRecordHash(prevHash: string, rec: { seq: number; time: string; event: Readonly<Record<string, unknown>> }): string {
  return createHash("sha256")
    .update(prevHash)
    .update(canonicalJson({ seq: rec.seq, time: rec.time, event: rec.event }))
    .digest("hex");
}
