// Where lab hosts go and which routes they get, from hand-built facts (pure: no kernel, no Cove).
// Azure's system routes: own VNet and two-sided peers reach, every other VNet's prefix discards, the
// lab address always reaches; picked addresses come from the top of the subnet (endpoints take the lowest).
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSnapshot } from "../../src/network-policy/index.js";
import { noNetworkFacts, type NetworkFacts } from "../../src/network-policy/facts.js";
import { parseCidr } from "../../src/domain/network.js";
import { placeHosts, routesFor } from "../../src/lab/plan.js";
import { labAddresses } from "../../src/lab/names.js";
import { LabError } from "../../src/lab/errors.js";

const vnet = (n: string) => `/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/${n}`;
const subnet = (v: string, s: string, p: string) => {
  const c = parseCidr(p);
  if (!c.ok) throw new Error(p);
  return { cidr: c.cidr, vnetId: vnet(v), subnetId: `${vnet(v)}/subnets/${s}` };
};

function facts(peerings: Array<[string, string]> = []): NetworkFacts {
  return {
    ...noNetworkFacts(),
    subnets: [subnet("hub", "pe", "10.0.1.0/24"), subnet("spoke", "apps", "10.1.0.0/24"), subnet("other", "s", "10.2.0.0/24")],
    peerings: peerings.map(([a, b]) => [vnet(a), vnet(b)]),
    endpoints: [{ ip: "10.0.1.4", endpointId: "pe", location: "westeurope", vnetId: vnet("hub"), registryKey: "r", member: "registry", fqdn: "r.cove.test", status: "Approved" }],
  };
}
const lab = labAddresses("198.19.255.254");
const snap = (p: Array<[string, string]> = []) => buildSnapshot(facts(p), { suffix: "cove.test", publicAddress: lab.lab });
const code = (fn: () => unknown) => { try { fn(); } catch (e) { return (e as LabError).code; } return "none"; };

test("hosts land in their subnets (10.x too: the lab takes any prefix); the internet host in the lab's /24", () => {
  const hosts = placeHosts([{ name: "a", subnet: "spoke/apps" }, { name: "b", subnet: "SPOKE/Apps" }, { name: "c", subnet: `${vnet("hub")}/subnets/pe`, address: "10.0.1.20" }], snap(), lab);
  assert.deepEqual(hosts.map((h) => [h.name, h.address, h.namespace, h.link]), [
    ["internet", "198.19.255.1", "cove-internet", "cv-internet"],
    ["a", "10.1.0.254", "cove-a", "cv-a"],
    ["b", "10.1.0.253", "cove-b", "cv-b"],
    ["c", "10.0.1.20", "cove-c", "cv-c"],
  ]);
});

test("routes: own VNet, both-sided peers and the lab address; one-sided peering and strangers discard", () => {
  const [, a] = placeHosts([{ name: "a", subnet: "spoke/apps" }], snap(), lab);
  assert.deepEqual(routesFor(a!, snap(), lab), { reach: ["10.1.0.0/24", "198.19.255.254/32"], discard: ["10.0.1.0/24", "10.2.0.0/24"] });
  assert.deepEqual(routesFor(a!, snap([["spoke", "hub"]]), lab).discard, ["10.0.1.0/24", "10.2.0.0/24"]);
  assert.deepEqual(routesFor(a!, snap([["spoke", "hub"], ["hub", "spoke"]]), lab), { reach: ["10.0.1.0/24", "10.1.0.0/24", "198.19.255.254/32"], discard: ["10.2.0.0/24"] });
  const [internet] = placeHosts([], snap(), lab);
  assert.deepEqual(routesFor(internet!, snap([["spoke", "hub"], ["hub", "spoke"]]), lab), { reach: ["198.19.255.254/32"], discard: ["10.0.1.0/24", "10.1.0.0/24", "10.2.0.0/24"] });
});

test("each mistake has its code", () => {
  assert.equal(code(() => placeHosts([{ name: "a", subnet: "nope/apps" }], snap(), lab)), "UnknownSubnet");
  assert.equal(code(() => placeHosts([{ name: "a", subnet: "spoke/apps", address: "10.2.0.9" }], snap(), lab)), "AddressOutsideSubnet");
  assert.equal(code(() => placeHosts([{ name: "a", subnet: "spoke/apps", address: "10.1.0.255" }], snap(), lab)), "AddressReserved");
  assert.equal(code(() => placeHosts([{ name: "a", subnet: "hub/pe", address: "10.0.1.4" }], snap(), lab)), "AddressReserved");
  assert.equal(code(() => placeHosts([{ name: "a", subnet: "spoke/apps", address: "10.1.0.9" }, { name: "b", subnet: "spoke/apps", address: "10.1.0.9" }], snap(), lab)), "DuplicateAddress");
  assert.equal(code(() => placeHosts([{ name: "a", subnet: "internet", address: "10.1.0.9" }], snap(), lab)), "AddressOutsideSubnet");
  assert.equal(code(() => placeHosts([{ name: "a", subnet: "internet", address: "198.19.255.254" }], snap(), lab)), "AddressReserved");
  const overlapping = buildSnapshot({ ...facts(), subnets: [subnet("bad", "s", "198.19.255.0/25")] }, { suffix: "cove.test", publicAddress: lab.lab });
  assert.equal(code(() => placeHosts([], overlapping, lab)), "LabRangeOverlap");
});

test("routes: the IPs of an endpoint whose connection is not Approved discard, even from its own VNet and peers", () => {
  const withStatus = (status: string) => buildSnapshot({ ...facts([["spoke", "hub"], ["hub", "spoke"]]), endpoints: facts().endpoints.map((e) => ({ ...e, status })) } as NetworkFacts, { suffix: "cove.test", publicAddress: lab.lab });
  const [, a] = placeHosts([{ name: "a", subnet: "spoke/apps" }], snap(), lab);
  for (const status of ["Rejected", "Pending"]) {
    assert.deepEqual(routesFor(a!, withStatus(status), lab), { reach: ["10.0.1.0/24", "10.1.0.0/24", "198.19.255.254/32"], discard: ["10.0.1.4/32", "10.2.0.0/24"] }, status);
  }
  assert.deepEqual(routesFor(a!, withStatus("Approved"), lab).discard, ["10.2.0.0/24"]);
});
