// `cove acr evidence verify`: offline, from the bundle's bytes alone, read from its directory or
// from a .tar of it (tar-bundle.ts; the networking page's download), the same checks either way. Order of checks, so the
// first thing named is the first thing that changed:
//   1. the manifest: present, JSON, an evidence manifest, in its canonical form;
//   2. the file set: every listed file present, nothing else (truncated or mixed bundles);
//   3. each file against its digest; for evidence.json the first changed field (fields.ts), or a
//      file of another bundle; for report.md the first changed line (it is re-rendered);
//   4. the manifest against the files it describes (section and field digests, ids);
//   5. the signature: with the auditor's key when given; without one, only with the key the
//      manifest names, which proves nothing (anyone can sign with a key of their own), so the
//      answer says the signature was not checked against a trusted key.
// Every refusal is a VerifyFailure with a code from VERIFY_FAILURES (docs/errors.md), exit 5.
import { createPublicKey, verify as verifySignature, type KeyObject } from "node:crypto";
import { CliError } from "../../errors.js";
import { EXIT_CHECK_FAILED } from "../../exit-codes.js";
import { canonicalize, canonicalJson, firstDifference, formatPath, sha256Hex, type FieldDigest } from "./canonical.js";
import { locateChange, planFields } from "./fields.js";
import { fingerprintOf } from "./keys.js";
import { BUNDLE_FILES, EVIDENCE_FILE, MANIFEST_FILE, MANIFEST_FORMAT, REPORT_FILE, SIGNATURE_FILE, type Manifest } from "./bundle.js";
import { renderReport } from "./report-md.js";
import { openBundle } from "./tar-bundle.js";
import { EVIDENCE_FORMAT, type Evidence } from "./types.js";

export const VERIFY_FAILURES = {
  "not-a-bundle": "The directory holds no manifest.json, or its manifest.json is not an evidence manifest.",
  "file-missing": "A file the bundle must hold is missing: the bundle is truncated.",
  "file-unexpected": "The directory holds a file that no evidence bundle holds.",
  "manifest-invalid": "manifest.json was changed: it is not JSON, not in the canonical form it was signed in, or it does not describe the files beside it.",
  "digest-mismatch": "A file's bytes differ from the SHA-256 the manifest lists; for evidence.json the first changed field is named, for report.md the first changed line.",
  "foreign-file": "The files come from different bundles: evidence.json, report.md and manifest.json name different bundle ids.",
  "evidence-invalid": "evidence.json holds the signed fields but is not their canonical JSON any more: it was reordered or reformatted.",
  "signature-invalid": "manifest.sig does not verify: it was changed, or the bundle was signed by another key than the one given.",
  "archive-invalid": "The .tar is not a plain archive of one bundle: it is truncated, a header was changed, or it holds a link, a device, an absolute name, a '..' component or one name twice.",
} as const;

export type VerifyCode = keyof typeof VERIFY_FAILURES;

export class VerifyFailure extends CliError {
  constructor(readonly failure: VerifyCode, message: string) {
    super(`Evidence verification failed (${failure}): ${message}`, EXIT_CHECK_FAILED, failure);
  }
}

export interface VerifyResult {
  ok: true;
  bundle: string;
  bundleId: string;
  registry: string;
  createdAt: string;
  files: { name: string; bytes: number; sha256: string }[];
  signature: { trusted: boolean; checkedWith: "your public key" | "the key the manifest names (not trusted)"; signerFingerprint: string };
}

const fail = (code: VerifyCode, message: string) => new VerifyFailure(code, message);

function jsonError(e: unknown): string {
  const m = /position (\d+)/.exec(String((e as Error).message));
  return m ? `at byte ${m[1]}` : "";
}

function parseJson(text: string, file: string, code: VerifyCode): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail(code, `${file} is not JSON (${jsonError(e) || String((e as Error).message)}): it was truncated or changed.`);
  }
}

