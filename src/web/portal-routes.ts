// The networking page's own endpoints on the management listener (docs/web.md):
//
//   POST /cove/portal/session   open    {code} or {clientId, clientSecret} -> an access token for the page
//   POST /cove/portal/codes     bearer  a one-time sign-in code and the URL that carries it (`cove portal`)
//   GET  /cove/portal/version   bearer  {version, auditSeq}: the page polls it and re-reads on a change
//
// The page keeps the token it gets in memory and sends it as a bearer token, like every other client of
// the API; nothing here sets a cookie, so a request another site makes the browser send carries no
// credential (cross-site request forgery has nothing to ride on). The sign-in POST is the one request
// that needs no credential, so it checks that it comes from the page itself: Origin must be this
// endpoint's and the body JSON (a cross-site form cannot send either), which stops a site from signing
// a visitor in as the site's own principal. A sign-in is audited as the token endpoint's are
// (`identity.token`), and wrong secrets count against the same failure limits.
import type { HandlerResult, RequestContext } from "../http/types.js";
import type { Principal } from "../auth/types.js";
import type { LocalIdentityProvider } from "../identity/identity-provider.js";
import { ACCESS_TOKEN_TTL } from "../identity/identity-provider.js";
import { baseUrl } from "../identity/routes.js";
import type { LoginThrottle } from "../auth/login-throttle.js";
import type { AuditSink } from "../audit/event.js";
import type { MetadataStore } from "../storage/types.js";
import { armError } from "../control-plane/arm/errors.js";
import { webError } from "./errors.js";
import { CODE_TTL_MS, SignInCodes } from "./sign-in-codes.js";
import { AuditTail } from "./audit-tail.js";

export const PORTAL_PATH = "/cove/portal";
const MAX_SIGN_IN_BYTES = 8192;
const NO_STORE = { "Cache-Control": "no-store" };

export interface PortalOptions {
  idp: LocalIdentityProvider;
  meta: MetadataStore;
  /** The configured management endpoint, "https://host:port": the audience of the page's tokens. */
  managementEndpoint: string;
  throttle?: LoginThrottle;
  audit?: AuditSink;
  codes?: SignInCodes;
}

function sameOrigin(ctx: RequestContext): boolean {
  const origin = ctx.headers.origin;
  const host = ctx.headers.host;
  return typeof origin === "string" && typeof host === "string" && origin.toLowerCase() === `https://${host.toLowerCase()}`;
}

