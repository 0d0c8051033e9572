// The Microsoft Graph v1.0 subset on the management listener (docs/graph.md): what az 2.45 needs
// for `ad sp create-for-rbac`, `ad sp/app create|list|show|update|delete`, `ad app credential
// reset|list|delete` and `role assignment create --assignee`. It runs among the management
// pipeline's secured routes (http/pipeline.ts), so the bearer token was checked exactly as for
// the ARM API: the same issuer and the same audiences (az asks for `<microsoftGraphResourceId>/.default`,
// which `cove az setup` sets to the management endpoint). It owns every path under /v1.0 and
// /beta and answers all of them in Graph's error shape (errors.ts), a missing token included.
//
// What happens to a Graph request, in order:
//   1. authentication   no principal -> 401 InvalidAuthenticationToken ("Access token is empty." /
//                       "Access token validation failure.")
//   2. routing          unknown segment -> 400, known path with another method -> 405
//   3. authorization    every route: Microsoft.Authorization/roleAssignments/write at the
//                       subscription, as /cove/identity (whoever can mint credentials and assign
//                       roles can grant anything; the two are one permission) -> 403 Authorization_RequestDenied
//   4. query options    lists take `$filter` (filter.ts); any other `$` option is refused
//   5. handler          writes run one at a time (the principal record and its Graph record change
//                       together); each principal or secret change is audited as /cove/identity's are
//   6. error mapping    errors.ts, the one Graph catalogue

import type { Logger } from "pino";
import type { HandlerResult, RequestContext } from "../../http/types.js";
import type { AccessControl } from "../../auth/types.js";
import type { AuditSink } from "../../audit/event.js";
import type { MetadataStore } from "../../storage/types.js";
import type { LocalIdentityProvider } from "../identity-provider.js";
import { MANAGE_PRINCIPALS_ACTION } from "../service-principal-routes.js";
import { baseUrl } from "../routes.js";
import { createDirectory } from "./directory.js";
import { graphError, graphErrorResult, graphHeaders } from "./errors.js";
import type { GraphCall, GraphHandler } from "./call.js";
import { createApplication, deleteApplication, getApplication, listApplications, lookupApplication, patchApplication } from "./applications.js";
import { createServicePrincipal, deleteServicePrincipal, getServicePrincipal, listServicePrincipals, lookupServicePrincipal, patchServicePrincipal } from "./service-principals.js";
import { addPassword, removePassword } from "./credentials.js";
import { emptyCollection, getByIds, getDirectoryObject, me, noSuchObject } from "./directory-objects.js";

const GRAPH_PATH = /^\/(?:v1\.0|beta)(?:\/|$)/i;

/** True for the paths this surface owns (and answers in Graph's error shape). */
export function isGraphPath(rawPath: string): boolean {
  return GRAPH_PATH.test(rawPath);
}

interface GraphRoute {
  method: string;
  segments: string[];
  /** The ARM action the caller must hold at the subscription. */
  requires: string;
  handler: GraphHandler;
  /** A collection GET: takes `$filter`. */
  list: boolean;
  /** Changes the directory: serialised. */
  write: boolean;
}

function route(method: string, path: string, requires: string, handler: GraphHandler): GraphRoute {
  const segments = path.split("/");
  return { method, segments, requires, handler, list: method === "GET" && !segments.includes("{id}"), write: method !== "GET" && path !== "directoryObjects/getByIds" };
}

const MANAGE = MANAGE_PRINCIPALS_ACTION;
const USERS = { eq: ["id", "userPrincipalName", "displayName", "mail"], startswith: ["displayName", "userPrincipalName"], any: [] };
const GROUPS = { eq: ["id", "displayName", "mailNickname"], startswith: ["displayName"], any: [] };

export const GRAPH_ROUTES: GraphRoute[] = [
  route("GET", "applications", MANAGE, listApplications),
  route("POST", "applications", MANAGE, createApplication),
  route("GET", "applications/{id}", MANAGE, getApplication),
  route("PATCH", "applications/{id}", MANAGE, patchApplication),
  route("DELETE", "applications/{id}", MANAGE, deleteApplication),
  route("POST", "applications/{id}/addPassword", MANAGE, addPassword(lookupApplication)),
  route("POST", "applications/{id}/removePassword", MANAGE, removePassword(lookupApplication)),
  route("GET", "servicePrincipals", MANAGE, listServicePrincipals),
  route("POST", "servicePrincipals", MANAGE, createServicePrincipal),
  route("GET", "servicePrincipals/{id}", MANAGE, getServicePrincipal),
  route("PATCH", "servicePrincipals/{id}", MANAGE, patchServicePrincipal),
  route("DELETE", "servicePrincipals/{id}", MANAGE, deleteServicePrincipal),
  route("POST", "servicePrincipals/{id}/addPassword", MANAGE, addPassword(lookupServicePrincipal)),
  route("POST", "servicePrincipals/{id}/removePassword", MANAGE, removePassword(lookupServicePrincipal)),
  route("POST", "directoryObjects/getByIds", MANAGE, getByIds),
  route("GET", "directoryObjects/{id}", MANAGE, getDirectoryObject),
  route("GET", "users", MANAGE, emptyCollection("users", USERS)),
  route("GET", "users/{id}", MANAGE, noSuchObject),
  route("GET", "groups", MANAGE, emptyCollection("groups", GROUPS)),
  route("GET", "groups/{id}", MANAGE, noSuchObject),
  route("GET", "me", MANAGE, me),
  route("GET", "me/{id}", MANAGE, me),
];

