// The content steps of a live check: pull what the test repository holds (its tag list; a
// manifest and its config blob when there is one, following the login server's 307 to the data
// endpoint as clients do), and with --push push a tiny artifact (one config blob, an OCI image
// manifest with no layers) and delete it again. The artifact is the same bytes every run, so
// concurrent or repeated checks write the same digest under the same tag and leave at most one
// artifact behind when the identity may not delete.
import { createHash } from "node:crypto";
import type { HttpSeen } from "../../../network-policy/reachability/observation.js";
import { json, type Failure, type Target } from "./http.js";
import { call } from "./registry.js";

export const TEST_TAG = "preflight";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const MANIFEST_TYPES = [
  OCI_MANIFEST, "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export interface ContentContext {
  target: Target;
  accessToken: string;
  repository: string;
  signal: AbortSignal;
  /** Where a redirect's host resolves from the client's source (the data endpoint), or why not. */
  resolve(host: string): Promise<{ ip?: string; detail: string }>;
}

export interface ContentResult {
  ok: boolean;
  seen: HttpSeen & { detail?: string };
  /** Set when a connection on the way failed (no HTTP answer at all). */
  transport?: Failure;
  detail: string;
}

const sha256 = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex");

const CONFIG = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, config: { Labels: { "org.opencontainers.image.title": "cove preflight test artifact" } } }));
const MANIFEST = Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: OCI_MANIFEST,
  config: { mediaType: OCI_CONFIG, digest: sha256(CONFIG), size: CONFIG.length },
  layers: [],
  annotations: { "org.opencontainers.image.description": "Written by cove acr preflight --push; safe to delete." },
}));
export const TEST_MANIFEST_DIGEST = sha256(MANIFEST);

function failed(seen: HttpSeen, detail: string, transport?: Failure): ContentResult {
  return { ok: false, seen: { ...seen, detail }, transport, detail };
}

function done(seen: HttpSeen, detail: string): ContentResult {
  return { ok: true, seen: { ...seen, detail }, detail };
}

const bearer = (c: ContentContext) => ({ authorization: `Bearer ${c.accessToken}` });

/** GET a blob, following a 307 to the host it names (the data endpoint), resolved from the client's source. */
async function getBlob(c: ContentContext, digest: string): Promise<ContentResult> {
  const path = `/v2/${c.repository}/blobs/${digest}`;
  const r = await call(c.target, "GET", path, c.signal, bearer(c));
  if (!r.ok) return failed({ status: 0 }, r.transport.seen.detail, r.transport.seen);
  let answer = r;
  let via = "";
  if (r.seen.status === 307) {
    const location = String(r.response.headers.location ?? "");
    let url: URL;
    try { url = new URL(location, `https://${c.target.host}`); } catch { return failed(r.seen, `307 with an unusable Location '${location.slice(0, 80)}'`); }
    const host = url.hostname.toLowerCase();
    const where = await c.resolve(host);
    if (!where.ip) return failed(r.seen, `307 to ${host}, which does not resolve from ${c.target.source}: ${where.detail}`);
    if (!where.ip.startsWith("127.")) return failed(r.seen, `307 to ${host} (${where.ip}) not followed: checks only follow loopback (127.x) addresses`);
    // A cross-origin redirect: clients drop the Authorization header; the signed URL is the credential.
    const data: Target = { ...c.target, host, ip: where.ip, port: url.port ? Number(url.port) : 443 };
    const d = await call(data, "GET", url.pathname + url.search, c.signal);
    if (!d.ok) return failed({ status: 0 }, `${d.transport.seen.detail} (after 307 from the login server)`, d.transport.seen);
    answer = d;
    via = ` via ${host} (${where.ip})`;
  }
  if (answer.seen.status !== 200) return failed(answer.seen, `GET blob ${digest.slice(0, 19)}${via} answered ${answer.seen.status}${answer.seen.code ? " " + answer.seen.code : ""}`);
  if (sha256(answer.body) !== digest) return failed(answer.seen, `blob ${digest.slice(0, 19)}${via}: the bytes do not match the digest`);
  return done(answer.seen, `config blob ${digest.slice(0, 19)} (${answer.body.length} bytes)${via}`);
}

