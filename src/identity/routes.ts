// The identity provider's HTTP face on the management listener, unauthenticated (it is where
// callers GET their tokens). Two flavours of the same OAuth 2.0 client-credentials flow:
//
//   Entra v2 (@azure/identity ClientSecretCredential with authorityHost + disableInstanceDiscovery):
//     GET  /{tenant}/v2.0/.well-known/openid-configuration
//     POST /{tenant}/oauth2/v2.0/token
//     GET  /{tenant}/discovery/v2.0/keys
//   ADFS (az 2.45 skips Microsoft's instance discovery only for an authority ending in /adfs):
//     GET  /adfs/.well-known/openid-configuration
//     POST /adfs/oauth2/token
//     GET  /adfs/discovery/keys
//
// GET /metadata/endpoints (az cloud register) is the ARM API's (control-plane/resources/subscriptions.ts): it
// depends on the api-version, so it is served behind the ARM router, not here.
//
// URLs in discovery documents use the Host the client used: msal requires the issuer's host to equal
// the authority host, and a client reaching Cove as localhost:8443 must be sent back to localhost:8443.
// Errors are this surface's catalogue (IDENTITY_ERRORS), in Entra's body shape.

import type { HandlerResult, RequestContext } from "../http/types.js";
import type { LocalIdentityProvider } from "./identity-provider.js";
import { ACCESS_TOKEN_TTL } from "./identity-provider.js";
import { readForm } from "../auth/token-request-body.js";
import type { LoginThrottle } from "../auth/login-throttle.js";
import type { AuditSink } from "../audit/event.js";
import { isStoreFull } from "../domain/errors.js";

export interface IdentityErrorEntry {
  status: number;
  /** The AADSTS number Entra uses for the same failure. */
  aadsts: number;
  message: string;
}

/** The identity-provider error catalogue (docs/errors.md, "Identity provider (token endpoint)"). */
export const IDENTITY_ERRORS = {
  invalid_request: { status: 400, aadsts: 900144, message: "The request body must contain a valid form-encoded token request." },
  invalid_client: { status: 401, aadsts: 7000215, message: "Invalid client secret provided." },
  unauthorized_client: { status: 400, aadsts: 700016, message: "Application with the given identifier was not found in the directory." },
  unsupported_grant_type: { status: 400, aadsts: 70003, message: "The app requested an unsupported grant type." },
  invalid_tenant: { status: 400, aadsts: 90002, message: "Tenant not found." },
  // Entra's lockout number (AADSTS50053); 429 with Retry-After, so clients back off rather than retry.
  temporarily_unavailable: {
    status: 429, aadsts: 50053,
    message: "The application is temporarily locked because of too many sign-in attempts with an incorrect client id or secret.",
  },
  // Cove's: no token is issued while its issue cannot be audited because the data dir's disk is
  // full (the domain's StoreFull). Entra's number for a failure to issue; 507 as on every surface.
  server_error: { status: 507, aadsts: 50000, message: "There was an error issuing a token: the service's storage is full. Retry once space is freed." },
} as const satisfies Record<string, IdentityErrorEntry>;

export type IdentityErrorCode = keyof typeof IDENTITY_ERRORS;

export interface IdentityRoutesOptions {
  /** Told about every token issued or refused (no secrets in the event). */
  audit?: AuditSink;
  /**
   * Failed-login limits (auth/login-throttle.ts), keyed by client id and source. With it, refused
   * secrets are audited as its aggregated `login-failed` counts instead of one record each.
   */
  throttle?: LoginThrottle;
}

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

export function identityError(code: IdentityErrorCode, ctx: RequestContext, detail?: string, headers: Record<string, string> = {}): HandlerResult {
  const e: IdentityErrorEntry = IDENTITY_ERRORS[code];
  const now = new Date();
  const timestamp = now.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  const text = `AADSTS${e.aadsts}: ${e.message}${detail ? ` ${detail}` : ""}`;
  return {
    status: e.status,
    headers: { ...NO_STORE, ...headers },
    body: {
      error: code,
      error_description: `${text} Trace ID: ${ctx.requestId} Correlation ID: ${ctx.requestId} Timestamp: ${timestamp}`,
      error_codes: [e.aadsts],
      timestamp,
      trace_id: ctx.requestId,
      correlation_id: ctx.requestId,
    },
  };
}

const HOST_HEADER = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

/** "https://<host:port>" as the client addressed us; the configured issuer when the header is unusable. */
export function baseUrl(ctx: RequestContext, fallback: string): string {
  const h = ctx.headers.host;
  return typeof h === "string" && HOST_HEADER.test(h) ? `https://${h.toLowerCase()}` : fallback.replace(/\/+$/, "");
}

function json(body: object, status = 200, extra: Record<string, string> = {}): HandlerResult {
  return { status, headers: { ...extra }, body };
}

const V2_DISCOVERY = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/i;
const V2_TOKEN = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i;
const V2_KEYS = /^\/([^/]+)\/discovery\/v2\.0\/keys\/?$/i;
const ADFS_DISCOVERY = /^\/adfs\/\.well-known\/openid-configuration\/?$/i;
const ADFS_TOKEN = /^\/adfs\/oauth2\/token\/?$/i;
const ADFS_KEYS = /^\/adfs\/discovery\/keys\/?$/i;

function discoveryDoc(issuer: string, authorize: string, token: string, jwks: string): object {
  return {
    issuer,
    authorization_endpoint: authorize,
    token_endpoint: token,
    jwks_uri: jwks,
    token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
    grant_types_supported: ["client_credentials"],
    response_types_supported: ["token"],
    id_token_signing_alg_values_supported: ["ES256"],
    subject_types_supported: ["pairwise"],
    scopes_supported: ["openid"],
    claims_supported: ["iss", "aud", "sub", "oid", "tid", "appid", "azp", "iat", "nbf", "exp"],
  };
}

