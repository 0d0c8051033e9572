// The registry data plane: OCI Distribution v1.1 (/v2), ACR listing (/acr/v1) and, delegated to
// registry auth, the ACR token endpoints (/oauth2). One table below lists every route with the
// access it needs; `handle` is the whole path of a data-plane request:
//   Host is the registry's data endpoint -> data-endpoint.ts (signed blob GETs only, no auth)
//   /oauth2/* -> auth.handleTokenEndpoint
//   match route (raw path) -> decode + validate parameters (NAME_INVALID, DIGEST_INVALID, ...)
//   -> auth.check for each need (its 401/403 result is returned as is)
//   -> handler -> OCI error mapping -> `Docker-Distribution-API-Version` on every response.
import type { Logger } from "pino";
import { randomBytes } from "node:crypto";
import type { HandlerResult, RequestContext } from "../http/types.js";
import type { RegistryView } from "../domain/registry.js";
import type { BlobStore, MetadataStore } from "../storage/types.js";
import type { RegionStores } from "../storage/region-stores.js";
import { parseDigest } from "../domain/digest.js";
import { validateRepositoryName } from "../domain/oci.js";
import { DomainError } from "../domain/errors.js";
import type { RegistryAuth } from "./registry-auth-contract.js";
import type { DataPlaneDeps } from "./deps.js";
import { KeyLock } from "./key-lock.js";
import { toOciError } from "./errors.js";
import {
  ACR_CATALOG, ACR_MANIFEST, ACR_MANIFESTS, ACR_REPOSITORY, ACR_TAG, ACR_TAGS,
  BASE, BLOB, CATALOG, MANIFEST, REFERRERS, TAGS, UPLOAD, UPLOADS,
  matchRoute, needs, needsBase, needsCatalog, route, type NeedsFn, type Route,
} from "./router.js";
import { blobHandlers } from "./blobs.js";
import { uploadHandlers } from "./uploads.js";
import { manifestHandlers } from "./manifests.js";
import { listingHandlers } from "./listing.js";
import { acrListingHandlers } from "./acr-listing.js";
import { DATA_ENDPOINT_KEY_BYTES, DEFAULT_DATA_URL_TTL_MS, dataEndpointHandlers } from "./data-endpoint.js";

export { OCI_ERRORS, toOciError } from "./errors.js";
export { DATA_ENDPOINT_KEY_BYTES, DEFAULT_DATA_URL_TTL_MS, dataEndpointOf } from "./data-endpoint.js";
export { SERVED_FROM_HEADER } from "./blobs.js";
export { createReplicator, type Replicator } from "./replication/replicator.js";

