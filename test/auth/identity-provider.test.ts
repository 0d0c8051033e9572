import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { authEnv } from "./env.js";
import { createIdentityProvider, SERVICE_PRINCIPAL_TYPE } from "../../src/identity/identity-provider.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import { managementAudiences } from "../../src/auth/audiences.js";

const MGMT = managementAudiences({ host: "127.0.0.1", port: 8443 });

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test("tenant and subscription are generated once and kept across restarts", async () => {
  const env = await authEnv();
  try {
    assert.match(env.idp.tenantId, GUID);
    assert.match(env.idp.subscriptionId, GUID);
    assert.notEqual(env.idp.tenantId, env.idp.subscriptionId);
    const again = await createIdentityProvider({ meta: env.meta, dataDir: env.dir, issuer: "https://localhost:8443" });
    assert.equal(again.tenantId, env.idp.tenantId);
    assert.equal(again.subscriptionId, env.idp.subscriptionId);
    assert.equal(again.keys.kid, env.idp.keys.kid);
  } finally {
    await env.close();
  }
});

test("service principals: create, find, secrets hashed at rest, add and remove secrets, delete", async () => {
  const env = await authEnv();
  try {
    const sp = await env.idp.createServicePrincipal("ci-pusher");
    assert.match(sp.appId, GUID);
    assert.match(sp.objectId, GUID);
    assert.equal(sp.displayName, "ci-pusher");
    assert.equal(sp.tenant, env.idp.tenantId);
    const stored = JSON.stringify(await env.meta.listResources({ type: SERVICE_PRINCIPAL_TYPE }));
    assert.ok(!stored.includes(sp.password), "the secret is not stored in plaintext");

    assert.equal((await env.idp.getServicePrincipal(sp.appId))?.objectId, sp.objectId);
    assert.equal((await env.idp.getServicePrincipal(sp.objectId.toUpperCase()))?.appId, sp.appId);
    assert.equal(await env.idp.getServicePrincipal("not-a-guid"), undefined);
    assert.deepEqual((await env.idp.listServicePrincipals()).map((s) => s.appId), [sp.appId]);
    assert.ok(!JSON.stringify(await env.idp.listServicePrincipals()).includes("secretHash"), "listings never carry hashes");

    const p = await env.idp.verifyClientSecret(sp.appId, sp.password);
    assert.deepEqual(p, { kind: "servicePrincipal", id: sp.objectId, clientId: sp.appId, displayName: "ci-pusher", tenantId: env.idp.tenantId });
    assert.equal(await env.idp.verifyClientSecret(sp.appId, sp.password + "x"), undefined);
    assert.equal(await env.idp.verifyClientSecret(sp.objectId, sp.password), undefined, "clients log in with the app id");

    const second = await env.idp.addSecret(sp.appId);
    assert.ok(second);
    assert.ok(await env.idp.verifyClientSecret(sp.appId, second.secret));
    assert.ok(await env.idp.verifyClientSecret(sp.appId, sp.password), "the first secret still works");
    assert.equal(await env.idp.removeSecret(sp.appId, sp.keyId), true);
    assert.equal(await env.idp.verifyClientSecret(sp.appId, sp.password), undefined, "a removed secret no longer works");
    assert.ok(await env.idp.verifyClientSecret(sp.appId, second.secret));
    assert.equal(await env.idp.removeSecret(sp.appId, sp.keyId), false);
    assert.equal(await env.idp.addSecret("00000000-0000-0000-0000-000000000001"), undefined);

    assert.equal(await env.idp.deleteServicePrincipal(sp.appId), true);
    assert.equal(await env.idp.verifyClientSecret(sp.appId, second.secret), undefined);
    assert.equal(await env.idp.deleteServicePrincipal(sp.appId), false);
    await assert.rejects(env.idp.createServicePrincipal("  "), { code: "InvalidRequestContent" });
    await assert.rejects(env.idp.createServicePrincipal("a\u0000b"), { code: "InvalidRequestContent" });
    assert.deepEqual(await env.idp.listServicePrincipals(), [], "refused input wrote nothing");
  } finally {
    await env.close();
  }
});

test("access tokens round-trip, carry Entra's claims, and die with their service principal", async () => {
  const env = await authEnv();
  try {
    const a = await env.principal("a");
    const token = await env.idp.issueAccessToken(a.principal, "https://127.0.0.1:8443//.default");
    const c = decodeJwt(token);
    assert.equal(c.aud, "https://127.0.0.1:8443/");
    assert.equal(c.iss, `https://127.0.0.1:8443/${env.idp.tenantId}/v2.0`);
    assert.equal(c.sub, a.objectId);
    assert.equal(c.oid, a.objectId);
    assert.equal(c.appid, a.appId);
    assert.equal(c.tid, env.idp.tenantId);
    for (const k of ["iat", "nbf", "exp"]) assert.equal(typeof c[k], "number");
    assert.equal((c.exp as number) - (c.iat as number), 3600);
    assert.equal((await env.idp.verifyAccessToken(token, MGMT))?.id, a.objectId);
    const acr = await env.idp.issueAccessToken(a.principal, "https://containerregistry.azure.net/.default");
    assert.equal(decodeJwt(acr).aud, "https://containerregistry.azure.net");
    // Another resource's token is genuine but not the management API's.
    assert.equal(await env.idp.verifyAccessToken(acr, MGMT), undefined);
    const check = await env.idp.checkAccessToken(acr, MGMT);
    assert.equal(check.ok, false);
    assert.equal(!check.ok && check.reason, "audience");

    const claims = decodeJwt(token) as any;
    const expired = await env.idp.keys.sign({ ...claims, jti: undefined }, 600, Math.floor(Date.now() / 1000) - 3600);
    assert.equal(await env.idp.verifyAccessToken(expired, MGMT), undefined);
    await env.idp.deleteServicePrincipal(a.appId);
    assert.equal(await env.idp.verifyAccessToken(token, MGMT), undefined);
  } finally {
    await env.close();
  }
});

test("bootstrap creates an Owner of the subscription whose secret works", async () => {
  const env = await authEnv();
  try {
    const boot = await env.idp.bootstrap();
    assert.equal(boot.tenantId, env.idp.tenantId);
    assert.equal(boot.subscriptionId, env.idp.subscriptionId);
    const p = await env.idp.verifyClientSecret(boot.clientId, boot.clientSecret);
    assert.ok(p);
    assert.equal(p.displayName, "cove-bootstrap");
    const sub = `/subscriptions/${boot.subscriptionId}`;
    assert.equal(await env.access.authorize(p, "Microsoft.Authorization/roleAssignments/write", sub), true);
    assert.equal(await env.access.authorize(p, "Microsoft.Authorization/roleAssignments/write", "/subscriptions/other"), false);
    const assignments = await env.meta.listResources({ type: "Microsoft.Authorization/roleAssignments" });
    assert.equal(assignments.length, 1);
    const props = (assignments[0]!.body as any).properties;
    assert.equal(props.roleDefinitionId, `${sub}/providers/Microsoft.Authorization/roleDefinitions/${ROLE_IDS.Owner}`);
    assert.equal(props.principalId, p.id);
    assert.equal(props.scope, sub);
    assert.equal(assignments[0]!.id.toLowerCase().startsWith(`${sub}/providers/microsoft.authorization/roleassignments/`.toLowerCase()), true);
  } finally {
    await env.close();
  }
});
