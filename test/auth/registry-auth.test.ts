import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { authEnv, type AuthEnv } from "./env.js";
import { fakeContext } from "../support/context.js";
import { createRegistryAuth } from "../../src/data-plane/registry-auth/registry-auth.js";
import { REFRESH_TOKEN_TTL } from "../../src/data-plane/registry-auth/mint.js";
import { registryViewFrom, type RegistryView } from "../../src/domain/registry.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import type { Need, RegistryAuth } from "../../src/data-plane/registry-auth-contract.js";
import type { HandlerResult } from "../../src/http/types.js";

const SUB = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries";
const NULL_GUID = "00000000-0000-0000-0000-000000000000";
const FORM = "application/x-www-form-urlencoded";

function registry(name: string, props: Record<string, unknown> = {}): RegistryView {
  return registryViewFrom(`${SUB}/${name}`, { name, location: "westeurope", sku: { name: "Premium" }, properties: { loginServer: `${name}.cove.test:8444`, ...props } });
}

interface Fixture {
  env: AuthEnv;
  auth: RegistryAuth;
  events: Record<string, unknown>[];
}

async function fixture(fn: (f: Fixture) => Promise<void>) {
  const env = await authEnv();
  const events: Record<string, unknown>[] = [];
  try {
    await fn({ env, auth: createRegistryAuth({ meta: env.meta, idp: env.idp, access: env.access, log: env.log, audit: (e) => void events.push(e) }), events });
  } finally {
    await env.close();
  }
}

function ctx(reg: RegistryView, method: string, url: string, opts: { auth?: string; form?: string | Record<string, string | string[]>; headers?: Record<string, string> } = {}) {
  let body: string | undefined;
  if (typeof opts.form === "string") body = opts.form;
  else if (opts.form) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.form)) for (const x of [v].flat()) p.append(k, x);
    body = p.toString();
  }
  return fakeContext({
    method, url, body,
    headers: { host: reg.loginServer, ...(body !== undefined ? { "content-type": FORM } : {}), ...(opts.auth ? { authorization: opts.auth } : {}), ...opts.headers },
  });
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
const pull = (repository: string): Need => ({ kind: "repository", repository, actions: ["pull"] });
const push = (repository: string): Need => ({ kind: "repository", repository, actions: ["push"] });

/** Parses a challenge the way @azure/container-registry does. */
function challengeParams(r: HandlerResult): Record<string, string> {
  const h = String((r.headers as any)?.["WWW-Authenticate"] ?? "");
  assert.match(h, /^Bearer /);
  const out: Record<string, string> = {};
  for (const m of h.matchAll(/(\w+?)="(.*?)"/g)) out[m[1]!] = m[2]!;
  return out;
}

async function refreshTokenFor(f: Fixture, reg: RegistryView, spPrincipal: Parameters<AuthEnv["idp"]["issueAccessToken"]>[0]): Promise<string> {
  const aad = await f.env.idp.issueAccessToken(spPrincipal, "https://management.azure.com/.default");
  const r = await f.auth.handleTokenEndpoint(ctx(reg, "POST", "/oauth2/exchange?api-version=2021-07-01", { form: { grant_type: "access_token", service: reg.loginServer, access_token: aad } }), reg);
  assert.equal(r?.status, 200);
  return (r!.body as any).refresh_token;
}

async function accessTokenFor(f: Fixture, reg: RegistryView, refresh: string, scopes: string[]): Promise<string> {
  const r = await f.auth.handleTokenEndpoint(ctx(reg, "POST", "/oauth2/token?api-version=2021-07-01", { form: { grant_type: "refresh_token", service: reg.loginServer, scope: scopes, refresh_token: refresh } }), reg);
  assert.equal(r?.status, 200, JSON.stringify(r?.body));
  return (r!.body as any).access_token;
}

