// A data dir written by an older Cove holds records that name their kind in `type` (some with
// `kind: "auth"` beside it). The log is never rewritten, so they must still read back unchanged,
// verify, and sit under a signed checkpoint next to the typed events written after them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStores } from "../../src/storage/open.js";
import { appendAudit } from "../../src/audit/log.js";
import { signCheckpoint } from "../../src/audit/checkpoint.js";
import { verifyAuditLog } from "../../src/audit/verify-log.js";

const OLDER = [
  { type: "identity.token", outcome: "issued", clientId: "app", principalId: "obj", clientIp: "127.0.0.1", requestId: "r1" },
  { kind: "auth", type: "login-failed", clientIp: "127.0.0.1", username: "app", endpoint: "v2", count: 3, throttled: 0, firstAt: "2026-01-01T00:00:00.000Z", lastAt: "2026-01-01T00:00:01.000Z" },
  { kind: "auth", type: "management.token", outcome: "denied", reason: "wrong-audience", audience: "https://evil.example", principalId: "obj", clientIp: "127.0.0.1", requestId: "r2", method: "GET", path: "/subscriptions" },
];

test("records of an older version read back unchanged and verify beside typed events", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-legacy-audit-"));
  const { blobs, meta } = await openStores(dir);
  try {
    // What an older Cove wrote: straight through the store, as it did.
    for (const e of OLDER) await meta.appendAudit(e);
    await appendAudit(meta, { kind: "login-failed", clientIp: "127.0.0.1", username: "app", endpoint: "v2", count: 1, throttled: 0, firstAt: "2026-01-02T00:00:00.000Z", lastAt: "2026-01-02T00:00:00.000Z" });

    const records = await meta.readAudit();
    assert.deepEqual(records.map((r) => r.event).slice(0, OLDER.length), OLDER);
    assert.equal(records[OLDER.length]!.event.kind, "login-failed");

    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const head = records.at(-1)!;
    const checkpoint = signCheckpoint(privateKey, publicKey, { seq: head.seq, headHash: head.hash, time: new Date().toISOString() });
    const verified = await verifyAuditLog((after, limit) => meta.readAudit(after, limit), [checkpoint], publicKey);
    assert.deepEqual(verified, { ok: true, lastSeq: head.seq, lastHash: head.hash, checkpoints: 1, lastCheckpoint: { seq: head.seq, time: checkpoint.time } });
  } finally {
    await meta.close();
    await blobs.close();
    await rm(dir, { recursive: true, force: true });
  }
});
