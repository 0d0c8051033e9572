// The ARM front door: which paths are ARM's, authentication, routing errors, api-versions,
// subscriptions, tenants and cloud metadata.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { harness, armErr, sp, SUB, TENANT, ACR_V, RES_V, type Harness } from "./harness.js";

let h: Harness;
before(async () => { h = await harness(); });
after(async () => { await h.close(); });

test("non-ARM paths are left to other handlers", async () => {
  for (const p of ["/healthz", "/cove/identity/servicePrincipals", `/${TENANT}/oauth2/v2.0/token`, "/"]) {
    const r = await h.call("GET", p);
    assert.equal(r.status, 0, p);
  }
});

test("no token: 401 AuthenticationFailed with a Bearer challenge", async () => {
  const r = await h.call("GET", `/subscriptions?api-version=2019-11-01`, { principal: null });
  armErr(r, 401, "AuthenticationFailed");
  assert.match(String(r.headers["www-authenticate"]), /^Bearer authorization_uri="https:\/\/127\.0\.0\.1:8443\/adfs", error="invalid_token"/);
});

test("a token the pipeline did not accept: 401 InvalidAuthenticationToken", async () => {
  const r = await h.call("GET", `/subscriptions/${SUB}/resourcegroups?${RES_V}`, { principal: null, headers: { authorization: "Bearer junk" } });
  armErr(r, 401, "InvalidAuthenticationToken");
  assert.ok(r.headers["www-authenticate"]);
});

test("GET /subscriptions lists the subscription with id and displayName (az login)", async () => {
  const r = await h.call("GET", "/subscriptions?api-version=2019-11-01");
  assert.equal(r.status, 200);
  assert.match(String(r.headers["content-type"]), /^application\/json/);
  assert.ok(r.headers["x-ms-request-id"]);
  assert.equal(r.json.value.length, 1);
  assert.equal(r.json.value[0].id, `/subscriptions/${SUB}`);
  assert.equal(r.json.value[0].subscriptionId, SUB);
  assert.equal(r.json.value[0].tenantId, TENANT);
  assert.equal(typeof r.json.value[0].displayName, "string");
  assert.equal(r.json.value[0].state, "Enabled");
});

test("a principal with no role assignment sees no subscription and cannot GET it", async () => {
  const stranger = sp("stranger");
  const r = await h.call("GET", "/subscriptions?api-version=2019-11-01", { principal: stranger });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.value, []);
  armErr(await h.call("GET", `/subscriptions/${SUB}?api-version=2022-12-01`, { principal: stranger }), 403, "AuthorizationFailed");
});

test("GET /subscriptions/{s} and /tenants", async () => {
  const r = await h.call("GET", `/subscriptions/${SUB}?api-version=2022-12-01`);
  assert.equal(r.status, 200);
  assert.equal(r.json.subscriptionId, SUB);
  const t = await h.call("GET", "/tenants?api-version=2020-01-01");
  assert.equal(t.status, 200);
  assert.deepEqual(t.json.value.map((x: any) => x.tenantId), [TENANT]);
});

test("an unknown subscription is SubscriptionNotFound", async () => {
  armErr(await h.call("GET", `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?${RES_V}`), 404, "SubscriptionNotFound");
});

test("/metadata/endpoints answers without a token (az cloud register)", async () => {
  const r = await h.call("GET", "//metadata/endpoints?api-version=2015-01-01".replace("//", "/"), { principal: null });
  assert.equal(r.status, 200);
  assert.equal(r.json.authentication.loginEndpoint, "https://127.0.0.1:8443/adfs");
  assert.deepEqual(r.json.authentication.audiences, ["https://127.0.0.1:8443/"]);
  assert.equal(r.json.graphEndpoint, "https://127.0.0.1:8443/");
  const newer = await h.call("GET", "/metadata/endpoints?api-version=2022-09-01", { principal: null });
  assert.equal(newer.status, 200);
  assert.equal(newer.json[0].suffixes.acrLoginServer, "cove.test");
  armErr(await h.call("GET", "/metadata/endpoints?api-version=1999-01-01", { principal: null }), 400, "InvalidApiVersionParameter");
});

test("api-version: missing, unknown for ARM types, unknown for a resource provider", async () => {
  armErr(await h.call("GET", `/subscriptions/${SUB}/resourcegroups`), 400, "MissingApiVersionParameter");
  const bad = await h.call("GET", `/subscriptions/${SUB}/resourcegroups?api-version=2099-01-01`);
  armErr(bad, 400, "InvalidApiVersionParameter");
  assert.match(bad.json.error.message, /The api-version '2099-01-01' is invalid\. The supported versions are '.*2025-03-01.*2021-04-01/);
  const acr = await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerRegistry/registries?api-version=2099-01-01`);
  armErr(acr, 400, "NoRegisteredProviderFound");
  assert.match(acr.json.error.message, /for type 'registries'.*2025-11-01.*2022-02-01-preview/);
  armErr(await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?api-version=2001-01-01`), 400, "NoRegisteredProviderFound");
});

test("every api-version the SDKs and az 2.45 send is accepted", async () => {
  for (const v of ["2025-11-01", "2023-07-01", "2022-02-01-preview", "2019-05-01"]) {
    assert.equal((await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerRegistry/registries?api-version=${v}`)).status, 200, v);
  }
  for (const v of ["2025-03-01", "2021-04-01", "2019-11-01"]) {
    assert.equal((await h.call("GET", `/subscriptions/${SUB}/resourcegroups?api-version=${v}`)).status, 200, v);
  }
  for (const v of ["2022-04-01", "2015-07-01", "2020-10-01"]) {
    assert.equal((await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?api-version=${v}`)).status, 200, v);
  }
});

test("paths match case-insensitively", async () => {
  const r = await h.call("GET", `/SUBSCRIPTIONS/${SUB}/ResourceGroups?${RES_V}`);
  assert.equal(r.status, 200);
  const p = await h.call("GET", `/subscriptions/${SUB}/providers/microsoft.containerregistry/REGISTRIES?${ACR_V}`);
  assert.equal(p.status, 200);
});

test("unknown namespace, unknown type, unknown path, wrong method", async () => {
  armErr(await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.Nope/things?${ACR_V}`), 400, "InvalidResourceNamespace");
  armErr(await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerRegistry/widgets?${ACR_V}`), 400, "InvalidResourceType");
  armErr(await h.call("GET", `/subscriptions/${SUB}/nothing-here?${RES_V}`), 404, "NotFound");
  armErr(await h.call("POST", `/subscriptions/${SUB}/resourcegroups/x?${RES_V}`), 405, "MethodNotAllowed");
});

test("x-ms-correlation-request-id is echoed", async () => {
  const r = await h.call("GET", `/subscriptions/${SUB}/resourcegroups?${RES_V}`, { headers: { "x-ms-correlation-request-id": "corr-1" } });
  assert.equal(r.headers["x-ms-correlation-request-id"], "corr-1");
});
