// Runs `cove acr evidence export` with a bounded memory: the work (inventory, the streamed audit
// log, the bundle) happens in a worker thread whose V8 heap is capped (resourceLimits), so V8
// collects garbage before it grows past the cap instead of when the machine would let it. The
// budget (issue 9 section 6) is a peak RSS under 200 MiB with 100k audit rows; left alone, V8
// lets the young and old generations grow to several times what is live (docs/benchmarks.md).
// This thread keeps only what must fail fast: the login, the signing key and the directory.
import { Worker } from "node:worker_threads";
import { CliError, notLoggedIn } from "../../errors.js";
import { EXIT_ERROR, type ExitCode } from "../../exit-codes.js";
import { loadProfile } from "../../profile.js";
import { openOutput } from "./bundle.js";
import { loadSigningKey, ownSigningKey } from "./keys.js";

/** The worker's heap: room for the SDKs, the model of a large estate and two audit pages. */
export const WORKER_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 4 };

export interface ExportRequest {
  name: string;
  group?: string;
  since: string;
  preflight: string[];
  outputDir: string;
  signingKey?: string;
}

/** What the worker is handed (structured clone: KeyObjects travel between threads). */
export interface WorkerInput extends Omit<ExportRequest, "signingKey"> {
  profile: NonNullable<Awaited<ReturnType<typeof loadProfile>>>;
  spoolFile: string;
  key: Awaited<ReturnType<typeof loadSigningKey>>;
  debug: boolean;
}

export type WorkerMessage =
  | { kind: "debug"; line: string }
  | { kind: "done"; value: unknown }
  | { kind: "failed"; message: string; exitCode: ExitCode; code?: string };

export async function runExport(
  req: ExportRequest,
  ctx: { env: Record<string, string | undefined>; debug(m: string): void; warn(m: string): void; debugOn: boolean },
): Promise<unknown> {
  const profile = await loadProfile(ctx.env);
  if (!profile) throw notLoggedIn();
  // The key and the directory first: a refused key file or a used directory ends the command before anything is fetched.
  const key = req.signingKey ? await loadSigningKey(req.signingKey) : await ownSigningKey(ctx.env);
  if (key.created) ctx.warn(`Created the CLI's evidence signing key ${key.path}; give its public key ${key.publicKeyPath} (fingerprint ${key.fingerprint}) to whoever verifies your bundles.`);
  const out = await openOutput(req.outputDir);
  const { signingKey: _unused, ...rest } = req;
  const input: WorkerInput = { ...rest, outputDir: out.dir, profile, spoolFile: out.spoolFile, key, debug: ctx.debugOn };
  try {
    const value = await new Promise<unknown>((resolve, reject) => {
      const worker = new Worker(new URL("./export-worker.js", import.meta.url), { workerData: input, resourceLimits: WORKER_LIMITS, stdout: false, stderr: false });
      let settled = false;
      worker.on("message", (m: WorkerMessage) => {
        if (m.kind === "debug") ctx.debug(m.line);
        else if (m.kind === "done") { settled = true; resolve(m.value); }
        else { settled = true; reject(new CliError(m.message, m.exitCode, m.code)); }
      });
      worker.on("error", (e: NodeJS.ErrnoException) => {
        settled = true;
        reject(e.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? new CliError(`The export needed more memory than its bound (${WORKER_LIMITS.maxOldGenerationSizeMb} MiB of heap): the estate or the window is too large; give a shorter --since.`, EXIT_ERROR)
          : e);
      });
      worker.on("exit", (code) => { if (!settled) reject(new CliError(`The export stopped (exit ${code}) before it finished.`, EXIT_ERROR)); });
    });
    if (value && typeof value === "object" && (value as { audit?: { verified?: boolean; problem?: string } }).audit?.verified === false) {
      ctx.warn(`The audit log does not verify: ${(value as { audit: { problem: string } }).audit.problem}. The bundle records this.`);
    }
    return value;
  } catch (e) {
    await out.abandon();
    throw e;
  }
}
