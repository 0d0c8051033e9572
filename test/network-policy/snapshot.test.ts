// buildSnapshot over hand-built facts (landing-zone-facts.ts, which test/state/read-facts.test.ts
// holds equal to what Cove stores for the same landing zone written through Microsoft's SDKs): a
// pure function, tested as tables, with no Cove and no store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSnapshot, emptySnapshot, type NetworkFacts } from "../../src/network-policy/index.js";
import { landingZone, landingZoneFacts } from "./landing-zone-facts.js";

const suffix = "cove.test";
const lz = landingZone();
const facts = landingZoneFacts();
const snap = buildSnapshot(facts, { suffix, publicAddress: "127.0.0.1", version: 7 });

test("options are carried: suffix, public address, version", () => {
  assert.equal(snap.suffix, suffix);
  assert.equal(snap.publicAddress, "127.0.0.1");
  assert.equal(snap.version, 7);
});

test("locate: the subnet holding the address, longest prefix across VNets, else the internet", () => {
  const cases: Array<[string, { vnetId: string; subnetId: string } | undefined, string]> = [
    ["127.16.1.50", { vnetId: lz.vnet.hub, subnetId: lz.subnet.hub }, "hub subnet"],
    ["127.17.1.10", { vnetId: lz.vnet.build, subnetId: lz.subnet.build }, "build subnet"],
    ["::ffff:127.17.1.10", { vnetId: lz.vnet.build, subnetId: lz.subnet.build }, "IPv4-mapped IPv6 is unwrapped"],
    ["127.30.7.10", { vnetId: lz.vnet.narrow, subnetId: lz.subnet.narrow }, "the /26 beats the /16 of another VNet"],
    ["127.30.7.100", { vnetId: lz.vnet.wide, subnetId: lz.subnet.wide }, "outside the /26, inside the /16"],
    ["127.30.255.255", { vnetId: lz.vnet.wide, subnetId: lz.subnet.wide }, "last address of the /16"],
    ["127.17.200.1", undefined, "inside the VNet's address space but in no subnet"],
    ["127.0.0.1", undefined, "in no VNet: internet"],
    ["::1", undefined, "IPv6"],
    ["not-an-ip", undefined, "garbage"],
  ];
  for (const [ip, want, why] of cases) assert.deepEqual(snap.locate(ip), want, `${ip}: ${why}`);
});

test("peered: only when both directions exist", () => {
  assert.equal(snap.peered(lz.vnet.hub, lz.vnet.build), true);
  assert.equal(snap.peered(lz.vnet.build, lz.vnet.hub), true);
  assert.equal(snap.peered(lz.vnet.hub.toUpperCase(), lz.vnet.build), true, "ids compare case-insensitively");
  assert.equal(snap.peered(lz.vnet.hub, lz.vnet.aks), false, "hub -> aks alone is Initiated");
  assert.equal(snap.peered(lz.vnet.aks, lz.vnet.hub), false);
  assert.equal(snap.peered(lz.vnet.hub, lz.vnet.island), false);
  assert.equal(snap.peered(lz.vnet.build, lz.vnet.aks), false, "peering is not transitive");
});

test("endpoint addresses: one per NIC ipConfiguration, with the registry-side connection status", () => {
  const all = snap.endpointAddresses();
  assert.equal(all.length, 10, "five endpoints, two members each");
  const login = snap.endpointAt("127.16.1.4");
  assert.deepEqual({ ...login }, {
    ip: "127.16.1.4", endpointId: lz.endpoint.hub, location: "westeurope", vnetId: lz.vnet.hub, registryKey: lz.registry.contoso,
    member: "registry", fqdn: `contosoacr.${suffix}`, status: "Approved",
  });
  const data = snap.endpointAt("127.16.1.5");
  assert.equal(data?.member, "registry_data_westeurope");
  assert.equal(data?.fqdn, `contosoacr.westeurope.data.${suffix}`);
  assert.equal(snap.endpointAt("::ffff:127.16.1.5")?.ip, "127.16.1.5", "IPv4-mapped lookups");
  const statusOf = (endpointId: string) => [...new Set(all.filter((e) => e.endpointId === endpointId).map((e) => e.status))];
  assert.deepEqual(statusOf(lz.endpoint.pending), ["Pending"]);
  assert.deepEqual(statusOf(lz.endpoint.rejected), ["Rejected"]);
  assert.deepEqual(statusOf(lz.endpoint.other), ["Approved"]);
  assert.deepEqual(statusOf(lz.endpoint.orphan), ["Disconnected"], "connection deleted by the registry owner");
  assert.equal(all.find((e) => e.endpointId === lz.endpoint.orphan)?.registryKey, lz.registry.open, "registry from the endpoint's own request");
  assert.equal(snap.endpointAt("127.16.1.200"), undefined);
});

