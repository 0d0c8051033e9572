// The ARM-compatible management API, as one function the request pipeline calls. What happens to
// an ARM request, in order (as ARM's front door, then the resource provider):
//
//   1. is it an ARM path?          /subscriptions, /tenants, /providers, /metadata; otherwise undefined
//   2. authentication              a principal from the pipeline's bearer check, else 401 + WWW-Authenticate
//   3. routing                     unknown path -> NotFound / InvalidResourceNamespace / InvalidResourceType, 405
//   4. api-version                 per provider (api-versions.ts)
//   5. subscription                Cove has one; any other is SubscriptionNotFound
//   6. authorization               access.authorize(principal, action, scope) BEFORE any state is read
//   7. body                        strict JSON, capped (request-body.ts)
//   8. handler                     writes run one at a time across all nodes (uniqueness checks and
//                                  address allocation cannot race: MetadataStore.exclusive), through
//                                  the policy gate (Deny, Modify; compliance recorded after commit)
//   9. error mapping               errors.ts, the one ARM catalogue
//  10. audit                       one event per write attempt, with its outcome (no secrets)

import { createHash } from "node:crypto";
import type { HandlerResult, RequestContext } from "../../http/types.js";
import { canonicalJson } from "../../domain/audit-chain.js";
import { appendAudit } from "../../audit/log.js";
import type { ArmCall, ArmResult, ManagementApiDeps } from "./types.js";
import { checkApiVersion } from "./api-versions.js";
import { demand } from "./authorize.js";
import { armError, armErrorResult } from "./errors.js";
import { isDomainError, isStoreFull } from "../../domain/errors.js";
import { readJsonBody } from "./request-body.js";
import { matchRoute, pathSegments, type Route } from "./router.js";
import { KNOWN_NAMESPACES, ROUTES } from "./routes.js";
import { assertSubscription } from "./scopes.js";
import { withPolicy } from "../policy/enforce.js";

export type { ManagementApiDeps } from "./types.js";

const ARM_ROOTS = new Set(["subscriptions", "tenants", "providers", "metadata"]);

export interface ManagementApi {
  /** The ARM answer, or undefined when the path is not an ARM path (identity provider, web page, ...). */
  handle(ctx: RequestContext): Promise<HandlerResult | undefined>;
}

function jsonHeaders(ctx: RequestContext): Record<string, string> {
  const correlation = ctx.headers["x-ms-correlation-request-id"];
  return {
    "content-type": "application/json; charset=utf-8",
    "x-ms-request-id": ctx.requestId,
    "x-ms-correlation-request-id": typeof correlation === "string" && correlation.length <= 128 ? correlation : ctx.requestId,
  };
}

/** Why an ARM path matched no route: the namespace or the type is unknown, or nothing is there at all. */
function noRoute(segs: string[], apiVersion: string): never {
  const lower = segs.map((s) => s.toLowerCase());
  const at = lower.lastIndexOf("providers");
  if (at >= 0 && segs[at + 1] !== undefined) {
    const ns = segs[at + 1]!;
    if (!KNOWN_NAMESPACES.some((k) => k.toLowerCase() === ns.toLowerCase())) throw armError("InvalidResourceNamespace", { namespace: ns });
    throw armError("InvalidResourceType", { type: segs[at + 2] ?? "", namespace: ns, apiVersion });
  }
  throw armError("NotFound", { path: "/" + segs.join("/") });
}

function challenge(ctx: RequestContext, deps: ManagementApiDeps, missing: boolean): string {
  const host = String(ctx.headers.host ?? `${ctx.listener.address}:${ctx.listener.port}`);
  const description = missing ? "The authentication failed because of missing 'Authorization' header." : "The access token is invalid.";
  return `Bearer authorization_uri="https://${host}${deps.authorityPath ?? "/adfs"}", error="invalid_token", error_description="${description}"`;
}