test("401 challenges carry quoted realm, service and scope, with an OCI body", () =>
  fixture(async ({ auth }) => {
    const reg = registry("teamreg");
    const cases: [Need, string | undefined, string][] = [
      [pull("library/hello"), "repository:library/hello:pull", "GET"],
      [push("library/hello"), "repository:library/hello:pull,push", "PUT"],
      [{ kind: "repository", repository: "a/b", actions: ["delete"] }, "repository:a/b:delete", "DELETE"],
      [{ kind: "catalog" }, "registry:catalog:*", "GET"],
      [{ kind: "base" }, undefined, "GET"],
    ];
    for (const [need, scope, method] of cases) {
      const r = await auth.check(ctx(reg, method, "/v2/"), reg, need);
      assert.equal(r.ok, false);
      if (r.ok) continue;
      assert.equal(r.result.status, 401);
      const p = challengeParams(r.result);
      assert.equal(p.realm, "https://teamreg.cove.test:8444/oauth2/token");
      assert.equal(p.service, "teamreg.cove.test:8444");
      assert.equal(p.scope, scope);
      const body = r.result.body as any;
      assert.equal(body.errors[0].code, "UNAUTHORIZED");
      if (need.kind !== "base") assert.ok(Array.isArray(body.errors[0].detail) && body.errors[0].detail.length > 0);
    }
    // HEAD: the challenge header without a body.
    const head = await auth.check(ctx(reg, "HEAD", "/v2/x/manifests/latest"), reg, pull("x"));
    assert.ok(!head.ok && head.result.body === undefined && challengeParams(head.result).scope === "repository:x:pull");
  }));

test("exchange then token: the SDK's flow, with a 3-hour refresh JWT and an access token that works", () =>
  fixture(async (f) => {
    const reg = registry("teamreg");
    const sp = await f.env.principal("pusher");
    await f.env.assign(reg.id, sp.objectId, ROLE_IDS.AcrPush);
    const refresh = await refreshTokenFor(f, reg, sp.principal);
    const rc = decodeJwt(refresh);
    assert.equal(typeof rc.exp, "number");
    assert.equal((rc.exp as number) - (rc.iat as number), REFRESH_TOKEN_TTL);
    assert.equal(rc.aud, reg.loginServer);
    assert.equal(rc.tenant, f.env.idp.tenantId);

    const access = await accessTokenFor(f, reg, refresh, ["repository:library/hello:pull,push"]);
    assert.deepEqual(decodeJwt(access).access, [{ type: "repository", name: "library/hello", actions: ["pull", "push"] }]);
    const bearer = `Bearer ${access}`;
    for (const need of [pull("library/hello"), push("library/hello"), { kind: "base" } as Need]) {
      const r = await f.auth.check(ctx(reg, "GET", "/v2/", { auth: bearer }), reg, need);
      assert.ok(r.ok && r.principal.id === sp.objectId, JSON.stringify(need));
    }
    const other = await f.auth.check(ctx(reg, "GET", "/v2/", { auth: bearer }), reg, pull("library/other"));
    assert.ok(!other.ok && challengeParams(other.result).error === "insufficient_scope", "a token for one repository does not open another");
    assert.ok(f.events.some((e) => e.endpoint === "exchange") && f.events.some((e) => e.endpoint === "token"));
  }));

test("an access token grants only the intersection of what was asked and what is held", () =>
  fixture(async (f) => {
    const reg = registry("teamreg");
    const sp = await f.env.principal("puller");
    await f.env.assign(reg.id, sp.objectId, ROLE_IDS.AcrPull);
    const refresh = await refreshTokenFor(f, reg, sp.principal);
    const access = await accessTokenFor(f, reg, refresh, ["repository:app:pull,push,delete", "registry:catalog:*", "repository:lib:*"]);
    assert.deepEqual(decodeJwt(access).access, [
      { type: "repository", name: "app", actions: ["pull"] },
      { type: "registry", name: "catalog", actions: ["*"] },
      { type: "repository", name: "lib", actions: ["pull"] },
    ]);
    const pushed = await f.auth.check(ctx(reg, "PUT", "/v2/app/manifests/v1", { auth: `Bearer ${access}` }), reg, push("app"));
    assert.ok(!pushed.ok);
    if (!pushed.ok) {
      assert.equal(pushed.result.status, 401);
      assert.equal(challengeParams(pushed.result).error, "insufficient_scope");
      assert.equal(challengeParams(pushed.result).scope, "repository:app:pull,push");
    }
    assert.ok((await f.auth.check(ctx(reg, "GET", "/v2/_catalog", { auth: `Bearer ${access}` }), reg, { kind: "catalog" })).ok);
    // A principal with no role gets a token with no rights.
    const nobody = await f.env.principal("nobody");
    const none = await accessTokenFor(f, reg, await refreshTokenFor(f, reg, nobody.principal), ["repository:app:pull"]);
    assert.deepEqual(decodeJwt(none).access, [{ type: "repository", name: "app", actions: [] }]);
    // az check-health asks for registry:None:* and only needs a token back.
    const health = await accessTokenFor(f, reg, refresh, ["registry:None:*"]);
    assert.deepEqual(decodeJwt(health).access, [{ type: "registry", name: "None", actions: [] }]);
  }));

