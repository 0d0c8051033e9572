// The closed catalogue of reasons an audit verification fails with. Every `{ok:false}` answer of
// GET/POST /cove/audit/verify and of `cove audit verify` carries one of these codes in `code`, the
// seq it concerns, and a sentence in `reason`. docs/audit.md lists the same codes (a test keeps the
// two in sync).

export const AUDIT_VERIFY_REASONS = {
  "seq-gap": "The sequence numbers are not consecutive: a record was deleted from the middle of the log or moved.",
  "hash-mismatch": "A record's hash does not match its content and its predecessor's hash: it was edited without recomputing the chain.",
  "truncated": "The log ends before the sequence number of a signed checkpoint: the records after the log's head were deleted.",
  "rewritten": "The record at a signed checkpoint's sequence number has another hash than the checkpoint: records up to there were changed and the later hashes recomputed.",
  "checkpoint-invalid": "A checkpoint is malformed, or its signature does not verify with the public key used for the check.",
} as const;

export type AuditVerifyCode = keyof typeof AUDIT_VERIFY_REASONS;