export function createManagementApi(deps: ManagementApiDeps): ManagementApi {
  // Writes are serialised: registry name uniqueness, duplicate role assignments, private IP
  // allocation in a subnet and the connection state machine all read, then write. The store's
  // exclusive section (storage/types.ts) holds across every Cove process on the store, not only
  // this one: on PostgreSQL an advisory lock, so two nodes cannot both see a name free or an
  // address unused.
  function exclusively<T>(fn: () => Promise<T>): Promise<T> {
    return deps.meta.exclusive(fn);
  }

  // The stored body of the addressed resource before a write, digested inside the serialised section.
  const beforeDigests = new WeakMap<RequestContext, string | null>();
  async function bodyDigest(resourceId: string): Promise<string | null> {
    const rec = await deps.meta.getResource(resourceId);
    return rec ? `sha256:${createHash("sha256").update(canonicalJson(rec.body)).digest("hex")}` : null;
  }

  async function audit(ctx: RequestContext, r: Route, params: Record<string, string>, resourceId: string, status: number) {
    if (!r.audit || !ctx.principal) return;
    const action = r.auth.kind === "action" ? r.auth.action : `${r.method} ${r.pattern}`;
    try {
      // before/after: sha256 of the canonical JSON of the stored body (null when there is none), so
      // an auditor can tell which writes changed the resource and chain them to exported bodies.
      // A request refused before its handler ran changed nothing: before = after.
      const after = await bodyDigest(resourceId);
      const before = beforeDigests.has(ctx) ? beforeDigests.get(ctx)! : after;
      await appendAudit(deps.meta, { kind: "control-plane", action, resourceId, actor: ctx.principal.id, requestId: ctx.requestId, status, before, after });
    } catch (err) {
      // A refused request on a full disk (its 507 included) changed nothing, and the full disk is
      // already logged once at warn; a change whose record is lost stays an error.
      const refusedOnFull = status >= 400 && isStoreFull(err);
      deps.log[refusedOnFull ? "warn" : "error"]({ requestId: ctx.requestId, status, err: (err as Error).message }, "audit append failed");
    }
  }

  async function run(ctx: RequestContext, segs: string[]): Promise<{ result: ArmResult; route?: Route; params?: Record<string, string> }> {
    const match = matchRoute(ROUTES, ctx.method, segs);
    const open = match.kind === "route" && match.route.auth.kind === "none";
    if (!open && !ctx.principal) {
      const missing = ctx.headers.authorization === undefined;
      throw Object.assign(armError(missing ? "AuthenticationFailed" : "InvalidAuthenticationToken"), {
        wwwAuthenticate: challenge(ctx, deps, missing),
      });
    }
    if (match.kind === "method-not-allowed") throw armError("MethodNotAllowed", { method: ctx.method });
    if (match.kind === "no-route") noRoute(segs, ctx.query.get("api-version") ?? "");
    const { route: r, params } = match;
    const apiVersion = checkApiVersion(r.provider, r.type, ctx.query.get("api-version"));
    if (params.subscriptionId !== undefined) assertSubscription(deps, params.subscriptionId);
    const scopeSub = /^\/subscriptions\/([^/]+)/i.exec(params.scope ?? "");
    if (scopeSub) assertSubscription(deps, scopeSub[1]!);

    const principal = ctx.principal!;
    if (r.auth.kind === "action") await demand(deps, principal, r.auth.action, r.auth.scope(params));
    const body = r.body ? await readJsonBody(ctx) : undefined;
    const call: ArmCall = { ctx, deps: inner, params, principal: principal ?? { kind: "anonymous", id: "" }, apiVersion, body };
    const result = r.audit
      ? await exclusively(async () => {
        beforeDigests.set(ctx, await bodyDigest("/" + segs.join("/")));
        // Every write passes the policy gate (policy/enforce.ts): Deny refuses it whole, Modify rewrites it.
        return withPolicy(call, r.handler, "/" + segs.join("/"));
      })
      : await r.handler(call);
    return { result, route: r, params };
  }

  const api: ManagementApi = {
    async handle(ctx: RequestContext): Promise<HandlerResult | undefined> {
      const segs = pathSegments(ctx.rawPath);
      const root = ctx.rawPath.split("/").filter(Boolean)[0]?.toLowerCase();
      if (!root || !ARM_ROOTS.has(root)) return undefined;
      const resourceId = "/" + (segs ?? []).join("/");
      let route: Route | undefined;
      let params: Record<string, string> = {};
      try {
        if (!segs) throw armError("NotFound", { path: ctx.rawPath });
        const out = await run(ctx, segs);
        route = out.route;
        params = out.params ?? {};
        // A write is answered once the state view includes it (a write that committed nothing waits for nothing).
        if (route?.audit && deps.caughtUp) {
          try {
            await deps.caughtUp();
          } catch (err) {
            deps.log.error({ requestId: ctx.requestId, err: (err as Error).message }, "the state view did not catch up with the write");
          }
        }
        if (route) await audit(ctx, route, params, resourceId, out.result.status);
        const headers = { ...jsonHeaders(ctx), ...(out.result.headers ?? {}) };
        if (out.result.body === undefined) delete (headers as Record<string, string>)["content-type"];
        return { status: out.result.status, headers, body: out.result.body as HandlerResult["body"] };
      } catch (err) {
        const mapped = mapArmError(err, ctx, deps);
        // Attempts that reached a write route are audited with their outcome (denials included).
        const m = segs ? matchRoute(ROUTES, ctx.method, segs) : undefined;
        if (m?.kind === "route") await audit(ctx, m.route, m.params, resourceId, mapped.status);
        return mapped;
      }
    },
  };
  // Handlers reach the front door itself for the work Cove does on a principal's behalf (types.ts InternalApi).
  const inner: ManagementApiDeps = { ...deps };
  inner.internal = {
    invoke: async (ctx) => (await api.handle(ctx)) ?? mapArmError(armError("NotFound", { path: ctx.rawPath }), ctx, deps),
    exclusively: (fn) => exclusively(() => fn(inner)),
  };
  return api;
}

