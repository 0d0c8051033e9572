import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { harness, armErr, group, registry, regPath, regUrl, SUB, ACR_V, type Harness } from "./harness.js";

let h: Harness;
before(async () => {
  h = await harness();
  await group(h, "rg");
  await group(h, "rg2");
});
after(async () => { await h.close(); });

test("PUT creates a registry with every property and Azure's defaults (201), then replaces it (200)", async () => {
  const r = await h.call("PUT", regUrl("rg", "MyReg01"), { body: { location: "westeurope", sku: { name: "Standard" } } });
  assert.equal(r.status, 201);
  assert.match(String(r.headers["content-type"]), /^application\/json/);
  assert.ok(r.headers["x-ms-request-id"]);
  const b = r.json;
  assert.equal(b.id, regPath("rg", "MyReg01"));
  assert.equal(b.name, "MyReg01");
  assert.equal(b.type, "Microsoft.ContainerRegistry/registries");
  assert.equal(b.location, "westeurope");
  assert.deepEqual(b.sku, { name: "Standard", tier: "Standard" });
  const p = b.properties;
  assert.equal(p.loginServer, "myreg01.cove.test:8444");
  assert.ok(!Number.isNaN(Date.parse(p.creationDate)));
  assert.equal(p.provisioningState, "Succeeded");
  assert.equal(p.adminUserEnabled, false);
  assert.deepEqual(p.networkRuleSet, { defaultAction: "Allow", ipRules: [] });
  assert.equal(p.policies.quarantinePolicy.status, "disabled");
  assert.deepEqual({ ...p.policies.trustPolicy }, { type: "Notary", status: "disabled" });
  assert.equal(p.policies.retentionPolicy.days, 7);
  assert.equal(p.policies.retentionPolicy.status, "disabled");
  assert.equal(p.policies.exportPolicy.status, "enabled");
  assert.equal(p.policies.azureADAuthenticationAsArmPolicy.status, "enabled");
  assert.deepEqual(p.encryption, { status: "disabled" });
  assert.equal(p.dataEndpointEnabled, false);
  assert.deepEqual(p.dataEndpointHostNames, []);
  assert.deepEqual(p.privateEndpointConnections, []);
  assert.equal(p.publicNetworkAccess, "Enabled");
  assert.equal(p.networkRuleBypassOptions, "AzureServices");
  assert.equal(p.networkRuleBypassAllowedForTasks, false);
  assert.equal(p.zoneRedundancy, "Disabled");
  assert.equal(p.anonymousPullEnabled, false);
  assert.equal(p.roleAssignmentMode, "LegacyRegistryPermissions");
  assert.equal(b.systemData.createdBy, h.owner.clientId);

  const again = await h.call("PUT", regUrl("rg", "myreg01"), { body: { location: "westeurope", sku: { name: "Premium" }, properties: { adminUserEnabled: true } } });
  assert.equal(again.status, 200);
  assert.equal(again.json.name, "MyReg01");
  assert.equal(again.json.properties.creationDate, p.creationDate);
  assert.equal(again.json.properties.adminUserEnabled, true);
  assert.deepEqual(again.json.sku, { name: "Premium", tier: "Premium" });
});

test("GET, list by group and by subscription always carry sku", async () => {
  await registry(h, "rg", "listreg01", "Basic");
  const g = await h.call("GET", regUrl("rg", "LISTREG01"));
  assert.equal(g.status, 200);
  assert.equal(g.json.sku.name, "Basic");
  const lg = await h.call("GET", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries?${ACR_V}`);
  assert.equal(lg.status, 200);
  assert.ok(lg.json.value.length >= 1 && lg.json.value.every((x: any) => x.sku?.name));
  const ls = await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerRegistry/registries?${ACR_V}`);
  assert.ok(ls.json.value.some((x: any) => x.name === "listreg01"));
  const gen = await h.call("GET", `/subscriptions/${SUB}/resources?$filter=resourceType eq 'Microsoft.ContainerRegistry/registries'&api-version=2021-04-01`);
  assert.equal(gen.status, 200);
  assert.ok(gen.json.value.some((x: any) => x.id === regPath("rg", "listreg01")));
  armErr(await h.call("GET", regUrl("rg", "missing01")), 404, "ResourceNotFound");
  armErr(await h.call("GET", regUrl("nogroup", "missing01")), 404, "ResourceGroupNotFound");
});

