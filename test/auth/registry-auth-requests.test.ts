// The pure steps of the registry token flows, each on its own and without a Cove: parsing a token
// request (step 1), the one refusal -> response mapping, which flow a request reaches, and the
// exchange's audience rule. Tables, as the house style asks for pure functions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { registryViewFrom } from "../../src/domain/registry.js";
import { AudienceSet } from "../../src/auth/audiences.js";
import { parseExchangeRequest, parseTokenGetRequest, parseTokenPostRequest, readTokenForm } from "../../src/data-plane/registry-auth/requests.js";
import { refusalResponse, type Refusal } from "../../src/data-plane/registry-auth/refusals.js";
import { tokenFlowFor } from "../../src/data-plane/registry-auth/registry-auth.js";
import { exchange, exchangeAudiences, exchangePrincipal } from "../../src/data-plane/registry-auth/exchange.js";
import { tokenGet, tokenPost } from "../../src/data-plane/registry-auth/token.js";
import { fakeContext } from "../support/context.js";

const reg = registryViewFrom("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/teamreg", {
  name: "teamreg", properties: { loginServer: "teamreg.cove.test:8444" },
});
const SERVICE = "TeamReg.cove.test:8444"; // services compare case-insensitively
const TENANT = "0f0f0f0f-0000-4000-8000-00000000000a";
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
const form = (o: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) for (const x of [v].flat()) p.append(k, x);
  return p;
};
const invalid = (reason: string) => ({ ok: false, refusal: { kind: "invalid", reason } });
const unauthorized = (reason: string) => ({ ok: false, refusal: { kind: "unauthorized", reason } });

test("POST /oauth2/token requests: service, then scope, then the grant, each refused with its reason", () => {
  const scopes = [{ type: "repository", name: "a", actions: ["pull"] }];
  const cases: [string, Record<string, string | string[]>, unknown][] = [
    ["refresh grant", { service: SERVICE, scope: "repository:a:pull", grant_type: "refresh_token", refresh_token: "rt" }, { ok: true, value: { scopes, credential: { kind: "refresh_token", token: "rt" } } }],
    ["password grant", { service: SERVICE, scope: "repository:a:pull", grant_type: "password", username: "u", password: "p" }, { ok: true, value: { scopes, credential: { kind: "password", username: "u", password: "p" } } }],
    ["half a password is still a login", { service: SERVICE, grant_type: "password", username: "u" }, { ok: true, value: { scopes: [], credential: { kind: "password", username: "u", password: "" } } }],
    ["the SDK's anonymous client", { service: SERVICE, scope: "repository:a:pull", grant_type: "password", refresh_token: "" }, { ok: true, value: { scopes, credential: { kind: "anonymous", via: "password-grant" } } }],
    ["no service", { scope: "repository:a:pull", grant_type: "refresh_token", refresh_token: "rt" }, invalid("missing 'service'")],
    ["other service", { service: "other.cove.test", grant_type: "refresh_token", refresh_token: "rt" }, invalid("'service' does not name this registry")],
    ["bad scope before a bad grant", { service: SERVICE, scope: "repository:UPPER:pull", grant_type: "nope" }, invalid("malformed 'scope'")],
    ["missing refresh token", { service: SERVICE, grant_type: "refresh_token" }, invalid("missing 'refresh_token'")],
    ["other grant", { service: SERVICE, grant_type: "client_credentials" }, invalid("unsupported grant_type")],
  ];
  for (const [name, f, want] of cases) assert.deepEqual(parseTokenPostRequest(form(f), reg), want, name);
});

test("GET /oauth2/token requests: Basic or nothing; the scope is checked before the credential", () => {
  const q = (s: string) => new URLSearchParams(s);
  const ok = `service=${encodeURIComponent(SERVICE)}&scope=repository:a:pull&scope=repository:b:push`;
  const scopes = [{ type: "repository", name: "a", actions: ["pull"] }, { type: "repository", name: "b", actions: ["push"] }];
  const cases: [string, string, string | undefined, unknown][] = [
    ["nothing: anonymous", ok, undefined, { ok: true, value: { scopes, credential: { kind: "anonymous", via: "no-credentials" } } }],
    ["Basic", ok, basic("u", "p:with:colons"), { ok: true, value: { scopes, credential: { kind: "password", username: "u", password: "p:with:colons" } } }],
    ["Bearer is not for this endpoint", ok, "Bearer abc", unauthorized("use Basic credentials on GET /oauth2/token")],
    ["garbled Basic", ok, "Basic !!!", unauthorized("use Basic credentials on GET /oauth2/token")],
    ["bad scope wins over bad credentials", `service=${SERVICE}&scope=nocolons`, "Bearer abc", invalid("malformed 'scope'")],
    ["no service", "scope=repository:a:pull", undefined, invalid("missing 'service'")],
  ];
  for (const [name, query, auth, want] of cases) assert.deepEqual(parseTokenGetRequest(q(query), auth, reg), want, name);
});

test("POST /oauth2/exchange requests: grant, service, access token, then the tenant (a 401, not a 400)", () => {
  const ok = { grant_type: "access_token", service: SERVICE, access_token: "aad" };
  const cases: [string, Record<string, string>, unknown][] = [
    ["plain", ok, { ok: true, value: { accessToken: "aad" } }],
    ["with the refresh-token grant name", { ...ok, grant_type: "access_token_refresh_token" }, { ok: true, value: { accessToken: "aad" } }],
    ["our tenant, any case", { ...ok, tenant: TENANT.toUpperCase() }, { ok: true, value: { accessToken: "aad" } }],
    ["other tenant", { ...ok, tenant: "0f0f0f0f-0000-4000-8000-00000000000b" }, unauthorized("the tenant is not this registry's tenant")],
    ["wrong grant before anything else", { grant_type: "password" }, invalid("unsupported grant_type")],
    ["no service", { grant_type: "access_token", access_token: "aad" }, invalid("missing 'service'")],
    ["no token", { grant_type: "access_token", service: SERVICE }, invalid("missing 'access_token'")],
  ];
  for (const [name, f, want] of cases) assert.deepEqual(parseExchangeRequest(form(f), reg, TENANT), want, name);
});

