// Virtual networks, subnets and peerings through @azure/arm-network against a running Cove: what a
// user reads back (inline subnets and peerings, peering states on both sides) and the errors Azure
// gives for bad prefixes, overlaps, unknown references, malformed bodies and api-versions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { clients } from "../support/arm.js";
import { armFails, collect, network, raw } from "./network-support.js";

let cove: TestCove;
before(async () => {
  cove = await startCove();
  await clients(cove).resources.resourceGroups.createOrUpdate("vnet-rg", { location: "westeurope" });
});
after(async () => { await cove?.stop(); });

const RG = "vnet-rg";

test("a VNet with inline subnets; child subnets PUT/GET/list/DELETE keep the inline array in step", async () => {
  const net = network(cove);
  const v = await net.virtualNetworks.beginCreateOrUpdateAndWait(RG, "v1", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.16.0.0/16"] },
    subnets: [{ name: "a", addressPrefix: "127.16.1.0/24" }],
  });
  assert.equal(v.provisioningState, "Succeeded");
  assert.deepEqual(v.addressSpace?.addressPrefixes, ["127.16.0.0/16"]);
  assert.deepEqual(v.subnets?.map((s) => [s.name, s.addressPrefix, s.privateEndpointNetworkPolicies]), [["a", "127.16.1.0/24", "Disabled"]]);
  assert.equal(v.subnets![0]!.id, `${v.id}/subnets/a`);

  const b = await net.subnets.beginCreateOrUpdateAndWait(RG, "v1", "b", { addressPrefix: "127.16.2.0/24", privateEndpointNetworkPolicies: "Enabled" });
  assert.equal(b.privateEndpointNetworkPolicies, "Enabled");
  assert.deepEqual((await collect(net.subnets.list(RG, "v1"))).map((s) => s.name).sort(), ["a", "b"]);
  assert.deepEqual((await net.virtualNetworks.get(RG, "v1")).subnets!.map((s) => s.name).sort(), ["a", "b"]);
  assert.equal((await net.subnets.get(RG, "v1", "b")).addressPrefix, "127.16.2.0/24");

  // What a GET returns can be PUT back unchanged (az and the SDKs update by read-modify-write).
  const roundTrip = await net.virtualNetworks.beginCreateOrUpdateAndWait(RG, "v1", { ...(await net.virtualNetworks.get(RG, "v1")), tags: { team: "net" } });
  assert.deepEqual(roundTrip.tags, { team: "net" });
  assert.deepEqual(roundTrip.subnets!.map((s) => s.name).sort(), ["a", "b"]);
  await net.subnets.beginCreateOrUpdateAndWait(RG, "v1", "b", await net.subnets.get(RG, "v1", "b"));

  await net.subnets.beginDeleteAndWait(RG, "v1", "b");
  assert.deepEqual((await net.virtualNetworks.get(RG, "v1")).subnets!.map((s) => s.name), ["a"]);
  await assert.rejects(net.subnets.get(RG, "v1", "b"), (e: any) => e.statusCode === 404);

  // A VNet PUT replaces the subnet set, as Azure: "a" is gone, "c" is there.
  const v2 = await net.virtualNetworks.beginCreateOrUpdateAndWait(RG, "v1", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.16.0.0/16"] }, subnets: [{ name: "c", addressPrefix: "127.16.3.0/24" }],
  });
  assert.deepEqual(v2.subnets!.map((s) => s.name), ["c"]);
  assert.deepEqual((await collect(net.virtualNetworks.list(RG))).map((x) => x.name), ["v1"]);
  assert.ok((await collect(net.virtualNetworks.listAll())).some((x) => x.name === "v1"));
  await net.virtualNetworks.beginDeleteAndWait(RG, "v1");
  await assert.rejects(net.virtualNetworks.get(RG, "v1"), armFails(404, "ResourceNotFound"));
  await assert.rejects(net.subnets.get(RG, "v1", "c"), (e: any) => e.statusCode === 404);
});