function checkManifestShape(m: any): asserts m is Manifest {
  if (!m || typeof m !== "object" || m.format !== MANIFEST_FORMAT) {
    throw fail("not-a-bundle", `${MANIFEST_FILE} is not an evidence manifest (format ${JSON.stringify(m?.format ?? null)}, expected ${MANIFEST_FORMAT}).`);
  }
  const bad = (what: string) => fail("manifest-invalid", `${MANIFEST_FILE} was changed: ${what}.`);
  if (typeof m.bundleId !== "string" || typeof m.createdAt !== "string" || typeof m.registry !== "string") throw bad("bundleId, createdAt or registry is not a string");
  if (!Array.isArray(m.files) || !m.files.every((f: any) => typeof f?.name === "string" && typeof f.sha256 === "string" && Number.isInteger(f.bytes))) throw bad("files is not a list of {name, bytes, sha256}");
  const names = m.files.map((f: any) => f.name);
  const allowed = [EVIDENCE_FILE, REPORT_FILE];
  if (names.join("\n") !== [...allowed].sort().join("\n")) throw bad(`it lists the files ${JSON.stringify(names)}, an evidence bundle lists ${JSON.stringify(allowed.sort())}`);
  if (!m.sections || typeof m.sections !== "object" || Array.isArray(m.sections)) throw bad("sections is not an object");
  if (!Array.isArray(m.fields) || !m.fields.every((f: any) => Array.isArray(f?.path) && typeof f.sha256 === "string")) throw bad("fields is not a list of {path, sha256}");
  if (m.signer?.algorithm !== "Ed25519" || typeof m.signer.publicKey !== "string" || typeof m.signer.fingerprint !== "string") throw bad("signer is not an Ed25519 public key with its fingerprint");
}

/** The signed fields, recomputed from evidence as export computed them. */
function digestsOf(evidence: object): { text: string; sections: Record<string, string>; fields: FieldDigest[] } {
  const all: FieldDigest[] = [];
  const text = canonicalize(evidence, planFields(evidence), all);
  const sections: Record<string, string> = {};
  for (const f of all) if (f.path.length === 1) sections[String(f.path[0])] = f.sha256;
  return { text, sections, fields: all.filter((f) => f.path.length > 1) };
}

/** Parses evidence.json; used only when a digest differs or the manifest's signature does not verify. */
function parseEvidence(bytes: Buffer): Evidence {
  const parsed = parseJson(bytes.toString("utf8"), EVIDENCE_FILE, "digest-mismatch") as Evidence;
  if (!parsed || typeof parsed !== "object" || parsed.format !== EVIDENCE_FORMAT) throw fail("digest-mismatch", `${EVIDENCE_FILE} changed: it is not evidence (format ${JSON.stringify((parsed as any)?.format ?? null)}).`);
  return parsed;
}

/** evidence.json does not match its digest: what changed, named (a field, a foreign file, a reformatting, or the manifest). */
function explainEvidence(bytes: Buffer, m: Manifest): never {
  const text = bytes.toString("utf8");
  const parsed = parseEvidence(bytes);
  // Another bundle's file differs in its id and its time; one changed byte changes one of them.
  if (parsed.bundleId !== m.bundleId && parsed.createdAt !== m.createdAt) {
    throw fail("foreign-file", `${EVIDENCE_FILE} belongs to bundle ${parsed.bundleId} (${parsed.createdAt}), ${MANIFEST_FILE} to bundle ${m.bundleId} (${m.createdAt}): the files come from different bundles.`);
  }
  const change = locateChange(parsed, [...Object.entries(m.sections).map(([k, sha256]) => ({ path: [k], sha256 })), ...m.fields]);
  if (change) throw fail("digest-mismatch", `${EVIDENCE_FILE} changed: the first changed field is ${formatPath(change.path)} (${change.change}).`);
  let canonical: string | undefined;
  try { canonical = canonicalJson(parsed); } catch { /* not canonical at all */ }
  if (canonical !== text) {
    const at = canonical === undefined ? -1 : firstDifference(text, canonical);
    throw fail("evidence-invalid", `${EVIDENCE_FILE} changed: every signed field is intact, but the file is not their canonical JSON any more${at >= 0 ? ` (first difference at byte ${at})` : ""}: it was reordered or reformatted.`);
  }
  throw fail("manifest-invalid", `${MANIFEST_FILE} was changed: the SHA-256 it lists for ${EVIDENCE_FILE} does not match the file, whose every signed field does.`);
}

