// THE request pipeline, in order (house style habit 3). A reader answers "what happens to a
// request" from this file alone:
//
//   1. listener        which socket accepted it: management, the public endpoint, or a private endpoint
//                      IP (listeners.ts opens one per endpoint IP; local address from the socket)
//   2. client address  from the socket; X-Forwarded-For only from configured trusted proxies
//   3. network policy  network-policy/decide.ts, before anything else on the registry listeners:
//                      - private endpoint IP, at TCP accept (listeners.ts, before TLS): refused -> the
//                        connection is dropped without an answer (or reset, config privateEndpointDenyMode);
//                      - every registry request, with the registry its Host names: public endpoint
//                        refused -> 403 DENIED naming the client IP, on every route (/v2/, /oauth2/*,
//                        /acr/v1/...); another registry's Host on a private endpoint IP -> its effect.
//                      Each refusal is counted by reason and audited (rate-limited). The management
//                      listener has no network rules, as Azure's control plane.
//   4. authentication  management: bearer token from Cove's identity provider;
//                      registry: done by the data plane's route table through RegistryAuth, because
//                      the 401 challenge must name the route's scope
//   5. authorization   inside each surface, from role assignments, visible where routes are declared
//   6. handler         returns a value; nothing writes to the socket but respond()
//   7. error mapping   one mapper per surface: OCI errors on the registry, ARM errors on management
//   (throughout)       a request body must keep arriving: fewer than bodyProgressMinBytes per
//                      bodyProgressTimeoutSeconds answers the surface's 408 and closes (body-progress.ts);
//                      a body left unread by the answer is never drained: Connection: close
//   8. audit + log     denied data-plane requests are audited (rate-limited); one access log line each;
//                      requests counted by listener and status (/metrics)
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { HandlerResult, ListenerInfo, RequestContext } from "./types.js";
import type { Principal } from "../auth/types.js";
import type { RegistryView } from "../domain/registry.js";
import { decide, type NetworkSnapshot } from "../network-policy/index.js";
import { clientAddress } from "./client-address.js";
import type { DeniedConnections } from "./denied-connections.js";
import { firewallDenied, viaOf, type NetworkDenial } from "./network-step.js";
import { respond } from "./respond.js";
import { watchBodyProgress, type BodyProgressOptions } from "./body-progress.js";
import { DomainError } from "../domain/errors.js";
import { armError } from "../control-plane/arm/errors.js";

export type RouteFn = (ctx: RequestContext) => Promise<HandlerResult | undefined>;

/**
 * The management listener's surfaces, in the order a request tries them; the first that answers wins.
 * Open ones run before the bearer token is read: /healthz, the networking page's files (`/`, `/web/*`)
 * and its sign-in (`/cove/portal/session`), the identity provider (token, discovery), then the
 * audience guard (a token minted for another surface is refused here). Secured ones run after step 4
 * with `ctx.principal` set: the Microsoft Graph subset (/v1.0), service principals, the audit log,
 * /metrics, the lab and the page's own endpoints (Cove's paths), then the ARM API, which owns every
 * other path under its roots.
 */
const OPEN = ["health", "webPage", "portalSignIn", "identity", "audienceGuard"] as const;
const SECURED = ["graph", "servicePrincipals", "auditLog", "metrics", "lab", "portal", "portalEvidence", "arm"] as const;
type OpenRoute = (typeof OPEN)[number];
type SecuredRoute = (typeof SECURED)[number];