test("prefix rules: exact CIDR, subnets inside the VNet and not overlapping; nothing is written on error", async () => {
  const net = network(cove);
  const mk = (name: string, space: string[], subnets: { name: string; addressPrefix: string }[] = []) =>
    net.virtualNetworks.beginCreateOrUpdateAndWait(RG, name, { location: "westeurope", addressSpace: { addressPrefixes: space }, subnets });
  await assert.rejects(mk("bad1", ["127.16.0.1/16"]), armFails(400, "InvalidCIDRNotation", /should be 127\.16\.0\.0\/16/));
  await assert.rejects(mk("bad2", ["127.16.0.0/33"]), armFails(400, "InvalidAddressPrefixFormat"));
  await assert.rejects(mk("bad3", ["127.16.0.0/16", "127.16.128.0/17"]), armFails(400, "InvalidParameter"));
  await assert.rejects(mk("bad4", ["127.16.0.0/16"], [{ name: "out", addressPrefix: "127.17.0.0/24" }]), armFails(400, "NetcfgSubnetRangeOutsideVnet", /'out'.*'bad4'/));
  await assert.rejects(
    mk("bad5", ["127.16.0.0/16"], [{ name: "x", addressPrefix: "127.16.0.0/23" }, { name: "y", addressPrefix: "127.16.1.0/24" }]),
    armFails(400, "NetcfgSubnetRangesOverlap", /'y'/),
  );
  for (const n of ["bad1", "bad2", "bad3", "bad4", "bad5"]) await assert.rejects(net.virtualNetworks.get(RG, n), (e: any) => e.statusCode === 404, n);

  await mk("v2", ["127.20.0.0/16"], [{ name: "s1", addressPrefix: "127.20.1.0/24" }]);
  await assert.rejects(net.subnets.beginCreateOrUpdateAndWait(RG, "v2", "s2", { addressPrefix: "127.20.1.128/25" }), armFails(400, "NetcfgSubnetRangesOverlap"));
  await assert.rejects(net.subnets.beginCreateOrUpdateAndWait(RG, "v2", "s2", { addressPrefix: "127.21.0.0/24" }), armFails(400, "NetcfgSubnetRangeOutsideVnet"));
  await assert.rejects(net.subnets.beginCreateOrUpdateAndWait(RG, "v2", "s2", { addressPrefix: "127.20.2.1/24" }), armFails(400, "InvalidCIDRNotation"));
  await assert.rejects(net.subnets.beginCreateOrUpdateAndWait(RG, "v2", "s2", { privateEndpointNetworkPolicies: "Disabled" }), armFails(400, "InvalidRequestContent"));
  await assert.rejects(net.subnets.beginCreateOrUpdateAndWait(RG, "nope", "s2", { addressPrefix: "127.20.2.0/24" }), armFails(404, "ResourceNotFound"));
  // Shrinking the address space away from a subnet is refused too.
  await assert.rejects(mk("v2", ["127.20.2.0/24"], [{ name: "s1", addressPrefix: "127.20.1.0/24" }]), armFails(400, "NetcfgSubnetRangeOutsideVnet"));
  assert.deepEqual((await net.subnets.list(RG, "v2")[Symbol.asyncIterator]().next()).value?.name, "s1");
});