function explainReport(bytes: Buffer, listed: Manifest["files"][number], evidence: Evidence, manifestSigned: boolean): never {
  const other = /^Bundle `([^`]+)`/m.exec(bytes.toString("utf8"))?.[1];
  // Another bundle's id differs almost everywhere; a changed byte of this one differs in one place.
  const distance = other ? [...other].filter((ch, i) => ch !== evidence.bundleId[i]).length + Math.abs(other.length - evidence.bundleId.length) : 0;
  if (distance > 4) {
    throw fail("foreign-file", `${REPORT_FILE} belongs to bundle ${other}, ${EVIDENCE_FILE} and ${MANIFEST_FILE} to bundle ${evidence.bundleId}: the files come from different bundles.`);
  }
  let rendered: string | undefined;
  try { rendered = renderReport(evidence); } catch { /* a report of another version */ }
  if (rendered !== undefined && sha256Hex(rendered) === sha256Hex(bytes)) {
    throw fail("manifest-invalid", `${MANIFEST_FILE} was changed: the SHA-256 it lists for ${REPORT_FILE} does not match the file, which is exactly what ${EVIDENCE_FILE} renders to.`);
  }
  if (rendered !== undefined && sha256Hex(rendered) === listed.sha256) {
    const a = bytes.toString("utf8").split("\n");
    const b = rendered.split("\n");
    let line = 0;
    while (line < Math.max(a.length, b.length) && a[line] === b[line]) line++;
    throw fail("digest-mismatch", `${REPORT_FILE} changed: the first changed line is line ${line + 1}${a.length < b.length && line >= a.length - 1 ? " (the file was truncated)" : ""}.`);
  }
  // A report another version rendered: the signature says whether the manifest is as signed.
  if (!manifestSigned) throw fail("manifest-invalid", `${MANIFEST_FILE} or ${SIGNATURE_FILE} was changed: the signature does not verify, and the SHA-256 listed for ${REPORT_FILE} does not match the file.`);
  throw fail("digest-mismatch", `${REPORT_FILE} changed: its SHA-256 differs from the manifest's${bytes.length !== listed.bytes ? ` (${bytes.length} bytes, the manifest says ${listed.bytes})` : ""}.`);
}

