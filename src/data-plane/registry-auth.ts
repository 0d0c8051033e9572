// Registry authentication and authorization, as ACR (azure-sdk-clients.md 3.1, acr-networking.md 5.1).
//
//   check(): every /v2 and /acr/v1 request, for the need its route declares
//     Bearer <ACR access token>   signature, expiry, aud == this login server, `access` covers the need
//     Basic user:password         null GUID + refresh token | admin user | service principal
//     nothing                     anonymous pull, only when anonymousPullEnabled and only for pull
//     -> 401 + challenge when credentials are missing or invalid; a bearer token that lacks the
//        action -> 401 with error="insufficient_scope" (the client can fetch a better token, as
//        distribution does); Basic credentials that lack the action -> 403 DENIED (nothing to renew).
//   Basic and the password grant go through the failed-login limits (auth/login-throttle.ts):
//     429 TOOMANYREQUESTS with Retry-After, without a password check, once over the limit.
//   POST /oauth2/exchange   identity-provider access token -> ACR refresh token (JWT, 3 h, aud = login server);
//                           only ACR's audiences are exchanged (auth/audiences.ts)
//   POST /oauth2/token      refresh_token or password grant -> ACR access token
//   GET  /oauth2/token      Basic (or nothing, for anonymous pull) -> ACR access token
//
// An access token grants the intersection of the requested scopes and what the principal holds at
// issue time (role assignments are read then); check() itself never touches storage for a bearer
// token, which keeps the hot path (manifest and blob GETs) to one signature check, cached.

import type { Logger } from "pino";
import type { HandlerResult, RequestContext } from "../http/types.js";
import type { AccessControl, Principal } from "../auth/types.js";
import type { LocalIdentityProvider } from "../identity/identity-provider.js";
import type { RegistryView } from "../domain/registry.js";
import type { MetadataStore } from "../storage/types.js";
import type { TokenClaims } from "../auth/tokens.js";
import type { AccessResult, Need, RegistryAuth } from "./registry-auth-contract.js";
import { readForm } from "../auth/token-request-body.js";
import type { LoginThrottle } from "../auth/login-throttle.js";
import { ARM_AUDIENCE_ALIASES, AudienceSet, CONTAINER_REGISTRY_AUDIENCE } from "../auth/audiences.js";
import { registryAuthError } from "./registry-auth-errors.js";
import { accessAllows, challengeDetail, challengeScope, grantAccess, parseScopes, type AccessEntry } from "./registry-auth-scopes.js";
import {
  ANONYMOUS, mayListCatalog, parseAuthorization, principalFromPassword, principalFromRefreshToken, registryActionsOf,
  type CredentialDeps,
} from "./registry-auth-credentials.js";

/** ACR refresh tokens "expire after three hours" (container-registry JS SDK). */
export const REFRESH_TOKEN_TTL = 3 * 60 * 60;
/** Access tokens are short: rights are fixed at issue time, so this bounds how long a revoked role lingers. */
export const ACCESS_TOKEN_TTL = 20 * 60;
const VERIFIED_CACHE_MAX = 2048;
const REGISTRY_ONLY = new AudienceSet([CONTAINER_REGISTRY_AUDIENCE]);

export interface RegistryAuthDeps {
  meta: MetadataStore;
  idp: LocalIdentityProvider;
  access: AccessControl;
  log: Logger;
  /**
   * The management endpoint's audiences (auth/audiences.ts managementAudiences), which the exchange
   * accepts as "the ARM audience". Default: ARM's public-cloud names only.
   */
  armAudiences?: AudienceSet;
  /** Failed-login limits and their aggregated audit (auth/login-throttle.ts). Absent: no limits. */
  throttle?: LoginThrottle;
  /** Told about every token issued (no secrets, no tokens in the event). Refusals reach the pipeline's onDenied. */
  audit?: (event: Record<string, unknown>) => void | Promise<void>;
}

type TokenError = "invalid_token" | "insufficient_scope";

function challenge(ctx: RequestContext, registry: RegistryView, need: Need, error?: TokenError): HandlerResult {
  const ls = registry.loginServer;
  const scope = challengeScope(need);
  // Values double-quoted (the JS SDK parses with /(\w+?)="(.*?)"/); no "," or "=" inside them (az's naive parser).
  let header = `Bearer realm="https://${ls}/oauth2/token",service="${ls}"`;
  if (scope) header += `,scope="${scope}"`;
  if (error) header += `,error="${error}"`;
  const r = registryAuthError("UNAUTHORIZED", ctx.method, challengeDetail(need));
  return { ...r, headers: { ...r.headers, "WWW-Authenticate": header } };
}

