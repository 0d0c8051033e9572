// Private DNS zones, A record sets and virtual network links through the management API in-process
// (real stores, real access control): the error cases, preconditions and counters. The SDK test
// (private-dns-sdk.test.ts) drives the same operations through @azure/arm-privatedns.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { harness, group, armErr, sp, SUB, type Harness } from "../control-plane/harness.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import { aUrl, linkUrl, storeVnet, zonePath, zoneUrl, DNS_V } from "./fixtures.js";

let h: Harness;
const Z = "privatelink.cove.test";

before(async () => {
  h = await harness();
  await group(h, "dns");
  await group(h, "net");
});
after(async () => h.close());

test("a zone is created global, with the SOA record set and Azure's counters", async () => {
  const r = await h.call("PUT", zoneUrl("dns", Z), { body: { location: "global" } });
  assert.equal(r.status, 201);
  assert.equal(r.json.location, "global");
  assert.equal(r.json.type, "Microsoft.Network/privateDnsZones");
  assert.equal(r.json.properties.numberOfRecordSets, 1);
  assert.equal(r.json.properties.maxNumberOfRecordSets, 25000);
  assert.equal(r.json.properties.numberOfVirtualNetworkLinks, 0);
  assert.equal(r.json.properties.provisioningState, "Succeeded");
  const soa = await h.call("GET", `${zonePath("dns", Z)}/SOA/@?${DNS_V}`);
  assert.equal(soa.status, 200);
  assert.equal(soa.json.properties.fqdn, `${Z}.`);
  assert.equal(soa.json.properties.soaRecord.host, "azureprivatedns.net");
  const again = await h.call("PUT", zoneUrl("dns", Z.toUpperCase()), { body: { location: "Global", tags: { a: "b" } } });
  assert.equal(again.status, 200, "zone names compare case-insensitively");
  assert.equal(again.json.name, Z);
  assert.deepEqual(again.json.tags, { a: "b" });
});

