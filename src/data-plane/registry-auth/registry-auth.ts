// Registry authentication and authorization, as ACR (azure-sdk-clients.md 3.1, acr-networking.md 5.1).
// This file only composes: it builds the steps' inputs once and names the four flows, each of
// which reads top to bottom in its own file (parse -> authenticate -> scopes -> authorize -> mint
// -> audit):
//
//   check()                   every /v2 and /acr/v1 request, for the need its route declares  check.ts
//   POST /oauth2/exchange     identity-provider access token -> ACR refresh token              exchange.ts
//   POST /oauth2/token        refresh_token or password grant -> ACR access token              token.ts
//   GET  /oauth2/token        Basic (or nothing, for anonymous pull) -> ACR access token       token.ts
//
// The steps they share: requests.ts (parse), authenticate.ts (which credential; the failed-login
// limits of auth/login-throttle.ts: 429 with Retry-After, no password check, once over the limit),
// credentials.ts (principals from passwords and refresh tokens, rights on a registry), scopes.ts
// (scope grammar, the intersection, the challenge scope), mint.ts, refusals.ts (the one mapping
// from a refusal to a catalogued response).
//
// An access token grants the intersection of the requested scopes and what the principal holds at
// issue time (role assignments are read then); check() itself never touches storage for a bearer
// token, which keeps the hot path (manifest and blob GETs) to one signature check, cached.

import type { Logger } from "pino";
import type { AccessControl } from "../../auth/types.js";
import type { AuditSink } from "../../audit/event.js";
import type { TokenIssueSink } from "../../audit/token-aggregate.js";
import type { LoginThrottle } from "../../auth/login-throttle.js";
import { ARM_AUDIENCE_ALIASES, AudienceSet, CONTAINER_REGISTRY_AUDIENCE } from "../../auth/audiences.js";
import type { RegistryView } from "../../domain/registry.js";
import type { HandlerResult, RequestContext } from "../../http/types.js";
import type { LocalIdentityProvider } from "../../identity/identity-provider.js";
import type { MetadataStore } from "../../storage/types.js";
import type { RegistryAuth } from "../registry-auth-contract.js";
import { accessTokenVerifier } from "./authenticate.js";
import { checkAccess, type CheckDeps } from "./check.js";
import { exchange, storedArmPolicy, type ExchangeDeps } from "./exchange.js";
import { tokenGet, tokenPost, type TokenDeps } from "./token.js";

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
  /** Told about the exchange refused for another audience, and issues when there is no tokenIssues (no secrets, no tokens in the event). Other refusals reach the pipeline's onDenied. */
  audit?: AuditSink;
  /**
   * Told about every routine token issue, to count them per principal, registry and minute
   * (audit/token-aggregate.ts). Absent: each issue is one `registry.token` record through `audit`.
   */
  tokenIssues?: TokenIssueSink;
}

/** Everything the flows take, built once per Cove. */
export type FlowDeps = CheckDeps & ExchangeDeps & TokenDeps;

type TokenFlow = (d: FlowDeps, ctx: RequestContext, registry: RegistryView) => Promise<HandlerResult>;

/** The token endpoints by method and path. Anything else falls through to the router's 404, as ACR answers (Azure/acr#166). */
const TOKEN_FLOWS: Record<string, TokenFlow> = {
  "POST /oauth2/exchange": exchange,
  "POST /oauth2/token": tokenPost,
  "GET /oauth2/token": tokenGet,
};

/** The flow for a request, or undefined when the path (trailing slashes and case aside) and method are not a token endpoint's. */
export function tokenFlowFor(method: string, rawPath: string): TokenFlow | undefined {
  const path = rawPath.replace(/\/+$/, "").toLowerCase();
  return Object.hasOwn(TOKEN_FLOWS, `${method} ${path}`) ? TOKEN_FLOWS[`${method} ${path}`] : undefined;
}

export function flowDeps(deps: RegistryAuthDeps): FlowDeps {
  return {
    cred: { meta: deps.meta, idp: deps.idp, access: deps.access },
    throttle: deps.throttle,
    idp: deps.idp,
    log: deps.log,
    audit: deps.audit,
    tokenIssues: deps.tokenIssues,
    verifyAccessToken: accessTokenVerifier(deps.idp.keys),
    armAndRegistry: (deps.armAudiences ?? new AudienceSet(ARM_AUDIENCE_ALIASES)).with([CONTAINER_REGISTRY_AUDIENCE]),
    armPolicyOf: (registry) => storedArmPolicy(deps.meta, registry.id),
  };
}

export function createRegistryAuth(deps: RegistryAuthDeps): RegistryAuth {
  const d = flowDeps(deps);
  return {
    check: (ctx, registry, need) => checkAccess(d, ctx, registry, need),
    async handleTokenEndpoint(ctx, registry) {
      const flow = tokenFlowFor(ctx.method, ctx.rawPath);
      return flow ? flow(d, ctx, registry) : undefined;
    },
  };
}
