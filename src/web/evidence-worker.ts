// The worker thread of the page's evidence export (evidence-route.ts starts it with the CLI
// export's heap cap, WORKER_LIMITS): the toolkit's buildEvidence and writeBundle over a Session
// whose credential is the caller's own access token, so the bundle holds exactly what the caller
// may read. One message back: the bundle's facts, or the error as the management API answered it
// (its ARM code and message, and the HTTP status when there was one), never a stack trace.
import { parentPort, workerData } from "node:worker_threads";
import { readFileSync } from "node:fs";
import { createSession, staticTokenCredential } from "../cli/session.js";
import { toCliError } from "../cli/errors.js";
import type { Profile } from "../cli/profile.js";
import { buildEvidence } from "../cli/toolkit/evidence/export.js";
import { writeBundle } from "../cli/toolkit/evidence/bundle.js";
import type { SigningKey } from "../cli/toolkit/evidence/keys.js";
import { RecordSpool } from "../cli/toolkit/evidence/spool.js";
import { repositoriesAsCaller } from "./evidence-catalog.js";

export interface PageExportInput {
  profile: Profile;
  accessToken: string;
  expiresOnTimestamp: number;
  name: string;
  group: string;
  since: string;
  outputDir: string;
  spoolFile: string;
  key: SigningKey;
}

export interface PageExportDone { registryName: string; bundleId: string; createdAt: string; files: Record<string, number> }

export type PageExportMessage =
  | { kind: "done"; value: PageExportDone }
  | { kind: "failed"; message: string; code?: string; status?: number };

const input = workerData as PageExportInput;
const post = (m: PageExportMessage) => parentPort!.postMessage(m);

async function run(): Promise<PageExportDone> {
  const s = createSession(input.profile, undefined, { credential: staticTokenCredential(input.accessToken, input.expiresOnTimestamp) });
  const ca = input.profile.caCertPath ? readFileSync(input.profile.caCertPath) : undefined;
  const spool = new RecordSpool(input.spoolFile);
  try {
    const evidence = await buildEvidence(s, {
      name: input.name, group: input.group, since: input.since, preflight: [], spool,
      catalog: (reg) => repositoriesAsCaller(reg, { accessToken: input.accessToken, tenantId: input.profile.tenantId, dnsServer: input.profile.dnsServer, ca }),
    });
    const written = await writeBundle(input.outputDir, evidence, input.key);
    return { registryName: evidence.registry.name, bundleId: evidence.bundleId, createdAt: evidence.createdAt, files: written.bytes };
  } finally {
    spool.remove();
  }
}

/** The ARM message without the CLI's "(Code) ...\nCode: ...\nMessage: ..." framing. */
function armMessage(text: string): string {
  return /^\([^)]+\) .*\nCode: .*\nMessage: ([^\n]*)/.exec(text)?.[1] ?? text;
}

run().then(
  (value) => post({ kind: "done", value }),
  (e) => {
    const err = toCliError(e, input.profile.managementEndpoint);
    const status = (e as { statusCode?: unknown })?.statusCode;
    post({ kind: "failed", message: armMessage(err.message), code: err.code, status: typeof status === "number" ? status : undefined });
  },
);