async function readSmallJson(ctx: RequestContext): Promise<Record<string, unknown> | undefined> {
  const declared = Number(ctx.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_SIGN_IN_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_SIGN_IN_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const str = (v: unknown, max: number) => (typeof v === "string" && v.length > 0 && v.length <= max ? v : undefined);

export function createPortalRoutes(o: PortalOptions) {
  const codes = o.codes ?? new SignInCodes();
  const tail = new AuditTail(o.meta);
  const scope = `${o.managementEndpoint.replace(/\/+$/, "")}/.default`;

  async function answerWithToken(ctx: RequestContext, principal: Principal): Promise<HandlerResult> {
    const issuer = `${baseUrl(ctx, o.idp.issuer)}/${o.idp.tenantId}/v2.0`;
    const accessToken = await o.idp.issueAccessToken(principal, scope, ACCESS_TOKEN_TTL, issuer);
    await o.audit?.({ kind: "identity.token", outcome: "issued", clientId: principal.clientId, principalId: principal.id, clientIp: ctx.clientIp, requestId: ctx.requestId });
    const sp = await o.idp.getServicePrincipal(principal.id);
    return {
      status: 200,
      headers: NO_STORE,
      body: {
        accessToken,
        expiresOn: new Date(Date.now() + (ACCESS_TOKEN_TTL - 1) * 1000).toISOString(),
        principal: { objectId: principal.id, appId: principal.clientId ?? null, displayName: sp?.displayName ?? principal.clientId ?? principal.id },
        tenantId: o.idp.tenantId,
        subscriptionId: o.idp.subscriptionId,
      },
    };
  }

  async function signIn(ctx: RequestContext): Promise<HandlerResult> {
    const type = String(ctx.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (!sameOrigin(ctx) || type !== "application/json") {
      return webError("CrossOriginRequest", "Sign-in requests come from the page itself: same Origin as the management endpoint, Content-Type application/json.");
    }
    const body = await readSmallJson(ctx);
    if (!body) return webError("InvalidSignInRequest", `The sign-in body must be a JSON object of at most ${MAX_SIGN_IN_BYTES} bytes.`);
    const code = str(body.code, 256);
    if (code) {
      const principal = await codes.redeem(code);
      // The principal may have been deleted in the minute since the code was made: its sign-in dies with it.
      if (!principal || !(await o.idp.getServicePrincipal(principal.id))) {
        return webError("SignInFailed", "The sign-in code is not valid: it expired (codes last 60 seconds) or was already used. Run `cove portal` again.");
      }
      return answerWithToken(ctx, principal);
    }
    const clientId = str(body.clientId, 256);
    const secret = str(body.clientSecret, 1024);
    if (!clientId || !secret) return webError("InvalidSignInRequest", "Give a one-time code, or a client ID and a client secret.");
    const attempt = { clientIp: ctx.clientIp, username: clientId, endpoint: "portal" };
    const wait = o.throttle?.admit(attempt);
    if (wait !== undefined) return webError("SignInThrottled", `Too many failed sign-ins: try again in ${wait} seconds.`, { "Retry-After": String(wait) });
    const principal = await o.idp.verifyClientSecret(clientId, secret);
    if (!principal) {
      if (o.throttle) o.throttle.failed(attempt);
      else await o.audit?.({ kind: "identity.token", outcome: "denied", clientId, reason: (await o.idp.getServicePrincipal(clientId)) ? "bad_secret" : "unknown_client", clientIp: ctx.clientIp, requestId: ctx.requestId });
      return webError("SignInFailed", "The client ID or the client secret is wrong.");
    }
    return answerWithToken(ctx, principal);
  }

  function authenticated(ctx: RequestContext): Principal {
    if (!ctx.principal) throw ctx.headers.authorization ? armError("InvalidAuthenticationToken") : armError("AuthenticationFailed");
    return ctx.principal;
  }

  /** The open part: sign-in, before the bearer token is read. */
  async function open(ctx: RequestContext): Promise<HandlerResult | undefined> {
    if (ctx.rawPath.toLowerCase() !== `${PORTAL_PATH}/session`) return undefined;
    if (ctx.method !== "POST") throw armError("MethodNotAllowed", { method: ctx.method });
    return signIn(ctx);
  }

  /** The secured part: codes and the version the page polls. */
  async function secured(ctx: RequestContext): Promise<HandlerResult | undefined> {
    const path = ctx.rawPath.toLowerCase();
    if (path === `${PORTAL_PATH}/codes`) {
      const principal = authenticated(ctx);
      if (ctx.method !== "POST") throw armError("MethodNotAllowed", { method: ctx.method });
      const issued = await codes.issue(principal);
      if (!issued) return webError("TooManySignInCodes", "Too many unused sign-in codes are open for you; each expires 60 seconds after it was made.");
      // The code rides in the fragment: a browser never sends it in a request line or a Referer.
      const url = `${baseUrl(ctx, o.managementEndpoint)}/#code=${issued.code}`;
      return { status: 201, headers: NO_STORE, body: { code: issued.code, url, expiresInSeconds: CODE_TTL_MS / 1000, expiresOn: new Date(issued.expiresAt).toISOString() } };
    }
    if (path === `${PORTAL_PATH}/version`) {
      authenticated(ctx);
      if (ctx.method !== "GET") throw armError("MethodNotAllowed", { method: ctx.method });
      return { status: 200, headers: NO_STORE, body: { version: o.meta.changes.version, auditSeq: await tail.seq() } };
    }
    return undefined;
  }

  return { open, secured, codes };
}