test("tokens are bound to one registry; expired, forged and foreign tokens are refused", () =>
  fixture(async (f) => {
    const a = registry("regalpha");
    const b = registry("regbravo");
    const sp = await f.env.principal("p");
    await f.env.assign(SUB, sp.objectId, ROLE_IDS.AcrPush); // rights on both registries
    const refreshA = await refreshTokenFor(f, a, sp.principal);
    const accessA = await accessTokenFor(f, a, refreshA, ["repository:x:pull,push"]);

    const onB = await f.auth.check(ctx(b, "GET", "/v2/x/manifests/v1", { auth: `Bearer ${accessA}` }), b, pull("x"));
    assert.ok(!onB.ok && onB.result.status === 401 && challengeParams(onB.result).error === "invalid_token", "A's access token on B");
    const viaB = await f.auth.handleTokenEndpoint(ctx(b, "POST", "/oauth2/token", { form: { grant_type: "refresh_token", service: b.loginServer, scope: "repository:x:pull", refresh_token: refreshA } }), b);
    assert.equal(viaB?.status, 401, "A's refresh token at B");
    const nullGuidOnB = await f.auth.check(ctx(b, "GET", "/v2/", { auth: basic(NULL_GUID, refreshA) }), b, pull("x"));
    assert.ok(!nullGuidOnB.ok && nullGuidOnB.result.status === 401, "A's refresh token as a password at B");

    const claims = decodeJwt(accessA) as any;
    const now = Math.floor(Date.now() / 1000);
    const expired = await f.env.idp.keys.sign({ ...claims, jti: undefined }, 60, now - 3600);
    const [h, p] = accessA.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, access: [{ type: "repository", name: "y", actions: ["push"] }] })).toString("base64url")}.${accessA.split(".")[2]}`;
    const algNone = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${p}.`;
    const aad = await f.env.idp.issueAccessToken(sp.principal, "https://management.azure.com/.default");
    const cases: [string, string][] = [
      ["expired", `Bearer ${expired}`],
      ["forged payload", `Bearer ${forged}`],
      ["alg none", `Bearer ${algNone}`],
      ["garbage", "Bearer not.a.jwt"],
      ["empty-ish", "Bearer x"],
      ["identity-provider token", `Bearer ${aad}`],
      ["refresh token as access token", `Bearer ${refreshA}`],
      ["unknown scheme", `Digest ${accessA}`],
      ["oversized", `Bearer ${"a".repeat(20000)}`],
    ];
    for (const [name, header] of cases) {
      const r = await f.auth.check(ctx(a, "GET", "/v2/x/manifests/v1", { auth: header }), a, pull("x"));
      assert.ok(!r.ok, name);
      if (!r.ok) {
        assert.equal(r.result.status, 401, name);
        assert.equal(challengeParams(r.result).service, a.loginServer, name);
      }
    }
    // Refresh tokens die with their service principal.
    await f.env.idp.deleteServicePrincipal(sp.appId);
    const afterDelete = await f.auth.handleTokenEndpoint(ctx(a, "POST", "/oauth2/token", { form: { grant_type: "refresh_token", service: a.loginServer, scope: "repository:x:pull", refresh_token: refreshA } }), a);
    assert.equal(afterDelete?.status, 401);
  }));

