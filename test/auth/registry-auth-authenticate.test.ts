// The steps of the registry auth flows that read credentials and sign tokens, each on its own with
// fakes (no Cove, no store): the password login and its failed-login limits, a token request's
// credential, the access-token verifier and its cache, the check's authenticate and authorize
// steps, and the claims the mint writes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { registryViewFrom, type RegistryView } from "../../src/domain/registry.js";
import type { LoginAttempt, LoginThrottle } from "../../src/auth/login-throttle.js";
import type { TokenClaims } from "../../src/auth/tokens.js";
import type { Principal, RegistryAction } from "../../src/auth/types.js";
import type { CredentialDeps } from "../../src/data-plane/registry-auth/credentials.js";
import { accessTokenVerifier, authenticateToken, passwordLogin, principalFromClaims } from "../../src/data-plane/registry-auth/authenticate.js";
import { authenticatePresented, authorizeNeed } from "../../src/data-plane/registry-auth/check.js";
import { ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL, mintAccessToken, mintRefreshToken } from "../../src/data-plane/registry-auth/mint.js";

const ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/teamreg";
const registry = (props: Record<string, unknown> = {}): RegistryView =>
  registryViewFrom(ID, { name: "teamreg", properties: { loginServer: "teamreg.cove.test:8444", ...props } });
const SP: Principal = { kind: "servicePrincipal", id: "sp-object", clientId: "sp-app", tenantId: "t" };

/** One service principal "sp-app" / "right", holding `actions`; counts what it was asked. */
function fakeCred(actions: RegistryAction[] = ["pull"]) {
  const calls = { secretChecks: 0, reads: 0 };
  const cred = {
    meta: { getResource: async () => { calls.reads++; return undefined; } },
    idp: { verifyClientSecret: async (id: string, secret: string) => { calls.secretChecks++; return id === "sp-app" && secret === "right" ? SP : undefined; } },
    access: { registryActions: async () => new Set(actions) },
  } as unknown as CredentialDeps;
  return { cred, calls };
}

/** Refuses once `limit` failures were counted; records what it saw. */
function fakeThrottle(limit = Infinity) {
  const failed: LoginAttempt[] = [];
  const admitted: LoginAttempt[] = [];
  const throttle = {
    admit: (a: LoginAttempt) => { admitted.push(a); return failed.length >= limit ? 30 : undefined; },
    failed: (a: LoginAttempt) => void failed.push(a),
  } as unknown as LoginThrottle;
  return { throttle, failed, admitted };
}

test("password login: counted when wrong, not counted when right, and never checked once throttled", async () => {
  const { cred, calls } = fakeCred();
  const t = fakeThrottle(1);
  const attempt: LoginAttempt = { clientIp: "192.0.2.1", username: "sp-app", endpoint: "v2", registry: ID };
  const wrong = { kind: "challenge" } as const;
  assert.deepEqual(await passwordLogin({ cred, throttle: t.throttle }, attempt, registry(), "right", wrong), { ok: true, value: SP });
  assert.equal(t.failed.length, 0);
  assert.deepEqual(await passwordLogin({ cred, throttle: t.throttle }, attempt, registry(), "nope", wrong), { ok: false, refusal: wrong });
  assert.deepEqual(t.failed, [attempt]);
  const checks = calls.secretChecks;
  const reads = calls.reads;
  assert.deepEqual(await passwordLogin({ cred, throttle: t.throttle }, attempt, registry(), "right", wrong), { ok: false, refusal: { kind: "throttled", retryAfterSeconds: 30 } });
  assert.equal(calls.secretChecks, checks, "the password is not even looked at");
  assert.equal(calls.reads, reads, "nor the admin user's record");
  // Without a throttle: no limits.
  assert.equal((await passwordLogin({ cred }, attempt, registry(), "right", wrong)).ok, true);
});