/** tags/list: 200 (then the manifest and its config blob) or 404 NAME_UNKNOWN both prove the path and the pull right. */
export async function pull(c: ContentContext): Promise<ContentResult> {
  const r = await call(c.target, "GET", `/v2/${c.repository}/tags/list`, c.signal, bearer(c));
  if (!r.ok) return failed({ status: 0 }, r.transport.seen.detail, r.transport.seen);
  if (r.seen.status === 404 && r.seen.code === "NAME_UNKNOWN") {
    // The registry let the token through to the repository and found nothing there: the path and
    // the pull right are proven, so the observation records the pull as done (diagnose.ts reads a
    // content status under 300 as "pulled"); what was answered stays in the message.
    const detail = `repository ${c.repository} holds nothing yet (404 NAME_UNKNOWN): the path and the pull right are proven`;
    return { ok: true, seen: { status: 200, message: `tags/list answered 404 NAME_UNKNOWN`, detail }, detail };
  }
  if (r.seen.status !== 200) return failed(r.seen, `GET /v2/${c.repository}/tags/list answered ${r.seen.status}${r.seen.code ? " " + r.seen.code : ""}`);
  const tags: string[] = Array.isArray(json(r.body)?.tags) ? json(r.body).tags.map(String) : [];
  const tag = tags.includes(TEST_TAG) ? TEST_TAG : tags[0];
  if (tag === undefined) return done(r.seen, `repository ${c.repository} has no tags`);
  const m = await call(c.target, "GET", `/v2/${c.repository}/manifests/${encodeURIComponent(tag)}`, c.signal, { ...bearer(c), accept: MANIFEST_TYPES });
  if (!m.ok) return failed({ status: 0 }, m.transport.seen.detail, m.transport.seen);
  if (m.seen.status !== 200) return failed(m.seen, `GET manifest ${c.repository}:${tag} answered ${m.seen.status}${m.seen.code ? " " + m.seen.code : ""}`);
  const config = json(m.body)?.config?.digest;
  if (typeof config !== "string" || !/^sha256:[0-9a-f]{64}$/.test(config)) return done(m.seen, `manifest ${c.repository}:${tag} (no config blob to fetch)`);
  const blob = await getBlob(c, config);
  return blob.ok ? done(blob.seen, `manifest ${c.repository}:${tag} and its ${blob.detail}`) : blob;
}

/** Monolithic upload of the config blob, then the manifest under the test tag. */
export async function push(c: ContentContext): Promise<ContentResult> {
  const digest = sha256(CONFIG);
  const up = await call(c.target, "POST", `/v2/${c.repository}/blobs/uploads/?digest=${encodeURIComponent(digest)}`, c.signal, { ...bearer(c), "content-type": "application/octet-stream" }, CONFIG);
  if (!up.ok) return failed({ status: 0 }, up.transport.seen.detail, up.transport.seen);
  if (up.seen.status !== 201) return failed(up.seen, `blob upload answered ${up.seen.status}${up.seen.code ? " " + up.seen.code : ""}`);
  const put = await call(c.target, "PUT", `/v2/${c.repository}/manifests/${TEST_TAG}`, c.signal, { ...bearer(c), "content-type": OCI_MANIFEST }, MANIFEST);
  if (!put.ok) return failed({ status: 0 }, put.transport.seen.detail, put.transport.seen);
  if (put.seen.status !== 201) return failed(put.seen, `PUT manifest ${c.repository}:${TEST_TAG} answered ${put.seen.status}${put.seen.code ? " " + put.seen.code : ""}`);
  return done(put.seen, `pushed ${c.repository}:${TEST_TAG} (${TEST_MANIFEST_DIGEST.slice(0, 19)}, one config blob, no layers)`);
}

/** DELETE of the test manifest by digest. */
export async function remove(c: ContentContext): Promise<ContentResult> {
  const r = await call(c.target, "DELETE", `/v2/${c.repository}/manifests/${TEST_MANIFEST_DIGEST}`, c.signal, bearer(c));
  if (!r.ok) return failed({ status: 0 }, r.transport.seen.detail, r.transport.seen);
  if (r.seen.status !== 202) return failed(r.seen, `DELETE manifest ${TEST_MANIFEST_DIGEST.slice(0, 19)} answered ${r.seen.status}${r.seen.code ? " " + r.seen.code : ""}`);
  return done(r.seen, `deleted ${c.repository}@${TEST_MANIFEST_DIGEST.slice(0, 19)}`);
}
