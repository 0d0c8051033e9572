// The worker thread of `cove acr evidence export` (export-run.ts starts it with a capped heap):
// a session from the profile it is handed, the evidence, the bundle; then one message back, the
// value to print or the catalogued error (never a stack trace across the thread boundary).
import { parentPort, workerData } from "node:worker_threads";
import { createSession } from "../../session.js";
import { toCliError } from "../../errors.js";
import { buildEvidence } from "./export.js";
import { writeBundle } from "./bundle.js";
import { repositoriesOf } from "./catalog.js";
import { RecordSpool } from "./spool.js";
import type { WorkerInput, WorkerMessage } from "./export-run.js";

const input = workerData as WorkerInput;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

async function run(): Promise<unknown> {
  const s = createSession(input.profile, input.debug ? (line) => post({ kind: "debug", line }) : undefined);
  const spool = new RecordSpool(input.spoolFile);
  try {
    const evidence = await buildEvidence(s, {
      name: input.name, group: input.group, since: input.since, preflight: input.preflight, spool,
      catalog: (reg) => repositoriesOf(s, reg),
    });
    const written = await writeBundle(input.outputDir, evidence, input.key);
    const v = evidence.audit.verification.result;
    return {
      bundle: written.dir,
      bundleId: evidence.bundleId,
      registry: evidence.registry.id,
      createdAt: evidence.createdAt,
      window: { since: evidence.audit.window.since, until: evidence.audit.window.until },
      files: written.bytes,
      signer: { fingerprint: input.key.fingerprint, key: input.key.path, ...(input.key.publicKeyPath ? { publicKey: input.key.publicKeyPath } : {}) },
      audit: {
        verified: v.ok, records: evidence.audit.counts.excerpt, tokenIssues: evidence.audit.counts.tokenIssues,
        ...(v.ok ? {} : { problem: `${v.code} at seq ${v.seq}: ${v.reason}` }),
      },
    };
  } finally {
    spool.remove();
  }
}

run().then(
  (value) => post({ kind: "done", value }),
  async (e) => {
    let cause = e;
    if (/endpoints_resolution_error/.test(String((e as Error)?.message))) {
      // MSAL hides why it could not reach the identity provider; ask directly (as index.ts does).
      try { await createSession(input.profile).probe(); } catch (probeError) { cause = probeError; }
    }
    const err = toCliError(cause, input.profile.managementEndpoint);
    post({ kind: "failed", message: err.message, exitCode: err.exitCode, code: err.code });
  },
);