test("registries: network properties as stored, by key and by name", () => {
  assert.deepEqual({ ...snap.registryByName("ContosoACR") }, {
    key: lz.registry.contoso, name: "contosoacr", location: "westeurope", publicNetworkAccess: "Disabled",
    defaultAction: "Allow", ipRules: [], dataEndpointEnabled: true, dataLocations: ["westeurope"],
  });
  const other = snap.registryByKey(lz.registry.other);
  assert.equal(other?.defaultAction, "Deny");
  assert.deepEqual(other?.ipRules, ["127.0.0.1", "127.40.0.0/16"]);
  assert.equal(other?.publicNetworkAccess, "Enabled");
  assert.equal(snap.registryByKey(lz.registry.open.toUpperCase())?.name, "openacr");
  assert.equal(snap.registryByName("nosuchacr"), undefined);
});

test("private DNS: zones with their A record sets, links per VNet with their resolution policy", () => {
  const zone = snap.zone(lz.zoneName.toUpperCase() + ".");
  assert.ok(zone, "zone by name, case-insensitive, trailing dot allowed");
  assert.equal(zone.name, lz.zoneName);
  assert.deepEqual(zone.records.get("contosoacr"), { ttl: 10, ips: ["127.16.1.4"] });
  assert.deepEqual(zone.records.get("contosoacr.westeurope.data"), { ttl: 10, ips: ["127.16.1.5"] });
  assert.equal(zone.records.size, 2, "only A record sets (no SOA)");
  assert.equal(snap.zoneById?.(lz.zoneId), zone);
  assert.deepEqual(snap.linksOf(lz.vnet.hub).map((l) => ({ ...l })), [{ zone: lz.zoneName, zoneId: lz.zoneId, resolutionPolicy: "Default" }]);
  assert.deepEqual(snap.linksOf(lz.vnet.build).map((l) => l.resolutionPolicy), ["NxDomainRedirect"]);
  assert.deepEqual(snap.linksOf(lz.vnet.aks), []);
});

test("the snapshot is immutable", () => {
  assert.throws(() => { (snap.endpointAddresses() as any[]).push({}); }, TypeError);
  assert.throws(() => { (snap.registryByName("otheracr") as any).publicNetworkAccess = "Enabled"; }, TypeError);
  assert.throws(() => { (snap as any).version = 99; }, TypeError);
});

test("pure: the same facts give an equal snapshot, and the facts are left as they were", () => {
  const before = JSON.stringify(facts);
  const again = buildSnapshot(landingZoneFacts(), { suffix, publicAddress: "127.0.0.1", version: 7 });
  assert.deepEqual(again.endpointAddresses(), snap.endpointAddresses());
  assert.deepEqual(again.registryByName("otheracr"), snap.registryByName("otheracr"));
  assert.deepEqual(again.zone(lz.zoneName), snap.zone(lz.zoneName));
  assert.equal(JSON.stringify(facts), before);
  // Nothing of the facts is aliased: changing them afterwards does not change the snapshot.
  const mutable: NetworkFacts = landingZoneFacts();
  const built = buildSnapshot(mutable, { suffix, publicAddress: "127.0.0.1" });
  mutable.endpoints[0]!.status = "Rejected";
  mutable.registries[0]!.ipRules.push("10.0.0.0/8");
  mutable.zones[0]!.records[0]!.ips.push("10.9.9.9");
  assert.equal(built.endpointAt("127.16.1.4")?.status, "Approved");
  assert.deepEqual(built.registryByKey(lz.registry.contoso)?.ipRules, []);
  assert.deepEqual(built.zone(lz.zoneName)?.records.get("contosoacr")?.ips, ["127.16.1.4"]);
});

test("the facts are plain data: a structured clone (what a worker thread is posted) builds the same snapshot", () => {
  const cloned = buildSnapshot(structuredClone(facts), { suffix, publicAddress: "127.0.0.1", version: 7 });
  assert.deepEqual(cloned.endpointAddresses(), snap.endpointAddresses());
  assert.deepEqual(cloned.locate("127.30.7.10"), snap.locate("127.30.7.10"));
  assert.equal(cloned.peered(lz.vnet.hub, lz.vnet.build), true);
  assert.deepEqual(cloned.linksOf(lz.vnet.build), snap.linksOf(lz.vnet.build));
  assert.deepEqual(JSON.parse(JSON.stringify(facts)), facts, "JSON round-trips them too: no Maps, no classes");
});

test("empty: version 0 and nothing in it", () => {
  const empty = emptySnapshot({ suffix, publicAddress: "127.0.0.1" });
  assert.equal(empty.version, 0);
  assert.deepEqual(empty.endpointAddresses(), []);
  assert.equal(empty.locate("127.16.1.50"), undefined);
  assert.equal(empty.registryByName("contosoacr"), undefined);
});