test("PATCH changes only the given fields", async () => {
  await registry(h, "rg", "patchreg1", "Premium", { tags: { a: "1" } });
  const r = await h.call("PATCH", regUrl("rg", "patchreg1"), { body: { properties: { publicNetworkAccess: "Disabled", policies: { retentionPolicy: { status: "enabled" } } } } });
  assert.equal(r.status, 200);
  assert.equal(r.json.properties.publicNetworkAccess, "Disabled");
  assert.equal(r.json.properties.policies.retentionPolicy.status, "enabled");
  assert.equal(r.json.properties.policies.retentionPolicy.days, 7, "the rest of the policy is kept");
  assert.equal(r.json.properties.policies.exportPolicy.status, "enabled");
  assert.deepEqual(r.json.tags, { a: "1" });
  assert.equal(r.json.sku.name, "Premium");
  const g = await h.call("GET", regUrl("rg", "patchreg1"));
  assert.equal(g.json.properties.publicNetworkAccess, "Disabled");
});

test("login servers are unique across Cove, case-insensitively", async () => {
  await registry(h, "rg", "uniqreg01");
  const r = await h.call("PUT", regUrl("rg2", "UNIQREG01"), { body: { location: "westeurope", sku: { name: "Basic" } } });
  armErr(r, 400, "AlreadyInUse");
  assert.match(r.json.error.message, /uniqreg01\.cove\.test is already in use/);
  armErr(await h.call("GET", regUrl("rg2", "uniqreg01")), 404, "ResourceNotFound");
});

test("checkNameAvailability", async () => {
  const url = `/subscriptions/${SUB}/providers/Microsoft.ContainerRegistry/checkNameAvailability?${ACR_V}`;
  const type = "Microsoft.ContainerRegistry/registries";
  await registry(h, "rg", "takenreg1", "Basic");
  assert.deepEqual((await h.call("POST", url, { body: { name: "freshname1", type } })).json, { nameAvailable: true });
  const taken = await h.call("POST", url, { body: { name: "TAKENREG1", type } });
  assert.equal(taken.status, 200);
  assert.equal(taken.json.nameAvailable, false);
  assert.equal(taken.json.reason, "AlreadyExists");
  const bad = await h.call("POST", url, { body: { name: "no-dash", type } });
  assert.equal(bad.json.reason, "Invalid");
  assert.equal(bad.json.nameAvailable, false);
  armErr(await h.call("POST", url, { body: { name: "abcde", type: "Microsoft.Foo/bars" } }), 400, "InvalidParameter");
  armErr(await h.call("POST", url, { body: { name: "abcde", type, extra: 1 } }), 400, "InvalidRequestContent");
});

test("admin credentials: stored apart, listed, regenerated one password at a time, never in the registry body", async () => {
  const reg = await registry(h, "rg", "credreg01", "Basic");
  assert.ok(!JSON.stringify(reg).includes("password"));
  const rec = await h.meta.getResource(`${reg.id}/adminCredentials`);
  assert.equal(rec?.type, "Cove/registryAdminCredentials");
  const l = await h.call("POST", `${regPath("rg", "credreg01")}/listCredentials?${ACR_V}`);
  assert.equal(l.status, 200);
  assert.equal(l.json.username, "credreg01");
  assert.deepEqual(l.json.passwords.map((p: any) => p.name), ["password", "password2"]);
  assert.ok(l.json.passwords.every((p: any) => /^[A-Za-z0-9]{32}$/.test(p.value)));
  assert.notEqual(l.json.passwords[0].value, l.json.passwords[1].value);
  assert.deepEqual(rec?.body, l.json);
  const g = await h.call("POST", `${regPath("rg", "credreg01")}/regenerateCredential?${ACR_V}`, { body: { name: "password2" } });
  assert.equal(g.status, 200);
  assert.equal(g.json.passwords[0].value, l.json.passwords[0].value);
  assert.notEqual(g.json.passwords[1].value, l.json.passwords[1].value);
  armErr(await h.call("POST", `${regPath("rg", "credreg01")}/regenerateCredential?${ACR_V}`, { body: { name: "password3" } }), 400, "InvalidRequestContent");
  const events = (await h.meta.readAudit()).map((r) => JSON.stringify(r.event));
  assert.ok(!events.some((e) => e.includes(l.json.passwords[0].value)), "no secret in the audit log");
});