export interface PipelineDeps {
  log: Logger;
  trustedProxies: ReadonlySet<string>;
  management: {
    /** The management surfaces by name; the order they are tried in is this file's (OPEN, SECURED). */
    routes: Partial<Record<OpenRoute | SecuredRoute, RouteFn>>;
    verifyToken(token: string): Promise<Principal | undefined>;
    mapError(err: unknown, ctx: RequestContext): HandlerResult;
  };
  registry: {
    byHost(host: string): RegistryView | undefined;
    handle(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult>;
    mapError(err: unknown, ctx: RequestContext): HandlerResult;
    unknownHost(ctx: RequestContext): HandlerResult;
  };
  /** Called for every data-plane 401/403 answer; the audit module rate-limits. */
  onDenied?(ctx: RequestContext, status: number, registry?: RegistryView): void;
  /** Step 3. Absent: every address is allowed (in-process tests of the planes). */
  network?: {
    snapshot(): NetworkSnapshot;
    /** Where a request whose effect is "drop" goes (held without an answer, or reset). */
    denied: DeniedConnections;
    onDenial(d: NetworkDenial): void;
  };
  /** The body-progress timeout (config bodyProgressTimeoutSeconds/MinBytes). Absent: none. */
  bodyProgress?: BodyProgressOptions;
  /** Every answered request, by listener label ("management" | "public" | "private") and status. */
  onRequest?(listener: string, status: number): void;
}

/** The label of a listener in logs and metrics. */
export function listenerLabel(listener: ListenerInfo): string {
  return listener.kind === "management" ? "management" : (listener.via ?? "public");
}

function buildContext(req: IncomingMessage, listener: ListenerInfo, trusted: ReadonlySet<string>): RequestContext {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  // ARM clients send `//subscriptions/...` for scope-based paths, so the management listener
  // collapses slashes. The registry never does: `a//b` is not the repository `a/b` (NAME_INVALID).
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const rawPath = listener.kind === "management" ? path.replace(/\/{2,}/g, "/") : path;
  const hostHeader = (req.headers.host ?? "").toLowerCase();
  return {
    req,
    method: (req.method ?? "GET").toUpperCase(),
    rawUrl,
    rawPath,
    query: new URLSearchParams(q < 0 ? "" : rawUrl.slice(q + 1)),
    headers: req.headers,
    host: hostHeader.startsWith("[") ? hostHeader.replace(/^\[([^\]]*)\].*$/, "$1") : hostHeader.replace(/:\d*$/, ""),
    clientIp: clientAddress(req, trusted),
    listener,
    requestId: randomUUID(),
  };
}

function bearer(ctx: RequestContext): string | undefined {
  const h = ctx.headers.authorization;
  const m = typeof h === "string" ? /^Bearer\s+(\S{1,16384})\s*$/i.exec(h) : null;
  return m?.[1];
}

async function managementRequest(deps: PipelineDeps, ctx: RequestContext): Promise<HandlerResult> {
  const m = deps.management;
  try {
    for (const name of OPEN) {
      const r = await m.routes[name]?.(ctx);
      if (r) return r;
    }
    const token = bearer(ctx);
    if (token) ctx.principal = await m.verifyToken(token);
    for (const name of SECURED) {
      const r = await m.routes[name]?.(ctx);
      if (r) return r;
    }
    return m.mapError(Object.assign(new Error("not found"), { code: "NotFound" }), ctx);
  } catch (err) {
    return m.mapError(err, ctx);
  }
}

async function registryRequest(deps: PipelineDeps, ctx: RequestContext): Promise<{ result?: HandlerResult; registry?: RegistryView; network?: true }> {
  const r = deps.registry;
  const registry = r.byHost(ctx.host);
  // 3. Network policy, before authentication and before the route is known: the Host's registry
  // decides (an unknown Host is allowed here and answered 404 below).
  if (deps.network) {
    const via = viaOf(ctx.listener, ctx.req.socket);
    const d = decide(deps.network.snapshot(), via, ctx.clientIp, registry?.key);
    if (!d.allow) {
      deps.network.onDenial({
        decision: d, via, clientIp: ctx.clientIp, phase: "request",
        request: { method: ctx.method, path: ctx.rawPath, host: ctx.host, requestId: ctx.requestId, registry: registry?.id },
      });
      if (d.effect === "drop") {
        deps.network.denied.deny(ctx.req.socket);
        return { registry, network: true };
      }
      return { result: firewallDenied(ctx.method, ctx.clientIp), registry, network: true };
    }
  }
  if (!registry) return { result: r.unknownHost(ctx) };
  try {
    return { result: await r.handle(ctx, registry), registry };
  } catch (err) {
    return { result: r.mapError(err, ctx), registry };
  }
}

