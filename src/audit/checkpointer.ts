// Signs a checkpoint of the audit log's head every `intervalMs` when the log has grown, and once
// more at shutdown. Before signing it checks that the log still extends the last checkpoint
// (the record at its seq has its hash, and every record since chains from it), reading only the
// records added since: Cove never signs a head it cannot vouch for. When the log no longer
// extends the last checkpoint it stops signing and logs an error (once per problem); verify
// reports why.
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import type { Logger } from "pino";
import type { MetadataStore } from "../storage/types.js";
import { verifyAuditChain } from "./chain.js";
import { AUDIT_GENESIS_HASH } from "../domain/audit-chain.js";
import { parseCheckpoint, publicKeyId, signCheckpoint, verifyCheckpointSignature, type AuditCheckpoint } from "./checkpoint.js";
import { appendCheckpoint, loadOrCreateSigningKey, readCheckpointFile } from "./checkpoint-files.js";

export const CHECKPOINT_FILE = "audit-checkpoints.jsonl";
export const CHECKPOINT_KEY_FILE = join("keys", "audit-checkpoint.key");
const PAGE = 1000;

/** What the audit routes export: the public key and the checkpoints as stored. */
export interface AuditAnchors {
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly keyId: string;
  /** Every line of the checkpoint file, as read (verify checks each). */
  checkpoints(): Promise<unknown[]>;
}

export interface AuditCheckpointer extends AuditAnchors {
  /** Signs the current head if the log grew since the last checkpoint; the new checkpoint, if any. */
  checkpoint(): Promise<AuditCheckpoint | undefined>;
  /** Stops the timer and signs a last checkpoint. */
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  meta: MetadataStore;
  dataDir: string;
  log: Logger;
  intervalMs: number;
}

export async function openAuditCheckpointer(o: CheckpointerOptions): Promise<AuditCheckpointer> {
  const file = join(o.dataDir, CHECKPOINT_FILE);
  const { privateKey, publicKey } = await loadOrCreateSigningKey(join(o.dataDir, CHECKPOINT_KEY_FILE));
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const keyId = publicKeyId(publicKey);

  // The last checkpoint this key signed. Lines that do not parse or verify are left to verify.
  let last: AuditCheckpoint | undefined;
  for (const line of await readCheckpointFile(file)) {
    const c = parseCheckpoint(line);
    if (typeof c !== "string" && verifyCheckpointSignature(c, publicKey) && (!last || c.seq > last.seq)) last = c;
  }

  let reported = "";
  const refuse = (problem: string, detail: Record<string, unknown>) => {
    if (problem !== reported) o.log.error({ ...detail, checkpointSeq: last?.seq }, `audit log no longer extends its last signed checkpoint (${problem}); no further checkpoints are signed`);
    reported = problem;
    return undefined;
  };

  async function signHead(): Promise<AuditCheckpoint | undefined> {
    let start = { prevHash: last?.headHash ?? "", prevSeq: last?.seq ?? 0 };
    if (last) {
      const [atLast] = await o.meta.readAudit(last.seq - 1, 1);
      if (!atLast || atLast.seq !== last.seq) return refuse(`truncated before seq ${last.seq}`, { code: "truncated" });
      if (atLast.hash !== last.headHash) return refuse(`rewritten at seq ${last.seq}`, { code: "rewritten" });
    } else {
      start = { prevHash: AUDIT_GENESIS_HASH, prevSeq: 0 };
    }
    for (;;) {
      const page = await o.meta.readAudit(start.prevSeq, PAGE);
      if (page.length === 0) break;
      const r = verifyAuditChain(page, start);
      if (!r.ok) return refuse(`${r.code} at seq ${r.seq}`, { code: r.code, seq: r.seq });
      start = { prevHash: r.lastHash, prevSeq: r.lastSeq };
    }
    if (start.prevSeq === (last?.seq ?? 0)) return undefined;
    const c = signCheckpoint(privateKey, publicKey, { seq: start.prevSeq, headHash: start.prevHash, time: new Date().toISOString() });
    await appendCheckpoint(file, c);
    last = c;
    return c;
  }

  // One signing at a time: the timer and shutdown never interleave two appends.
  let queue: Promise<unknown> = Promise.resolve();
  const checkpoint = (): Promise<AuditCheckpoint | undefined> => {
    const run = queue.then(signHead);
    queue = run.catch(() => undefined);
    return run;
  };
  const timer = setInterval(() => {
    checkpoint().catch((e) => o.log.warn({ err: String(e) }, "audit checkpoint failed"));
  }, Math.max(1, o.intervalMs));
  timer.unref();

  return {
    publicKey, publicKeyPem, keyId,
    checkpoints: () => readCheckpointFile(file),
    checkpoint,
    async close() {
      clearInterval(timer);
      await checkpoint();
    },
  };
}
