// POST /oauth2/exchange: an identity-provider access token -> an ACR refresh token (JWT, 3 h,
// aud = this login server), as az acr login and @azure/container-registry ask for it:
//
//   1. parse          form: grant_type access_token, service = this registry, access_token, tenant
//   2. authenticate   the access token is ours, valid, and for an audience this registry accepts
//   3. scopes and 4. authorize: none here; a refresh token names the principal only, and its
//                     rights are read each time it is redeemed at /oauth2/token
//   5. mint           the refresh token
//   6. audit          denied for the wrong audience, one row each (the one refusal worth a record:
//                     a real token of ours, minted for something else); issued, counted per
//                     principal, registry and minute (audit/token-aggregate.ts)

import type { Principal } from "../../auth/types.js";
import type { AuditSink } from "../../audit/event.js";
import type { TokenIssueSink } from "../../audit/token-aggregate.js";
import { auditIssued } from "./issued.js";
import { AudienceSet, CONTAINER_REGISTRY_AUDIENCE } from "../../auth/audiences.js";
import type { RegistryView } from "../../domain/registry.js";
import type { HandlerResult, RequestContext } from "../../http/types.js";
import type { AccessTokenCheck, LocalIdentityProvider } from "../../identity/identity-provider.js";
import type { MetadataStore } from "../../storage/types.js";
import { parseExchangeRequest, readTokenForm } from "./requests.js";
import { mintRefreshToken, tokenResponse, type TokenSigner } from "./mint.js";
import { ok, refuse, refusalResponse, type Step } from "./refusals.js";

export interface ExchangeDeps {
  idp: TokenSigner & Pick<LocalIdentityProvider, "checkAccessToken">;
  /** The management endpoint's audiences and ARM's aliases, with the container registry audience. */
  armAndRegistry: AudienceSet;
  /** The registry's azureADAuthenticationAsArmPolicy status (storedArmPolicy): the flow's one registry lookup. */
  armPolicyOf: (registry: RegistryView) => Promise<unknown>;
  audit?: AuditSink;
  /** Routine issues, aggregated (cove serve); absent: each is a registry.token row through `audit`. */
  tokenIssues?: TokenIssueSink;
}

export async function exchange(d: ExchangeDeps, ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
  // 1. parse
  const form = await readTokenForm(ctx);
  if (!form.ok) return refusalResponse(ctx, registry, form.refusal);
  const req = parseExchangeRequest(form.value, registry, d.idp.tenantId);
  if (!req.ok) return refusalResponse(ctx, registry, req.refusal);
  // 2. authenticate
  const audiences = exchangeAudiences(await d.armPolicyOf(registry), d.armAndRegistry);
  const checked = await d.idp.checkAccessToken(req.value.accessToken, audiences);
  const who = exchangePrincipal(checked, audiences);
  if (!who.ok) {
    if (!checked.ok && checked.reason === "audience") {
      // 6. audit (the refusal)
      await d.audit?.({
        kind: "registry.token", endpoint: "exchange", outcome: "denied", reason: "wrong-audience", registry: registry.id,
        audience: checked.audience, principalKind: checked.principal.kind, principalId: checked.principal.id,
        clientIp: ctx.clientIp, requestId: ctx.requestId,
      });
    }
    return refusalResponse(ctx, registry, who.refusal);
  }
  const principal = who.value;
  // 5. mint
  const refresh = await mintRefreshToken(d.idp, registry, principal);
  // 6. audit: a routine issue is counted with the client's path (audit/token-aggregate.ts)
  await auditIssued(d, ctx, registry, principal, { endpoint: "exchange" });
  return tokenResponse({ refresh_token: refresh });
}

const REGISTRY_ONLY = new AudienceSet([CONTAINER_REGISTRY_AUDIENCE]);

/**
 * ACR's rule (acr-networking.md 5.1): the container registry audience always; the ARM audience
 * (the management endpoint's ids and ARM's aliases) unless the registry's
 * azureADAuthenticationAsArmPolicy is disabled.
 */
export function exchangeAudiences(armPolicyStatus: unknown, armAndRegistry: AudienceSet): AudienceSet {
  return String(armPolicyStatus ?? "enabled").toLowerCase() === "disabled" ? REGISTRY_ONLY : armAndRegistry;
}

/**
 * The policy as stored on the registry resource. Read from the store, not the registry view: the
 * exchange is not on the hot path, and the view carries no policies.
 */
export async function storedArmPolicy(meta: Pick<MetadataStore, "getResource">, registryId: string): Promise<unknown> {
  const rec = await meta.getResource(registryId);
  return (rec?.body as any)?.properties?.policies?.azureADAuthenticationAsArmPolicy?.status;
}

/** The identity provider's verdict as this endpoint's answer: the principal, or a 401 saying why. */
export function exchangePrincipal(checked: AccessTokenCheck, audiences: AudienceSet): Step<Principal> {
  if (checked.ok) return ok(checked.principal);
  if (checked.reason === "audience") {
    const accepted = audiences.display.map((a) => `'${a}'`).join(", ");
    return refuse({ kind: "unauthorized", reason: `the access token was obtained for audience '${checked.audience}'; this registry accepts ${accepted}` });
  }
  return refuse({ kind: "unauthorized", reason: "the access token is invalid or expired" });
}
