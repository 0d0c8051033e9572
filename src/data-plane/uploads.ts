// Blob uploads (OCI dist-spec v1.1 end-4a/4b, end-5, end-6, end-11, end-13, end-14): the
// session lives in the stores only (an UploadRecord in the MetadataStore, the bytes in the
// BlobStore), so an upload resumes after a restart and any Cove node could serve the next chunk.
//
//   POST  /v2/<name>/blobs/uploads/                 -> 202 session      (or 201: ?digest=, ?mount=)
//   PATCH /v2/<name>/blobs/uploads/<id>             -> 202 Range: 0-<end>   (416 when out of order)
//   PUT   /v2/<name>/blobs/uploads/<id>?digest=<d>  -> 201 (optionally carrying the last chunk)
//   GET   /v2/<name>/blobs/uploads/<id>             -> 204 Range: 0-<end>
//   DELETE /v2/<name>/blobs/uploads/<id>            -> 204
import { randomUUID } from "node:crypto";
import type { HandlerResult } from "../http/types.js";
import { DigestInvalid, DigestMismatch, DomainError } from "../domain/errors.js";
import { parseDigest } from "../domain/digest.js";
import { validateRepositoryName } from "../domain/oci.js";
import type { UploadRecord } from "../storage/types.js";
import type { DataPlaneDeps } from "./deps.js";
import type { OciRequest } from "./router.js";
import { parseContentRange } from "./range.js";
import { countedBody, declaredLength, hasBody } from "./request-body.js";
import { blobLocation, uploadLocation } from "./locations.js";
import { headerValue } from "./blobs.js";