test("peerings: Initiated, then Connected on both sides, Disconnected on the survivor; overlapping spaces refused", async () => {
  const net = network(cove);
  const mk = (name: string, prefix: string) =>
    net.virtualNetworks.beginCreateOrUpdateAndWait(RG, name, { location: "westeurope", addressSpace: { addressPrefixes: [prefix] } });
  const hub = await mk("hub", "127.30.0.0/16");
  const spoke = await mk("spoke", "127.31.0.0/16");
  const clash = await mk("clash", "127.30.128.0/17");

  const p1 = await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, "hub", "hub-to-spoke", { remoteVirtualNetwork: { id: spoke.id }, allowVirtualNetworkAccess: true });
  assert.equal(p1.peeringState, "Initiated");
  assert.deepEqual(p1.remoteAddressSpace?.addressPrefixes, ["127.31.0.0/16"]);
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, "spoke", "spoke-to-hub", { remoteVirtualNetwork: { id: hub.id } });
  assert.equal((await net.virtualNetworkPeerings.get(RG, "hub", "hub-to-spoke")).peeringState, "Connected");
  assert.equal((await net.virtualNetworkPeerings.get(RG, "spoke", "spoke-to-hub")).peeringState, "Connected");
  const again = await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, "hub", "hub-to-spoke", await net.virtualNetworkPeerings.get(RG, "hub", "hub-to-spoke"));
  assert.equal(again.peeringState, "Connected", "a read-modify-write keeps the state");
  const inline = (await net.virtualNetworks.get(RG, "hub")).virtualNetworkPeerings!;
  assert.deepEqual(inline.map((p) => [p.name, p.peeringState]), [["hub-to-spoke", "Connected"]]);
  assert.equal((await collect(net.virtualNetworkPeerings.list(RG, "spoke"))).length, 1);

  await assert.rejects(
    net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, "hub", "hub-to-clash", { remoteVirtualNetwork: { id: clash.id } }),
    armFails(400, "VnetAddressSpacesOverlap", /127\.30\.128\.0\/17/),
  );
  await assert.rejects(
    net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, "hub", "hub-to-ghost", { remoteVirtualNetwork: { id: hub.id!.replace(/hub$/, "ghost") } }),
    armFails(400, "InvalidResourceReference"),
  );
  // Growing the spoke's space over the hub's is refused while they are peered.
  await assert.rejects(mk("spoke", "127.30.0.0/15"), armFails(400, "VnetAddressSpacesOverlap"));

  await net.virtualNetworkPeerings.beginDeleteAndWait(RG, "spoke", "spoke-to-hub");
  assert.equal((await net.virtualNetworkPeerings.get(RG, "hub", "hub-to-spoke")).peeringState, "Disconnected");
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, "spoke", "spoke-to-hub", { remoteVirtualNetwork: { id: hub.id } });
  assert.equal((await net.virtualNetworkPeerings.get(RG, "hub", "hub-to-spoke")).peeringState, "Connected");
  await net.virtualNetworks.beginDeleteAndWait(RG, "spoke");
  const survivor = await net.virtualNetworkPeerings.get(RG, "hub", "hub-to-spoke");
  assert.equal(survivor.peeringState, "Disconnected");
  assert.equal((await net.virtualNetworks.get(RG, "hub")).virtualNetworkPeerings![0]!.peeringState, "Disconnected");
});

test("malformed bodies, unknown groups and api-versions outside the supported set", async () => {
  const sub = cove.credentials.subscriptionId;
  const base = `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/raw1`;
  const good = { location: "westeurope", properties: { addressSpace: { addressPrefixes: ["127.40.0.0/16"] } } };
  const old = await raw(cove, "PUT", `${base}?api-version=2015-06-15`, good);
  assert.equal(old.status, 400);
  assert.equal(old.json.error.code, "NoRegisteredProviderFound");
  assert.match(old.json.error.message, /2025-05-01/);
  const cases: [unknown, string][] = [
    [{ ...good, properties: { ...good.properties, adressSpace: {} } }, "InvalidRequestContent"],
    [{ location: "westeurope", properties: { addressSpace: { addressPrefixes: "127.40.0.0/16" } } }, "InvalidRequestContent"],
    [{ properties: good.properties }, "LocationRequired"],
    [{ location: "westeurope", properties: {} }, "InvalidRequestContent"],
    [{ location: "westeurope", properties: { addressSpace: { addressPrefixes: [] } } }, "InvalidParameter"],
    [{ ...good, properties: { ...good.properties, subnets: [{ name: "s", properties: { addressPrefix: "127.40.1.0/24", privateEndpointNetworkPolicies: "Sometimes" } }] } }, "InvalidRequestContent"],
  ];
  for (const [body, code] of cases) {
    const r = await raw(cove, "PUT", `${base}?api-version=2025-05-01`, body);
    assert.equal(r.json?.error?.code, code, JSON.stringify(body));
  }
  const notJson = await raw(cove, "PUT", `${base}?api-version=2025-05-01`, "{not json");
  assert.equal(notJson.json.error.code, "InvalidRequestContent");
  assert.equal((await raw(cove, "GET", `${base}?api-version=2025-05-01`)).status, 404, "nothing was written");
  const noGroup = await raw(cove, "PUT", `${base.replace(RG, "no-such-rg")}?api-version=2025-05-01`, good);
  assert.equal(noGroup.json.error.code, "ResourceGroupNotFound");
});