test("DELETE: 200 then 204; content and credentials go with it", async () => {
  const reg = await registry(h, "rg", "gonereg01", "Basic");
  const digest = "sha256:" + "b".repeat(64);
  await h.meta.linkBlob(reg.id.toLowerCase(), "r", digest, 1);
  const before = h.state.current();
  assert.equal(before.registryByHost("gonereg01.cove.test")?.key, reg.id.toLowerCase());
  assert.equal((await h.call("DELETE", regUrl("rg", "gonereg01"))).status, 200);
  const gone = h.state.current();
  assert.ok(gone.version > before.version, "the state view was rebuilt before the answer");
  assert.equal(gone.registryByHost("gonereg01.cove.test"), undefined, "the data plane no longer serves the registry");
  assert.equal((await h.call("DELETE", regUrl("rg", "gonereg01"))).status, 204);
  assert.equal(h.state.current(), gone, "a DELETE that deleted nothing committed nothing: no rebuild");
  assert.equal(await h.meta.getResource(`${reg.id}/adminCredentials`), undefined);
  assert.equal(await h.meta.getBlobLink(reg.id.toLowerCase(), "r", digest), undefined);
  armErr(await h.call("DELETE", regUrl("nogroup", "gonereg01")), 404, "ResourceGroupNotFound");
});

