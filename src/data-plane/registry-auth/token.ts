// /oauth2/token -> an ACR access token, by two doors that differ only in how they are asked:
//   POST  form: grant_type refresh_token (from /oauth2/exchange, the SDK's flow) or password
//         (including the SDK's anonymous client, with no username and password)
//   GET   the Docker token endpoint: service and scope in the query, Basic credentials or nothing
//         (containerd and docker ask anonymously first)
// and then one path:
//   1. parse          (requests.ts) scopes and the credential, before anything is verified
//   2. authenticate   refresh token | password (failed-login limits) | anonymous while enabled
//   3. scopes         what the principal holds on this registry now (role assignments are read here)
//   4. authorize      grant the INTERSECTION of what was asked and what is held (scopes.ts)
//   5. mint           the access token, carrying that grant
//   6. audit          issued (no token, no secret in the event): counted per principal, registry
//                     and minute with the client's path (audit/token-aggregate.ts) when Cove
//                     aggregates, one registry.token row each otherwise

import type { Logger } from "pino";
import type { AuditSink } from "../../audit/event.js";
import type { TokenIssueSink } from "../../audit/token-aggregate.js";
import { auditIssued } from "./issued.js";
import type { RegistryView } from "../../domain/registry.js";
import type { HandlerResult, RequestContext } from "../../http/types.js";
import { mayListCatalog, registryActionsOf } from "./credentials.js";
import { authenticateToken, type PasswordLoginDeps } from "./authenticate.js";
import { parseTokenGetRequest, parseTokenPostRequest, readTokenForm, type TokenRequest } from "./requests.js";
import { grantAccess } from "./scopes.js";
import { accessTokenBody, mintAccessToken, tokenResponse, type TokenSigner } from "./mint.js";
import { refusalResponse } from "./refusals.js";

export interface TokenDeps extends PasswordLoginDeps {
  idp: TokenSigner;
  log: Logger;
  audit?: AuditSink;
  /** Routine issues, aggregated (cove serve); absent: each is a registry.token row through `audit`. */
  tokenIssues?: TokenIssueSink;
}

export async function tokenPost(d: TokenDeps, ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
  const form = await readTokenForm(ctx);
  if (!form.ok) return refusalResponse(ctx, registry, form.refusal);
  const req = parseTokenPostRequest(form.value, registry);
  return req.ok ? issueAccessToken(d, ctx, registry, req.value) : refusalResponse(ctx, registry, req.refusal);
}

export async function tokenGet(d: TokenDeps, ctx: RequestContext, registry: RegistryView): Promise<HandlerResult> {
  const req = parseTokenGetRequest(ctx.query, ctx.headers.authorization, registry);
  return req.ok ? issueAccessToken(d, ctx, registry, req.value) : refusalResponse(ctx, registry, req.refusal);
}

/** Steps 2 to 6, for a request already parsed. */
export async function issueAccessToken(d: TokenDeps, ctx: RequestContext, registry: RegistryView, req: TokenRequest): Promise<HandlerResult> {
  // 2. authenticate
  const who = await authenticateToken(d, ctx, registry, req.credential);
  if (!who.ok) return refusalResponse(ctx, registry, who.refusal);
  const principal = who.value;
  // 3. scopes: what is held
  const actions = await registryActionsOf(d.cred, principal, registry);
  // 4. authorize: what is granted
  const access = grantAccess(req.scopes, actions, mayListCatalog(principal, actions));
  // 5. mint
  const minted = await mintAccessToken(d.idp, registry, principal, access);
  // 6. audit
  await auditIssued(d, ctx, registry, principal, { endpoint: "token", access });
  d.log.debug({ requestId: ctx.requestId, registry: registry.name, principal: principal.id, access }, "registry access token issued");
  return tokenResponse(accessTokenBody(minted));
}