test("bad zone names, locations and bodies are refused and nothing is written", async () => {
  armErr(await h.call("PUT", zoneUrl("dns", "single"), { body: { location: "global" } }), 400, "BadRequest");
  armErr(await h.call("PUT", zoneUrl("dns", "bad_-.-x.test"), { body: { location: "global" } }), 400, "BadRequest");
  armErr(await h.call("PUT", zoneUrl("dns", "-a.test"), { body: { location: "global" } }), 400, "BadRequest");
  armErr(await h.call("PUT", zoneUrl("dns", "ok.test"), { body: { location: "westeurope" } }), 400, "LocationNotAvailableForResourceType");
  armErr(await h.call("PUT", zoneUrl("dns", "ok.test"), { body: {} }), 400, "LocationRequired");
  armErr(await h.call("PUT", zoneUrl("dns", "ok.test"), { body: { location: "global", propertys: {} } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", zoneUrl("dns", "ok.test"), { body: "{not json" }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", zoneUrl("nogroup", "ok.test"), { body: { location: "global" } }), 404, "ResourceGroupNotFound");
  armErr(await h.call("PUT", zoneUrl("dns", "ok.test", "api-version=2025-05-01"), { body: { location: "global" } }), 400, "NoRegisteredProviderFound");
  armErr(await h.call("GET", zoneUrl("dns", "ok.test")), 404, "ResourceNotFound");
  const list = await h.call("GET", `/subscriptions/${SUB}/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones?${DNS_V}`);
  assert.deepEqual(list.json.value.map((z: any) => z.name), [Z]);
});

test("A record sets: create, validate, update, list by type and all, delete", async () => {
  const put = await h.call("PUT", aUrl("dns", Z, "myreg"), { body: { properties: { ttl: 10, aRecords: [{ ipv4Address: "10.0.1.4" }], metadata: { k: "v" } } } });
  assert.equal(put.status, 201);
  assert.equal(put.json.type, "Microsoft.Network/privateDnsZones/A");
  assert.equal(put.json.properties.fqdn, `myreg.${Z}.`);
  assert.equal(put.json.properties.isAutoRegistered, false);
  assert.deepEqual(put.json.properties.aRecords, [{ ipv4Address: "10.0.1.4" }]);
  assert.ok(put.json.etag);
  const data = await h.call("PUT", aUrl("dns", Z, "myreg.westeurope.data"), { body: { properties: { ttl: 10, aRecords: [{ ipv4Address: "10.0.1.5" }] } } });
  assert.equal(data.status, 201);

  for (const bad of [
    { properties: { aRecords: [{ ipv4Address: "10.0.1.256" }] } },
    { properties: { aRecords: [{ ipv4Address: "fe80::1" }] } },
    { properties: { aRecords: [{ ipv4Address: "10.0.0.1" }, { ipv4Address: "10.0.0.1" }] } },
    { properties: { cnameRecord: { cname: "x" } } },
    { properties: { aRecords: Array.from({ length: 21 }, (_, i) => ({ ipv4Address: `10.0.0.${i + 1}` })) } },
  ]) armErr(await h.call("PUT", aUrl("dns", Z, "other"), { body: bad }), 400, "BadRequest");
  armErr(await h.call("PUT", aUrl("dns", Z, "other"), { body: { properties: { ttl: -1 } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", aUrl("dns", Z, "other"), { body: { properties: { aRecords: [{ ipv4: "10.0.0.1" }] } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", aUrl("dns", Z, "bad..name"), { body: { properties: {} } }), 400, "BadRequest");
  armErr(await h.call("PUT", aUrl("dns", "nozone.test", "x"), { body: { properties: {} } }), 404, "ParentResourceNotFound");
  armErr(await h.call("PUT", `${zonePath("dns", Z)}/CNAME/x?${DNS_V}`, { body: { properties: {} } }), 400, "BadRequest");
  armErr(await h.call("PUT", `${zonePath("dns", Z)}/SOA/@?${DNS_V}`, { body: { properties: {} } }), 400, "BadRequest");
  armErr(await h.call("GET", aUrl("dns", Z, "other")), 404, "ResourceNotFound");

  const patched = await h.call("PATCH", aUrl("dns", Z, "myreg"), { body: { properties: { ttl: 60 } } });
  assert.equal(patched.status, 200);
  assert.equal(patched.json.properties.ttl, 60);
  assert.deepEqual(patched.json.properties.aRecords, [{ ipv4Address: "10.0.1.4" }], "PATCH keeps what it does not name");
  assert.deepEqual(patched.json.properties.metadata, { k: "v" });

  const byType = await h.call("GET", `${zonePath("dns", Z)}/A?${DNS_V}`);
  assert.deepEqual(byType.json.value.map((r: any) => r.name), ["myreg", "myreg.westeurope.data"]);
  const all = await h.call("GET", `${zonePath("dns", Z)}/ALL?${DNS_V}`);
  assert.deepEqual(all.json.value.map((r: any) => `${r.type.split("/").pop()} ${r.name}`), ["SOA @", "A myreg", "A myreg.westeurope.data"]);
  const aaaa = await h.call("GET", `${zonePath("dns", Z)}/AAAA?${DNS_V}`);
  assert.deepEqual(aaaa.json.value, []);
  armErr(await h.call("GET", `${zonePath("dns", Z)}/BOGUS?${DNS_V}`), 400, "BadRequest");
  assert.equal((await h.call("GET", zoneUrl("dns", Z))).json.properties.numberOfRecordSets, 3);

  assert.equal((await h.call("DELETE", aUrl("dns", Z, "myreg.westeurope.data"))).status, 200);
  assert.equal((await h.call("DELETE", aUrl("dns", Z, "myreg.westeurope.data"))).status, 204);
});

test("If-Match and If-None-Match: * are honoured (412 PreconditionFailed, nothing written)", async () => {
  const cur = await h.call("GET", aUrl("dns", Z, "myreg"));
  armErr(await h.call("PUT", aUrl("dns", Z, "myreg"), { body: { properties: { ttl: 5 } }, headers: { "if-none-match": "*" } }), 412, "PreconditionFailed");
  armErr(await h.call("PUT", aUrl("dns", Z, "myreg"), { body: { properties: { ttl: 5 } }, headers: { "if-match": '"stale"' } }), 412, "PreconditionFailed");
  armErr(await h.call("DELETE", aUrl("dns", Z, "myreg"), { headers: { "if-match": "stale" } }), 412, "PreconditionFailed");
  armErr(await h.call("PUT", aUrl("dns", Z, "fresh"), { body: { properties: {} }, headers: { "if-match": "*" } }), 412, "PreconditionFailed");
  const still = await h.call("GET", aUrl("dns", Z, "myreg"));
  assert.equal(still.json.etag, cur.json.etag);
  assert.equal(still.json.properties.ttl, 60);
  const ok = await h.call("PUT", aUrl("dns", Z, "myreg"), { body: { properties: { ttl: 5, aRecords: [{ ipv4Address: "10.0.1.4" }] } }, headers: { "if-match": `"${cur.json.etag}"` } });
  assert.equal(ok.status, 200);
  assert.notEqual(ok.json.etag, cur.json.etag);
  const created = await h.call("PUT", aUrl("dns", Z, "fresh"), { body: { properties: {} }, headers: { "if-none-match": "*" } });
  assert.equal(created.status, 201);
  assert.equal((await h.call("GET", aUrl("dns", Z, "nope"))).status, 404);
});

test("virtual network links: VNet must exist, one link per VNet per zone, zone delete refused while linked", async () => {
  const hub = await storeVnet(h, "net", "hub");
  const spoke = await storeVnet(h, "net", "spoke");
  const r = await h.call("PUT", linkUrl("dns", Z, "hub-link"), { body: { location: "global", properties: { virtualNetwork: { id: hub }, registrationEnabled: false, resolutionPolicy: "NxDomainRedirect" } } });
  assert.equal(r.status, 201);
  assert.equal(r.json.properties.virtualNetworkLinkState, "Completed");
  assert.equal(r.json.properties.provisioningState, "Succeeded");
  assert.equal(r.json.properties.resolutionPolicy, "NxDomainRedirect");
  assert.equal(r.json.location, "global");
  assert.equal(r.json.type, "Microsoft.Network/privateDnsZones/virtualNetworkLinks");

  armErr(await h.call("PUT", linkUrl("dns", Z, "dup"), { body: { location: "global", properties: { virtualNetwork: { id: hub } } } }), 409, "Conflict");
  armErr(await h.call("PUT", linkUrl("dns", Z, "ghost"), { body: { location: "global", properties: { virtualNetwork: { id: `${hub}x` } } } }), 404, "ResourceNotFound");
  armErr(await h.call("PUT", linkUrl("dns", Z, "nov"), { body: { location: "global", properties: {} } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", linkUrl("dns", Z, "badpol"), { body: { location: "global", properties: { virtualNetwork: { id: spoke }, resolutionPolicy: "Fallback" } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", linkUrl("dns", Z, "hub-link"), { body: { location: "global", properties: { virtualNetwork: { id: spoke } } } }), 400, "BadRequest");
  armErr(await h.call("PUT", linkUrl("dns", Z, "bad name!"), { body: { location: "global", properties: { virtualNetwork: { id: spoke } } } }), 400, "InvalidParameter");

  // The same VNet cannot be linked to a second zone of the same name (Azure's overlapping namespaces).
  await group(h, "dns2");
  assert.equal((await h.call("PUT", zoneUrl("dns2", Z), { body: { location: "global" } })).status, 201);
  armErr(await h.call("PUT", linkUrl("dns2", Z, "hub-link"), { body: { location: "global", properties: { virtualNetwork: { id: hub } } } }), 400, "BadRequest");

  const s = await h.call("PUT", linkUrl("dns", Z, "spoke-link"), { body: { location: "global", properties: { virtualNetwork: { id: spoke }, registrationEnabled: true } } });
  assert.equal(s.status, 201);
  assert.equal(s.json.properties.resolutionPolicy, "Default");
  const z = await h.call("GET", zoneUrl("dns", Z));
  assert.equal(z.json.properties.numberOfVirtualNetworkLinks, 2);
  assert.equal(z.json.properties.numberOfVirtualNetworkLinksWithRegistration, 1);
  const list = await h.call("GET", `${zonePath("dns", Z)}/virtualNetworkLinks?${DNS_V}`);
  assert.deepEqual(list.json.value.map((l: any) => l.name).sort(), ["hub-link", "spoke-link"]);

  const del = await h.call("DELETE", zoneUrl("dns", Z));
  armErr(del, 409, "CannotDeleteResource");
  assert.match(del.json.error.message, /virtualNetworkLinks\/(hub|spoke)-link/);
  assert.equal((await h.call("GET", aUrl("dns", Z, "myreg"))).status, 200, "a refused delete removes nothing");

  assert.equal((await h.call("DELETE", linkUrl("dns", Z, "hub-link"))).status, 200);
  assert.equal((await h.call("DELETE", linkUrl("dns", Z, "spoke-link"))).status, 200);
  assert.equal((await h.call("DELETE", linkUrl("dns", Z, "spoke-link"))).status, 204);
  assert.equal((await h.call("DELETE", zoneUrl("dns", Z))).status, 200);
  armErr(await h.call("GET", aUrl("dns", Z, "myreg")), 404, "ParentResourceNotFound");
  assert.equal((await h.call("DELETE", zoneUrl("dns", Z))).status, 204);
});

test("RBAC: Reader reads, cannot write; Network Contributor manages zones and links", async () => {
  await h.call("PUT", zoneUrl("dns", "rbac.test"), { body: { location: "global" } });
  assert.equal((await h.call("GET", zoneUrl("dns", "rbac.test"), { principal: h.reader })).status, 200);
  armErr(await h.call("PUT", aUrl("dns", "rbac.test", "x"), { body: { properties: {} }, principal: h.reader }), 403, "AuthorizationFailed");
  const netc = sp("network");
  await h.grant(netc, `/subscriptions/${SUB}/resourceGroups/dns`, ROLE_IDS.NetworkContributor);
  assert.equal((await h.call("PUT", aUrl("dns", "rbac.test", "x"), { body: { properties: {} }, principal: netc })).status, 201);
  // Linking needs join on the VNet too: the VNet is in a group this principal has no role in.
  const vnet = await storeVnet(h, "net", "other");
  const r = await h.call("PUT", linkUrl("dns", "rbac.test", "l"), { body: { location: "global", properties: { virtualNetwork: { id: vnet } } }, principal: netc });
  armErr(r, 403, "LinkedAuthorizationFailed");
  assert.equal((await h.call("GET", linkUrl("dns", "rbac.test", "l"))).status, 404);
});