test("a token request's credential: each kind, and anonymous only while the registry allows it", async () => {
  const { cred } = fakeCred();
  const t = fakeThrottle();
  const d = { cred, throttle: t.throttle };
  const ctx = { clientIp: "192.0.2.7" };
  assert.deepEqual(await authenticateToken(d, ctx, registry(), { kind: "password", username: "sp-app", password: "right" }), { ok: true, value: SP });
  assert.deepEqual(t.admitted, [{ clientIp: "192.0.2.7", username: "sp-app", endpoint: "token", registry: ID }]);
  assert.deepEqual(await authenticateToken(d, ctx, registry(), { kind: "password", username: "sp-app", password: "x" }), { ok: false, refusal: { kind: "unauthorized", reason: "invalid username or password" } });
  assert.deepEqual(await authenticateToken(d, ctx, registry({ anonymousPullEnabled: true }), { kind: "anonymous", via: "no-credentials" }), { ok: true, value: { kind: "anonymous", id: "anonymous" } });
  assert.deepEqual(await authenticateToken(d, ctx, registry(), { kind: "anonymous", via: "no-credentials" }), { ok: false, refusal: { kind: "unauthorized", reason: "authentication required" } });
  assert.deepEqual(await authenticateToken(d, ctx, registry(), { kind: "anonymous", via: "password-grant" }), { ok: false, refusal: { kind: "unauthorized", reason: "anonymous pull is not enabled on this registry" } });
});

test("access tokens: one signature check per token text, expiry and audience on every use, a bounded cache", async () => {
  let verifies = 0;
  let now = 1_000_000_000_000;
  const claims = (aud: string, exp: number): TokenClaims => ({ token_use: "acr_access", aud, exp, sub: "sp-object", kind: "servicePrincipal" });
  const tokens: Record<string, TokenClaims> = {
    good: claims("TeamReg.cove.test:8444", now / 1000 + 60),
    other: claims("other.cove.test:8444", now / 1000 + 60),
    b: claims("teamreg.cove.test:8444", now / 1000 + 600),
    c: claims("teamreg.cove.test:8444", now / 1000 + 600),
  };
  const keys = { verify: async (t: string) => { verifies++; return tokens[t]; } };
  const verify = accessTokenVerifier(keys, 2, () => now);
  const reg = registry();
  assert.equal(await verify("good", reg), tokens.good);
  assert.equal(await verify("good", reg), tokens.good);
  assert.equal(verifies, 1, "the second use is served from the cache");
  assert.equal(await verify("other", reg), undefined, "another registry's token");
  assert.equal(await verify("forged", reg), undefined);
  now += 61_000;
  assert.equal(await verify("good", reg), undefined, "expired, though cached");
  const before = verifies;
  await verify("good", reg);
  assert.equal(verifies, before + 1, "an expired token left the cache");
  await verify("b", reg);
  await verify("c", reg); // the cache holds 2: the oldest ("other" or "good") went
  const held = verifies;
  await verify("b", reg);
  await verify("c", reg);
  assert.equal(verifies, held, "the two newest are still cached");
});

test("the check's authenticate step: which credential, and the challenge each failure gets", async () => {
  const { cred } = fakeCred();
  const t = fakeThrottle();
  const adminClaims: TokenClaims = { token_use: "acr_access", sub: "teamreg", kind: "adminUser", access: [] };
  const d = { cred, throttle: t.throttle, verifyAccessToken: async (tok: string) => (tok === "admin" ? adminClaims : undefined) };
  const ctx = (rawPath: string) => ({ clientIp: "192.0.2.9", rawPath });
  assert.deepEqual(await authenticatePresented(d, ctx("/v2/"), registry(), { scheme: "none" }), { ok: true, value: { by: "none", principal: { kind: "anonymous", id: "anonymous" } } });
  assert.deepEqual(await authenticatePresented(d, ctx("/v2/"), registry(), { scheme: "invalid" }), { ok: false, refusal: { kind: "challenge" } });
  assert.deepEqual(await authenticatePresented(d, ctx("/v2/"), registry(), { scheme: "bearer", token: "junk" }), { ok: false, refusal: { kind: "challenge", error: "invalid_token" } });
  assert.deepEqual(await authenticatePresented(d, ctx("/v2/"), registry(), { scheme: "bearer", token: "admin" }), { ok: false, refusal: { kind: "challenge", error: "invalid_token" } }, "admin tokens die with adminUserEnabled");
  assert.deepEqual(await authenticatePresented(d, ctx("/v2/"), registry({ adminUserEnabled: true }), { scheme: "bearer", token: "admin" }), { ok: true, value: { by: "bearer", principal: { kind: "adminUser", id: "teamreg" }, access: [] } });
  assert.deepEqual(await authenticatePresented(d, ctx("/v2/x"), registry(), { scheme: "basic", username: "sp-app", password: "wrong" }), { ok: false, refusal: { kind: "challenge" } });
  await authenticatePresented(d, ctx("/ACR/v1/_catalog"), registry(), { scheme: "basic", username: "sp-app", password: "right" });
  assert.deepEqual(t.admitted.map((a) => a.endpoint), ["v2", "acr"], "the failed-login endpoint follows the path");
});