export const DEFAULT_UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
// OCI dist-spec v1.1: registries SHOULD accept manifests of at least 4 MiB.
export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface DataPlane {
  /** Every /v2, /acr/v1 and /oauth2 request for `registry`. */
  handle(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult>;
  /** Reclaims expired upload sessions and orphaned upload bytes; returns how many. */
  sweep(now?: number): Promise<number>;
}

/**
 * POST uploads needs push on the target. The query is validated here, before auth or storage:
 * `digest`/`mount` must be digests and `from` a repository name. Pull on `from` is checked by
 * the mount itself, which falls back to a plain upload without it (see uploads.ts tryMount).
 */
const needsUploadStart: NeedsFn = (p, ctx) => {
  for (const k of ["digest", "mount"]) {
    const v = ctx.query.get(k);
    if (v !== null) parseDigest(v);
  }
  const from = ctx.query.get("from");
  if (from !== null) validateRepositoryName(from);
  return needs("push")(p, ctx);
};

export function createDataPlane(deps: {
  meta: MetadataStore;
  blobs: BlobStore;
  auth: RegistryAuth;
  log: Logger;
  uploadTtlMs?: number;
  maxManifestBytes?: number;
  /**
   * Signs the data endpoint's blob URLs (at least DATA_ENDPOINT_KEY_BYTES). Pass a persisted key so
   * that URLs issued before a restart stay valid; without one a random key is made here.
   */
  dataEndpointKey?: Buffer;
  dataUrlTtlMs?: number;
  /** The clock (tests move it to expire uploads and signed URLs). */
  now?: () => number;
  /** Geo-replication (DataPlaneDeps): the replica regions' stores, where each private IP's clients are, and the replicator's triggers. */
  regions?: RegionStores;
  endpointRegion?: (ip: string) => string | undefined;
  publicRegion?: string;
  onManifestStored?: (registryKey: string) => void;
  onBlobRemoved?: (digest: string) => void;
}): DataPlane {
  if (deps.dataEndpointKey && deps.dataEndpointKey.length < DATA_ENDPOINT_KEY_BYTES) {
    throw new Error(`dataEndpointKey must be at least ${DATA_ENDPOINT_KEY_BYTES} bytes`);
  }
  const d: DataPlaneDeps = {
    meta: deps.meta,
    blobs: deps.blobs,
    auth: deps.auth,
    log: deps.log,
    uploadTtlMs: deps.uploadTtlMs ?? DEFAULT_UPLOAD_TTL_MS,
    maxManifestBytes: deps.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES,
    locks: new KeyLock((key, fn) => deps.meta.keyed(key, fn)),
    now: deps.now ?? Date.now,
    dataEndpointKey: deps.dataEndpointKey ?? randomBytes(DATA_ENDPOINT_KEY_BYTES),
    dataUrlTtlMs: deps.dataUrlTtlMs ?? DEFAULT_DATA_URL_TTL_MS,
    regions: deps.regions,
    endpointRegion: deps.endpointRegion ?? (() => undefined),
    publicRegion: deps.publicRegion,
    onManifestStored: deps.onManifestStored ?? (() => undefined),
    onBlobRemoved: deps.onBlobRemoved ?? (() => undefined),
  };
  const blob = blobHandlers(d);
  const upload = uploadHandlers(d);
  const manifest = manifestHandlers(d);
  const list = listingHandlers(d);
  const acr = acrListingHandlers(d);
  const data = dataEndpointHandlers(d, blob);

  const routes: Route[] = [
    route("GET", BASE, needsBase, list.base),
    route("GET", CATALOG, needsCatalog, list.catalog),
    route("GET", TAGS, needs("pull"), list.tagsList),
    route("GET", REFERRERS, needs("pull"), list.referrers),

    // With a dedicated data endpoint, GET answers 307 to a signed URL there; HEAD stays here.
    route("GET", BLOB, needs("pull"), data.getBlobOrRedirect),
    route("HEAD", BLOB, needs("pull"), blob.getBlob),
    route("DELETE", BLOB, needs("delete"), blob.deleteBlob),

    route("POST", UPLOADS, needsUploadStart, upload.startUpload),
    route("PATCH", UPLOAD, needs("push"), upload.patchUpload),
    route("PUT", UPLOAD, needs("push"), upload.putUpload),
    route("GET", UPLOAD, needs("push"), upload.getUploadStatus),
    route("DELETE", UPLOAD, needs("push"), upload.cancelUpload),

    route("GET", MANIFEST, needs("pull"), manifest.getManifest),
    route("HEAD", MANIFEST, needs("pull"), manifest.getManifest),
    route("PUT", MANIFEST, needs("push"), async (r) => {
      const result = await manifest.putManifest(r);
      // Stored: the replicator copies it to the registry's replicas, after this answer.
      d.onManifestStored(r.registry.key);
      return result;
    }),
    route("DELETE", MANIFEST, needs("delete"), manifest.deleteManifest),

    route("GET", ACR_CATALOG, needsCatalog, acr.catalog),
    route("GET", ACR_REPOSITORY, needs("pull"), acr.getRepository),
    route("DELETE", ACR_REPOSITORY, needs("delete"), acr.deleteRepository),
    route("GET", ACR_TAGS, needs("pull"), acr.listTags),
    route("GET", ACR_TAG, needs("pull"), acr.getTag),
    route("DELETE", ACR_TAG, needs("delete"), acr.deleteTag),
    route("GET", ACR_MANIFESTS, needs("pull"), acr.listManifests),
    route("GET", ACR_MANIFEST, needs("pull"), acr.getManifestProperties),
    route("DELETE", ACR_MANIFEST, needs("delete"), acr.deleteManifest),
  ];

  async function dispatch(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
    // The data host has its own one-route table; nothing below (tokens included) is served there.
    if (data.isDataHost(ctx, registry)) return data.dispatch(ctx, registry);
    if (ctx.rawPath.startsWith("/oauth2/")) {
      const r = await d.auth.handleTokenEndpoint(ctx, registry);
      if (r) return r;
      throw new DomainError("ROUTE_UNKNOWN", "unknown token endpoint");
    }
    const m = matchRoute(routes, ctx.method, ctx.rawPath);
    if (!m.ok) {
      const { result } = toOciError(m.error, ctx.method);
      return m.allow ? { ...result, headers: { ...result.headers, Allow: m.allow.join(", ") } } : result;
    }
    let principal;
    for (const need of m.route.needs(m.params, ctx)) {
      const access = await d.auth.check(ctx, registry, need);
      if (!access.ok) return access.result;
      principal = access.principal;
    }
    return m.route.handler({ ctx, registry, params: m.params, principal });
  }

  async function handle(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
    let result: HandlerResult;
    try {
      result = await dispatch(ctx, registry);
    } catch (e) {
      const mapped = toOciError(e, ctx.method);
      if (mapped.unexpected) d.log.error({ err: e, requestId: ctx.requestId, method: ctx.method, path: ctx.rawPath }, "data-plane request failed");
      result = mapped.result;
    }
    // An unread request body (refused before reading) is drained so the connection stays usable.
    if (result.status >= 400 && !ctx.req.readableEnded) ctx.req.resume();
    // OCI dist-spec: Docker-Distribution-API-Version: registry/2.0 (clients MAY require it).
    return { ...result, headers: { ...result.headers, "Docker-Distribution-API-Version": "registry/2.0" } };
  }

  return { handle, sweep: (now?: number) => upload.sweep(now) };
}