function principalFromClaims(c: TokenClaims): Principal | undefined {
  const kind = c.kind;
  if (typeof c.sub !== "string") return undefined;
  if (kind === "servicePrincipal") return { kind, id: c.sub, clientId: typeof c.appid === "string" ? c.appid : undefined, tenantId: String(c.tenant ?? "") };
  if (kind === "adminUser") return { kind, id: c.sub };
  if (kind === "anonymous") return ANONYMOUS;
  return undefined;
}

function needSatisfiedBy(need: Need, principal: Principal, actions: Set<string>): boolean {
  if (need.kind === "base") return true;
  if (need.kind === "catalog") return mayListCatalog(principal, actions as Set<any>);
  return need.actions.every((a) => actions.has(a) || actions.has("*"));
}

export function createRegistryAuth(deps: RegistryAuthDeps): RegistryAuth {
  const cred: CredentialDeps = { meta: deps.meta, idp: deps.idp, access: deps.access };
  const keys = deps.idp.keys;
  // Verified access tokens by their exact text: a token cannot change, so one signature check serves
  // all its requests; expiry and audience are still checked on every use.
  const verified = new Map<string, TokenClaims>();

  /**
   * Every password check goes through here: refused with 429 while the source or the name is over
   * its failure limit (the password is not even looked at), counted when it fails.
   */
  async function passwordLogin(ctx: RequestContext, registry: RegistryView, username: string, password: string, endpoint: string):
    Promise<{ principal?: Principal; throttled?: HandlerResult }> {
    const attempt = { clientIp: ctx.clientIp, username, endpoint, registry: registry.id };
    const wait = deps.throttle?.admit(attempt);
    if (wait !== undefined) {
      const r = registryAuthError("TOOMANYREQUESTS", ctx.method, { reason: "too many failed logins from this address or for this user name; retry later", retryAfterSeconds: wait });
      return { throttled: { ...r, headers: { ...r.headers, "Retry-After": String(wait) } } };
    }
    const principal = await principalFromPassword(cred, registry, username, password);
    if (!principal) deps.throttle?.failed(attempt);
    return { principal };
  }

  async function verifyAccessToken(token: string, registry: RegistryView): Promise<TokenClaims | undefined> {
    const now = Math.floor(Date.now() / 1000);
    let claims = verified.get(token);
    if (!claims) {
      claims = await keys.verify(token, { use: "acr_access" });
      if (!claims) return undefined;
      if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
    }
    if (typeof claims.exp !== "number" || claims.exp <= now) {
      verified.delete(token);
      return undefined;
    }
    const aud = typeof claims.aud === "string" ? claims.aud : "";
    return aud.toLowerCase() === registry.loginServer.toLowerCase() ? claims : undefined;
  }

  async function check(ctx: RequestContext, registry: RegistryView, need: Need): Promise<AccessResult> {
    const presented = parseAuthorization(ctx.headers.authorization);
    switch (presented.scheme) {
      case "none": {
        const pullOnly = need.kind === "repository" && need.actions.length > 0 && need.actions.every((a) => a === "pull");
        if (pullOnly && registry.anonymousPullEnabled) return { ok: true, principal: ANONYMOUS };
        return { ok: false, result: challenge(ctx, registry, need) };
      }
      case "invalid":
        return { ok: false, result: challenge(ctx, registry, need) };
      case "bearer": {
        const claims = await verifyAccessToken(presented.token, registry);
        const principal = claims && principalFromClaims(claims);
        // Tokens minted for the admin user or for anonymous pull die with the registry setting.
        const stale =
          (principal?.kind === "adminUser" && !registry.adminUserEnabled) ||
          (principal?.kind === "anonymous" && !registry.anonymousPullEnabled);
        if (!claims || !principal || stale) return { ok: false, result: challenge(ctx, registry, need, "invalid_token") };
        if (!accessAllows(claims.access, need)) return { ok: false, result: challenge(ctx, registry, need, "insufficient_scope") };
        return { ok: true, principal };
      }
      case "basic": {
        const login = await passwordLogin(ctx, registry, presented.username, presented.password, ctx.rawPath.toLowerCase().startsWith("/acr/") ? "acr" : "v2");
        if (login.throttled) return { ok: false, result: login.throttled };
        const principal = login.principal;
        if (!principal) return { ok: false, result: challenge(ctx, registry, need) };
        const actions = await registryActionsOf(cred, principal, registry);
        if (!needSatisfiedBy(need, principal, actions)) {
          return { ok: false, result: registryAuthError("DENIED", ctx.method, challengeDetail(need)) };
        }
        return { ok: true, principal };
      }
    }
  }

  const unauthorized = (ctx: RequestContext, reason: string) => registryAuthError("UNAUTHORIZED", ctx.method, { reason });
  const invalid = (ctx: RequestContext, reason: string) => registryAuthError("TOKEN_REQUEST_INVALID", ctx.method, { reason });
  const serviceMismatch = (service: string | null, registry: RegistryView) =>
    !service ? "missing 'service'" : service.toLowerCase() !== registry.loginServer.toLowerCase() ? "'service' does not name this registry" : undefined;

  function tokenResponse(body: Record<string, unknown>): HandlerResult {
    return { status: 200, headers: { "Cache-Control": "no-store", Pragma: "no-cache" }, body };
  }

  async function issueAccessToken(ctx: RequestContext, registry: RegistryView, principal: Principal, scopes: AccessEntry[]): Promise<HandlerResult> {
    const actions = await registryActionsOf(cred, principal, registry);
    const access = grantAccess(scopes, actions, mayListCatalog(principal, actions));
    const now = Math.floor(Date.now() / 1000);
    const token = await keys.sign(
      {
        token_use: "acr_access",
        iss: deps.idp.issuer,
        aud: registry.loginServer,
        sub: principal.id,
        kind: principal.kind,
        appid: principal.clientId,
        tenant: deps.idp.tenantId,
        access,
      },
      ACCESS_TOKEN_TTL,
      now,
    );
    await deps.audit?.({
      type: "registry.token", endpoint: "token", outcome: "issued", registry: registry.id,
      principalKind: principal.kind, principalId: principal.id, access, clientIp: ctx.clientIp, requestId: ctx.requestId,
    });
    deps.log.debug({ requestId: ctx.requestId, registry: registry.name, principal: principal.id, access }, "registry access token issued");
    return tokenResponse({ access_token: token, expires_in: ACCESS_TOKEN_TTL, issued_at: new Date(now * 1000).toISOString() });
  }

  /**
   * ACR's rule (acr-networking.md 5.1): the container registry audience always; the ARM audience
   * (the management endpoint's ids and ARM's aliases) unless the registry's
   * azureADAuthenticationAsArmPolicy is disabled. Read from the stored registry: the exchange is
   * not on the hot path, and the view carries no policies.
   */
  async function exchangeAudiences(registry: RegistryView): Promise<AudienceSet> {
    const rec = await deps.meta.getResource(registry.id);
    const status = (rec?.body as any)?.properties?.policies?.azureADAuthenticationAsArmPolicy?.status;
    return String(status ?? "enabled").toLowerCase() === "disabled" ? REGISTRY_ONLY : armAndRegistry;
  }
  const armAndRegistry = (deps.armAudiences ?? new AudienceSet(ARM_AUDIENCE_ALIASES)).with([CONTAINER_REGISTRY_AUDIENCE]);

  async function exchange(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
    const read = await readForm(ctx.req, ctx.headers);
    if (!read.ok) return invalid(ctx, read.reason === "too_large" ? "request body too large" : "malformed form body");
    const f = read.form;
    const grant = f.get("grant_type");
    if (grant !== "access_token" && grant !== "access_token_refresh_token") return invalid(ctx, "unsupported grant_type");
    const bad = serviceMismatch(f.get("service"), registry);
    if (bad) return invalid(ctx, bad);
    const aad = f.get("access_token");
    if (!aad) return invalid(ctx, "missing 'access_token'");
    const tenant = f.get("tenant");
    if (tenant && tenant.toLowerCase() !== deps.idp.tenantId.toLowerCase()) return unauthorized(ctx, "the tenant is not this registry's tenant");
    const audiences = await exchangeAudiences(registry);
    const checked = await deps.idp.checkAccessToken(aad, audiences);
    if (!checked.ok && checked.reason === "audience") {
      await deps.audit?.({
        kind: "auth", type: "registry.token", endpoint: "exchange", outcome: "denied", reason: "wrong-audience", registry: registry.id,
        audience: checked.audience, principalKind: checked.principal.kind, principalId: checked.principal.id,
        clientIp: ctx.clientIp, requestId: ctx.requestId,
      });
      return unauthorized(ctx, `the access token was obtained for audience '${checked.audience}'; this registry accepts ${audiences.display.map((a) => `'${a}'`).join(", ")}`);
    }
    if (!checked.ok) return unauthorized(ctx, "the access token is invalid or expired");
    const principal = checked.principal;
    const refresh = await keys.sign(
      {
        token_use: "acr_refresh",
        iss: deps.idp.issuer,
        aud: registry.loginServer,
        sub: principal.id,
        kind: principal.kind,
        appid: principal.clientId,
        tenant: deps.idp.tenantId,
        grant_type: "refresh_token",
      },
      REFRESH_TOKEN_TTL,
    );
    await deps.audit?.({
      type: "registry.token", endpoint: "exchange", outcome: "issued", registry: registry.id,
      principalKind: principal.kind, principalId: principal.id, clientIp: ctx.clientIp, requestId: ctx.requestId,
    });
    return tokenResponse({ refresh_token: refresh });
  }

  async function tokenPost(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
    const read = await readForm(ctx.req, ctx.headers);
    if (!read.ok) return invalid(ctx, read.reason === "too_large" ? "request body too large" : "malformed form body");
    const f = read.form;
    const bad = serviceMismatch(f.get("service"), registry);
    if (bad) return invalid(ctx, bad);
    const scopes = parseScopes(f.getAll("scope"));
    if (!scopes) return invalid(ctx, "malformed 'scope'");
    const grant = f.get("grant_type");
    let principal: Principal | undefined;
    if (grant === "refresh_token") {
      const rt = f.get("refresh_token");
      if (!rt) return invalid(ctx, "missing 'refresh_token'");
      principal = await principalFromRefreshToken(cred, rt, registry);
      if (!principal) return unauthorized(ctx, "the refresh token is invalid, expired or for another registry");
    } else if (grant === "password") {
      const username = f.get("username") ?? "";
      const password = f.get("password") ?? "";
      if (!username && !password) {
        // The SDK's anonymous client: grant_type=password&refresh_token=&service=..&scope=..
        if (!registry.anonymousPullEnabled) return unauthorized(ctx, "anonymous pull is not enabled on this registry");
        principal = ANONYMOUS;
      } else {
        const login = await passwordLogin(ctx, registry, username, password, "token");
        if (login.throttled) return login.throttled;
        principal = login.principal;
        if (!principal) return unauthorized(ctx, "invalid username or password");
      }
    } else {
      return invalid(ctx, "unsupported grant_type");
    }
    return issueAccessToken(ctx, registry, principal, scopes);
  }

  async function tokenGet(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
    const bad = serviceMismatch(ctx.query.get("service"), registry);
    if (bad) return invalid(ctx, bad);
    const scopes = parseScopes(ctx.query.getAll("scope"));
    if (!scopes) return invalid(ctx, "malformed 'scope'");
    const presented = parseAuthorization(ctx.headers.authorization);
    let principal: Principal | undefined;
    if (presented.scheme === "none") {
      // containerd and docker first ask for an anonymous token (acr-networking.md 5.1, item 5).
      if (!registry.anonymousPullEnabled) return unauthorized(ctx, "authentication required");
      principal = ANONYMOUS;
    } else if (presented.scheme === "basic") {
      const login = await passwordLogin(ctx, registry, presented.username, presented.password, "token");
      if (login.throttled) return login.throttled;
      principal = login.principal;
      if (!principal) return unauthorized(ctx, "invalid username or password");
    } else {
      return unauthorized(ctx, "use Basic credentials on GET /oauth2/token");
    }
    return issueAccessToken(ctx, registry, principal, scopes);
  }

  async function handleTokenEndpoint(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult | undefined> {
    const path = ctx.rawPath.replace(/\/+$/, "").toLowerCase();
    // Other methods fall through to the router's not-found, as ACR answers 404 (Azure/acr#166).
    if (path === "/oauth2/exchange") return ctx.method === "POST" ? exchange(ctx, registry) : undefined;
    if (path === "/oauth2/token") {
      if (ctx.method === "POST") return tokenPost(ctx, registry);
      if (ctx.method === "GET") return tokenGet(ctx, registry);
    }
    return undefined;
  }

  return { check, handleTokenEndpoint };
}
