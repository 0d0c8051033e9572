// The OCI data plane's one error catalogue and its one mapper (house style habit 2, after
// distribution's `errcode`): handlers and domain code throw DomainError(code), this file alone
// turns a code into a status and the body `{"errors":[{"code","message","detail"}]}` of the OCI
// dist-spec "Error Codes" section. docs/errors.md lists every entry; a test keeps them in sync.
//
// Keys are domain codes. Most keys are also the wire code; two keys exist only because the same
// wire code needs a different status in one situation (the catalogue stays one code -> one status):
//   MANIFEST_TOO_BIG -> SIZE_INVALID with 413 (OCI dist-spec v1.1: a registry rejecting a
//                       manifest for its size SHOULD answer 413 Payload Too Large);
//   ROUTE_UNKNOWN    -> UNSUPPORTED with 404 (a path that is not part of the API at all);
//   BODY_TIMEOUT     -> BLOB_UPLOAD_INVALID with 408 (a request body that stalled);
//   STORE_FULL       -> UNAVAILABLE with 507 (the data dir's disk is full, not an outage: no Retry-After);
// and two because a refusal needs its own message: DATA_URL_DENIED -> DENIED with 403, telling a
// client refused on the data endpoint to go back to the login server (data-endpoint.ts), and
// BLOB_REFERENCED -> DENIED with 403, telling an owner to delete the manifest first (blobs.ts).
// Two more name a value of the request in their message, which no thrown error fills in; they are
// answered by their own builders below: FIREWALL_DENIED (Azure's firewall refusal, sent by
// http/network-step.ts) and HOST_UNKNOWN (a Host that names no registry, sent by the pipeline).
//
// Storage drivers throw storage errors (domain/errors.ts), not these codes: STORAGE_TO_OCI below is
// the one place that says which entry each becomes.
import { isDomainError, type StorageErrorCode } from "../domain/errors.js";
import type { HandlerResult } from "../http/types.js";

export interface CatalogueEntry {
  /** The code on the wire, as the OCI dist-spec (or distribution, for TAG_INVALID) spells it. */
  code: string;
  status: number;
  message: string;
}

const entry = (code: string, status: number, message: string): CatalogueEntry => ({ code, status, message });