test("exchange refuses bad requests with catalogued errors and issues nothing", () =>
  fixture(async (f) => {
    const reg = registry("teamreg");
    const sp = await f.env.principal("p");
    const aad = await f.env.idp.issueAccessToken(sp.principal, "https://management.azure.com/.default");
    const ok = { grant_type: "access_token", service: reg.loginServer, access_token: aad };
    const cases: [string, Parameters<typeof ctx>[3], number, string][] = [
      ["invalid token", { form: { ...ok, access_token: "eyJ.garbage.x" } }, 401, "UNAUTHORIZED"],
      ["other tenant", { form: { ...ok, tenant: "0f0f0f0f-0000-4000-8000-000000000000" } }, 401, "UNAUTHORIZED"],
      ["missing token", { form: { grant_type: "access_token", service: reg.loginServer } }, 400, "UNSUPPORTED"],
      ["wrong grant", { form: { ...ok, grant_type: "password" } }, 400, "UNSUPPORTED"],
      ["other service", { form: { ...ok, service: "other.cove.test:8444" } }, 400, "UNSUPPORTED"],
      ["no service", { form: { grant_type: "access_token", access_token: aad } }, 400, "UNSUPPORTED"],
      ["oversized form", { form: new URLSearchParams(ok).toString() + "&pad=" + "x".repeat(70 * 1024) }, 400, "UNSUPPORTED"],
      ["json body", { form: JSON.stringify(ok), headers: { "content-type": "application/json" } }, 400, "UNSUPPORTED"],
      ["bad escape", { form: new URLSearchParams(ok).toString() + "&x=%ZZ" }, 400, "UNSUPPORTED"],
    ];
    for (const [name, opts, status, code] of cases) {
      const r = await f.auth.handleTokenEndpoint(ctx(reg, "POST", "/oauth2/exchange", opts), reg);
      assert.equal(r?.status, status, name);
      assert.equal((r!.body as any).errors[0].code, code, name);
      assert.equal((r!.body as any).refresh_token, undefined, name);
    }
    assert.equal(f.events.length, 0, "nothing was issued");
    // The right tenant is accepted; other methods are not this endpoint's (the router answers 404, as ACR).
    assert.equal((await f.auth.handleTokenEndpoint(ctx(reg, "POST", "/oauth2/exchange", { form: { ...ok, tenant: f.env.idp.tenantId } }), reg))?.status, 200);
    assert.equal(await f.auth.handleTokenEndpoint(ctx(reg, "GET", "/oauth2/exchange"), reg), undefined);
    assert.equal(await f.auth.handleTokenEndpoint(ctx(reg, "GET", "/oauth2/other"), reg), undefined);
    // Malformed scopes at /oauth2/token.
    const refresh = await refreshTokenFor(f, reg, sp.principal);
    for (const scope of ["nocolons", "repository:UPPER:pull", "repository::pull", "repository:x:", "repository:x:pu$h"]) {
      const r = await f.auth.handleTokenEndpoint(ctx(reg, "POST", "/oauth2/token", { form: { grant_type: "refresh_token", service: reg.loginServer, scope, refresh_token: refresh } }), reg);
      assert.equal(r?.status, 400, scope);
    }
  }));

