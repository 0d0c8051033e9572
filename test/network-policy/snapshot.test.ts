// buildSnapshot and SnapshotHolder over records written by Microsoft's SDKs through a running Cove.
// The snapshot is read through a second store on the same data directory (SQLite in WAL mode
// allows readers beside the writer), exactly the records the control plane stored.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCove, type TestCove } from "../support/cove.js";
import { openStores } from "../../src/storage/open.js";
import type { BlobStore, MetadataStore } from "../../src/storage/types.js";
import { buildSnapshot, SnapshotHolder, type NetworkSnapshot } from "../../src/network-policy/index.js";
import { network } from "../network/network-support.js";
import { buildLandingZone, type LandingZone } from "./landing-zone.js";

let cove: TestCove;
let stores: { blobs: BlobStore; meta: MetadataStore };
let lz: LandingZone;
let snap: NetworkSnapshot;

before(async () => {
  // Any free DNS port: other test files (or a running Cove) may hold the default 5353.
  cove = await startCove({ dnsListen: "127.0.0.1:0" });
  lz = await buildLandingZone(cove);
  stores = await openStores(cove.dataDir);
  snap = await buildSnapshot(stores.meta, { suffix: cove.suffix, publicAddress: "127.0.0.1", version: 7 });
});
after(async () => {
  await stores?.meta.close();
  await stores?.blobs.close();
  await cove?.stop();
});

test("options are carried: suffix, public address, version", () => {
  assert.equal(snap.suffix, cove.suffix);
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
    ip: "127.16.1.4", endpointId: lz.endpoint.hub, vnetId: lz.vnet.hub, registryKey: lz.registry.contoso,
    member: "registry", fqdn: `contosoacr.${cove.suffix}`, status: "Approved",
  });
  const data = snap.endpointAt("127.16.1.5");
  assert.equal(data?.member, "registry_data_westeurope");
  assert.equal(data?.fqdn, `contosoacr.westeurope.data.${cove.suffix}`);
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
    defaultAction: "Allow", ipRules: [], dataEndpointEnabled: true,
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

test("holder: starts empty, refresh rebuilds with a new version and notifies; deleting an endpoint removes its addresses", async () => {
  const holder = new SnapshotHolder(stores.meta, { suffix: cove.suffix, publicAddress: "127.0.0.1" });
  assert.equal(holder.current().version, 0);
  assert.equal(holder.current().endpointAddresses().length, 0);
  assert.equal(holder.current().locate("127.16.1.50"), undefined);
  const seen: number[] = [];
  const stop = holder.onChange((s) => seen.push(s.version));
  const first = await holder.refresh();
  assert.equal(first.version, 1);
  assert.equal(holder.current(), first);
  assert.equal(first.endpointAt("127.16.1.6")?.status, "Pending");

  await network(cove).privateEndpoints.beginDeleteAndWait("net-rg", "pe-pending");
  const second = await holder.refresh();
  assert.equal(second.version, 2);
  assert.equal(second.endpointAt("127.16.1.6"), undefined, "the deleted endpoint's addresses are gone");
  assert.equal(first.endpointAt("127.16.1.6")?.status, "Pending", "the old snapshot did not change");
  assert.deepEqual(seen, [1, 2]);
  stop();
  await holder.refresh();
  assert.deepEqual(seen, [1, 2], "unsubscribed");
});

test("holder: concurrent refreshes coalesce and the last caller sees writes made before its call", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-snapshot-"));
  const own = await openStores(dir);
  try {
    const holder = new SnapshotHolder(own.meta, { suffix: "cove.test", publicAddress: "127.0.0.1" });
    const put = (name: string) => own.meta.putResource({
      id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/${name}`,
      type: "Microsoft.ContainerRegistry/registries",
      body: { name, location: "westeurope", properties: { publicNetworkAccess: "Enabled" } },
    });
    let calls = 0;
    holder.onChange(() => calls++);
    await put("firstacr");
    const a = holder.refresh();
    await put("secondacr");
    const b = holder.refresh();
    const c = holder.refresh();
    const [sa, sb, sc] = await Promise.all([a, b, c]);
    assert.equal(sb, sc, "calls made during one rebuild share the next");
    assert.equal(sa.version, 1);
    assert.equal(sb.version, 2);
    assert.ok(sb.registryByName("secondacr"), "the follow-up rebuild includes the write made before the call");
    assert.equal(calls, 2, "two rebuilds for three calls");
    assert.equal(holder.current(), sb);
  } finally {
    await own.meta.close();
    await own.blobs.close();
    await rm(dir, { recursive: true, force: true });
  }
});