export const OCI_ERRORS = {
  BLOB_UNKNOWN: entry("BLOB_UNKNOWN", 404, "blob unknown to registry"),
  BLOB_UPLOAD_INVALID: entry("BLOB_UPLOAD_INVALID", 400, "blob upload invalid"),
  BLOB_UPLOAD_UNKNOWN: entry("BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown to registry"),
  DIGEST_INVALID: entry("DIGEST_INVALID", 400, "provided digest is invalid or did not match uploaded content"),
  MANIFEST_BLOB_UNKNOWN: entry("MANIFEST_BLOB_UNKNOWN", 404, "manifest references a blob unknown to the repository"),
  MANIFEST_INVALID: entry("MANIFEST_INVALID", 400, "manifest invalid"),
  MANIFEST_UNKNOWN: entry("MANIFEST_UNKNOWN", 404, "manifest unknown to the repository"),
  MANIFEST_TOO_BIG: entry("SIZE_INVALID", 413, "manifest is larger than the registry accepts"),
  NAME_INVALID: entry("NAME_INVALID", 400, "invalid repository name"),
  NAME_UNKNOWN: entry("NAME_UNKNOWN", 404, "repository name not known to registry"),
  SIZE_INVALID: entry("SIZE_INVALID", 400, "provided length did not match content length"),
  TAG_INVALID: entry("TAG_INVALID", 400, "invalid tag"),
  RANGE_INVALID: entry("RANGE_INVALID", 416, "requested range is not satisfiable or does not follow on"),
  // ACR's wording (acr-networking.md 4.1), which docker and az print verbatim.
  UNAUTHORIZED: entry("UNAUTHORIZED", 401, "authentication required, visit https://aka.ms/acr/authorization for more information."),
  DENIED: entry("DENIED", 403, "requested access to the resource is denied"),
  // The data endpoint's signed blob URL is missing, malformed, tampered with or expired
  // (data-endpoint.ts); the detail's `reason` says which.
  DATA_URL_DENIED: entry("DENIED", 403, "the data endpoint URL is missing, invalid or expired: request the blob from the login server again"),
  // DELETE of a blob that a manifest of the repository still references (blobs.ts): 403, not 405,
  // because blob deletion IS supported (RFC 9110 405 would need an Allow header without DELETE,
  // and OCI clients read 405 as "this registry never deletes blobs"). The detail names manifests.
  BLOB_REFERENCED: entry("DENIED", 403, "the blob is referenced by a manifest in this repository: delete the manifest first"),
  UNSUPPORTED: entry("UNSUPPORTED", 405, "the operation is unsupported"),
  ROUTE_UNKNOWN: entry("UNSUPPORTED", 404, "the requested path is not part of the registry API"),
  // A malformed, oversized or unsupported token request (bad form, unknown grant_type, missing
  // field, `service` naming another registry): OCI's UNSUPPORTED ("an invalid set of parameters"), 400.
  TOKEN_REQUEST_INVALID: entry("UNSUPPORTED", 400, "the token request is malformed or not supported"),
  TOOMANYREQUESTS: entry("TOOMANYREQUESTS", 429, "too many requests"),
  // A request body that stalled (http/body-progress.ts): 408, then the connection is closed. The
  // spec has no timeout code; BLOB_UPLOAD_INVALID is the closest, and uploads are what stall.
  BODY_TIMEOUT: entry("BLOB_UPLOAD_INVALID", 408, "the request body arrived too slowly and was cut off"),
  UNKNOWN: entry("UNKNOWN", 500, "unknown error"),
  // The storage engine behind a networked driver is down or refusing (StoreUnavailable): 503, so
  // clients retry. The spec has no such code; distribution's errcode UNAVAILABLE is the one clients know.
  STORE_UNAVAILABLE: entry("UNAVAILABLE", 503, "the registry's storage is unavailable: retry later"),
  // The data dir's disk is full (StoreFull): RFC 4918's 507 Insufficient Storage, without Retry-After
  // (space comes back when an operator frees it, not by waiting). Same wire code as the outage: clients know it.
  STORE_FULL: entry("UNAVAILABLE", 507, "the registry's storage is full: nothing was stored; retry once space is freed"),
  // Azure's answer, byte for byte, when a registry's firewall refuses the client on the public
  // endpoint (acr-networking.md 4.1): publicNetworkAccess=Disabled or an IP not in the rules, on
  // every route. Not the authorization refusal (DENIED above). {ip} is the client's address.
  FIREWALL_DENIED: entry("DENIED", 403, "client with IP '{ip}' is not allowed access. Refer https://aka.ms/acr/firewall to grant access."),
  // A registry listener reached with a Host that is no registry's login server or data endpoint.
  HOST_UNKNOWN: entry("NAME_UNKNOWN", 404, "no registry is served at host '{host}'"),
} as const satisfies Record<string, CatalogueEntry>;

export type OciErrorKey = keyof typeof OCI_ERRORS;

/**
 * What each storage error answers on the OCI wire (the drivers' signals, domain/errors.ts). The
 * `satisfies` makes a new storage error a compile error here until it is mapped.
 */
