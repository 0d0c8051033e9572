import { test } from "node:test";
import assert from "node:assert/strict";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { authEnv, type AuthEnv } from "./env.js";
import { fakeContext } from "../support/context.js";
import { createIdentityRoutes, IDENTITY_ERRORS } from "../../src/identity/routes.js";
import { managementAudiences } from "../../src/auth/audiences.js";

const MGMT = { kind: "management" as const, address: "127.0.0.1", port: 8443 };
const FORM = "application/x-www-form-urlencoded;charset=utf-8";

async function withRoutes(fn: (env: AuthEnv, routes: ReturnType<typeof createIdentityRoutes>, events: Record<string, unknown>[]) => Promise<void>) {
  const env = await authEnv();
  const events: Record<string, unknown>[] = [];
  try {
    await fn(env, createIdentityRoutes(env.idp, { audit: (e) => void events.push(e) }), events);
  } finally {
    await env.close();
  }
}

function req(method: string, url: string, body?: string, headers: Record<string, string> = {}) {
  return fakeContext({ method, url, body, headers: { host: "localhost:8443", ...(body !== undefined ? { "content-type": FORM } : {}), ...headers }, listener: MGMT });
}

test("v2 discovery answers with the keys msal requires, on the host the client used", () =>
  withRoutes(async (env, routes) => {
    const t = env.idp.tenantId;
    const r = await routes(req("GET", `/${t}/v2.0/.well-known/openid-configuration`));
    assert.equal(r?.status, 200);
    const doc = r!.body as any;
    assert.equal(doc.issuer, `https://localhost:8443/${t}/v2.0`);
    assert.equal(doc.token_endpoint, `https://localhost:8443/${t}/oauth2/v2.0/token`);
    assert.equal(doc.authorization_endpoint, `https://localhost:8443/${t}/oauth2/v2.0/authorize`);
    assert.equal(doc.jwks_uri, `https://localhost:8443/${t}/discovery/v2.0/keys`);
    const upper = await routes(req("GET", `/${t.toUpperCase()}/V2.0/.well-known/OpenID-Configuration`, undefined, { host: "127.0.0.1:8443" }));
    assert.equal((upper!.body as any).issuer, `https://127.0.0.1:8443/${t}/v2.0`, "paths match case-insensitively");
    const evil = await routes(req("GET", `/${t}/v2.0/.well-known/openid-configuration`, undefined, { host: 'x"/><script>' }));
    assert.equal((evil!.body as any).issuer, `https://127.0.0.1:8443/${t}/v2.0`, "an unusable Host falls back to the configured issuer");

    const wrong = await routes(req("GET", `/00000000-0000-0000-0000-00000000abcd/v2.0/.well-known/openid-configuration`));
    assert.equal(wrong?.status, 400);
    assert.equal((wrong!.body as any).error, "invalid_tenant");
    assert.deepEqual((wrong!.body as any).error_codes, [90002]);
    assert.equal(await routes(req("GET", "/subscriptions?api-version=2019-11-01")), undefined, "not its path");
    assert.equal(await routes(req("POST", `/${t}/v2.0/.well-known/openid-configuration`, "")), undefined);
  }));

test("client_credentials grant issues a token that verifies against the published keys", () =>
  withRoutes(async (env, routes, events) => {
    const sp = await env.principal("ci");
    const t = env.idp.tenantId;
    const form = new URLSearchParams({
      client_id: sp.appId, client_secret: sp.secret, grant_type: "client_credentials", scope: "https://localhost:8443/.default",
      "client-request-id": "x", "x-client-SKU": "msal.js.node",
    }).toString();
    const r = await routes(req("POST", `/${t}/oauth2/v2.0/token?client-request-id=abc`, form));
    assert.equal(r?.status, 200);
    const body = r!.body as any;
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.expires_in, 3599);
    assert.equal(body.ext_expires_in, 3599);
    assert.equal((r!.headers as any)["Cache-Control"], "no-store");
    const keys = await routes(req("GET", `/${t}/discovery/v2.0/keys`));
    const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(keys!.body as any), {
      issuer: `https://localhost:8443/${t}/v2.0`, audience: "https://localhost:8443",
    });
    assert.equal(payload.appid, sp.appId);
    assert.equal(payload.oid, sp.objectId);
    assert.equal((await env.idp.verifyAccessToken(body.access_token, managementAudiences({ host: "localhost", port: 8443 })))?.id, sp.objectId);
    assert.equal(events.at(-1)?.outcome, "issued");
    assert.ok(!JSON.stringify(events).includes(sp.secret), "audit events carry no secret");

    // client_secret_basic works too.
    const basic = Buffer.from(`${encodeURIComponent(sp.appId)}:${encodeURIComponent(sp.secret)}`).toString("base64");
    const r2 = await routes(req("POST", `/${t}/oauth2/v2.0/token`, "grant_type=client_credentials&scope=x%2F.default", { authorization: `Basic ${basic}` }));
    assert.equal(r2?.status, 200);
  }));

