// Step 2 of every flow: which credential, and whose it is. Each function takes what it reads and
// returns a principal or a Refusal; none of them writes a response.
//
//   passwordLogin         every password check (Basic on /v2 and /acr/v1, the password grant, Basic
//                         on GET /oauth2/token) goes through the failed-login limits here
//   authenticateToken     a token request's credential: refresh token | password | anonymous
//   accessTokenVerifier   a Bearer ACR access token: signature (once per token text), expiry, audience
//   principalFromClaims   the principal a verified access token names

import type { LoginAttempt, LoginThrottle } from "../../auth/login-throttle.js";
import type { TokenClaims, TokenKeys } from "../../auth/tokens.js";
import type { Principal } from "../../auth/types.js";
import type { RegistryView } from "../../domain/registry.js";
import type { RequestContext } from "../../http/types.js";
import { ANONYMOUS, principalFromPassword, principalFromRefreshToken, type CredentialDeps } from "./credentials.js";
import type { TokenCredential } from "./requests.js";
import { ok, refuse, type Refusal, type Step } from "./refusals.js";

export interface PasswordLoginDeps {
  cred: CredentialDeps;
  /** Failed-login limits (auth/login-throttle.ts). Absent: no limits. */
  throttle?: LoginThrottle;
}

/** The failed-login record of one password check: who asked, as whom, where. */
export function loginAttempt(ctx: Pick<RequestContext, "clientIp">, registry: RegistryView, username: string, endpoint: LoginAttempt["endpoint"]): LoginAttempt {
  return { clientIp: ctx.clientIp, username, endpoint, registry: registry.id };
}

/**
 * A username/password check: refused with 429 while the source or the name is over its failure
 * limit (the password is not even looked at), counted when it fails. `wrong` is the caller's
 * answer to a bad password: a challenge on /v2, a plain 401 at the token endpoint.
 */
export async function passwordLogin(d: PasswordLoginDeps, attempt: LoginAttempt, registry: RegistryView, password: string, wrong: Refusal): Promise<Step<Principal>> {
  const wait = d.throttle?.admit(attempt);
  if (wait !== undefined) return refuse({ kind: "throttled", retryAfterSeconds: wait });
  const principal = await principalFromPassword(d.cred, registry, attempt.username, password);
  if (principal) return ok(principal);
  d.throttle?.failed(attempt);
  return refuse(wrong);
}

const ANONYMOUS_REFUSED: Record<Extract<TokenCredential, { kind: "anonymous" }>["via"], string> = {
  "password-grant": "anonymous pull is not enabled on this registry",
  "no-credentials": "authentication required",
};

/** The principal behind a token request's credential, or the token endpoint's 401 (or 429). */
export async function authenticateToken(d: PasswordLoginDeps, ctx: Pick<RequestContext, "clientIp">, registry: RegistryView, credential: TokenCredential): Promise<Step<Principal>> {
  switch (credential.kind) {
    case "refresh_token": {
      const principal = await principalFromRefreshToken(d.cred, credential.token, registry);
      return principal ? ok(principal) : refuse({ kind: "unauthorized", reason: "the refresh token is invalid, expired or for another registry" });
    }
    case "password": {
      const attempt = loginAttempt(ctx, registry, credential.username, "token");
      return passwordLogin(d, attempt, registry, credential.password, { kind: "unauthorized", reason: "invalid username or password" });
    }
    case "anonymous":
      return registry.anonymousPullEnabled ? ok(ANONYMOUS) : refuse({ kind: "unauthorized", reason: ANONYMOUS_REFUSED[credential.via] });
  }
}

/** The claims of a valid ACR access token for `registry`, or undefined. */
export type AccessTokenVerifier = (token: string, registry: RegistryView) => Promise<TokenClaims | undefined>;

const VERIFIED_CACHE_MAX = 2048;

/**
 * Verified access tokens are kept by their exact text: a token cannot change, so one signature
 * check serves all its requests (the hot path of manifest and blob GETs); expiry and audience are
 * still checked on every use. The oldest entry goes first once `max` are held.
 */
export function accessTokenVerifier(keys: Pick<TokenKeys, "verify">, max = VERIFIED_CACHE_MAX, clock: () => number = Date.now): AccessTokenVerifier {
  const verified = new Map<string, TokenClaims>();
  return async (token, registry) => {
    const now = Math.floor(clock() / 1000);
    let claims = verified.get(token);
    if (!claims) {
      claims = await keys.verify(token, { use: "acr_access" });
      if (!claims) return undefined;
      if (verified.size >= max) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
    }
    if (typeof claims.exp !== "number" || claims.exp <= now) {
      verified.delete(token);
      return undefined;
    }
    const aud = typeof claims.aud === "string" ? claims.aud : "";
    return aud.toLowerCase() === registry.loginServer.toLowerCase() ? claims : undefined;
  };
}

/** The principal an access token was minted for (mint.ts writes these claims). */
export function principalFromClaims(c: TokenClaims): Principal | undefined {
  const kind = c.kind;
  if (typeof c.sub !== "string") return undefined;
  if (kind === "servicePrincipal") return { kind, id: c.sub, clientId: typeof c.appid === "string" ? c.appid : undefined, tenantId: String(c.tenant ?? "") };
  if (kind === "adminUser") return { kind, id: c.sub };
  if (kind === "anonymous") return ANONYMOUS;
  return undefined;
}