export function createIdentityRoutes(idp: LocalIdentityProvider, opts: IdentityRoutesOptions = {}) {
  const tenantOk = (t: string) => {
    try {
      return decodeURIComponent(t).toLowerCase() === idp.tenantId.toLowerCase();
    } catch {
      return false; // a malformed escape names no tenant
    }
  };

  async function token(ctx: RequestContext, flavour: "v2" | "adfs", base: string): Promise<HandlerResult> {
    const read = await readForm(ctx.req, ctx.headers);
    if (!read.ok) {
      return identityError("invalid_request", ctx, read.reason === "too_large" ? "The request body is too large." : "The request body is malformed.");
    }
    const form = read.form;
    const grant = form.get("grant_type");
    if (!grant) return identityError("invalid_request", ctx, "Missing parameter 'grant_type'.");
    if (grant !== "client_credentials") return identityError("unsupported_grant_type", ctx, "Only 'client_credentials' is supported.");

    // client_secret_post, or client_secret_basic (RFC 6749 2.3.1: form-urlencoded id and secret).
    let clientId = form.get("client_id") ?? undefined;
    let secret = form.get("client_secret") ?? undefined;
    const auth = ctx.headers.authorization;
    if (!secret && typeof auth === "string" && /^basic\s+/i.test(auth)) {
      const decoded = Buffer.from(auth.replace(/^basic\s+/i, ""), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) {
        try {
          clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
          secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " "));
        } catch {
          return identityError("invalid_request", ctx, "Malformed Authorization header.");
        }
      }
    }
    if (!clientId) return identityError("invalid_request", ctx, "Missing parameter 'client_id'.");
    if (!secret) return identityError("invalid_request", ctx, "Missing parameter 'client_secret'.");
    const scope = form.get("scope") ?? (flavour === "adfs" ? form.get("resource") : null);
    if (!scope || scope.length > 2048) return identityError("invalid_request", ctx, "Missing or invalid parameter 'scope'.");

    const attempt = { clientIp: ctx.clientIp, username: clientId, endpoint: "identity" };
    const wait = opts.throttle?.admit(attempt);
    if (wait !== undefined) {
      return identityError("temporarily_unavailable", ctx, `Retry after ${wait} seconds.`, { "Retry-After": String(wait) });
    }
    const principal = await idp.verifyClientSecret(clientId, secret);
    if (!principal) {
      const known = await idp.getServicePrincipal(clientId);
      if (opts.throttle) opts.throttle.failed(attempt);
      else await opts.audit?.({ kind: "identity.token", outcome: "denied", clientId, reason: known ? "bad_secret" : "unknown_client", clientIp: ctx.clientIp, requestId: ctx.requestId });
      return known
        ? identityError("invalid_client", ctx, `Check the secret for app '${known.appId}'.`)
        : identityError("unauthorized_client", ctx);
    }
    const issuer = flavour === "adfs" ? `${base}/adfs` : `${base}/${idp.tenantId}/v2.0`;
    const accessToken = await idp.issueAccessToken(principal, scope, ACCESS_TOKEN_TTL, issuer);
    try {
      // Fail closed: a token whose issue is not in the audit log is not handed out.
      await opts.audit?.({ kind: "identity.token", outcome: "issued", clientId: principal.clientId, principalId: principal.id, clientIp: ctx.clientIp, requestId: ctx.requestId });
    } catch (e) {
      if (isStoreFull(e)) return identityError("server_error", ctx);
      throw e;
    }
    const expires = ACCESS_TOKEN_TTL - 1;
    return json({ token_type: "Bearer", expires_in: expires, ext_expires_in: expires, access_token: accessToken }, 200, NO_STORE);
  }

  return async function identityRoutes(ctx: RequestContext): Promise<HandlerResult | undefined> {
    const path = ctx.rawPath;
    const get = ctx.method === "GET" || ctx.method === "HEAD";
    const post = ctx.method === "POST";
    let m: RegExpExecArray | null;

    if (get && ADFS_DISCOVERY.test(path)) {
      const base = baseUrl(ctx, idp.issuer);
      return json(discoveryDoc(`${base}/adfs`, `${base}/adfs/oauth2/authorize`, `${base}/adfs/oauth2/token`, `${base}/adfs/discovery/keys`));
    }
    if (post && ADFS_TOKEN.test(path)) return token(ctx, "adfs", baseUrl(ctx, idp.issuer));
    if (get && ADFS_KEYS.test(path)) return json(idp.keys.jwks());

    if (get && (m = V2_DISCOVERY.exec(path))) {
      if (!tenantOk(m[1])) return identityError("invalid_tenant", ctx);
      const base = baseUrl(ctx, idp.issuer);
      const t = idp.tenantId;
      return json(discoveryDoc(`${base}/${t}/v2.0`, `${base}/${t}/oauth2/v2.0/authorize`, `${base}/${t}/oauth2/v2.0/token`, `${base}/${t}/discovery/v2.0/keys`));
    }
    if (post && (m = V2_TOKEN.exec(path))) {
      if (!tenantOk(m[1])) return identityError("invalid_tenant", ctx);
      return token(ctx, "v2", baseUrl(ctx, idp.issuer));
    }
    if (get && (m = V2_KEYS.exec(path))) {
      if (!tenantOk(m[1])) return identityError("invalid_tenant", ctx);
      return json(idp.keys.jwks());
    }
    return undefined;
  };
}
