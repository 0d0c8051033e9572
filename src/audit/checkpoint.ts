// Signed checkpoints of the audit log: `{seq, headHash, time}` signed with an Ed25519 key. A
// checkpoint anchors the chain: whoever holds it and the public key can tell a log that still
// extends it from one that was truncated or rewritten, which the hash chain alone cannot (a
// rewrite can recompute every later hash). Pure: no I/O.
//
// The signed bytes are DOMAIN + canonicalJson({headHash, seq, time}), so an auditor can check a
// checkpoint with any Ed25519 implementation (docs/audit.md shows openssl), and the key's
// signatures can never be mistaken for anything but audit checkpoints.
import { createHash, sign, verify, type KeyObject } from "node:crypto";
import { canonicalJson } from "../domain/audit-chain.js";

export const CHECKPOINT_DOMAIN = "cove-audit-checkpoint-v1\n";

export interface AuditCheckpoint {
  seq: number;
  headHash: string;
  time: string;
  /** sha256 of the public key (SPKI DER), hex: which key signed, for the reader's information only. */
  keyId: string;
  /** Ed25519 signature over checkpointPayload(), base64. */
  signature: string;
}

export function checkpointPayload(c: { seq: number; headHash: string; time: string }): Buffer {
  return Buffer.from(CHECKPOINT_DOMAIN + canonicalJson({ headHash: c.headHash, seq: c.seq, time: c.time }), "utf8");
}

export function publicKeyId(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

export function signCheckpoint(privateKey: KeyObject, publicKey: KeyObject, head: { seq: number; headHash: string; time: string }): AuditCheckpoint {
  const signature = sign(null, checkpointPayload(head), privateKey).toString("base64");
  return { seq: head.seq, headHash: head.headHash, time: head.time, keyId: publicKeyId(publicKey), signature };
}

/** A checkpoint read from a file or a request, or why it is not one. */
export function parseCheckpoint(value: unknown): AuditCheckpoint | string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "a checkpoint must be a JSON object";
  const v = value as Record<string, unknown>;
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 1) return "seq must be a whole number of at least 1";
  if (typeof v.headHash !== "string" || !/^[0-9a-f]{64}$/.test(v.headHash)) return "headHash must be 64 lower-case hex digits";
  if (typeof v.time !== "string" || Number.isNaN(Date.parse(v.time))) return "time must be an ISO 8601 date";
  if (typeof v.signature !== "string" || !/^[A-Za-z0-9+/]{86}==$/.test(v.signature)) return "signature must be a base64 Ed25519 signature (64 bytes)";
  const keyId = typeof v.keyId === "string" ? v.keyId : "";
  return { seq: v.seq as number, headHash: v.headHash, time: v.time, keyId, signature: v.signature };
}

export function verifyCheckpointSignature(c: AuditCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointPayload(c), publicKey, Buffer.from(c.signature, "base64"));
  } catch {
    // A key of another type (RSA, EC) throws rather than answering false.
    return false;
  }
}