export function createRequestHandler(deps: PipelineDeps, listener: ListenerInfo) {
  const label = listenerLabel(listener);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const ctx = buildContext(req, listener, deps.trustedProxies);
    // Whoever answers first (the handler or the body-progress watchdog) writes; the other does not.
    let answered = false;
    const stopWatch = deps.bodyProgress
      ? watchBodyProgress(req, deps.bodyProgress, () => {
        if (answered) { req.destroy(); req.socket.destroy(); return; }
        answered = true;
        void answerStalled(deps, ctx, res, label, deps.bodyProgress!);
      })
      : () => undefined;
    let result: HandlerResult;
    let registry: RegistryView | undefined;
    if (listener.kind === "management") {
      result = await managementRequest(deps, ctx);
    } else {
      const out = await registryRequest(deps, ctx);
      registry = out.registry;
      if (!out.result) {
        // Dropped by the network decision: no answer at all, the socket is held or reset.
        deps.log.debug({ requestId: ctx.requestId, listener: label, method: ctx.method, path: ctx.rawPath, client: ctx.clientIp }, "request dropped");
        stopWatch();
        return;
      }
      result = out.result;
      // Network refusals are audited by onDenial with their reason; the rest of the 401/403s here.
      if (!out.network && (result.status === 401 || result.status === 403) && deps.onDenied) deps.onDenied(ctx, result.status, registry);
    }
    if (answered) {
      // The watchdog answered 408 and closed the connection; what the handler made of the cut body is moot.
      deps.log.debug({ requestId: ctx.requestId, listener: label, method: ctx.method, path: ctx.rawPath, status: result.status }, "answer after a body timeout dropped");
      return;
    }
    answered = true;
    stopWatch();
    result.headers = { "x-ms-request-id": ctx.requestId, ...(result.headers ?? {}) };
    // A body not read to its end (a 401/403 before the route read it, an error answered early) is
    // never drained: draining would let anyone, authenticated or not, send gigabytes or drip bytes
    // forever. Connection: close makes Node end the connection once the answer is out.
    if (!req.complete) result.headers.Connection = "close";
    await write(deps, ctx, res, result);
    deps.onRequest?.(label, result.status);
    deps.log.debug({
      requestId: ctx.requestId, listener: label, method: ctx.method, path: ctx.rawPath,
      status: result.status, client: ctx.clientIp, registry: registry?.name, ms: Number(process.hrtime.bigint() - started) / 1e6,
    }, "request");
  };
}

/** Writes the answer; a client that leaves before it has all of it is not Cove's failure. */
async function write(deps: PipelineDeps, ctx: RequestContext, res: ServerResponse, result: HandlerResult): Promise<void> {
  try {
    await respond(res, ctx.method, result);
  } catch (err) {
    // "Premature close": the client closed the connection before the answer was all written. skopeo
    // does this to some layer GETs in a normal `copy --all` pull that then succeeds with verified
    // digests (test/e2e/push-log.test.ts): client behaviour, logged at debug. A failing source (a
    // store read error) rejects with its own error instead, and stays a warning.
    const clientLeft = (err as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE";
    deps.log[clientLeft ? "debug" : "warn"]({ requestId: ctx.requestId, method: ctx.method, path: ctx.rawPath, err: (err as Error).message }, "response aborted");
    res.destroy();
  }
}

/** The watchdog's answer: the surface's catalogued 408, then the connection is closed. */
async function answerStalled(deps: PipelineDeps, ctx: RequestContext, res: ServerResponse, label: string, o: BodyProgressOptions): Promise<void> {
  const seconds = o.intervalMs / 1000;
  const detail = { minBytes: o.minBytes, seconds };
  const result = ctx.listener.kind === "management"
    ? deps.management.mapError(armError("RequestTimeout", detail), ctx)
    : deps.registry.mapError(new DomainError("BODY_TIMEOUT", `fewer than ${o.minBytes} bytes in ${seconds} s`, detail), ctx);
  deps.log.info({ requestId: ctx.requestId, listener: label, method: ctx.method, path: ctx.rawPath, client: ctx.clientIp, ...detail }, "request body stalled: answered 408, connection closed");
  const req = ctx.req;
  const socket = req.socket;
  // Once the answer is out, the request is destroyed as well as the socket: Node detaches a request
  // from its socket when the response finishes, so without this a handler still reading the body
  // (an upload holding its session's lock) would wait for bytes that never come. A client that does
  // not read the answer is cut a second later all the same.
  const cut = () => { if (!req.destroyed) req.destroy(); socket.destroy(); };
  socket.once("close", cut);
  setTimeout(cut, 1000).unref();
  if (res.headersSent) { cut(); return; }
  result.headers = { "x-ms-request-id": ctx.requestId, ...(result.headers ?? {}), Connection: "close" };
  await write(deps, ctx, res, result);
  deps.onRequest?.(label, result.status);
}
