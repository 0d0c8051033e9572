// An evidence bundle on disk, one directory:
//
//   <dir>/
//     evidence.json   canonical JSON (canonical.ts), the facts
//     report.md       the same facts for a reviewer (report-md.ts)
//     manifest.json   canonical JSON: the bundle id, the SHA-256 of every other file, the digests
//                     of evidence.json's sections and of the fields the budget allows (fields.ts),
//                     and the signer's public key (reported by verify, never trusted by it)
//     manifest.sig    the raw 64-byte Ed25519 signature of manifest.json's bytes, exactly as
//                     written, so any Ed25519 tool checks it (openssl pkeyutl -verify -rawin)
//
// Files are written under temporary names and renamed, the signature last: a bundle interrupted
// half-way has no manifest.sig and verify says so. evidence.json is streamed (the audit excerpt
// comes from its spool file, spool.ts): the export's memory does not grow with the excerpt.
import { createHash, randomBytes, sign } from "node:crypto";
import { mkdir, open, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { usageError } from "../../errors.js";
import { canonicalize, PLACEHOLDER, sha256Hex, SpooledArray, type FieldDigest, type JsonPath } from "./canonical.js";
import { planFields } from "./fields.js";
import type { SigningKey } from "./keys.js";
import { renderReport } from "./report-md.js";
import type { Evidence } from "./types.js";

export const MANIFEST_FORMAT = "cove-evidence-manifest-v1";
export const EVIDENCE_FILE = "evidence.json";
export const REPORT_FILE = "report.md";
export const MANIFEST_FILE = "manifest.json";
export const SIGNATURE_FILE = "manifest.sig";
/** Every file a bundle holds; verify refuses any other. */
export const BUNDLE_FILES = [EVIDENCE_FILE, MANIFEST_FILE, SIGNATURE_FILE, REPORT_FILE] as const;

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  bundleId: string;
  createdAt: string;
  registry: string;
  /** Sorted by name. */
  files: { name: string; bytes: number; sha256: string }[];
  /** evidence.json's top-level sections -> SHA-256 of each one's canonical JSON. */
  sections: Record<string, string>;
  /** Deeper fields of evidence.json, in document order. */
  fields: { path: JsonPath; sha256: string }[];
  signer: { algorithm: "Ed25519"; publicKey: string; fingerprint: string };
}

export interface WrittenBundle {
  dir: string;
  manifest: Manifest;
  bytes: Record<string, number>;
}

export interface Output {
  dir: string;
  /** Where the audit excerpt is spooled while the log is read. */
  spoolFile: string;
  /** After a failure: removes the spool, and the directory when this export made it. */
  abandon(): Promise<void>;
}

