// Verification of a whole audit log against its signed checkpoints, page by page (never the whole
// log in memory). One function serves the server's own check (GET /cove/audit/verify, with Cove's
// key), an auditor's proof that a log extends a checkpoint they kept (POST /cove/audit/verify, with
// the key they hold) and `cove audit verify`, which runs it on the client against records it
// fetched. Pure apart from the page reader it is given.
import type { KeyObject } from "node:crypto";
import type { AuditRecord } from "../storage/types.js";
import { verifyAuditChain } from "./chain.js";
import { AUDIT_GENESIS_HASH } from "../domain/audit-chain.js";
import { parseCheckpoint, verifyCheckpointSignature, type AuditCheckpoint } from "./checkpoint.js";
import type { AuditVerifyCode } from "./verify-reasons.js";

export type ReadAuditPage = (afterSeq: number, limit: number) => Promise<readonly AuditRecord[]>;

export type AuditLogVerification =
  | { ok: true; lastSeq: number; lastHash: string; checkpoints: number; lastCheckpoint?: { seq: number; time: string } }
  | {
    ok: false;
    code: AuditVerifyCode;
    /** The first record concerned: the one that breaks the chain, the first one missing, or the checkpoint's. */
    seq: number;
    reason: string;
    /** For truncated and rewritten: the seq of the signed checkpoint that proves it. */
    checkpointSeq?: number;
    /** For rewritten: the last checkpoint that still matches (0: none), so the change lies in since+1..checkpointSeq. */
    since?: number;
  };

const PAGE = 1000;

/**
 * `candidates` are checkpoints as read (a file's lines, a request body): each must parse and
 * verify with `publicKey`, which is the caller's, never one found beside the log.
 */
export async function verifyAuditLog(
  readPage: ReadAuditPage,
  candidates: readonly unknown[],
  publicKey: KeyObject,
): Promise<AuditLogVerification> {
  const bySeq = new Map<number, AuditCheckpoint[]>();
  let newest: AuditCheckpoint | undefined;
  for (const [i, candidate] of candidates.entries()) {
    const c = parseCheckpoint(candidate);
    const seq = typeof (candidate as { seq?: unknown })?.seq === "number" ? (candidate as { seq: number }).seq : 0;
    if (typeof c === "string") return { ok: false, code: "checkpoint-invalid", seq, reason: `checkpoint ${i + 1}: ${c}` };
    if (!verifyCheckpointSignature(c, publicKey)) {
      return { ok: false, code: "checkpoint-invalid", seq, reason: `checkpoint ${i + 1} (seq ${c.seq}): the signature does not verify with the public key` };
    }
    bySeq.set(c.seq, [...(bySeq.get(c.seq) ?? []), c]);
    if (!newest || c.seq > newest.seq) newest = c;
  }

  let start = { prevHash: AUDIT_GENESIS_HASH, prevSeq: 0 };
  let matched = 0;
  for (;;) {
    const page = await readPage(start.prevSeq, PAGE);
    if (page.length === 0) break;
    for (const r of page) {
      const link = verifyAuditChain([r], start);
      if (!link.ok) return { ok: false, code: link.code, seq: link.seq, reason: link.reason };
      start = { prevHash: link.lastHash, prevSeq: link.lastSeq };
      for (const c of bySeq.get(r.seq) ?? []) {
        if (c.headHash !== r.hash) {
          return {
            ok: false, code: "rewritten", seq: c.seq, checkpointSeq: c.seq, since: matched,
            reason: `the record at seq ${c.seq} has another hash than the checkpoint signed at ${c.time}: ` +
              `records ${matched + 1}..${c.seq} were changed and the later hashes recomputed`,
          };
        }
        matched = c.seq;
      }
    }
  }
  if (newest && newest.seq > start.prevSeq) {
    return {
      ok: false, code: "truncated", seq: start.prevSeq + 1, checkpointSeq: newest.seq,
      reason: `the log ends at seq ${start.prevSeq}, but the checkpoint signed at ${newest.time} covers seq ${newest.seq}: ` +
        `records ${start.prevSeq + 1}..${newest.seq} were deleted`,
    };
  }
  return {
    ok: true, lastSeq: start.prevSeq, lastHash: start.prevHash, checkpoints: candidates.length,
    ...(newest ? { lastCheckpoint: { seq: newest.seq, time: newest.time } } : {}),
  };
}
