// The regional DNS trap in the model, pure: two regions' endpoints of one registry, one shared
// privatelink zone linked to both hubs (test/toolkit/two-regions.ts). The report flags the zone's
// records that point at an endpoint a linked VNet cannot reach; `create-zone-group` in what-if
// shows, before it is written, which record sets the second region's zone group would overwrite and
// which networks would lose the registry; one zone per region is no finding and cuts nobody.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildModel } from "../../src/network-policy/reachability/model.js";
import { networkReport } from "../../src/network-policy/reachability/report.js";
import { cutWarnings, whatIf } from "../../src/network-policy/reachability/what-if.js";
import { REG_ID, endpointId, twoRegions, vnetId, zoneId } from "./two-regions.js";

const report = (inv: ReturnType<typeof twoRegions>) => {
  const model = buildModel(inv);
  return networkReport(model, model.registry(REG_ID)!);
};
const row = (r: ReturnType<typeof report>, vnet: string) => r.rows.find((x) => x.vnet === vnet && x.subnet === "app")!;

test("overwritten shared zone: both records are flagged, naming zone, record, address, endpoint, its VNet and region, and the linked hub that cannot reach it", () => {
  const r = report(twoRegions("overwritten"));
  assert.equal(row(r, "hub-weu").reason, "DNS_WRONG_ADDRESS");
  assert.equal(row(r, "hub-neu").reason, "ok");
  const f = r.zoneFindings ?? [];
  assert.deepEqual(f.map((x) => [x.record, x.address, x.endpoint, x.vnet, x.location, x.unreachableFrom.map((u) => u.vnet).join()]), [
    ["georeg", "127.62.1.4", "pe-neu", "hub-neu", "northeurope", "hub-weu"],
    ["georeg.westeurope.data", "127.62.1.5", "pe-neu", "hub-neu", "northeurope", "hub-weu"],
  ]);
  assert.equal(f[0]!.zoneId, zoneId());
  assert.match(f[0]!.finding, /^Zone privatelink\.cove\.test \(resource group net-rg\) answers georeg with 127\.62\.1\.4, private endpoint pe-neu in VNet hub-neu \(northeurope\), which the linked VNet hub-weu cannot reach/);
  assert.match(f[0]!.finding, /give each region its own zone/);
});

test("a shared zone is flagged even before the overwrite: the other region's linked hub cannot reach the first region's endpoint", () => {
  const r = report(twoRegions("first"));
  assert.equal(row(r, "hub-weu").reason, "ok");
  assert.deepEqual((r.zoneFindings ?? []).map((x) => [x.record, x.endpoint, x.unreachableFrom.map((u) => u.vnet).join()]), [
    ["georeg", "pe-weu", "hub-neu"], ["georeg.westeurope.data", "pe-weu", "hub-neu"],
  ]);
});

test("one zone per region: no finding, both hubs reach the registry through their own endpoint", () => {
  const r = report(twoRegions("per-region"));
  assert.equal(r.zoneFindings, undefined);
  assert.equal(row(r, "hub-weu").path, "private:pe-weu (127.61.1.4)");
  assert.equal(row(r, "hub-neu").path, "private:pe-neu (127.62.1.4)");
});

test("peered both ways the linked hub reaches the other endpoint: no finding; peered on one side only: still flagged", () => {
  assert.equal(report(twoRegions("overwritten", { peered: "both" })).zoneFindings, undefined);
  const oneSided = report(twoRegions("overwritten", { peered: "one-sided" }));
  assert.deepEqual(oneSided.zoneFindings?.map((x) => x.unreachableFrom[0]!.vnetId), [vnetId("hub-weu"), vnetId("hub-weu")]);
});

test("what-if create-zone-group into the shared zone: names both record sets it overwrites and whose they were, and cuts hub-weu off; nothing is changed in the input", () => {
  const inv = twoRegions("first");
  const before = JSON.stringify(inv);
  const r = whatIf(inv, { kind: "create-zone-group", zoneGroupId: `${endpointId("pe-neu")}/privateDnsZoneGroups/default`, zoneId: zoneId() });
  assert.equal(JSON.stringify(inv), before, "the what-if works on a copy");
  assert.equal(r.found, true);
  assert.deepEqual(r.overwrites?.map((o) => [o.record, o.before.join(), o.after.join(), o.writtenBy]), [
    ["georeg", "127.61.1.4", "127.62.1.4", "pe-weu"], ["georeg.westeurope.data", "127.61.1.5", "127.62.1.5", "pe-weu"],
  ]);
  assert.deepEqual(r.notes, [
    "overwrites record set georeg of zone privatelink.cove.test (127.61.1.4, written by private endpoint pe-weu's zone group) with 127.62.1.4",
    "overwrites record set georeg.westeurope.data of zone privatelink.cove.test (127.61.1.5, written by private endpoint pe-weu's zone group) with 127.62.1.5",
  ]);
  assert.deepEqual(cutWarnings(r, "would"), ["app", "pe"].map((s) => `subnet hub-weu/${s} would lose its private path to georeg (then: DNS_WRONG_ADDRESS)`));
  assert.equal(r.cutOff, 2);
});

test("what-if create-zone-group into the region's own zone overwrites nothing and cuts nobody; a second group on the endpoint is refused", () => {
  const inv = twoRegions("per-region");
  // pe-neu's own zone already holds its records: writing them again changes no row.
  const again = whatIf(inv, { kind: "create-zone-group", zoneGroupId: `${endpointId("pe-neu")}/privateDnsZoneGroups/default`, zoneId: zoneId("rg-neu") });
  assert.deepEqual([again.overwrites, again.cutOff, again.registries], [undefined, 0, []]);
  const second = whatIf(inv, { kind: "create-zone-group", zoneGroupId: `${endpointId("pe-neu")}/privateDnsZoneGroups/other`, zoneId: zoneId("rg-neu") });
  assert.match(second.notes[0]!, /refuses this \(BadRequest\): private endpoint pe-neu already has zone group default/);
  assert.equal(second.cutOff, 0);
  const missing = whatIf(inv, { kind: "create-zone-group", zoneGroupId: `${endpointId("pe-nope")}/privateDnsZoneGroups/default`, zoneId: zoneId("rg-neu") });
  assert.equal(missing.found, false);
});
