// Manifest GET / HEAD / PUT / DELETE by tag or digest (OCI dist-spec v1.1 end-3, end-7, end-9).
// Manifests are small (<= maxManifestBytes, 4 MiB by default) and are the one body the data plane
// buffers: it must be hashed, parsed and checked before anything is stored.
import type { HandlerResult } from "../http/types.js";
import { DomainError } from "../domain/errors.js";
import { digestOf, parseDigest } from "../domain/digest.js";
import type { ManifestRecord } from "../storage/types.js";
import type { DataPlaneDeps } from "./deps.js";
import type { OciRequest } from "./router.js";
import { parseManifest, type ManifestDocument } from "./manifest-document.js";
import { readLimited } from "./request-body.js";
import { manifestLocation } from "./locations.js";
import { headerValue } from "./blobs.js";

export function manifestHandlers(d: DataPlaneDeps) {
  /** The manifest a reference names in this repository, or MANIFEST_UNKNOWN. */
  async function resolve(r: OciRequest): Promise<ManifestRecord> {
    const ref = r.params.reference!;
    const key = r.registry.key;
    const name = r.params.name!;
    const digest = ref.kind === "digest" ? ref.digest : (await d.meta.getTag(key, name, ref.tag))?.digest;
    const m = digest === undefined ? undefined : await d.meta.getManifest(key, name, digest);
    // OCI dist-spec: a manifest not found MUST be 404.
    if (!m) throw new DomainError("MANIFEST_UNKNOWN", "manifest unknown to the repository", ref.kind === "tag" ? { tag: ref.tag } : { digest: ref.digest });
    return m;
  }

  async function getManifest(r: OciRequest): Promise<HandlerResult> {
    const m = await resolve(r);
    const etag = `"${m.digest}"`;
    const headers = {
      // @azure/container-registry needs Content-Type = the stored media type and
      // Docker-Content-Digest = the digest of the body it receives.
      "Content-Type": m.mediaType,
      "Docker-Content-Digest": m.digest,
      ETag: etag,
      "Content-Length": m.body.length,
    };
    if (headerValue(r.ctx.headers["if-none-match"]) === etag) return { status: 304, headers: { ETag: etag, "Docker-Content-Digest": m.digest } };
    return { status: 200, headers, body: r.ctx.method === "HEAD" ? undefined : m.body };
  }

  async function putManifest(r: OciRequest): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    const ref = r.params.reference!;
    const body = await readLimited(r.ctx, d.maxManifestBytes);
    // A digest reference fixes the algorithm; a tag gets the canonical sha256.
    const algorithm = ref.kind === "digest" ? parseDigest(ref.digest).algorithm : "sha256";
    const digest = digestOf(body, algorithm);
    // OCI dist-spec: Docker-Content-Digest MUST match the digest the client provided.
    if (ref.kind === "digest" && ref.digest !== digest) {
      throw new DomainError("DIGEST_INVALID", "manifest body does not match the digest in the path", { expected: ref.digest, computed: digest });
    }
    const doc = parseManifest(body, headerValue(r.ctx.headers["content-type"]));
    // The blobs' locks are held from the link check until the manifest is stored: a concurrent
    // blob DELETE (blobs.ts) then either runs first (and this PUT sees the link gone) or after
    // (and sees this manifest's reference), never in between.
    return withLocks(d, doc.blobRefs, () => storeManifest(r, body, digest, doc));
  }

  async function storeManifest(r: OciRequest, body: Buffer, digest: string, doc: ManifestDocument): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    const ref = r.params.reference!;
    await checkReferences(d, key, name, doc);

    const rec: ManifestRecord = {
      registry: key, repository: name, digest, mediaType: doc.mediaType, size: body.length, body,
      subject: doc.subject, artifactType: doc.artifactType, annotations: doc.annotations,
      blobRefs: doc.blobRefs, manifestRefs: doc.manifestRefs, createdAt: new Date(d.now()).toISOString(),
    };
    const existing = await d.meta.getManifest(key, name, digest);
    // Re-pushing the same bytes keeps the first push time (ACR's createdTime).
    if (existing) rec.createdAt = existing.createdAt;
    await d.meta.putManifest(rec, ref.kind === "tag" ? ref.tag : undefined);

    const headers: Record<string, string | number> = {
      Location: manifestLocation(name, digest),
      "Docker-Content-Digest": digest,
      "Content-Length": 0,
    };
    // OCI dist-spec v1.1: a registry that processed `subject` MUST answer with OCI-Subject.
    if (doc.subject) headers["OCI-Subject"] = doc.subject;
    // OCI dist-spec end-7: 201 Created (@azure/container-registry treats 200 as an error).
    return { status: 201, headers };
  }

  async function deleteManifest(r: OciRequest): Promise<HandlerResult> {
    const key = r.registry.key;
    const name = r.params.name!;
    const ref = r.params.reference!;
    if (ref.kind === "tag") {
      // OCI dist-spec v1.1 "Deleting tags": DELETE by tag removes the tag only.
      if (!(await d.meta.deleteTag(key, name, ref.tag))) throw new DomainError("MANIFEST_UNKNOWN", "tag unknown to the repository", { tag: ref.tag });
      return { status: 202, headers: { "Content-Length": 0 } };
    }
    await deleteManifestByDigest(d, key, name, ref.digest);
    // OCI dist-spec end-9: 202 Accepted (@azure/container-registry treats 200 as an error).
    return { status: 202, headers: { "Content-Length": 0 } };
  }

  return { getManifest, putManifest, deleteManifest };
}