/** `evidence()` parses evidence.json (diff needs it; verify alone never does for an intact bundle). */
export async function verifyBundle(path: string, trusted?: KeyObject): Promise<{ result: VerifyResult; evidence: () => Promise<Evidence> }> {
  const source = await openBundle(path, (why) => fail("archive-invalid", `'${path}' is not an archive of one evidence bundle: ${why}.`));
  const { entries, label: dir } = source;
  if (!entries.includes(MANIFEST_FILE)) {
    if (!entries.some((e) => (BUNDLE_FILES as readonly string[]).includes(e))) throw fail("not-a-bundle", `'${dir}' holds no ${MANIFEST_FILE}: it is not an evidence bundle.`);
    throw fail("file-missing", `${MANIFEST_FILE} is missing from '${dir}': the bundle is truncated.`);
  }
  const manifestBytes = await source.read(MANIFEST_FILE);
  const manifestText = manifestBytes.toString("utf8");
  const m = parseJson(manifestText, MANIFEST_FILE, "manifest-invalid");
  checkManifestShape(m);
  const canonical = canonicalJson(m);
  if (canonical !== manifestText) {
    throw fail("manifest-invalid", `${MANIFEST_FILE} is not in the canonical form it was signed in (first difference at byte ${firstDifference(manifestText, canonical)}): it was edited or reordered.`);
  }
  for (const name of [...m.files.map((f) => f.name), SIGNATURE_FILE]) {
    if (!entries.includes(name)) throw fail("file-missing", `${name} is missing from '${dir}': the bundle is truncated.`);
  }
  const extra = entries.filter((e) => !(BUNDLE_FILES as readonly string[]).includes(e)).sort();
  if (extra.length) throw fail("file-unexpected", `'${dir}' holds ${extra.map((x) => `'${x}'`).join(", ")}, which no evidence bundle holds.`);

  // Whether the manifest is as its named signer signed it: it tells a changed file from a changed
  // manifest where the files alone cannot (a trusted key is checked in step 5).
  let named: KeyObject | undefined;
  try { named = createPublicKey(m.signer.publicKey); } catch { /* reported in step 4 */ }
  const signature = await source.read(SIGNATURE_FILE);
  const manifestSigned = named?.asymmetricKeyType === "ed25519" && signature.length === 64 && verifySignature(null, manifestBytes, named, signature);

  const byName = new Map(m.files.map((f) => [f.name, f]));
  const reportBytes = await source.read(REPORT_FILE);
  const evidenceDigest = await source.digest(EVIDENCE_FILE);
  // Parsed at most once, and only when needed: an intact 100 MB bundle verifies by streaming.
  let parsed: Evidence | undefined;
  const evidence = async () => (parsed ??= parseEvidence(await source.read(EVIDENCE_FILE)));
  if (evidenceDigest.sha256 !== byName.get(EVIDENCE_FILE)!.sha256) explainEvidence(await source.read(EVIDENCE_FILE), m);
  if (sha256Hex(reportBytes) !== byName.get(REPORT_FILE)!.sha256) explainReport(reportBytes, byName.get(REPORT_FILE)!, await evidence(), manifestSigned);

  // 4. The manifest must describe these files: sizes and the signer always; when the signature
  // does not verify, also its ids and section and field digests, to tell what was changed.
  const bad = (what: string) => fail("manifest-invalid", `${MANIFEST_FILE} was changed: ${what}.`);
  for (const f of m.files) {
    const size = f.name === EVIDENCE_FILE ? evidenceDigest.bytes : reportBytes.length;
    if (f.bytes !== size) throw bad(`it says ${f.name} is ${f.bytes} bytes, the file (whose digest matches) is ${size}`);
  }
  if (!named) throw bad("signer.publicKey is not a public key");
  if (named.asymmetricKeyType !== "ed25519" || fingerprintOf(named) !== m.signer.fingerprint) throw bad("signer.fingerprint is not the fingerprint of signer.publicKey");
  if (!manifestSigned) {
    const e = await evidence();
    const d = digestsOf(e);
    if (m.bundleId !== e.bundleId) throw bad(`its bundleId is not the one of ${EVIDENCE_FILE}, whose digest it lists`);
    if (m.createdAt !== e.createdAt || m.registry !== e.registry?.id) throw bad(`its createdAt or registry differs from ${EVIDENCE_FILE}'s`);
    for (const [k, v] of Object.entries(d.sections)) if (m.sections[k] !== v) throw bad(`its digest of section ${k} does not match ${EVIDENCE_FILE}`);
    if (Object.keys(m.sections).length !== Object.keys(d.sections).length) throw bad(`it lists other sections than ${EVIDENCE_FILE} holds`);
    if (canonicalJson(m.fields) !== canonicalJson(d.fields.map((f) => ({ path: f.path, sha256: f.sha256 })))) {
      const i = d.fields.findIndex((f, n) => canonicalJson(f) !== canonicalJson(m.fields[n] ?? null));
      throw bad(`its field digests differ from ${EVIDENCE_FILE}'s${i >= 0 ? ` from ${formatPath(d.fields[i]!.path)} on` : ""}`);
    }
  }

  // 5. The signature.
  if (signature.length !== 64) throw fail("signature-invalid", `${SIGNATURE_FILE} is ${signature.length} bytes; an Ed25519 signature is 64: it was truncated or changed.`);
  const key = trusted ?? named;
  if (!verifySignature(null, manifestBytes, key, signature)) {
    const yours = trusted ? fingerprintOf(trusted) : undefined;
    throw fail("signature-invalid", trusted
      ? yours === m.signer.fingerprint
        ? `${SIGNATURE_FILE} does not verify with your public key (${yours}): the signature was changed.`
        : `the bundle was not signed by your public key (${yours}); ${MANIFEST_FILE} names the signer ${m.signer.fingerprint}.`
      : `${SIGNATURE_FILE} does not verify even with the key ${MANIFEST_FILE} names (${m.signer.fingerprint}): the signature was changed.`);
  }
  return {
    evidence: () => evidence(),
    result: {
      ok: true, bundle: dir, bundleId: m.bundleId, registry: m.registry, createdAt: m.createdAt, files: m.files,
      signature: { trusted: trusted !== undefined, checkedWith: trusted ? "your public key" : "the key the manifest names (not trusted)", signerFingerprint: m.signer.fingerprint },
    },
  };
}