test("password grant and GET /oauth2/token: service principals, the null GUID, the admin user", () =>
  fixture(async (f) => {
    const reg = registry("teamreg");
    const sp = await f.env.principal("p");
    await f.env.assign(reg.id, sp.objectId, ROLE_IDS.AcrPull);
    const form = (o: Record<string, string | string[]>) => ({ form: { service: reg.loginServer, ...o } });

    const pw = await f.auth.handleTokenEndpoint(ctx(reg, "POST", "/oauth2/token", form({ grant_type: "password", username: sp.appId, password: sp.secret, scope: ["repository:a:pull", "repository:b:push"] })), reg);
    assert.equal(pw?.status, 200);
    assert.deepEqual(decodeJwt((pw!.body as any).access_token).access, [{ type: "repository", name: "a", actions: ["pull"] }, { type: "repository", name: "b", actions: [] }]);
    const wrong = await f.auth.handleTokenEndpoint(ctx(reg, "POST", "/oauth2/token", form({ grant_type: "password", username: sp.appId, password: "nope", scope: "repository:a:pull" })), reg);
    assert.equal(wrong?.status, 401);

    const refresh = await refreshTokenFor(f, reg, sp.principal);
    const nullGuid = await f.auth.handleTokenEndpoint(ctx(reg, "GET", `/oauth2/token?service=${encodeURIComponent(reg.loginServer)}&scope=repository:a:pull&scope=repository:c:pull`, { auth: basic(NULL_GUID, refresh) }), reg);
    assert.equal(nullGuid?.status, 200);
    assert.equal((decodeJwt((nullGuid!.body as any).access_token).access as any[]).length, 2, "multiple scope parameters");
    assert.equal(typeof (nullGuid!.body as any).expires_in, "number");

    // Admin user: refused while disabled, everything while enabled.
    await f.env.meta.putResource({ id: `${reg.id}/adminCredentials`, type: "Cove/registryAdminCredentials", body: { username: "teamreg", passwords: [{ name: "password", value: "pw-one" }, { name: "password2", value: "pw-two" }] } });
    const adminGet = (r: RegistryView, pass: string) => f.auth.handleTokenEndpoint(ctx(r, "GET", `/oauth2/token?service=${encodeURIComponent(r.loginServer)}&scope=repository:a:pull,push,delete`, { auth: basic("teamreg", pass) }), r);
    assert.equal((await adminGet(reg, "pw-one"))?.status, 401, "admin disabled");
    const enabled = registry("teamreg", { adminUserEnabled: true });
    for (const pass of ["pw-one", "pw-two"]) {
      const r = await adminGet(enabled, pass);
      assert.equal(r?.status, 200);
      assert.deepEqual(decodeJwt((r!.body as any).access_token).access, [{ type: "repository", name: "a", actions: ["pull", "push", "delete"] }]);
    }
    assert.equal((await adminGet(enabled, "pw-three"))?.status, 401);
    const adminToken = (await adminGet(enabled, "pw-one"))!.body as any;
    assert.ok((await f.auth.check(ctx(enabled, "PUT", "/v2/a/manifests/v1", { auth: `Bearer ${adminToken.access_token}` }), enabled, push("a"))).ok);
    const afterDisable = await f.auth.check(ctx(reg, "PUT", "/v2/a/manifests/v1", { auth: `Bearer ${adminToken.access_token}` }), reg, push("a"));
    assert.ok(!afterDisable.ok, "an admin token dies when the admin user is disabled");

    const noCreds = await f.auth.handleTokenEndpoint(ctx(reg, "GET", `/oauth2/token?service=${encodeURIComponent(reg.loginServer)}&scope=repository:a:pull`), reg);
    assert.equal(noCreds?.status, 401, "no anonymous token while anonymous pull is off");
    const badGrant = await f.auth.handleTokenEndpoint(ctx(reg, "POST", "/oauth2/token", form({ grant_type: "client_credentials", scope: "repository:a:pull" })), reg);
    assert.equal(badGrant?.status, 400);
  }));

test("Basic directly on /v2: 401 for bad credentials, 403 DENIED for missing rights", () =>
  fixture(async (f) => {
    const reg = registry("teamreg", { adminUserEnabled: true });
    const sp = await f.env.principal("p");
    await f.env.assign(reg.id, sp.objectId, ROLE_IDS.AcrPull);
    const ok = await f.auth.check(ctx(reg, "GET", "/v2/a/manifests/v1", { auth: basic(sp.appId, sp.secret) }), reg, pull("a"));
    assert.ok(ok.ok && ok.principal.id === sp.objectId);
    const denied = await f.auth.check(ctx(reg, "PUT", "/v2/a/manifests/v1", { auth: basic(sp.appId, sp.secret) }), reg, push("a"));
    assert.ok(!denied.ok && denied.result.status === 403 && (denied.result.body as any).errors[0].code === "DENIED");
    const bad = await f.auth.check(ctx(reg, "GET", "/v2/a/manifests/v1", { auth: basic(sp.appId, "wrong") }), reg, pull("a"));
    assert.ok(!bad.ok && bad.result.status === 401 && challengeParams(bad.result).realm.endsWith("/oauth2/token"));
    const garbled = await f.auth.check(ctx(reg, "GET", "/v2/", { auth: "Basic !!!notbase64" }), reg, pull("a"));
    assert.ok(!garbled.ok && garbled.result.status === 401);
    const noColon = await f.auth.check(ctx(reg, "GET", "/v2/", { auth: `Basic ${Buffer.from("justuser").toString("base64")}` }), reg, pull("a"));
    assert.ok(!noColon.ok && noColon.result.status === 401);

    const refresh = await refreshTokenFor(f, reg, sp.principal);
    assert.ok((await f.auth.check(ctx(reg, "GET", "/v2/a/manifests/v1", { auth: basic(NULL_GUID, refresh) }), reg, pull("a"))).ok);

    await f.env.meta.putResource({ id: `${reg.id}/adminCredentials`, type: "Cove/registryAdminCredentials", body: { username: "teamreg", passwords: [{ name: "password", value: "pw-one" }, { name: "password2", value: "pw-two" }] } });
    assert.ok((await f.auth.check(ctx(reg, "DELETE", "/v2/a/manifests/v1", { auth: basic("TeamReg", "pw-two") }), reg, { kind: "repository", repository: "a", actions: ["delete"] })).ok);
    const off = registry("teamreg");
    const adminOff = await f.auth.check(ctx(off, "GET", "/v2/a/manifests/v1", { auth: basic("teamreg", "pw-one") }), off, pull("a"));
    assert.ok(!adminOff.ok && adminOff.result.status === 401, "the admin user is refused while disabled");
  }));

