// Step 1 of the token flows: parse the request into what it asks for and which credential it
// presents, before anything is verified. Pure, apart from reading the form body.
//
// The scope grammar is checked here, before authentication: a malformed request is a 400 and never
// costs a password check or a failed-login count. The checks run in ACR's order, so the first
// thing wrong with a request is the one reported.

import type { IncomingHttpHeaders } from "node:http";
import type { RegistryView } from "../../domain/registry.js";
import type { RequestContext } from "../../http/types.js";
import { readForm } from "../../auth/token-request-body.js";
import { parseAuthorization } from "./credentials.js";
import { parseScopes, type AccessEntry } from "./scopes.js";
import { ok, refuse, type Step } from "./refusals.js";

/** The credential a token request presents, still unverified. */
export type TokenCredential =
  | { kind: "refresh_token"; token: string }
  | { kind: "password"; username: string; password: string }
  /**
   * No credential. `via` says how the client asked, because the refusal says it back:
   * "password-grant" is @azure/container-registry's anonymous client (grant_type=password with
   * nothing else), "no-credentials" a GET without Authorization (containerd and docker ask so first).
   */
  | { kind: "anonymous"; via: "password-grant" | "no-credentials" };

/** POST or GET /oauth2/token: scopes asked for, and who asks. */
export interface TokenRequest {
  scopes: AccessEntry[];
  credential: TokenCredential;
}

/** POST /oauth2/exchange: the identity provider's access token to trade for a refresh token. */
export interface ExchangeRequest {
  accessToken: string;
}

const invalid = (reason: string) => refuse({ kind: "invalid", reason });

/** The form body of a POST token request (capped, form-encoded only). */
export async function readTokenForm(ctx: Pick<RequestContext, "req" | "headers">): Promise<Step<URLSearchParams>> {
  const read = await readForm(ctx.req, ctx.headers);
  if (!read.ok) return invalid(read.reason === "too_large" ? "request body too large" : "malformed form body");
  return ok(read.form);
}

/** Clients name the registry they want a token for; a token for another would be useless to them. */
function serviceMismatch(service: string | null, registry: RegistryView): string | undefined {
  if (!service) return "missing 'service'";
  return service.toLowerCase() !== registry.loginServer.toLowerCase() ? "'service' does not name this registry" : undefined;
}

/** grant_type=access_token (or access_token_refresh_token), service, access_token, optional tenant. */
export function parseExchangeRequest(form: URLSearchParams, registry: RegistryView, tenantId: string): Step<ExchangeRequest> {
  const grant = form.get("grant_type");
  if (grant !== "access_token" && grant !== "access_token_refresh_token") return invalid("unsupported grant_type");
  const bad = serviceMismatch(form.get("service"), registry);
  if (bad) return invalid(bad);
  const accessToken = form.get("access_token");
  if (!accessToken) return invalid("missing 'access_token'");
  const tenant = form.get("tenant");
  if (tenant && tenant.toLowerCase() !== tenantId.toLowerCase()) return refuse({ kind: "unauthorized", reason: "the tenant is not this registry's tenant" });
  return ok({ accessToken });
}

/** POST /oauth2/token: service, scope (repeatable), and grant_type refresh_token or password. */
export function parseTokenPostRequest(form: URLSearchParams, registry: RegistryView): Step<TokenRequest> {
  const bad = serviceMismatch(form.get("service"), registry);
  if (bad) return invalid(bad);
  const scopes = parseScopes(form.getAll("scope"));
  if (!scopes) return invalid("malformed 'scope'");
  const grant = form.get("grant_type");
  if (grant === "refresh_token") {
    const token = form.get("refresh_token");
    if (!token) return invalid("missing 'refresh_token'");
    return ok({ scopes, credential: { kind: "refresh_token", token } });
  }
  if (grant === "password") {
    const username = form.get("username") ?? "";
    const password = form.get("password") ?? "";
    // The SDK's anonymous client: grant_type=password&refresh_token=&service=..&scope=..
    if (!username && !password) return ok({ scopes, credential: { kind: "anonymous", via: "password-grant" } });
    return ok({ scopes, credential: { kind: "password", username, password } });
  }
  return invalid("unsupported grant_type");
}

/** GET /oauth2/token (the Docker token endpoint): service and scope in the query, Basic or nothing. */
export function parseTokenGetRequest(query: URLSearchParams, authorization: IncomingHttpHeaders["authorization"], registry: RegistryView): Step<TokenRequest> {
  const bad = serviceMismatch(query.get("service"), registry);
  if (bad) return invalid(bad);
  const scopes = parseScopes(query.getAll("scope"));
  if (!scopes) return invalid("malformed 'scope'");
  const presented = parseAuthorization(authorization);
  // containerd and docker first ask for an anonymous token (acr-networking.md 5.1, item 5).
  if (presented.scheme === "none") return ok({ scopes, credential: { kind: "anonymous", via: "no-credentials" } });
  if (presented.scheme === "basic") return ok({ scopes, credential: { kind: "password", username: presented.username, password: presented.password } });
  return refuse({ kind: "unauthorized", reason: "use Basic credentials on GET /oauth2/token" });
}