test("bad input is refused with the catalogued error and nothing is written", async () => {
  const cases: Array<[string, unknown, number, string, RegExp?]> = [
    ["bad-name", { location: "westeurope", sku: { name: "Basic" } }, 400, "InvalidResourceName"],
    ["okname01", { location: "westeurope" }, 400, "InvalidRequestContent", /sku/],
    ["okname01", { sku: { name: "Basic" } }, 400, "LocationRequired"],
    ["okname01", { location: "westeurope", sku: { name: 7 } }, 400, "InvalidRequestContent", /sku\.name/],
    ["okname01", { location: "westeurope", sku: { name: "Gold" } }, 400, "InvalidRequestContent", /sku\.name/],
    ["okname01", { location: "westeurope", sku: { name: "Basic" }, properties: { adminUserEnabled: "yes" } }, 400, "InvalidRequestContent", /properties\.adminUserEnabled/],
    ["okname01", { location: "westeurope", sku: { name: "Basic" }, properties: { adminUserEnable: true } }, 400, "InvalidRequestContent", /adminUserEnable/],
    ["okname01", { location: "westeurope", sku: { name: "Basic" }, colour: "red" }, 400, "InvalidRequestContent", /colour/],
    ["okname01", { location: "westeurope", sku: { name: "Premium" }, properties: { networkRuleSet: { defaultAction: "Deny", ipRules: [{ value: "300.1.1.1" }] } } }, 400, "InvalidParameter", /ipRules\[0\]\.value/],
    ["okname01", { location: "westeurope", sku: { name: "Premium" }, properties: { networkRuleSet: { ipRules: [] } } }, 400, "InvalidRequestContent", /defaultAction/],
    ["okname01", { location: "westeurope", sku: { name: "Premium" }, properties: { policies: { retentionPolicy: { days: "7" } } } }, 400, "InvalidRequestContent", /retentionPolicy\.days/],
    ["okname01", { location: "westeurope", sku: { name: "Basic" }, properties: { publicNetworkAccess: "Disabled" } }, 400, "DisablingPublicNetworkAccessNotSupported"],
    ["okname01", { location: "westeurope", sku: { name: "Standard" }, properties: { networkRuleSet: { defaultAction: "Deny" } } }, 400, "NetworkRuleSetNotSupported"],
    ["okname01", { location: "westeurope", sku: { name: "Standard" }, properties: { dataEndpointEnabled: true } }, 400, "FeatureNotSupportedForSku"],
    ["okname01", { location: "westeurope", sku: { name: "Basic" }, properties: { anonymousPullEnabled: true } }, 400, "FeatureNotSupportedForSku"],
    ["okname01", { location: "westeurope", sku: { name: "Premium" }, properties: { encryption: { status: "enabled" } } }, 400, "InvalidParameter"],
  ];
  for (const [name, body, status, code, msg] of cases) {
    const r = await h.call("PUT", regUrl("rg", name), { body });
    armErr(r, status, code);
    if (msg) assert.match(r.json.error.message, msg, JSON.stringify(body));
  }
  const raw = await h.call("PUT", regUrl("rg", "okname01"), { body: '{"location": "westeurope", "sku": ' });
  armErr(raw, 400, "InvalidRequestContent");
  armErr(await h.call("PUT", regUrl("rg", "okname01"), { body: "[1,2]" }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", regUrl("rg", "okname01"), { body: "x".repeat(1024 * 1024 + 10) }), 413, "RequestEntityTooLarge");
  armErr(await h.call("PUT", regUrl("rg", "okname01"), { body: "{}", headers: { "content-type": "text/plain" } }), 415, "UnsupportedMediaType");
  armErr(await h.call("PUT", regUrl("nogroup", "okname01"), { body: { location: "westeurope", sku: { name: "Basic" } } }), 404, "ResourceGroupNotFound");
  armErr(await h.call("PUT", regUrl("rg", "okname01", "api-version=2000-01-01"), { body: { location: "westeurope", sku: { name: "Basic" } } }), 400, "NoRegisteredProviderFound");
  armErr(await h.call("GET", regUrl("rg", "okname01")), 404, "ResourceNotFound");
  assert.equal((await h.meta.listResources({ underId: regPath("rg", "okname01") })).length, 0);
});

test("PATCH refuses unknown or read-only properties and SKU violations, leaving the registry unchanged", async () => {
  await registry(h, "rg", "strictreg", "Standard");
  armErr(await h.call("PATCH", regUrl("rg", "strictreg"), { body: { location: "eastus" } }), 400, "InvalidRequestContent");
  armErr(await h.call("PATCH", regUrl("rg", "strictreg"), { body: { properties: { loginServer: "evil.example" } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PATCH", regUrl("rg", "strictreg"), { body: { properties: { publicNetworkAccess: "Disabled" } } }), 400, "DisablingPublicNetworkAccessNotSupported");
  armErr(await h.call("PATCH", regUrl("rg", "strictreg"), { body: { sku: { name: "Basic" }, properties: { anonymousPullEnabled: true } } }), 400, "FeatureNotSupportedForSku");
  const g = await h.call("GET", regUrl("rg", "strictreg"));
  assert.equal(g.json.properties.publicNetworkAccess, "Enabled");
  assert.equal(g.json.sku.name, "Standard");
  // Upgrading and disabling public access in one PATCH is fine.
  const ok = await h.call("PATCH", regUrl("rg", "strictreg"), { body: { sku: { name: "Premium" }, properties: { publicNetworkAccess: "Disabled", networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", value: "10.0.0.0/24" }] } } } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.properties.networkRuleSet, { defaultAction: "Deny", ipRules: [{ action: "Allow", value: "10.0.0.0/24" }] });
});

test("data endpoints are listed when enabled (Premium)", async () => {
  const reg = await registry(h, "rg", "datareg01", "Premium", { properties: { dataEndpointEnabled: true } });
  assert.deepEqual(reg.properties.dataEndpointHostNames, ["datareg01.westeurope.data.cove.test"]);
});
