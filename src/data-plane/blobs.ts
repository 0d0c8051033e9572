// Blob GET / HEAD / DELETE (OCI dist-spec v1.1 end-2, end-10). A blob is visible in a repository
// only when it is linked there (MetadataStore.getBlobLink): the bytes are shared across the
// repositories of a registry, never across registries, and the link is what scopes them.
import type { HandlerResult } from "../http/types.js";
import { DomainError } from "../domain/errors.js";
import type { BlobStore } from "../storage/types.js";
import type { DataPlaneDeps } from "./deps.js";
import type { OciRequest } from "./router.js";
import { parseRangeHeader } from "./range.js";
import { toOciError } from "./errors.js";

/** How many referencing manifests a refused blob delete names in its detail. */
const REFERENCING_SHOWN = 5;
/** Which region's store sent a blob's bytes (geo-replication: a replica's data host may fall back to home). */
export const SERVED_FROM_HEADER = "x-cove-served-from";

/** A blob store and the region it belongs to. */
export interface RegionStore {
  store: BlobStore;
  region: string;
}

export function blobHandlers(d: DataPlaneDeps) {
  async function linkedSize(r: OciRequest): Promise<number> {
    const size = await d.meta.getBlobLink(r.registry.key, r.params.name!, r.params.digest!);
    // OCI dist-spec: if the blob is not found in the registry, the response MUST be 404.
    if (size === undefined) throw new DomainError("BLOB_UNKNOWN", "blob unknown to the repository", { digest: r.params.digest });
    return size;
  }

  /** GET/HEAD from `from` (a replica region's store), else the home store. */
  async function getBlob(r: OciRequest, from?: RegionStore): Promise<HandlerResult> {
    const digest = r.params.digest!;
    const size = await linkedSize(r);
    const store = from?.store ?? d.blobs;
    const base = {
      [SERVED_FROM_HEADER]: from?.region ?? r.registry.location.toLowerCase(),
      "Content-Type": "application/octet-stream",
      "Docker-Content-Digest": digest,
      ETag: `"${digest}"`,
      "Accept-Ranges": "bytes",
      // Content is immutable by digest: caches may keep it.
      "Cache-Control": "max-age=31536000",
    };
    let range;
    try {
      range = parseRangeHeader(headerValue(r.ctx.headers.range), size);
    } catch (e) {
      // RFC 9110 15.5.17: a 416 carries `Content-Range: bytes */<size>`.
      const { result } = toOciError(e, r.ctx.method);
      return { ...result, headers: { ...result.headers, "Content-Range": `bytes */${size}` } };
    }
    const head = r.ctx.method === "HEAD";
    if (range) {
      const length = range.end - range.start + 1;
      return {
        status: 206,
        headers: { ...base, "Content-Length": length, "Content-Range": `bytes ${range.start}-${range.end}/${size}` },
        body: head ? undefined : await store.read(digest, range),
      };
    }
    // @azure/container-registry needs Content-Length on blob GET ("Expected property contentLength").
    return {
      status: 200,
      headers: { ...base, "Content-Length": size },
      body: head || size === 0 ? undefined : await store.read(digest),
    };
  }

  async function deleteBlob(r: OciRequest): Promise<HandlerResult> {
    const { name, digest } = r.params as Required<Pick<typeof r.params, "name" | "digest">>;
    await d.locks.run(digest, async () => {
      // A manifest of this repository that still names the blob would 404 on pull: refuse, and
      // name a few of them. Only this repository matters: a manifest is only ever checked against,
      // and served from, the links of its own repository. Under the digest's lock, which
      // putManifest also holds while it checks links, so no manifest can slip in between.
      const users = await d.meta.manifestsReferencingBlob(r.registry.key, name, digest, REFERENCING_SHOWN);
      if (users.length > 0) throw new DomainError("BLOB_REFERENCED", "the blob is referenced by a manifest in this repository: delete the manifest first", { digest, manifests: users });
      const removed = await d.meta.unlinkBlob(r.registry.key, name, digest);
      if (!removed) throw new DomainError("BLOB_UNKNOWN", "blob unknown to the repository", { digest });
      // Bytes go when no repository of any registry links them any more.
      if ((await d.meta.countBlobLinks(digest)) === 0) {
        await d.blobs.remove(digest);
        d.onBlobRemoved(digest);
        await removeReplicaCopies(r, digest);
      }
    });
    // OCI dist-spec end-10: success MUST be 202 Accepted.
    return { status: 202, headers: { "Content-Length": 0, "Docker-Content-Digest": digest } };
  }

  /** The replicas' copies go too, best effort: a copy left behind is unreachable (no link) and only costs space. */
  async function removeReplicaCopies(r: OciRequest, digest: string): Promise<void> {
    for (const replica of r.registry.replicas) {
      const store = d.regions?.peek(replica.location);
      await store?.remove(digest).catch((err) => d.log.warn({ err: String(err), region: replica.location, digest }, "could not remove a replica's copy of a deleted blob"));
    }
  }

  // linkedSize: the data endpoint's redirect checks the link before it sends a client elsewhere.
  return { getBlob, deleteBlob, linkedSize };
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
