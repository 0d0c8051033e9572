// Dedicated data endpoints (acr-networking.md section 3; DESIGN.md section 4). A registry with
// `dataEndpointEnabled` keeps authorizing on its login server, but blob bytes come from
// `<name>.<location>.data.<suffix>`, a second name with its own private IP, DNS record and
// firewall entry. That split is what a landing zone gets wrong ("If you don't configure all
// records, the registry might be unreachable"), so Cove reproduces it:
//
//   login server  GET  /v2/<repo>/blobs/<digest>   auth (pull) -> blob linked? -> 307 Location:
//                 https://<name>.<location>.data.<suffix>:<port>/v2/<repo>/blobs/<digest>?se=..&sig=..
//                 HEAD keeps answering directly (clients HEAD for existence; nothing to download)
//   data host     GET  the URL above, no Authorization (clients strip it on a cross-origin redirect,
//                 as the Azure SDK and Go do): the signature is the credential; everything else is 404
//
// The signed URL, the way a storage SAS URL is: `se` is the expiry in unix seconds, `sig` is
// base64url(HMAC-SHA256(key, "cove-data-v1\n<METHOD>\n<registry key>\n<repository>\n<digest>\n<se>")).
// No field can contain "\n" (registry keys are resource ids; names and digests are validated by the
// router), so the canonical string cannot be shifted between fields. The key lives in the deps
// (persisted by the composition root, so URLs survive a restart); tokens on the data host are never
// looked at, and the token endpoints stay on the login server only ("Requests to the token server
// over a private endpoint connection don't require data endpoint configuration").
//
// Geo-replicas: each replica region has its own data host, `<name>.<region>.data.<suffix>`. The
// login server's 307 names the data host of the CLIENT's region, decided from the socket alone:
// the private endpoint whose IP accepted the connection has a location (the view's endpointAt);
// when that is a replica of this registry with regionEndpointEnabled, its host, else home's.
// Public clients go home (or to `publicRegion` when it is an enabled replica). A Host header or
// any other client-chosen input never picks the region. The data host of a replica serves from
// its own region's store when that holds the blob, else from home's: a blob not yet replicated,
// or a replica store that is down, is never a 404. `x-cove-served-from` says which one answered.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { HandlerResult, RequestContext } from "../http/types.js";
import type { RegistryView } from "../domain/registry.js";
import { DomainError, StorageError } from "../domain/errors.js";
import type { DataPlaneDeps } from "./deps.js";
import type { RegionStore } from "./blobs.js";
import { BLOB, matchRoute, route, type NeedsFn, type OciRequest, type Route } from "./router.js";
import { blobLocation } from "./locations.js";
import { dataEndpointHost } from "../domain/resource-ids.js";

export const DEFAULT_DATA_URL_TTL_MS = 10 * 60 * 1000;
/** HMAC-SHA256 keys shorter than the hash add nothing but risk (RFC 2104 section 3). */
export const DATA_ENDPOINT_KEY_BYTES = 32;

const SCHEME = "cove-data-v1";
const SIG = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, base64url without padding
const EXPIRY = /^[0-9]{1,12}$/;

/** What one signed URL lets its bearer do: one method on one blob of one repository of one registry. */
export interface BlobGrant {
  registryKey: string;
  repository: string;
  digest: string;
  method: "GET";
}

export interface DataEndpointAddress {
  /** `<name>.<location>.data.<suffix>`, lower-case: what a Host header names. */
  host: string;
  /** The host with the login server's port (omitted when 443), as it appears in URLs. */
  authority: string;
}

/**
 * The registry's data endpoint in `region` (default: home), derived from its login server (suffix = login host minus
 * "<name>."; the port is the login server's), or undefined when the view has no location.
 */
export function dataEndpointOf(registry: RegistryView, region: string = registry.location): DataEndpointAddress | undefined {
  const m = /^([^:]+)(:[0-9]+)?$/.exec(registry.loginServer.toLowerCase());
  const name = registry.name.toLowerCase();
  const location = region.toLowerCase();
  if (!m || !location || !m[1]!.startsWith(name + ".")) return undefined;
  const host = dataEndpointHost(name, location, m[1]!.slice(name.length + 1));
  return { host, authority: host + (m[2] ?? "") };
}

function signature(key: Buffer, g: BlobGrant, expires: number): Buffer {
  return createHmac("sha256", key)
    .update([SCHEME, g.method, g.registryKey, g.repository, g.digest, String(expires)].join("\n"))
    .digest();
}

/** The query string (`se=..&sig=..`) of a URL valid until `expires` (unix seconds). */
export function signBlobGrant(key: Buffer, g: BlobGrant, expires: number): string {
  return `se=${expires}&sig=${signature(key, g, expires).toString("base64url")}`;
}

/** Undefined when `query` carries a valid, unexpired signature for exactly `g`; else why not. */
export function verifyBlobGrant(key: Buffer, g: BlobGrant, query: URLSearchParams, nowMs: number): string | undefined {
  const se = query.get("se");
  const sig = query.get("sig");
  if (se === null || sig === null) return "the URL carries no signature (se and sig are required)";
  if (!EXPIRY.test(se) || !SIG.test(sig)) return "the URL's signature is malformed";
  const expected = Buffer.from(signature(key, g, Number(se)).toString("base64url"));
  // Compared as text, so a non-canonical spelling of the same bytes (the last character's unused
  // bits) is refused too; in constant time, so a byte-by-byte compare cannot leak how much of a
  // guess was right.
  if (!timingSafeEqual(expected, Buffer.from(sig))) {
    return "the signature does not match this registry, repository, digest and expiry";
  }
  if (nowMs >= Number(se) * 1000) return "the URL has expired";
  return undefined;
}

