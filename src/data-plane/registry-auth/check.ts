// The access check of every /v2 and /acr/v1 request, for the need its route declares (router.ts):
//
//   1. parse          the Authorization header: Bearer | Basic | nothing | garbage
//   2. authenticate   Bearer: an ACR access token (signature, expiry, aud = this login server) whose
//                     principal's registry setting is still on; Basic: a password login (null GUID +
//                     refresh token | admin user | service principal); nothing: anonymous
//   3. scopes         the route's need; a Bearer token's own `access` claim
//   4. authorize      Bearer: the token's `access` covers the need, else 401 insufficient_scope (the
//                     client can fetch a better token, as distribution does); Basic: the principal's
//                     rights now, else 403 DENIED (nothing to renew); anonymous: pull only, and only
//                     while anonymousPullEnabled, else the 401 challenge
//   (no mint; refusals are audited by the pipeline's onDenied)
//
// A Bearer token never touches storage here: its rights were fixed when it was minted.

import type { Principal } from "../../auth/types.js";
import type { RegistryView } from "../../domain/registry.js";
import type { RequestContext } from "../../http/types.js";
import type { AccessResult, Need } from "../registry-auth-contract.js";
import { ANONYMOUS, mayListCatalog, parseAuthorization, registryActionsOf, type CredentialDeps, type Presented } from "./credentials.js";
import { loginAttempt, passwordLogin, principalFromClaims, type AccessTokenVerifier, type PasswordLoginDeps } from "./authenticate.js";
import { accessAllows } from "./scopes.js";
import { ok, refuse, refusalResponse, type Refusal, type Step } from "./refusals.js";

export interface CheckDeps extends PasswordLoginDeps {
  verifyAccessToken: AccessTokenVerifier;
}

/** Who the check found, and by which credential: authorization differs for each. */
export type CheckIdentity =
  | { by: "none"; principal: Principal }
  | { by: "bearer"; principal: Principal; access: unknown }
  | { by: "basic"; principal: Principal };

export async function checkAccess(d: CheckDeps, ctx: RequestContext, registry: RegistryView, need: Need): Promise<AccessResult> {
  // 1. parse
  const presented = parseAuthorization(ctx.headers.authorization);
  // 2. authenticate
  const who = await authenticatePresented(d, ctx, registry, presented);
  if (!who.ok) return { ok: false, result: refusalResponse(ctx, registry, who.refusal, need) };
  // 3. scopes and 4. authorize
  const refusal = await authorizeNeed(d.cred, registry, need, who.value);
  if (refusal) return { ok: false, result: refusalResponse(ctx, registry, refusal, need) };
  return { ok: true, principal: who.value.principal };
}

/** Step 2: the principal behind the presented credential, or the challenge (or 429). */
export async function authenticatePresented(d: CheckDeps, ctx: Pick<RequestContext, "clientIp" | "rawPath">, registry: RegistryView, presented: Presented): Promise<Step<CheckIdentity>> {
  switch (presented.scheme) {
    case "none":
      return ok({ by: "none", principal: ANONYMOUS });
    case "invalid":
      return refuse({ kind: "challenge" });
    case "bearer": {
      const claims = await d.verifyAccessToken(presented.token, registry);
      const principal = claims && principalFromClaims(claims);
      // Tokens minted for the admin user or for anonymous pull die with the registry setting.
      const stale =
        (principal?.kind === "adminUser" && !registry.adminUserEnabled) ||
        (principal?.kind === "anonymous" && !registry.anonymousPullEnabled);
      if (!claims || !principal || stale) return refuse({ kind: "challenge", error: "invalid_token" });
      return ok({ by: "bearer", principal, access: claims.access });
    }
    case "basic": {
      const endpoint = ctx.rawPath.toLowerCase().startsWith("/acr/") ? "acr" : "v2";
      const attempt = loginAttempt(ctx, registry, presented.username, endpoint);
      const login = await passwordLogin(d, attempt, registry, presented.password, { kind: "challenge" });
      return login.ok ? ok({ by: "basic", principal: login.value }) : login;
    }
  }
}

/** Step 4: undefined when `who` may do what `need` asks; else the refusal. */
export async function authorizeNeed(cred: CredentialDeps, registry: RegistryView, need: Need, who: CheckIdentity): Promise<Refusal | undefined> {
  switch (who.by) {
    case "none": {
      const pullOnly = need.kind === "repository" && need.actions.length > 0 && need.actions.every((a) => a === "pull");
      return pullOnly && registry.anonymousPullEnabled ? undefined : { kind: "challenge" };
    }
    case "bearer":
      return accessAllows(who.access, need) ? undefined : { kind: "challenge", error: "insufficient_scope" };
    case "basic": {
      const actions = await registryActionsOf(cred, who.principal, registry);
      return needSatisfiedBy(need, who.principal, actions) ? undefined : { kind: "denied" };
    }
  }
}

function needSatisfiedBy(need: Need, principal: Principal, actions: Set<string>): boolean {
  if (need.kind === "base") return true;
  if (need.kind === "catalog") return mayListCatalog(principal, actions as Set<any>);
  return need.actions.every((a) => actions.has(a) || actions.has("*"));
}
