// Route declarations and matching for the data plane. A route names its method, its path
// pattern, what it needs from registry auth and its handler, all in one line (house style
// habit 5): `route("PUT", MANIFEST, needs("push"), putManifest)`.
//
// Matching runs on the RAW path (not percent-decoded), so that an encoded "/" inside a digest or
// tag can never move the split between name and reference; each captured parameter is then
// decoded on its own (`library%2Fhello` -> `library/hello`, `sha256%3A..` -> `sha256:..`) and
// validated by its kind BEFORE auth or storage sees it: names against the OCI grammar
// (NAME_INVALID), digests against domain/digest.ts (DIGEST_INVALID), so `..`, `%2e%2e`, NUL and
// friends are refused at the door.
import type { HandlerResult, RequestContext } from "../http/types.js";
import type { RegistryView } from "../domain/registry.js";
import type { Need } from "./registry-auth-contract.js";
import type { Principal, RegistryAction } from "../auth/types.js";
import { DomainError } from "../domain/errors.js";
import { parseDigest } from "../domain/digest.js";
import { parseReference, validateRepositoryName, validateTag, type Reference } from "../domain/oci.js";

export type ParamKind = "name" | "digest" | "reference" | "uploadId" | "tag";

export interface PathPattern {
  regex: RegExp;
  params: ParamKind[];
}

export interface OciParams {
  name?: string;
  digest?: string;
  reference?: Reference;
  uploadId?: string;
  tag?: string;
}

export interface OciRequest {
  ctx: RequestContext;
  registry: RegistryView;
  params: OciParams;
  principal?: Principal;
}

export type OciHandler = (r: OciRequest) => Promise<HandlerResult>;
/** What a route needs, computed from its validated parameters (and query, for mounts). */
export type NeedsFn = (params: OciParams, ctx: RequestContext) => Need[];

export interface Route {
  method: string;
  pattern: PathPattern;
  needs: NeedsFn;
  handler: OciHandler;
}

export function route(method: string, pattern: PathPattern, needsFn: NeedsFn, handler: OciHandler): Route {
  return { method, pattern, needs: needsFn, handler };
}

/** Actions on the route's own repository. */
export function needs(...actions: RegistryAction[]): NeedsFn {
  return (p) => [{ kind: "repository", repository: p.name!, actions }];
}
export const needsBase: NeedsFn = () => [{ kind: "base" }];
export const needsCatalog: NeedsFn = () => [{ kind: "catalog" }];

const p = (regex: RegExp, ...params: ParamKind[]): PathPattern => ({ regex, params });

// Greedy `(.+)` for the name: a name may itself contain "/blobs/" or "/manifests/" components,
// and, as distribution does, the LAST keyword in the path is the one that counts.
export const BASE = p(/^\/v2\/?$/);
export const CATALOG = p(/^\/v2\/_catalog$/);
export const TAGS = p(/^\/v2\/(.+)\/tags\/list$/, "name");
export const UPLOADS = p(/^\/v2\/(.+)\/blobs\/uploads\/?$/, "name");
export const UPLOAD = p(/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, "name", "uploadId");
export const BLOB = p(/^\/v2\/(.+)\/blobs\/(.+)$/, "name", "digest");
export const MANIFEST = p(/^\/v2\/(.+)\/manifests\/(.+)$/, "name", "reference");
export const REFERRERS = p(/^\/v2\/(.+)\/referrers\/(.+)$/, "name", "digest");
export const ACR_CATALOG = p(/^\/acr\/v1\/_catalog$/);
export const ACR_TAG = p(/^\/acr\/v1\/(.+)\/_tags\/(.+)$/, "name", "tag");
export const ACR_TAGS = p(/^\/acr\/v1\/(.+)\/_tags$/, "name");
export const ACR_MANIFEST = p(/^\/acr\/v1\/(.+)\/_manifests\/(.+)$/, "name", "digest");
export const ACR_MANIFESTS = p(/^\/acr\/v1\/(.+)\/_manifests$/, "name");
export const ACR_REPOSITORY = p(/^\/acr\/v1\/(?!_catalog$)(.+)$/, "name");

// Order matters where patterns overlap: uploads before blobs, ACR sub-resources before the
// repository itself.
export const PATTERN_ORDER: PathPattern[] = [
  BASE, CATALOG, TAGS, UPLOADS, UPLOAD, BLOB, MANIFEST, REFERRERS,
  ACR_CATALOG, ACR_TAG, ACR_TAGS, ACR_MANIFEST, ACR_MANIFESTS, ACR_REPOSITORY,
];

export type MatchResult =
  | { ok: true; route: Route; params: OciParams }
  | { ok: false; error: DomainError; allow?: string[] };

/** Finds the route for (method, raw path) and decodes + validates its parameters. */
export function matchRoute(routes: Route[], method: string, rawPath: string): MatchResult {
  for (const pattern of PATTERN_ORDER) {
    const m = pattern.regex.exec(rawPath);
    if (!m) continue;
    const candidates = routes.filter((r) => r.pattern === pattern);
    if (candidates.length === 0) continue;
    const chosen = candidates.find((r) => r.method === method);
    // Parameters are validated even for a wrong method: a traversal attempt gets its own error.
    let params: OciParams;
    try {
      params = decodeParams(pattern, m);
    } catch (e) {
      if (e instanceof DomainError) return { ok: false, error: e };
      throw e;
    }
    if (!chosen) {
      return {
        ok: false,
        error: new DomainError("UNSUPPORTED", `method ${method} is not allowed here`),
        allow: candidates.map((r) => r.method),
      };
    }
    return { ok: true, route: chosen, params };
  }
  return { ok: false, error: new DomainError("ROUTE_UNKNOWN", "the requested path is not part of the registry API") };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeParams(pattern: PathPattern, m: RegExpExecArray): OciParams {
  const out: OciParams = {};
  pattern.params.forEach((kind, i) => {
    const raw = m[i + 1] ?? "";
    const value = decodeOrThrow(raw, kind);
    switch (kind) {
      case "name":
        out.name = validateRepositoryName(value);
        break;
      case "digest":
        out.digest = parseDigest(value).digest;
        break;
      case "reference":
        out.reference = parseReference(value);
        break;
      case "tag":
        out.tag = validateTag(value);
        break;
      case "uploadId":
        // Upload ids are UUIDs Cove minted; anything else cannot name a session.
        if (!UUID.test(value)) throw new DomainError("BLOB_UPLOAD_UNKNOWN", "upload id is not one this registry issued");
        out.uploadId = value;
        break;
    }
  });
  return out;
}

const DECODE_ERROR: Record<ParamKind, string> = {
  name: "NAME_INVALID",
  digest: "DIGEST_INVALID",
  reference: "TAG_INVALID",
  tag: "TAG_INVALID",
  uploadId: "BLOB_UPLOAD_UNKNOWN",
};

function decodeOrThrow(raw: string, kind: ParamKind): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new DomainError(DECODE_ERROR[kind], "malformed percent-encoding in the path");
  }
}
