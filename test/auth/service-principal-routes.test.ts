import { test } from "node:test";
import assert from "node:assert/strict";
import { authEnv, type AuthEnv } from "./env.js";
import { fakeContext } from "../support/context.js";
import { createServicePrincipalRoutes } from "../../src/identity/service-principal-routes.js";
import { armErrorResult } from "../../src/control-plane/arm/errors.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import type { Principal } from "../../src/auth/types.js";
import type { HandlerResult } from "../../src/http/types.js";

const MGMT = { kind: "management" as const, address: "127.0.0.1", port: 8443 };
const BASE = "/cove/identity/servicePrincipals";

/** Runs a route as the management pipeline does: a thrown error goes through the ARM mapper. */
async function call(routes: ReturnType<typeof createServicePrincipalRoutes>, method: string, url: string, principal?: Principal, body?: unknown, headers: Record<string, string> = {}): Promise<HandlerResult | undefined> {
  const ctx = fakeContext({
    method, url, principal, listener: MGMT,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    headers: { host: "127.0.0.1:8443", ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
  });
  try {
    return await routes(ctx);
  } catch (e) {
    const r = armErrorResult(e);
    assert.equal(r.internal, false, `uncatalogued error: ${String(e)}`);
    return { status: r.status, body: r.body };
  }
}

async function setup(): Promise<{ env: AuthEnv; routes: ReturnType<typeof createServicePrincipalRoutes>; owner: Principal; reader: Principal }> {
  const env = await authEnv();
  const sub = `/subscriptions/${env.idp.subscriptionId}`;
  const o = await env.principal("owner");
  await env.assign(sub, o.objectId, ROLE_IDS.Owner);
  const r = await env.principal("reader");
  await env.assign(sub, r.objectId, ROLE_IDS.Contributor);
  return { env, routes: createServicePrincipalRoutes(env.idp, env.access), owner: o.principal, reader: r.principal };
}

test("only an authenticated Owner may manage service principals", async () => {
  const { env, routes, reader } = await setup();
  try {
    const none = await call(routes, "GET", BASE);
    assert.equal(none?.status, 401);
    assert.equal((none!.body as any).error.code, "AuthenticationFailed");
    const badToken = await call(routes, "GET", BASE, undefined, undefined, { authorization: "Bearer junk" });
    assert.equal((badToken!.body as any).error.code, "InvalidAuthenticationToken");
    const denied = await call(routes, "POST", BASE, reader, { displayName: "x" });
    assert.equal(denied?.status, 403);
    assert.equal((denied!.body as any).error.code, "AuthorizationFailed");
    assert.match((denied!.body as any).error.message, /Microsoft\.Authorization\/roleAssignments\/write/);
    assert.equal((await env.idp.listServicePrincipals()).length, 2, "nothing was created");
    assert.equal(await call(routes, "GET", "/subscriptions"), undefined, "not its path");
  } finally {
    await env.close();
  }
});

test("create-for-rbac lifecycle: create, list, show, add and remove a secret, delete", async () => {
  const { env, routes, owner } = await setup();
  try {
    const created = await call(routes, "POST", BASE, owner, { displayName: "ci-pusher" });
    assert.equal(created?.status, 201);
    const sp = created!.body as any;
    assert.equal(sp.displayName, "ci-pusher");
    assert.equal(sp.tenant, env.idp.tenantId);
    assert.equal(typeof sp.password, "string");
    assert.ok(await env.idp.verifyClientSecret(sp.appId, sp.password), "the returned password logs in");

    const list = await call(routes, "GET", BASE, owner);
    assert.ok((list!.body as any).value.some((x: any) => x.appId === sp.appId));
    assert.ok(!JSON.stringify(list!.body).includes(sp.password));
    const shown = await call(routes, "GET", `${BASE}/${sp.appId}`, owner);
    assert.equal((shown!.body as any).objectId, sp.objectId);
    assert.equal((await call(routes, "GET", `${BASE.toLowerCase()}/${sp.objectId}`, owner))?.status, 200, "by object id, any case");

    const added = await call(routes, "POST", `${BASE}/${sp.appId}/secrets`, owner, {});
    assert.equal(added?.status, 201);
    const secret = (added!.body as any).secret;
    assert.ok(await env.idp.verifyClientSecret(sp.appId, secret));
    const removed = await call(routes, "DELETE", `${BASE}/${sp.appId}/secrets/${(added!.body as any).keyId}`, owner);
    assert.equal(removed?.status, 204);
    assert.equal(await env.idp.verifyClientSecret(sp.appId, secret), undefined);
    const again = await call(routes, "DELETE", `${BASE}/${sp.appId}/secrets/${(added!.body as any).keyId}`, owner);
    assert.equal(again?.status, 404);

    assert.equal((await call(routes, "DELETE", `${BASE}/${sp.appId}`, owner))?.status, 204);
    assert.equal((await call(routes, "GET", `${BASE}/${sp.appId}`, owner))?.status, 404);
    assert.equal((await call(routes, "DELETE", `${BASE}/${sp.appId}`, owner))?.status, 404);
    assert.equal((await call(routes, "POST", `${BASE}/${sp.appId}/secrets`, owner, {}))?.status, 404);
    assert.equal((await call(routes, "PUT", BASE, owner, {}))?.status, 405);
  } finally {
    await env.close();
  }
});

test("bad bodies get catalogued ARM errors and create nothing", async () => {
  const { env, routes, owner } = await setup();
  try {
    const cases: [string, unknown, Record<string, string>, number, string][] = [
      ["malformed JSON", "{", {}, 400, "InvalidRequestContent"],
      ["array", "[]", {}, 400, "InvalidRequestContent"],
      ["empty", "", {}, 400, "InvalidRequestContent"],
      ["unknown property", { displayName: "x", password: "mine" }, {}, 400, "InvalidRequestContent"],
      ["wrong type", { displayName: 5 }, {}, 400, "InvalidParameter"],
      ["blank name", { displayName: "   " }, {}, 400, "InvalidParameter"],
      ["control character", { displayName: "a\nb" }, {}, 400, "InvalidParameter"],
      ["too long", { displayName: "x".repeat(257) }, {}, 400, "InvalidParameter"],
      ["oversized", { displayName: "x".repeat(70 * 1024) }, {}, 413, "RequestEntityTooLarge"],
      ["xml", "<a/>", { "content-type": "application/xml" }, 415, "UnsupportedMediaType"],
    ];
    for (const [name, body, headers, status, code] of cases) {
      const r = await call(routes, "POST", BASE, owner, body, headers);
      assert.equal(r?.status, status, name);
      assert.equal((r!.body as any).error.code, code, name);
    }
    assert.equal((await env.idp.listServicePrincipals()).length, 2, "only the two set-up principals exist");
  } finally {
    await env.close();
  }
});