/** No registry-auth need on the data host: the signed URL is the credential (checked by the handler). */
const signedUrlOnly: NeedsFn = () => [];

/** The region whose data host `host` is (home or a replica), or undefined when it is none of the registry's. */
export function dataHostRegion(host: string, registry: RegistryView): string | undefined {
  if (host === "") return undefined;
  for (const region of [registry.location, ...registry.replicas.map((x) => x.location)]) {
    if (host === dataEndpointOf(registry, region)?.host) return region.toLowerCase();
  }
  return undefined;
}

type BlobHandlers = { getBlob(r: OciRequest, from?: RegionStore): Promise<HandlerResult>; linkedSize(r: OciRequest): Promise<number> };

export function dataEndpointHandlers(d: DataPlaneDeps, blob: BlobHandlers) {
  const grantFor = (r: OciRequest): BlobGrant => ({
    registryKey: r.registry.key, repository: r.params.name!, digest: r.params.digest!, method: "GET",
  });

  /** Login server, GET blob (after the route's pull need): the bytes, or a 307 to the data endpoint. */
  async function getBlobOrRedirect(r: OciRequest): Promise<HandlerResult> {
    const endpoint = r.registry.dataEndpointEnabled ? dataEndpointOf(r.registry, routedRegion(r)) : undefined;
    if (!endpoint) return blob.getBlob(r);
    // A blob the repository does not link is a 404 here, not a redirect to one.
    await blob.linkedSize(r);
    const expires = Math.floor((d.now() + d.dataUrlTtlMs) / 1000);
    const query = signBlobGrant(d.dataEndpointKey, grantFor(r), expires);
    return {
      status: 307,
      headers: {
        // Absolute: the data endpoint is another host. @azure/container-registry follows it only to https.
        Location: `https://${endpoint.authority}${blobLocation(r.params.name!, r.params.digest!)}?${query}`,
        // The URL expires; a cache must not hand it out later.
        "Cache-Control": "no-store",
      },
    };
  }

  /** The region whose data host this client is sent to: from the socket's private endpoint, never a header. */
  function routedRegion(r: OciRequest): string {
    const l = r.ctx.listener;
    const wanted = l.via === "private" ? d.endpointRegion(l.address) : d.publicRegion;
    const replica = wanted === undefined ? undefined : r.registry.replicas.find((x) => x.location === wanted.toLowerCase() && x.regionEndpointEnabled);
    return replica?.location ?? r.registry.location;
  }

  /** Data host, GET blob: the signature first (before storage is touched), then the bytes, Range included. */
  async function getSignedBlob(r: OciRequest): Promise<HandlerResult> {
    const refused = verifyBlobGrant(d.dataEndpointKey, grantFor(r), r.ctx.query, d.now());
    if (refused) throw new DomainError("DATA_URL_DENIED", refused);
    const region = dataHostRegion(r.ctx.host, r.registry);
    const local = region && region !== r.registry.location.toLowerCase() ? await replicaHolding(region, r.params.digest!) : undefined;
    if (local) {
      try {
        return await blob.getBlob(r, local);
      } catch (e) {
        // The replica lost the blob or went down between stat and read: home still has it.
        if (!isStoreMiss(e)) throw e;
      }
    }
    return blob.getBlob(r);
  }

  /** The replica region's store when it holds the blob now; undefined when it does not or cannot say. */
  async function replicaHolding(region: string, digest: string): Promise<RegionStore | undefined> {
    if (!d.regions) return undefined;
    try {
      const store = await d.regions.get(region);
      return (await store.stat(digest)) ? { store, region } : undefined;
    } catch (e) {
      if (!isStoreMiss(e)) throw e;
      return undefined;
    }
  }

  const routes: Route[] = [route("GET", BLOB, signedUrlOnly, getSignedBlob)];

  /** True when the request names one of the registry's data endpoints (home or a replica's) rather than its login server. */
  function isDataHost(ctx: RequestContext, registry: RegistryView): boolean {
    return dataHostRegion(ctx.host, registry) !== undefined;
  }

  /** The data host's whole API: one route. Manifests, uploads, tokens and listings live on the login server. */
  async function dispatch(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
    if (!registry.dataEndpointEnabled) {
      throw new DomainError("ROUTE_UNKNOWN", "the registry's dedicated data endpoint is not enabled");
    }
    const m = matchRoute(routes, ctx.method, ctx.rawPath);
    if (!m.ok) throw new DomainError("ROUTE_UNKNOWN", "the data endpoint serves only blob downloads (GET /v2/<repository>/blobs/<digest>)");
    return m.route.handler({ ctx, registry, params: m.params });
  }

  return { getBlobOrRedirect, isDataHost, dispatch };
}

/** A replica store's answer that means "ask home instead": the blob is not there, or the store is down. */
function isStoreMiss(e: unknown): boolean {
  return e instanceof StorageError && (e.code === "BlobNotFound" || e.code === "StoreUnavailable");
}