test("token form bodies: too large and not a form are refused before any field is read", async () => {
  const read = (body: string, type = "application/x-www-form-urlencoded") => readTokenForm(fakeContext({ method: "POST", url: "/oauth2/token", body, headers: { "content-type": type } }));
  assert.deepEqual(await read("x=" + "y".repeat(70 * 1024)), invalid("request body too large"));
  assert.deepEqual(await read("{}", "application/json"), invalid("malformed form body"));
  const ok = await read("grant_type=password&scope=a");
  assert.ok(ok.ok && ok.value.get("grant_type") === "password");
});

test("every refusal maps to one catalogued response", () => {
  const ctx = fakeContext({ method: "GET", url: "/v2/a/manifests/v1" });
  const need = { kind: "repository" as const, repository: "a", actions: ["push" as const] };
  const cases: [Refusal, number, string, Record<string, string>][] = [
    [{ kind: "challenge" }, 401, "UNAUTHORIZED", { "WWW-Authenticate": 'Bearer realm="https://teamreg.cove.test:8444/oauth2/token",service="teamreg.cove.test:8444",scope="repository:a:pull,push"' }],
    [{ kind: "challenge", error: "insufficient_scope" }, 401, "UNAUTHORIZED", { "WWW-Authenticate": 'Bearer realm="https://teamreg.cove.test:8444/oauth2/token",service="teamreg.cove.test:8444",scope="repository:a:pull,push",error="insufficient_scope"' }],
    [{ kind: "denied" }, 403, "DENIED", {}],
    [{ kind: "throttled", retryAfterSeconds: 42 }, 429, "TOOMANYREQUESTS", { "Retry-After": "42" }],
    [{ kind: "unauthorized", reason: "r" }, 401, "UNAUTHORIZED", {}],
    [{ kind: "invalid", reason: "r" }, 400, "UNSUPPORTED", {}],
  ];
  for (const [refusal, status, code, headers] of cases) {
    const r = refusalResponse(ctx, reg, refusal, need);
    assert.equal(r.status, status, refusal.kind);
    assert.equal((r.body as any).errors[0].code, code, refusal.kind);
    for (const [k, v] of Object.entries(headers)) assert.equal((r.headers as any)?.[k], v, `${refusal.kind} ${k}`);
    if (refusal.kind !== "challenge") assert.equal((r.headers as any)?.["WWW-Authenticate"], undefined, refusal.kind);
  }
  assert.deepEqual((refusalResponse(ctx, reg, { kind: "denied" }, need).body as any).errors[0].detail, [
    { Type: "repository", Name: "a", Action: "pull" }, { Type: "repository", Name: "a", Action: "push" },
  ]);
  assert.deepEqual((refusalResponse(ctx, reg, { kind: "unauthorized", reason: "why" }).body as any).errors[0].detail, { reason: "why" });
  // The base endpoint's challenge names no scope.
  assert.doesNotMatch(String((refusalResponse(ctx, reg, { kind: "challenge" }).headers as any)["WWW-Authenticate"]), /scope=/);
});

test("which flow a request reaches: three doors, trailing slashes and case aside; the rest is the router's 404", () => {
  const cases: [string, string, unknown][] = [
    ["POST", "/oauth2/exchange", exchange],
    ["POST", "/OAuth2/Exchange//", exchange],
    ["POST", "/oauth2/token", tokenPost],
    ["GET", "/oauth2/token/", tokenGet],
    ["GET", "/oauth2/exchange", undefined],
    ["PUT", "/oauth2/token", undefined],
    ["POST", "/oauth2/other", undefined],
    ["POST", "/v2/oauth2/token", undefined],
    ["toString", "", undefined],
  ];
  for (const [method, path, want] of cases) assert.equal(tokenFlowFor(method, path), want, `${method} ${path}`);
});

test("the exchange accepts the ARM audience unless the registry's policy says disabled", () => {
  const arm = new AudienceSet(["https://management.azure.com", "https://containerregistry.azure.net"]);
  for (const status of [undefined, "enabled", "Enabled", null]) assert.equal(exchangeAudiences(status, arm), arm, String(status));
  for (const status of ["disabled", "Disabled"]) {
    const only = exchangeAudiences(status, arm);
    assert.ok(only.accepts("https://containerregistry.azure.net/") && !only.accepts("https://management.azure.com"), status);
  }
});

test("the identity provider's verdict becomes the exchange's 401 with its reason", () => {
  const audiences = new AudienceSet(["https://containerregistry.azure.net"]);
  const principal = { kind: "servicePrincipal" as const, id: "sp" };
  assert.deepEqual(exchangePrincipal({ ok: true, principal, audience: "x" }, audiences), { ok: true, value: principal });
  assert.deepEqual(exchangePrincipal({ ok: false, reason: "invalid" }, audiences), unauthorized("the access token is invalid or expired"));
  assert.deepEqual(
    exchangePrincipal({ ok: false, reason: "audience", audience: "https://evil.example", principal }, audiences),
    unauthorized("the access token was obtained for audience 'https://evil.example'; this registry accepts 'https://containerregistry.azure.net/', 'https://containerregistry.azure.net'"),
  );
});