export const STORAGE_TO_OCI = {
  BlobNotFound: "BLOB_UNKNOWN",
  // A range the data plane checked against the linked size, refused by the store after all.
  BlobRangeInvalid: "RANGE_INVALID",
  DigestInvalid: "DIGEST_INVALID",
  DigestMismatch: "DIGEST_INVALID",
  UploadIdInvalid: "BLOB_UPLOAD_INVALID",
  UploadExists: "BLOB_UPLOAD_INVALID",
  UploadNotFound: "BLOB_UPLOAD_UNKNOWN",
  // OCI dist-spec: a chunk that does not start at the current end of the upload is a 416.
  UploadOffsetMismatch: "RANGE_INVALID",
  UploadChunkTooLarge: "SIZE_INVALID",
  StoreUnavailable: "STORE_UNAVAILABLE",
  StoreFull: "STORE_FULL",
} as const satisfies Record<StorageErrorCode, OciErrorKey>;

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The catalogue entry of a domain code: an OCI_ERRORS key, or a storage error through STORAGE_TO_OCI. */
export function catalogueEntry(code: string): CatalogueEntry | undefined {
  if (hasOwn(OCI_ERRORS, code)) return OCI_ERRORS[code as OciErrorKey];
  if (hasOwn(STORAGE_TO_OCI, code)) return OCI_ERRORS[STORAGE_TO_OCI[code as StorageErrorCode]];
  return undefined;
}

/** An entry's message with its `{name}` placeholders filled in (FIREWALL_DENIED, HOST_UNKNOWN). */
export function catalogueMessage(key: OciErrorKey, params: Record<string, string>): string {
  return OCI_ERRORS[key].message.replace(/\{(\w+)\}/g, (m, k: string) => (hasOwn(params, k) ? params[k]! : m));
}

export interface OciErrorBody {
  errors: { code: string; message: string; detail?: unknown }[];
}

/**
 * Maps anything a handler threw to the OCI error response. Unknown DomainError codes and
 * non-domain errors become UNKNOWN/500 and are returned with `unexpected: true` so the caller
 * logs them (their text never reaches the client).
 */
export function toOciError(err: unknown, method: string): { result: HandlerResult; unexpected: boolean } {
  const known = isDomainError(err) ? catalogueEntry(err.code) : undefined;
  const e = known ?? OCI_ERRORS.UNKNOWN;
  let detail: unknown = undefined;
  if (known && isDomainError(err)) {
    const base = err.detail && typeof err.detail === "object" && !Array.isArray(err.detail) ? { ...(err.detail as object) } : err.detail;
    // The domain message says which rule failed; keep it beside the structured detail.
    detail = err.message && err.message !== e.message && (base === undefined || typeof base === "object")
      ? { ...((base as object | undefined) ?? {}), reason: err.message }
      : base;
  }
  const body: OciErrorBody = { errors: [{ code: e.code, message: e.message, ...(detail === undefined ? {} : { detail }) }] };
  const headers: Record<string, string> = { "Content-Type": "application/json; charset=utf-8" };
  // A storage outage: the client waits about a database restart before it retries (RFC 9110 10.2.3).
  const retry: Record<string, string> = e === OCI_ERRORS.STORE_UNAVAILABLE ? { "Retry-After": "5" } : {};
  // HEAD responses carry no body (RFC 9110); the status alone tells the client.
  const result: HandlerResult = method === "HEAD" ? { status: e.status, headers: retry } : { status: e.status, headers: { ...headers, ...retry }, body };
  return { result, unexpected: !known };
}

/**
 * The pipeline's mapper for errors raised outside the data plane's own handling (e.g. a failure
 * in a step before `handle`): the same catalogue, plus the API version header.
 */
export function ociErrorResult(err: unknown, ctx: { method: string }): HandlerResult {
  const { result } = toOciError(err, ctx.method);
  return { ...result, headers: { ...result.headers, "Docker-Distribution-API-Version": "registry/2.0" } };
}

/**
 * The answer to a Host that names no registry: HOST_UNKNOWN, with the API version header. The body
 * stays an object (the response writer adds Content-Type and Content-Length, HEAD included).
 */
export function unknownHostResult(ctx: { host: string }): HandlerResult {
  const e = OCI_ERRORS.HOST_UNKNOWN;
  return {
    status: e.status,
    headers: { "Docker-Distribution-API-Version": "registry/2.0" },
    body: { errors: [{ code: e.code, message: catalogueMessage("HOST_UNKNOWN", { host: ctx.host }) }] },
  };
}