/** Runs `fn` holding the lock of every key, taken in sorted order so two callers never deadlock. */
async function withLocks<T>(d: DataPlaneDeps, keys: string[], fn: () => Promise<T>): Promise<T> {
  const sorted = [...new Set(keys)].sort();
  const step = (i: number): Promise<T> => (i === sorted.length ? fn() : d.locks.run(sorted[i]!, () => step(i + 1)));
  return step(0);
}

/**
 * Every referenced blob must be linked in this repository with the size the descriptor claims
 * (OCI image-spec: a descriptor's size is the exact byte count; a registry MAY check it), and
 * every child manifest must already be here.
 */
async function checkReferences(d: DataPlaneDeps, key: string, name: string, doc: ManifestDocument): Promise<void> {
  for (const desc of doc.blobDescriptors) {
    const size = await d.meta.getBlobLink(key, name, desc.digest);
    if (size === undefined) {
      throw new DomainError("MANIFEST_BLOB_UNKNOWN", "manifest references a blob this repository does not have", { digest: desc.digest });
    }
    if (size !== desc.size) {
      throw new DomainError("MANIFEST_INVALID", `${desc.where}.size is ${desc.size} but the blob ${desc.digest} holds ${size} bytes`, {
        digest: desc.digest, declaredSize: desc.size, blobSize: size,
      });
    }
  }
  for (const c of doc.manifestRefs) {
    if (!(await d.meta.getManifest(key, name, c))) {
      throw new DomainError("MANIFEST_UNKNOWN", "index references a manifest this repository does not have", { digest: c });
    }
  }
}

/**
 * Deletes a manifest and every tag that points at it: OCI dist-spec "Deleting Manifests": once
 * deleted, a GET of the digest and of any tag pointing to it returns 404.
 */
export async function deleteManifestByDigest(d: DataPlaneDeps, key: string, name: string, digest: string): Promise<string[]> {
  if (!(await d.meta.getManifest(key, name, digest))) throw new DomainError("MANIFEST_UNKNOWN", "manifest unknown to the repository", { digest });
  const tags = await tagsPointingAt(d, key, name, digest);
  for (const t of tags) await d.meta.deleteTag(key, name, t);
  await d.meta.deleteManifest(key, name, digest);
  return tags;
}

/** Tags of a repository pointing at `digest` (pages through the store; bounded by its size). */
export async function tagsPointingAt(d: DataPlaneDeps, key: string, name: string, digest: string): Promise<string[]> {
  const out: string[] = [];
  let last: string | undefined;
  for (let i = 0; i < 100_000; i++) {
    const page = await d.meta.listTags(key, name, 1000, last);
    for (const t of page.items) if (t.digest === digest) out.push(t.tag);
    if (!page.next || page.items.length === 0) break;
    last = page.next;
  }
  return out;
}
