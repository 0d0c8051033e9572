// Why registry auth refuses a request, as a value, and the one place a refusal becomes a response.
// The steps of every flow (requests, authenticate, check) return a Refusal instead of writing HTTP,
// so each step is tested by the value it returns; the flows hand it to refusalResponse(). Every
// response is drawn from the data plane's ONE catalogue (errors.ts): the 401 challenge
// (UNAUTHORIZED), 403 (DENIED), 429 after too many failed logins (TOOMANYREQUESTS) and the token
// endpoints' refusals.

import { DomainError } from "../../domain/errors.js";
import type { RegistryView } from "../../domain/registry.js";
import type { HandlerResult, RequestContext } from "../../http/types.js";
import type { Need } from "../registry-auth-contract.js";
import { OCI_ERRORS, catalogueEntry, toOciError } from "../errors.js";
import { challengeDetail, challengeScope } from "./scopes.js";

export type RegistryAuthErrorKey = "UNAUTHORIZED" | "DENIED" | "TOKEN_REQUEST_INVALID" | "TOOMANYREQUESTS";

/** The `error` of a Bearer challenge (RFC 6750 3.1): a token that is bad, or good but too narrow. */
export type TokenError = "invalid_token" | "insufficient_scope";

export type Refusal =
  /** 401 + WWW-Authenticate naming the token endpoint (/v2 and /acr/v1): the client can fetch a token. */
  | { kind: "challenge"; error?: TokenError }
  /** 403 DENIED: Basic credentials that lack the action; there is no token to renew. */
  | { kind: "denied" }
  /** 429 TOOMANYREQUESTS + Retry-After: over the failed-login limit, the password never looked at. */
  | { kind: "throttled"; retryAfterSeconds: number }
  /** 401 UNAUTHORIZED at a token endpoint: credentials that name no one, or a registry setting that is off. */
  | { kind: "unauthorized"; reason: string }
  /** 400 TOKEN_REQUEST_INVALID: a token request that does not parse. */
  | { kind: "invalid"; reason: string };

/** A step's answer: its value, or why the request stops there. */
export type Step<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export const ok = <T>(value: T): Step<T> => ({ ok: true, value });
export const refuse = (refusal: Refusal): { ok: false; refusal: Refusal } => ({ ok: false, refusal });

/** The OCI error response for `key`, with structured `detail` (never secrets). */
export function registryAuthError(key: RegistryAuthErrorKey, method: string, detail?: unknown): HandlerResult {
  const entry = catalogueEntry(key) ?? OCI_ERRORS.UNKNOWN;
  // The catalogue's own message, so the mapper puts `detail` on the wire unchanged.
  return toOciError(new DomainError(key, entry.message, detail), method).result;
}

const THROTTLED_REASON = "too many failed logins from this address or for this user name; retry later";

/**
 * The response for `refusal`. `need` is the route's (check flow): it names the challenge's scope
 * and the detail of a denial. The token endpoints never challenge, so they leave it out.
 */
export function refusalResponse(ctx: RequestContext, registry: RegistryView, refusal: Refusal, need: Need = { kind: "base" }): HandlerResult {
  switch (refusal.kind) {
    case "challenge":
      return challenge(ctx, registry, need, refusal.error);
    case "denied":
      return registryAuthError("DENIED", ctx.method, challengeDetail(need));
    case "throttled": {
      const wait = refusal.retryAfterSeconds;
      const r = registryAuthError("TOOMANYREQUESTS", ctx.method, { reason: THROTTLED_REASON, retryAfterSeconds: wait });
      return { ...r, headers: { ...r.headers, "Retry-After": String(wait) } };
    }
    case "unauthorized":
      return registryAuthError("UNAUTHORIZED", ctx.method, { reason: refusal.reason });
    case "invalid":
      return registryAuthError("TOKEN_REQUEST_INVALID", ctx.method, { reason: refusal.reason });
  }
}

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
