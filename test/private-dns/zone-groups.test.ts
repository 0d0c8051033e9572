// Private DNS zone groups in-process, with private endpoints and NICs stored directly in the shapes
// the network module writes: the records both members get, the overwrite trap of two endpoints for
// one registry in one zone, sync after an IP change, removal with the endpoint, and the error cases.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { harness, group, registry, armErr, sp, SUB, type Harness } from "../control-plane/harness.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import { removeZoneGroupsForEndpoint, syncZoneGroupsForEndpoint, recordNameFor } from "../../src/control-plane/privatedns/zone-groups.js";
import { aUrl, groupUrl, peId, setEndpointIp, storeEndpoint, zonePath, zoneUrl, DNS_V } from "./fixtures.js";

let h: Harness;
let regId: string;
const Z = "privatelink.cove.test";
const zoneIdOf = (rg: string, z: string) => zonePath(rg, z);
const groupBody = (zoneId: string, name = "privatelink-cove-test") => ({ properties: { privateDnsZoneConfigs: [{ name, properties: { privateDnsZoneId: zoneId } }] } });

async function aRecords(): Promise<Record<string, string[]>> {
  const r = await h.call("GET", `${zonePath("dns", Z)}/A?${DNS_V}`);
  return Object.fromEntries(r.json.value.map((x: any) => [x.name, x.properties.aRecords.map((a: any) => a.ipv4Address)]));
}

before(async () => {
  h = await harness();
  await group(h, "dns");
  await group(h, "hub");
  await group(h, "spoke");
  await group(h, "reg");
  regId = (await registry(h, "reg", "myreg")).id;
  assert.equal((await h.call("PUT", zoneUrl("dns", Z), { body: { location: "global" } })).status, 201);
});
after(async () => h.close());

test("record names are the fqdn minus the zone's public suffix", () => {
  assert.equal(recordNameFor("myreg.cove.test", Z), "myreg");
  assert.equal(recordNameFor("myreg.westeurope.data.cove.test", Z), "myreg.westeurope.data");
  assert.equal(recordNameFor("MyReg.Cove.Test.", Z), "myreg");
  assert.equal(recordNameFor("myreg.privatelink.cove.test", Z), "myreg");
  assert.equal(recordNameFor("myreg.azurecr.io", Z), undefined);
  assert.equal(recordNameFor("cove.test", Z), undefined);
});

test("a zone group writes both members' A records (TTL 10) and reports them", async () => {
  await storeEndpoint(h, "hub", "pe-hub", regId, "myreg", ["127.16.1.4", "127.16.1.5"]);
  const r = await h.call("PUT", groupUrl("hub", "pe-hub", "default"), { body: groupBody(zoneIdOf("dns", Z)) });
  assert.equal(r.status, 201, r.text);
  const cfg = r.json.properties.privateDnsZoneConfigs[0];
  assert.equal(cfg.name, "privatelink-cove-test");
  assert.equal(r.json.properties.provisioningState, "Succeeded");
  assert.deepEqual(cfg.properties.recordSets.map((x: any) => [x.recordType, x.recordSetName, x.fqdn, x.ttl, x.ipAddresses]), [
    ["A", "myreg", `myreg.${Z}`, 10, ["127.16.1.4"]],
    ["A", "myreg.westeurope.data", `myreg.westeurope.data.${Z}`, 10, ["127.16.1.5"]],
  ]);
  assert.deepEqual(await aRecords(), { "myreg": ["127.16.1.4"], "myreg.westeurope.data": ["127.16.1.5"] });
  const rec = await h.call("GET", aUrl("dns", Z, "myreg"));
  assert.equal(rec.json.properties.ttl, 10);
  assert.match(rec.json.properties.metadata.creator, /private endpoint pe-hub/);
  assert.equal(JSON.stringify(rec.json).includes("zoneGroup"), false, "the owner marker never shows in the ARM body");
  const got = await h.call("GET", groupUrl("hub", "pe-hub", "default"));
  assert.deepEqual(got.json, r.json);
  const list = await h.call("GET", `${peId("hub", "pe-hub")}/privateDnsZoneGroups?api-version=2025-05-01`);
  assert.deepEqual(list.json.value.map((g: any) => g.name), ["default"]);
  const audit = await h.meta.readAudit(0, 1000);
  assert.ok(audit.some((a) => a.event.action === "Microsoft.Network/privateDnsZones/A/write" && String(a.event.resourceId).endsWith("/A/myreg") && a.event.actor === h.owner.id));
});

test("sync rewrites the records after the endpoint's IPs change", async () => {
  const pe = peId("hub", "pe-hub");
  await setEndpointIp(h, pe, 0, "127.16.1.9");
  await syncZoneGroupsForEndpoint(h.meta, pe, "network-module");
  assert.deepEqual(await aRecords(), { "myreg": ["127.16.1.9"], "myreg.westeurope.data": ["127.16.1.5"] });
  const g = await h.call("GET", groupUrl("hub", "pe-hub", "default"));
  assert.deepEqual(g.json.properties.privateDnsZoneConfigs[0].properties.recordSets[0].ipAddresses, ["127.16.1.9"]);
});