test("anonymous pull: only when enabled, only pull, never the catalog", () =>
  fixture(async (f) => {
    const closed = registry("teamreg");
    const open = registry("teamreg", { anonymousPullEnabled: true });
    assert.equal((await f.auth.check(ctx(closed, "GET", "/v2/a/manifests/v1"), closed, pull("a"))).ok, false);
    const anon = await f.auth.check(ctx(open, "GET", "/v2/a/manifests/v1"), open, pull("a"));
    assert.ok(anon.ok && anon.principal.kind === "anonymous");
    for (const need of [push("a"), { kind: "catalog" } as Need, { kind: "base" } as Need]) {
      const r = await f.auth.check(ctx(open, "GET", "/v2/"), open, need);
      assert.ok(!r.ok && r.result.status === 401, JSON.stringify(need));
    }
    // The SDK's anonymous token request, and containerd's anonymous GET.
    const sdk = await f.auth.handleTokenEndpoint(ctx(open, "POST", "/oauth2/token", { form: { grant_type: "password", refresh_token: "", service: open.loginServer, scope: ["repository:a:pull,push", "registry:catalog:*"] } }), open);
    assert.equal(sdk?.status, 200);
    const token = (sdk!.body as any).access_token;
    assert.deepEqual(decodeJwt(token).access, [{ type: "repository", name: "a", actions: ["pull"] }, { type: "registry", name: "catalog", actions: [] }]);
    assert.ok((await f.auth.check(ctx(open, "GET", "/v2/a/blobs/x", { auth: `Bearer ${token}` }), open, pull("a"))).ok);
    assert.equal((await f.auth.check(ctx(closed, "GET", "/v2/a/blobs/x", { auth: `Bearer ${token}` }), closed, pull("a"))).ok, false, "anonymous tokens die when anonymous pull is turned off");
    const refused = await f.auth.handleTokenEndpoint(ctx(closed, "POST", "/oauth2/token", { form: { grant_type: "password", refresh_token: "", service: closed.loginServer, scope: "repository:a:pull" } }), closed);
    assert.equal(refused?.status, 401);
    const containerd = await f.auth.handleTokenEndpoint(ctx(open, "GET", `/oauth2/token?scope=repository:a:pull&service=${encodeURIComponent(open.loginServer)}`), open);
    assert.equal(containerd?.status, 200);
  }));

test("a role removed after a token was issued is not in the next token", () =>
  fixture(async (f) => {
    const reg = registry("teamreg");
    const sp = await f.env.principal("p");
    const assignment = await f.env.assign(reg.id, sp.objectId, ROLE_IDS.AcrPush);
    const refresh = await refreshTokenFor(f, reg, sp.principal);
    assert.deepEqual(decodeJwt(await accessTokenFor(f, reg, refresh, ["repository:a:push"])).access, [{ type: "repository", name: "a", actions: ["push"] }]);
    await f.env.meta.deleteResource(assignment);
    assert.deepEqual(decodeJwt(await accessTokenFor(f, reg, refresh, ["repository:a:push"])).access, [{ type: "repository", name: "a", actions: [] }]);
    const basicPush = await f.auth.check(ctx(reg, "PUT", "/v2/a/manifests/v1", { auth: basic(sp.appId, sp.secret) }), reg, push("a"));
    assert.ok(!basicPush.ok && basicPush.result.status === 403);
  }));