/** The output directory: absent (made here) or empty, refused otherwise before anything is fetched. */
export async function openOutput(dir: string): Promise<Output> {
  let entries: string[] | undefined;
  try {
    entries = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw usageError(`Cannot use '${dir}' as the output directory: ${code ?? (e as Error).message}`);
  }
  if (entries && entries.length > 0) throw usageError(`The output directory '${dir}' is not empty: give a new or empty directory (a bundle is never written over another).`);
  const made = entries === undefined;
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw usageError(`Cannot create the output directory '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const spoolFile = join(dir, `.audit-records.${randomBytes(4).toString("hex")}.tmp`);
  return {
    dir, spoolFile,
    async abandon() {
      await rm(spoolFile, { force: true });
      if (made) await rm(dir, { recursive: true, force: true });
    },
  };
}

export function buildManifest(evidence: Evidence, files: Manifest["files"], fields: FieldDigest[], key: SigningKey): Manifest {
  const sections: Record<string, string> = {};
  const deeper: Manifest["fields"] = [];
  for (const f of fields) {
    if (f.path.length === 1) sections[String(f.path[0])] = f.sha256;
    else deeper.push({ path: f.path, sha256: f.sha256 });
  }
  return {
    format: MANIFEST_FORMAT, bundleId: evidence.bundleId, createdAt: evidence.createdAt, registry: evidence.registry.id,
    files: [...files].sort((a, b) => a.name.localeCompare(b.name)),
    sections, fields: deeper,
    signer: { algorithm: "Ed25519", publicKey: key.publicKeyPem, fingerprint: key.fingerprint },
  };
}

/** The spooled array of the document, if it has one (only the audit excerpt is spooled). */
function spooledOf(evidence: Evidence): SpooledArray | undefined {
  return evidence.audit.records instanceof SpooledArray ? evidence.audit.records : undefined;
}

/**
 * evidence.json, streamed: the document's canonical text with the spooled excerpt copied into its
 * place, the file's digest and those of the listed nodes that contain the excerpt (the root, the
 * audit section) finished over the bytes as they are written.
 */
async function writeEvidence(path: string, text: string, fields: FieldDigest[], spooled: SpooledArray | undefined): Promise<{ bytes: number; sha256: string }> {
  const [head, tail = ""] = text.split(PLACEHOLDER);
  const file = createHash("sha256");
  const pending = fields.filter((f) => f.pending !== undefined).map((f) => {
    const [before, after = ""] = f.pending!.split(PLACEHOLDER);
    return { f, h: createHash("sha256").update(before!), after };
  });
  const out = await open(path, "wx", 0o644);
  let bytes = 0;
  const put = async (chunk: Buffer) => {
    file.update(chunk);
    bytes += chunk.length;
    for (let off = 0; off < chunk.length;) off += (await out.write(chunk, off)).bytesWritten;
  };
  try {
    await put(Buffer.from(head!, "utf8"));
    if (spooled) {
      // One buffer, reused (a stream allocates a chunk per read, held outside the heap until a GC).
      const input = await open(spooled.file, "r");
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let n: number; (n = (await input.read(buf, 0, buf.length, null)).bytesRead) > 0;) {
          const chunk = buf.subarray(0, n);
          for (const p of pending) p.h.update(chunk);
          await put(chunk);
        }
      } finally {
        await input.close();
      }
      await put(Buffer.from(tail, "utf8"));
    }
    await out.sync();
  } finally {
    await out.close();
  }
  for (const p of pending) {
    p.f.sha256 = p.h.update(p.after).digest("hex");
    delete p.f.pending;
  }
  return { bytes, sha256: file.digest("hex") };
}

export async function writeBundle(dir: string, evidence: Evidence, key: SigningKey): Promise<WrittenBundle> {
  const fields: FieldDigest[] = [];
  const text = canonicalize(evidence, planFields(evidence), fields);
  const tag = randomBytes(4).toString("hex");
  const tmp = (name: string) => join(dir, `.${name}.${tag}.tmp`);
  const written: string[] = [];
  try {
    written.push(tmp(EVIDENCE_FILE));
    const ev = await writeEvidence(tmp(EVIDENCE_FILE), text, fields, spooledOf(evidence));
    // Rendered from the document as verify reads it back (the report shows no records), so verify
    // can re-render it and name a changed line.
    const report = Buffer.from(renderReport(JSON.parse(text.replace(PLACEHOLDER, "[]")) as Evidence), "utf8");
    const files = [{ name: EVIDENCE_FILE, bytes: ev.bytes, sha256: ev.sha256 }, { name: REPORT_FILE, bytes: report.length, sha256: sha256Hex(report) }];
    const manifest = buildManifest(evidence, files, fields, key);
    const manifestBytes = Buffer.from(canonicalize(manifest), "utf8");
    const signature = sign(null, manifestBytes, key.privateKey);
    for (const [name, data] of [[REPORT_FILE, report], [MANIFEST_FILE, manifestBytes], [SIGNATURE_FILE, signature]] as const) {
      written.push(tmp(name));
      await writeFile(tmp(name), data, { flag: "wx", mode: 0o644 });
    }
    // The signature last: a bundle interrupted here has no manifest.sig, and verify says so.
    for (const name of [EVIDENCE_FILE, REPORT_FILE, MANIFEST_FILE, SIGNATURE_FILE]) await rename(tmp(name), join(dir, name));
    return { dir, manifest, bytes: { [EVIDENCE_FILE]: ev.bytes, [REPORT_FILE]: report.length, [MANIFEST_FILE]: manifestBytes.length, [SIGNATURE_FILE]: signature.length } };
  } catch (e) {
    for (const t of written) await rm(t, { force: true });
    throw e;
  }
}