test("the overwrite trap: a second endpoint's zone group replaces the records; deleting it leaves none", async () => {
  await storeEndpoint(h, "spoke", "pe-spoke", regId, "myreg", ["127.17.1.4", "127.17.1.5"]);
  assert.equal((await h.call("PUT", groupUrl("spoke", "pe-spoke", "default"), { body: groupBody(zoneIdOf("dns", Z)) })).status, 201);
  assert.deepEqual(await aRecords(), { "myreg": ["127.17.1.4"], "myreg.westeurope.data": ["127.17.1.5"] }, "the record holds the second IP");
  // The first group still reports what it wrote: that is what Azure shows, and why the trap is hard to see.
  const first = await h.call("GET", groupUrl("hub", "pe-hub", "default"));
  assert.deepEqual(first.json.properties.privateDnsZoneConfigs[0].properties.recordSets[0].ipAddresses, ["127.16.1.9"]);

  await removeZoneGroupsForEndpoint(h.meta, peId("spoke", "pe-spoke"), "network-module");
  assert.deepEqual(await aRecords(), {}, "the first endpoint is left without records, as in Azure");
  assert.equal((await h.call("GET", groupUrl("spoke", "pe-spoke", "default"))).status, 404);

  // Deleting the first group now removes nothing it no longer owns; re-creating it writes again.
  assert.equal((await h.call("DELETE", groupUrl("hub", "pe-hub", "default"))).status, 200);
  assert.equal((await h.call("DELETE", groupUrl("hub", "pe-hub", "default"))).status, 204);
  assert.equal((await h.call("PUT", groupUrl("hub", "pe-hub", "default"), { body: groupBody(zoneIdOf("dns", Z)) })).status, 201);
  assert.deepEqual(await aRecords(), { "myreg": ["127.16.1.9"], "myreg.westeurope.data": ["127.16.1.5"] });
});

test("deleting a zone group keeps record sets a user has since written by hand", async () => {
  const put = await h.call("PUT", aUrl("dns", Z, "myreg"), { body: { properties: { ttl: 30, aRecords: [{ ipv4Address: "127.16.9.9" }] } } });
  assert.equal(put.status, 200);
  assert.equal((await h.call("DELETE", groupUrl("hub", "pe-hub", "default"))).status, 200);
  assert.deepEqual(await aRecords(), { "myreg": ["127.16.9.9"] });
  await h.call("DELETE", aUrl("dns", Z, "myreg"));
});

test("zone group errors: unknown zone, unknown endpoint, bad bodies, one group per endpoint, linked permission", async () => {
  const before = await aRecords();
  const r = await h.call("PUT", groupUrl("hub", "pe-hub", "g"), { body: groupBody(zoneIdOf("dns", "privatelink.nope.test")) });
  armErr(r, 400, "InvalidPrivateDnsZoneIds");
  assert.match(r.json.error.message, /privatelink\.nope\.test/);
  armErr(await h.call("PUT", groupUrl("hub", "pe-hub", "g"), { body: groupBody("/not/a/zone/id") }), 400, "InvalidPrivateDnsZoneIds");
  armErr(await h.call("PUT", groupUrl("hub", "pe-none", "g"), { body: groupBody(zoneIdOf("dns", Z)) }), 404, "ResourceNotFound");
  armErr(await h.call("GET", groupUrl("hub", "pe-hub", "g")), 404, "ResourceNotFound");
  armErr(await h.call("PUT", groupUrl("hub", "pe-hub", "g"), { body: { properties: { privateDnsZoneConfigs: [] } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", groupUrl("hub", "pe-hub", "g"), { body: { properties: { privateDnsZoneConfigs: [{ properties: { privateDnsZoneId: zoneIdOf("dns", Z) } }] } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", groupUrl("hub", "pe-hub", "g"), { body: { properties: { privateDnsZoneConfigs: [{ name: "a", properties: {} }] } } }), 400, "InvalidRequestContent");
  armErr(await h.call("PUT", groupUrl("hub", "pe-hub", "g"), { body: { properties: { privateDnsZoneConfigs: [{ name: "a", properties: { privateDnsZoneId: zoneIdOf("dns", Z) } }, { name: "b", properties: { privateDnsZoneId: zoneIdOf("dns", Z) } }] } } }), 400, "BadRequest");
  const six = Array.from({ length: 6 }, (_, i) => ({ name: `c${i}`, properties: { privateDnsZoneId: `${zoneIdOf("dns", Z)}${i}` } }));
  armErr(await h.call("PUT", groupUrl("hub", "pe-hub", "g"), { body: { properties: { privateDnsZoneConfigs: six } } }), 400, "BadRequest");
  assert.deepEqual(await aRecords(), before, "refused zone groups write no records");
  assert.equal((await h.call("PUT", groupUrl("hub", "pe-hub", "g"), { body: groupBody(zoneIdOf("dns", Z)) })).status, 201);
  armErr(await h.call("PUT", groupUrl("hub", "pe-hub", "g2"), { body: groupBody(zoneIdOf("dns", Z)) }), 400, "BadRequest");
  armErr(await h.call("PUT", groupUrl("hub", "pe-hub", "g", "api-version=2019-01-01"), { body: groupBody(zoneIdOf("dns", Z)) }), 400, "NoRegisteredProviderFound");

  // A principal that may write zone groups on the endpoint but cannot join the zone.
  const netc = sp("spoke-net");
  await h.grant(netc, `/subscriptions/${SUB}/resourceGroups/spoke`, ROLE_IDS.NetworkContributor);
  await storeEndpoint(h, "spoke", "pe-spoke2", regId, "myreg", ["127.17.2.4", "127.17.2.5"]);
  armErr(await h.call("PUT", groupUrl("spoke", "pe-spoke2", "default"), { body: groupBody(zoneIdOf("dns", Z)), principal: netc }), 403, "LinkedAuthorizationFailed");
  assert.equal((await h.call("GET", groupUrl("spoke", "pe-spoke2", "default"))).status, 404);
  assert.deepEqual(await aRecords(), { "myreg": ["127.16.1.9"], "myreg.westeurope.data": ["127.16.1.5"] }, "the refused group overwrote nothing");
});