test("the check's authorize step: anonymous pulls only, a bearer token's own access, Basic's rights now", async () => {
  const pull = { kind: "repository" as const, repository: "a", actions: ["pull" as const] };
  const push = { kind: "repository" as const, repository: "a", actions: ["push" as const] };
  const catalog = { kind: "catalog" as const };
  const base = { kind: "base" as const };
  const anon = { by: "none" as const, principal: { kind: "anonymous" as const, id: "anonymous" } };
  const { cred } = fakeCred(["pull"]);
  const open = registry({ anonymousPullEnabled: true });
  const cases: [string, Parameters<typeof authorizeNeed>[3], RegistryView, Parameters<typeof authorizeNeed>[2], unknown][] = [
    ["anonymous pull, enabled", anon, open, pull, undefined],
    ["anonymous pull, disabled", anon, registry(), pull, { kind: "challenge" }],
    ["anonymous push", anon, open, push, { kind: "challenge" }],
    ["anonymous catalog", anon, open, catalog, { kind: "challenge" }],
    ["anonymous base", anon, open, base, { kind: "challenge" }],
    ["bearer covers", { by: "bearer", principal: SP, access: [{ type: "repository", name: "a", actions: ["pull"] }] }, registry(), pull, undefined],
    ["bearer too narrow", { by: "bearer", principal: SP, access: [{ type: "repository", name: "a", actions: ["pull"] }] }, registry(), push, { kind: "challenge", error: "insufficient_scope" }],
    ["bearer base", { by: "bearer", principal: SP, access: [] }, registry(), base, undefined],
    ["basic holds pull", { by: "basic", principal: SP }, registry(), pull, undefined],
    ["basic lists the catalog with pull", { by: "basic", principal: SP }, registry(), catalog, undefined],
    ["basic lacks push", { by: "basic", principal: SP }, registry(), push, { kind: "denied" }],
  ];
  for (const [name, who, reg, need, want] of cases) assert.deepEqual(await authorizeNeed(cred, reg, need, who), want, name);
});

test("the mint: bound to one registry and tenant, the grant in the access token, names only in the refresh token", async () => {
  const signed: { claims: TokenClaims; ttl: number; now?: number }[] = [];
  const idp = { issuer: "https://127.0.0.1:8443/t/v2.0", tenantId: "t", keys: { sign: async (claims: TokenClaims, ttl: number, now?: number) => { signed.push({ claims, ttl, now }); return "signed"; } } } as any;
  const access = [{ type: "repository", name: "a", actions: ["pull"] }];
  assert.deepEqual(await mintAccessToken(idp, registry(), SP, access, 1000), { token: "signed", expiresIn: ACCESS_TOKEN_TTL, issuedAt: 1000 });
  assert.deepEqual(signed[0], {
    claims: { token_use: "acr_access", iss: idp.issuer, aud: "teamreg.cove.test:8444", sub: "sp-object", kind: "servicePrincipal", appid: "sp-app", tenant: "t", access },
    ttl: ACCESS_TOKEN_TTL, now: 1000,
  });
  await mintRefreshToken(idp, registry(), SP);
  assert.deepEqual(signed[1]!.claims, { token_use: "acr_refresh", iss: idp.issuer, aud: "teamreg.cove.test:8444", sub: "sp-object", kind: "servicePrincipal", appid: "sp-app", tenant: "t", grant_type: "refresh_token" });
  assert.equal(signed[1]!.ttl, REFRESH_TOKEN_TTL);
  // What the check reads back from those claims.
  assert.deepEqual(principalFromClaims({ ...signed[0]!.claims, tenant: "t" }), { kind: "servicePrincipal", id: "sp-object", clientId: "sp-app", tenantId: "t" });
  assert.equal(principalFromClaims({ token_use: "acr_access", sub: "x", kind: "somethingElse" }), undefined);
});
