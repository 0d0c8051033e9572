// What the Graph tests share: a client that talks to Cove's Microsoft Graph subset as az 2.45
// does (role/_msgrpah/_graph_client.py over azure.cli.core.util.send_raw_request): a token from
// the ADFS endpoint for scope `<microsoftGraphResourceId>/.default` (`cove az setup` sets that id
// to the management endpoint with its trailing slash, so the scope has a double slash), JSON
// bodies, `$filter` percent-encoded with Python's quote(safe=''), a client request id per call.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { TestCove } from "../support/cove.js";
import { https, type HttpResult } from "../support/http.js";

/** The scope az asks for when microsoftGraphResourceId is `<managementEndpoint>/`. */
export const graphScope = (cove: TestCove) => `${cove.managementUrl}//.default`;

/** POST /adfs/oauth2/token as MSAL 1.21 inside az sends it; the whole answer. */
export function tokenRequest(cove: TestCove, clientId: string, secret: string, scope = graphScope(cove)): Promise<HttpResult> {
  return https(`${cove.managementUrl}/adfs/oauth2/token`, {
    method: "POST", ca: cove.ca, headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: clientId, grant_type: "client_credentials", client_info: "1", client_secret: secret, scope }).toString(),
  });
}

export async function tokenFor(cove: TestCove, clientId = cove.credentials.clientId, secret = cove.credentials.clientSecret, scope?: string): Promise<string> {
  const r = await tokenRequest(cove, clientId, secret, scope);
  assert.equal(r.status, 200, r.body.toString());
  return r.json().access_token;
}

/** Python's urllib.parse.quote(s, safe=''): everything but letters, digits and `_.-~` escaped. */
export function pyQuote(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `?$filter=...` as az builds it (_filter_to_query). */
export const azFilter = (f: string) => `?$filter=${pyQuote(f)}`;

export interface GraphClient {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  /** The call, which must answer `status`; returns the parsed body (undefined when empty). */
  ok<T = any>(method: string, path: string, body?: unknown, status?: number): Promise<T>;
}

export function graphClient(cove: TestCove, token: string | undefined): GraphClient {
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    https(`${cove.managementUrl}/v1.0${path}`, {
      method, ca: cove.ca, body: body as never,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "x-ms-client-request-id": randomUUID(), accept: "*/*", ...headers },
    });
  return {
    call,
    async ok(method: string, path: string, body?: unknown, status = method === "POST" ? 201 : method === "GET" ? 200 : 204) {
      const r = await call(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${r.body.toString()}`);
      return (r.body.length ? r.json() : undefined) as never;
    },
  };
}

/** Asserts Graph's error shape and returns the error. */
export function graphErrorOf(r: HttpResult, status: number, code: string): { code: string; message: string; innerError: Record<string, string> } {
  assert.equal(r.status, status, r.body.toString());
  const e = r.json().error;
  assert.equal(e.code, code, r.body.toString());
  assert.equal(typeof e.message, "string");
  assert.match(e.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.match(e.innerError["request-id"], /^[0-9a-f-]{36}$/);
  assert.equal(typeof e.innerError["client-request-id"], "string");
  return e;
}
