// The record history preflight gives with DNS_WRONG_ADDRESS (network-policy/reachability/
// record-history.ts), pure: audit records as GET /cove/audit returns them, folded with the
// documents of test/toolkit/two-regions.ts. Newest first; a zone group's write names its endpoint
// and region and the addresses it wrote; a direct record set write names who; failed writes and
// other record sets are not history.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildModel } from "../../src/network-policy/reachability/model.js";
import { historyLines, recordHistory, type AuditRow } from "../../src/network-policy/reachability/record-history.js";
import { endpointId, twoRegions, zoneId } from "./two-regions.js";

const SET = `${zoneId()}/A/georeg`;
const group = (pe: string) => `${endpointId(pe)}/privateDnsZoneGroups/default`;
const ev = (seq: number, action: "write" | "delete", extra: Record<string, unknown>, resourceId = SET): AuditRow => ({
  seq, time: `2026-12-01T10:00:0${seq}.000Z`,
  event: { kind: "control-plane", action: `Microsoft.Network/privateDnsZones/A/${action}`, resourceId, actor: "owner-oid", status: 200, ...extra },
});

test("the second region's zone group over the first's: newest first, with endpoints, regions, addresses and the overwrite sentence", () => {
  const inv = twoRegions("overwritten");
  inv.principals.push({ objectId: "owner-oid", displayName: "platform-admin" });
  const rows = [
    ev(2, "write", { cause: group("pe-neu") }), ev(1, "write", { cause: group("pe-weu") }),
    ev(3, "write", { cause: group("pe-neu") }, `${zoneId()}/A/other`),
    { ...ev(4, "write", { requestId: "r1", before: null, after: null }), event: { ...ev(4, "write", {}).event, status: 400 } },
  ];
  const h = recordHistory(inv, buildModel(inv), SET, rows);
  assert.deepEqual(h.changes.map((c) => [c.seq, c.writer?.endpoint, c.writer?.location, c.addresses]), [
    [2, "pe-neu", "northeurope", ["127.62.1.4"]], [1, "pe-weu", "westeurope", ["127.61.1.4"]],
  ], "another record set and a refused write are not this record's history");
  assert.equal(h.summary, "Record georeg in zone privatelink.cove.test was written by zone group default of endpoint pe-neu (northeurope) at 2026-12-01T10:00:02.000Z (127.62.1.4), "
    + "overwriting zone group default of endpoint pe-weu (westeurope)'s 127.61.1.4 written at 2026-12-01T10:00:01.000Z.");
  assert.deepEqual(historyLines(h), [
    "2026-12-01T10:00:02.000Z  written with 127.62.1.4 by zone group default of endpoint pe-neu (northeurope), asked by platform-admin (owner-oid)",
    "2026-12-01T10:00:01.000Z  written with 127.61.1.4 by zone group default of endpoint pe-weu (westeurope), asked by platform-admin (owner-oid)",
  ]);
});

test("a direct record set write after the groups names who wrote it; a group deleted since has its addresses from its endpoint's NIC", () => {
  const inv = twoRegions("overwritten");
  inv.zoneGroups = inv.zoneGroups.filter((g) => !String(g.id).includes("pe-weu"));
  inv.aRecordSets.find((a) => a.id === SET)!.properties.aRecords = [{ ipv4Address: "127.61.1.9" }];
  const h = recordHistory(inv, buildModel(inv), SET, [ev(1, "write", { cause: group("pe-weu") }), ev(2, "write", { cause: group("pe-neu") }), ev(3, "write", { requestId: "r9", before: "sha256:a", after: "sha256:b" })]);
  assert.deepEqual(h.changes.map((c) => [c.writer?.endpoint ?? "direct", c.addresses]), [["direct", ["127.61.1.9"]], ["pe-neu", ["127.62.1.4"]], ["pe-weu", ["127.61.1.4"]]]);
  assert.match(h.summary, /was written by owner-oid directly at \S+ \(127\.61\.1\.9\), overwriting zone group default of endpoint pe-neu \(northeurope\)'s 127\.62\.1\.4 written at/);
  assert.match(historyLines(h)[0]!, /written with 127\.61\.1\.9 by owner-oid directly \(not a zone group\)$/);
});

test("a deleted record says so; no record of it in the log says that too", () => {
  const inv = twoRegions("first");
  const model = buildModel(inv);
  const gone = recordHistory(inv, model, SET, [ev(1, "write", { cause: group("pe-weu") }), ev(2, "delete", { cause: group("pe-weu") })]);
  assert.match(gone.summary, /^Record georeg in zone privatelink\.cove\.test was deleted by zone group default of endpoint pe-weu \(westeurope\) at /);
  assert.equal(recordHistory(inv, model, SET, []).summary, "The audit log holds no change of record georeg in zone privatelink.cove.test.");
});