test("the ADFS flavour serves what az 2.45 (MSAL Python) sends", () =>
  withRoutes(async (env, routes) => {
    const sp = await env.principal("az");
    const disc = await routes(req("GET", "/adfs/.well-known/openid-configuration"));
    assert.equal(disc?.status, 200);
    assert.equal((disc!.body as any).token_endpoint, "https://localhost:8443/adfs/oauth2/token");
    assert.equal((disc!.body as any).authorization_endpoint, "https://localhost:8443/adfs/oauth2/authorize");
    const form = `client_id=${sp.appId}&grant_type=client_credentials&client_info=1&client_secret=${encodeURIComponent(sp.secret)}` +
      `&claims=${encodeURIComponent('{"access_token": {"xms_cc": {"values": ["CP1"]}}}')}&scope=${encodeURIComponent("https://localhost:8443//.default")}`;
    const r = await routes(req("POST", "/adfs/oauth2/token", form, { "content-type": "application/x-www-form-urlencoded" }));
    assert.equal(r?.status, 200);
    const c = decodeJwt((r!.body as any).access_token);
    assert.equal(c.iss, "https://localhost:8443/adfs");
    assert.equal(c.aud, "https://localhost:8443/");
    assert.ok(await env.idp.verifyAccessToken((r!.body as any).access_token, managementAudiences({ host: "localhost", port: 8443 })));
    const keys = await routes(req("GET", "/adfs/discovery/keys"));
    assert.equal((keys!.body as any).keys.length, 1);
  }));

test("token endpoint errors are Entra's, and nothing is issued", () =>
  withRoutes(async (env, routes, events) => {
    const sp = await env.principal("x");
    const t = env.idp.tenantId;
    const url = `/${t}/oauth2/v2.0/token`;
    const ok = { client_id: sp.appId, client_secret: sp.secret, grant_type: "client_credentials", scope: "s/.default" };
    const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
    const cases: [string, ReturnType<typeof req>, number, string, number][] = [
      ["wrong secret", req("POST", url, form({ ...ok, client_secret: "nope" })), 401, "invalid_client", 7000215],
      ["unknown client", req("POST", url, form({ ...ok, client_id: "0f0f0f0f-0000-4000-8000-000000000000" })), 400, "unauthorized_client", 700016],
      ["password grant", req("POST", url, form({ ...ok, grant_type: "password" })), 400, "unsupported_grant_type", 70003],
      ["no grant", req("POST", url, form({ client_id: sp.appId, client_secret: sp.secret, scope: "s" })), 400, "invalid_request", 900144],
      ["no client", req("POST", url, form({ grant_type: "client_credentials", scope: "s" })), 400, "invalid_request", 900144],
      ["no secret", req("POST", url, form({ grant_type: "client_credentials", client_id: sp.appId, scope: "s" })), 400, "invalid_request", 900144],
      ["no scope", req("POST", url, form({ ...ok, scope: "" })), 400, "invalid_request", 900144],
      ["json body", req("POST", url, JSON.stringify(ok), { "content-type": "application/json" }), 400, "invalid_request", 900144],
      ["oversized body", req("POST", url, form(ok) + "&pad=" + "x".repeat(70 * 1024)), 400, "invalid_request", 900144],
      ["bad escape", req("POST", url, form(ok) + "&x=%G1"), 400, "invalid_request", 900144],
      ["other tenant", req("POST", `/0f0f0f0f-0000-4000-8000-000000000000/oauth2/v2.0/token`, form(ok)), 400, "invalid_tenant", 90002],
      ["bad tenant escape", req("POST", `/%E0%A4%A/oauth2/v2.0/token`, form(ok)), 400, "invalid_tenant", 90002],
    ];
    for (const [name, ctx, status, error, code] of cases) {
      const r = await routes(ctx);
      assert.equal(r?.status, status, name);
      const b = r!.body as any;
      assert.equal(b.error, error, name);
      assert.deepEqual(b.error_codes, [code], name);
      assert.match(b.error_description, new RegExp(`^AADSTS${code}: `), name);
      assert.match(b.error_description, /Trace ID: .* Correlation ID: .* Timestamp: /, name);
      assert.equal(b.access_token, undefined, name);
      assert.ok(!JSON.stringify(b).includes(sp.secret), `${name}: no secret echoed`);
      assert.equal(IDENTITY_ERRORS[error as keyof typeof IDENTITY_ERRORS].status, status, `${name}: status from the catalogue`);
    }
    assert.ok(events.every((e) => e.outcome !== "issued"));
    assert.deepEqual(events.map((e) => e.reason), ["bad_secret", "unknown_client"]);
  }));