export function uploadHandlers(d: DataPlaneDeps) {
  /** The live session named by the path, scoped to this registry and repository. */
  async function session(r: OciRequest): Promise<{ rec: UploadRecord; size: number }> {
    const id = r.params.uploadId!;
    const rec = await d.meta.getUpload(id);
    // A session of another registry or repository is as unknown as a missing one.
    if (!rec || rec.registry !== r.registry.key || rec.repository !== r.params.name || rec.expiresAt <= d.now()) {
      throw new DomainError("BLOB_UPLOAD_UNKNOWN", "upload session unknown or expired", { uuid: id });
    }
    const size = await d.blobs.uploadSize(id);
    if (size === undefined) throw new DomainError("BLOB_UPLOAD_UNKNOWN", "upload session has no bytes store", { uuid: id });
    return { rec, size };
  }

  /** Streams the request body onto the upload at `offset`; returns the new size. */
  async function appendChunk(r: OciRequest, id: string, offset: number): Promise<number> {
    const range = parseContentRange(headerValue(r.ctx.headers["content-range"]));
    const length = declaredLength(r.ctx);
    let expected = length;
    if (range) {
      // OCI dist-spec: chunks MUST be uploaded in order; the first byte of a chunk is the last
      // chunk's end plus one, else the registry MUST answer 416.
      if (range.start !== offset) {
        throw new DomainError("RANGE_INVALID", "chunk does not follow on from the uploaded bytes", { expectedStart: offset, start: range.start });
      }
      const rangeLength = range.end - range.start + 1;
      if (length !== undefined && length !== rangeLength) {
        throw new DomainError("SIZE_INVALID", "Content-Length differs from the Content-Range length", { contentLength: length, rangeLength });
      }
      expected = rangeLength;
    }
    const body = countedBody(r.ctx, expected);
    try {
      return await d.blobs.appendUpload(id, offset, body.stream, expected);
    } catch (e) {
      // Whatever stopped the append, drain the rest of the body so the connection stays usable.
      r.ctx.req.unpipe(body.stream);
      r.ctx.req.resume();
      throw body.failure() ?? e;
    }
  }

  /** Commits the upload as `digest` and links it into the repository, atomically per digest. */
  async function commit(r: OciRequest, id: string, digest: string): Promise<number> {
    return d.locks.run(digest, async () => {
      const info = await d.blobs.commitUpload(id, digest);
      await d.meta.linkBlob(r.registry.key, r.params.name!, digest, info.size);
      return info.size;
    });
  }

  function created(name: string, digest: string): HandlerResult {
    // OCI dist-spec: 201 Created with Location: <blob-location>.
    return { status: 201, headers: { Location: blobLocation(name, digest), "Docker-Content-Digest": digest, "Content-Length": 0 } };
  }

  function progress(status: 202 | 204, name: string, id: string, size: number): HandlerResult {
    // OCI dist-spec: Range: 0-<end-of-range>, the last byte received (distribution sends 0-0
    // for an empty session; clients expect that form).
    const headers: Record<string, string | number> = {
      Location: uploadLocation(name, id),
      Range: `0-${Math.max(size - 1, 0)}`,
      "Docker-Upload-UUID": id,
    };
    if (status === 202) headers["Content-Length"] = 0;
    return { status, headers };
  }

  async function startUpload(r: OciRequest): Promise<HandlerResult> {
    const name = r.params.name!;
    const q = r.ctx.query;
    const mount = q.get("mount");
    if (mount !== null) {
      const mounted = await tryMount(r, parseDigest(mount).digest, q.get("from"));
      if (mounted) return mounted;
      // OCI dist-spec: a registry unable to mount SHOULD answer 202 and start an upload session.
    }
    const digestParam = q.get("digest");
    if (digestParam !== null) return singlePost(r, parseDigest(digestParam).digest);

    const id = randomUUID();
    const now = d.now();
    await d.meta.createUpload({
      id, registry: r.registry.key, repository: name, createdAt: new Date(now).toISOString(), expiresAt: now + d.uploadTtlMs,
    });
    try {
      await d.blobs.createUpload(id);
    } catch (e) {
      await d.meta.deleteUpload(id);
      throw e;
    }
    // OCI dist-spec end-4a: 202 Accepted with Location carrying the session id.
    return progress(202, name, id, 0);
  }

  /**
   * Cross-repository mount within this registry. The route needs push on the target; pull on
   * `from` is checked here, and without it Cove falls back to a plain upload session (202)
   * instead of failing, which also keeps a 201/202 difference from revealing what `from` holds.
   */
  async function tryMount(r: OciRequest, digest: string, fromParam: string | null): Promise<HandlerResult | undefined> {
    const name = r.params.name!;
    if ((await d.meta.getBlobLink(r.registry.key, name, digest)) !== undefined) return created(name, digest);
    if (fromParam === null) return undefined;
    const from = validateRepositoryName(fromParam);
    const access = await d.auth.check(r.ctx, r.registry, { kind: "repository", repository: from, actions: ["pull"] });
    if (!access.ok) return undefined;
    const linked = await d.locks.run(digest, async () => {
      const size = await d.meta.getBlobLink(r.registry.key, from, digest);
      if (size === undefined) return false;
      await d.meta.linkBlob(r.registry.key, name, digest, size);
      return true;
    });
    return linked ? created(name, digest) : undefined;
  }

  /** OCI dist-spec end-4b: the whole blob in one POST; nothing survives a failure. */
  async function singlePost(r: OciRequest, digest: string): Promise<HandlerResult> {
    const id = randomUUID();
    await d.blobs.createUpload(id);
    try {
      await appendChunk(r, id, 0);
      await commit(r, id, digest);
    } catch (e) {
      await d.blobs.cancelUpload(id);
      throw e;
    }
    return created(r.params.name!, digest);
  }

  async function patchUpload(r: OciRequest): Promise<HandlerResult> {
    const { size } = await session(r);
    const newSize = await appendChunk(r, r.params.uploadId!, size);
    // OCI dist-spec end-5: each successful chunk MUST get 202 with Location and Range.
    return progress(202, r.params.name!, r.params.uploadId!, newSize);
  }

  async function putUpload(r: OciRequest): Promise<HandlerResult> {
    const digestParam = r.ctx.query.get("digest");
    // OCI dist-spec: the closing PUT MUST carry the digest of the whole blob.
    if (digestParam === null) throw new DomainError("DIGEST_INVALID", "the digest query parameter is required");
    const digest = parseDigest(digestParam).digest;
    const id = r.params.uploadId!;
    const { size } = await session(r);
    // The final chunk MAY come with the PUT.
    if (hasBody(r.ctx) || r.ctx.headers["content-range"] !== undefined) await appendChunk(r, id, size);
    try {
      await commit(r, id, digest);
    } catch (e) {
      if (e instanceof DigestMismatch || e instanceof DigestInvalid) {
        // The bytes can never become this blob: end the session rather than keep garbage.
        await d.blobs.cancelUpload(id);
        await d.meta.deleteUpload(id);
      }
      throw e;
    }
    await d.meta.deleteUpload(id);
    // OCI dist-spec end-6: 201 Created; @azure/container-registry also needs Docker-Content-Digest.
    return created(r.params.name!, digest);
  }

  async function getUploadStatus(r: OciRequest): Promise<HandlerResult> {
    const { size } = await session(r);
    // OCI dist-spec end-13: 204 No Content with Location and Range.
    return progress(204, r.params.name!, r.params.uploadId!, size);
  }

  async function cancelUpload(r: OciRequest): Promise<HandlerResult> {
    await session(r);
    await d.blobs.cancelUpload(r.params.uploadId!);
    await d.meta.deleteUpload(r.params.uploadId!);
    // OCI dist-spec end-14: 204 No Content.
    return { status: 204, headers: {} };
  }

  /**
   * Reclaims expired sessions and orphaned upload bytes (a crash between creating the bytes and
   * the record, or an interrupted single POST). Returns how many uploads were reclaimed.
   */
  async function sweep(now: number = d.now()): Promise<number> {
    const reclaimed = new Set<string>();
    for (const u of await d.meta.listExpiredUploads(now)) {
      await d.blobs.cancelUpload(u.id);
      await d.meta.deleteUpload(u.id);
      reclaimed.add(u.id);
    }
    for (const id of await d.blobs.listStaleUploads(now - d.uploadTtlMs)) {
      if (reclaimed.has(id)) continue;
      const rec = await d.meta.getUpload(id);
      if (rec && rec.expiresAt > now) continue;
      await d.blobs.cancelUpload(id);
      if (rec) await d.meta.deleteUpload(id);
      reclaimed.add(id);
    }
    return reclaimed.size;
  }

  return { startUpload, patchUpload, putUpload, getUploadStatus, cancelUpload, sweep };
}