type Match = { route: GraphRoute; id: string } | { method: true };

/** Segment names compare case-insensitively, as Graph's; `{id}` matches any segment. */
function match(method: string, segs: string[]): Match {
  let pathKnown = false;
  let deepest = 0;
  for (const r of GRAPH_ROUTES) {
    let i = 0;
    while (i < segs.length && i < r.segments.length && (r.segments[i] === "{id}" || r.segments[i]!.toLowerCase() === segs[i]!.toLowerCase())) i++;
    deepest = Math.max(deepest, i);
    if (i !== segs.length || i !== r.segments.length) continue;
    if (r.method !== method) { pathKnown = true; continue; }
    const at = r.segments.indexOf("{id}");
    return { route: r, id: at < 0 ? "" : segs[at]! };
  }
  if (pathKnown) return { method: true };
  throw graphError("UnknownSegment", { segment: segs[deepest] ?? segs.at(-1) ?? "" });
}

/** OData's system query options are case-insensitive (`$Filter` is `$filter`). */
function checkQuery(ctx: RequestContext, list: boolean): void {
  const keys = [...ctx.query.keys()];
  const filters = keys.filter((k) => k.toLowerCase() === "$filter").length;
  for (const key of new Set(keys)) {
    if (!key.startsWith("$")) continue;
    if (key.toLowerCase() !== "$filter") throw graphError("UnsupportedQuery", { reason: `the query option '${key}' is not supported; Cove's lists take $filter only` });
  }
  if (filters > 1) throw graphError("UnsupportedQuery", { reason: "$filter is given more than once" });
  if (filters && !list) throw graphError("UnsupportedQuery", { reason: "$filter applies to collections only" });
}

export interface GraphRoutesOptions {
  audit?: AuditSink;
  log?: Logger;
}

export function createGraphRoutes(idp: LocalIdentityProvider, access: AccessControl, meta: MetadataStore, opts: GraphRoutesOptions = {}) {
  const dir = createDirectory(idp, meta);
  const subscriptionScope = `/subscriptions/${idp.subscriptionId}`;
  // Writes read, then write (a unique appId, a credential count): one at a time across every node on the store.
  const exclusively = <T>(fn: () => Promise<T>): Promise<T> => meta.exclusive(fn);

  async function handle(ctx: RequestContext): Promise<HandlerResult> {
    const segs = ctx.rawPath.split("/").filter(Boolean).map((s) => {
      try { return decodeURIComponent(s); } catch { throw graphError("UnknownSegment", { segment: s }); }
    });
    if (segs[0]!.toLowerCase() !== "v1.0") throw graphError("VersionNotServed", { version: segs[0]! });
    const principal = ctx.principal;
    // The pipeline sets no principal for a missing token and for an invalid one alike.
    if (!principal) throw graphError(ctx.headers.authorization ? "TokenInvalid" : "TokenMissing");
    const m = match(ctx.method, segs.slice(1));
    if ("method" in m) throw graphError("MethodNotAllowed");
    if (!(await access.authorize(principal, m.route.requires, subscriptionScope))) throw graphError("RequestDenied");
    checkQuery(ctx, m.route.list);
    const call: GraphCall = {
      ctx, principal, dir, tenantId: idp.tenantId, base: baseUrl(ctx, idp.issuer), id: m.id,
      audit: async (draft) => { await opts.audit?.({ ...draft, actorId: principal.id, requestId: ctx.requestId, clientIp: ctx.clientIp }); },
    };
    const result = m.route.write ? await exclusively(() => m.route.handler(call)) : await m.route.handler(call);
    return { ...result, headers: { ...graphHeaders(ctx), ...(result.headers ?? {}) } };
  }

  return async function graphRoutes(ctx: RequestContext): Promise<HandlerResult | undefined> {
    if (!isGraphPath(ctx.rawPath)) return undefined;
    try {
      return await handle(ctx);
    } catch (err) {
      return mapped(err, ctx, opts.log);
    }
  };
}

function mapped(err: unknown, ctx: RequestContext, log?: Logger): HandlerResult {
  const { internal, ...result } = graphErrorResult(err, ctx);
  if (internal) log?.error({ requestId: ctx.requestId, err: (err as Error)?.message, stack: (err as Error)?.stack }, "graph request failed");
  return result;
}

/**
 * A management route that runs before this surface (the audience guard) answers Graph's paths in
 * Graph's error shape: az reads `error.message` from every failed Graph call.
 */
export function inGraphShape(route: (ctx: RequestContext) => Promise<HandlerResult | undefined>, log?: Logger) {
  return async (ctx: RequestContext): Promise<HandlerResult | undefined> => {
    if (!isGraphPath(ctx.rawPath)) return route(ctx);
    try {
      return await route(ctx);
    } catch (err) {
      return mapped(err, ctx, log);
    }
  };
}