/**
 * The management surface's error mapper, also usable as the pipeline's `management.mapError` for
 * errors raised outside the ARM routes: catalogued errors keep code and status, anything else is a
 * logged InternalServerError.
 */
/** Retry-After of a 503 while a store is unavailable: about how long a PostgreSQL restart takes. */
export const STORE_RETRY_AFTER_SECONDS = 5;

export function mapArmError(err: unknown, ctx: RequestContext, deps?: Pick<ManagementApiDeps, "log">): HandlerResult {
  // The pipeline ends the management routes with a plain Error coded "NotFound" (http/pipeline.ts): no
  // route of any surface took the path (GET /, AAD Graph 1.6 paths, typos; Microsoft Graph v1.0 has its own routes). That is the client's
  // mistake, not Cove's: the catalogued 404, logged at info, never an InternalServerError.
  if (isNoRoute(err)) {
    deps?.log.info({ requestId: ctx.requestId, method: ctx.method, path: ctx.rawPath }, "management path not found");
    err = armError("NotFound", { path: ctx.rawPath });
  }
  const r = armErrorResult(err);
  if (r.internal) deps?.log.error({ requestId: ctx.requestId, err: (err as Error)?.message, stack: (err as Error)?.stack }, "management request failed");
  const headers: Record<string, string> = jsonHeaders(ctx);
  const www = (err as { wwwAuthenticate?: string } | null)?.wwwAuthenticate;
  if (www) headers["www-authenticate"] = www;
  // An outage: ARM clients (the SDKs' retry policy, az) wait this long before they retry.
  if (r.status === 503) headers["retry-after"] = String(STORE_RETRY_AFTER_SECONDS);
  return { status: r.status, headers, body: r.body };
}

/** The pipeline's "no route answered" signal: not a DomainError (the pipeline has no catalogue), code NotFound. */
function isNoRoute(err: unknown): boolean {
  return err instanceof Error && !isDomainError(err) && (err as { code?: unknown }).code === "NotFound";
}
