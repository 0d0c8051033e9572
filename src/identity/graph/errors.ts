// The Microsoft Graph subset's ONE error catalogue (house style habit 2). Graph's body is
// `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`; az 2.45
// reads `error.message` of every non-2xx answer and prints it (role/_msgrpah/_graph_client.py), so
// every answer under /v1.0, the pipeline's 401s and the audience guard's included, is this shape.
// Handlers throw `graphError(name, params)` (a DomainError); `graphErrorResult` is the only place
// that turns an error into a status and a body. docs/errors.md lists every entry
// (test/identity/graph-errors-doc.test.ts fails when the two drift apart).
//
// Several entries share Graph's code (Request_BadRequest is most of Graph's 400s); the key names
// the case. Texts are Graph's where public recordings show them (az's own test recordings:
// Request_ResourceNotFound, Authorization_RequestDenied, the appId reference, the segment and the
// object identifier); the others are Cove's wording and say so in docs/errors.md.

import { DomainError, isDomainError } from "../../domain/errors.js";
import type { HandlerResult, RequestContext } from "../../http/types.js";

export interface GraphCatalogueEntry {
  code: string;
  status: number;
  /** `{name}` is replaced by the error's parameter of that name. */
  message: string;
}

export const GRAPH_ERRORS = {
  TokenMissing: { code: "InvalidAuthenticationToken", status: 401, message: "Access token is empty." },
  TokenInvalid: { code: "InvalidAuthenticationToken", status: 401, message: "Access token validation failure." },
  TokenAudience: { code: "InvalidAuthenticationToken", status: 401, message: "Access token validation failure. Invalid audience." },
  RequestDenied: { code: "Authorization_RequestDenied", status: 403, message: "Insufficient privileges to complete the operation." },
  ResourceNotFound: {
    code: "Request_ResourceNotFound", status: 404,
    message: "Resource '{id}' does not exist or one of its queried reference-property objects are not present.",
  },
  InvalidObjectId: { code: "Request_BadRequest", status: 400, message: "Invalid object identifier '{id}'." },
  UnknownSegment: { code: "Request_BadRequest", status: 400, message: "Resource not found for the segment '{segment}'." },
  MeNotDelegated: { code: "Request_BadRequest", status: 400, message: "/me request is only valid with delegated authentication flow." },
  VersionNotServed: { code: "Request_BadRequest", status: 400, message: "Cove serves Microsoft Graph v1.0 only, not '{version}'." },
  MethodNotAllowed: { code: "Request_BadRequest", status: 405, message: "Specified HTTP method is not allowed for the request target." },
  InvalidBody: { code: "Request_BadRequest", status: 400, message: "The request body is invalid: {reason}" },
  InvalidProperty: { code: "Request_BadRequest", status: 400, message: "Invalid value for property '{property}': {reason}" },
  UnsupportedProperty: { code: "Request_BadRequest", status: 400, message: "Cove's directory does not store the property '{property}' of {type}; {accepted}." },
  UnsupportedQuery: { code: "Request_BadRequest", status: 400, message: "Unsupported query: {reason}" },
  BodyTooLarge: { code: "Request_BadRequest", status: 413, message: "The request body is larger than {limit} bytes." },
  UnsupportedMediaType: { code: "Request_BadRequest", status: 415, message: "The request body must be JSON (application/json), not '{contentType}'." },
  AppIdNotFound: {
    code: "Request_BadRequest", status: 400,
    message: "The appId '{appId}' of the service principal does not reference a valid application object.",
  },
  ServicePrincipalExists: {
    code: "Request_MultipleObjectsWithSameKeyValue", status: 409,
    message: "The service principal cannot be created, updated, or restored because the service principal name {appId} is already in use.",
  },
  IdentifierUriInUse: { code: "Request_BadRequest", status: 400, message: "Another object with the same value for property identifierUris already exists." },
  PasswordNotFound: { code: "Request_BadRequest", status: 400, message: "No password credential with keyId '{keyId}' exists on '{id}'." },
  TooManyPasswords: { code: "Request_BadRequest", status: 400, message: "An application holds at most {max} password credentials in Cove; remove one first." },
  ManagedIdentity: {
    code: "Request_BadRequest", status: 400,
    message: "The service principal '{id}' is a policy assignment's managed identity: it {what}.",
  },
  InternalError: { code: "UnknownError", status: 500, message: "The server encountered an internal error. Please retry the request." },
} as const satisfies Record<string, GraphCatalogueEntry>;

export type GraphErrorName = keyof typeof GRAPH_ERRORS;

/** DomainError codes of Graph errors carry this prefix, so no other surface's code is mistaken for one. */
const PREFIX = "Graph.";

export function graphError(name: GraphErrorName, params: Record<string, string | number> = {}): DomainError {
  const message = GRAPH_ERRORS[name].message.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
  return new DomainError(PREFIX + name, message);
}

/**
 * The errors the management pipeline raises before the Graph routes run, in Graph's terms: the
 * audience guard's 401 (control-plane/arm/token-audience.ts) and the front door's own.
 */
function translate(e: DomainError): DomainError | undefined {
  switch (e.code) {
    case "InvalidAuthenticationTokenAudience": return graphError("TokenAudience");
    case "InvalidAuthenticationToken": return graphError("TokenInvalid");
    case "AuthenticationFailed": return graphError("TokenMissing");
    default: return undefined;
  }
}

/** Graph's innerError date: UTC, seconds, no zone letter ("2025-02-20T10:52:38"). */
function graphDate(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "");
}

function clientRequestId(ctx: RequestContext): string {
  for (const h of ["client-request-id", "x-ms-client-request-id"]) {
    const v = ctx.headers[h];
    if (typeof v === "string" && /^[\w.-]{1,128}$/.test(v)) return v;
  }
  return ctx.requestId;
}

/** Graph's answer headers: the request id under Graph's names (az logs them on failures). */
export function graphHeaders(ctx: RequestContext): Record<string, string> {
  return { "request-id": ctx.requestId, "client-request-id": clientRequestId(ctx) };
}

/**
 * The mapper. A Graph error keeps its entry; a known error of the pipeline is translated; anything
 * else is UnknownError with `internal` set so the caller logs it (never a stack or an internal text).
 */
export function graphErrorResult(err: unknown, ctx: RequestContext): HandlerResult & { internal: boolean } {
  let e = isDomainError(err) && !err.code.startsWith(PREFIX) ? translate(err) : err;
  let internal = false;
  if (!isDomainError(e) || !Object.hasOwn(GRAPH_ERRORS, e.code.slice(PREFIX.length))) {
    e = graphError("InternalError");
    internal = true;
  }
  const d = e as DomainError;
  const entry = GRAPH_ERRORS[d.code.slice(PREFIX.length) as GraphErrorName];
  const headers: Record<string, string> = { ...graphHeaders(ctx), "content-type": "application/json", "Cache-Control": "no-cache" };
  if (entry.status === 401) headers["www-authenticate"] = `Bearer realm="", error="invalid_token"`;
  return {
    status: entry.status,
    headers,
    body: { error: { code: entry.code, message: d.message, innerError: { date: graphDate(new Date()), "request-id": ctx.requestId, "client-request-id": clientRequestId(ctx) } } },
    internal,
  };
}
