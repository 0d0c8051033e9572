// Geo-replications through @azure/arm-containerregistry and what they do to the network, read back
// through @azure/arm-network and @azure/arm-privatedns as the two teams would: the home replication
// listed and undeletable, one more required member, NIC address and zone record per replica on every
// endpoint (added and removed), all-or-nothing when a subnet is full (and Cove's error naming it),
// the registry's data endpoint names, and the errors for each kind of bad request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { startCove, type TestCove } from "../support/cove.js";
import { clients, createRegistry, credentialFor } from "../support/arm.js";
import { armFails, collect, network, raw, registries } from "./network-support.js";

let cove: TestCove;
let reg: { id: string; loginServer: string };
let v: { id?: string };
const RG = "geo-rg";
const ZONE = () => `privatelink.${cove.suffix}`;

before(async () => {
  cove = await startCove();
  await clients(cove).resources.resourceGroups.createOrUpdate(RG, { location: "westeurope" });
  reg = await createRegistry(cove, RG, "georeg01", "Premium");
  v = await network(cove).virtualNetworks.beginCreateOrUpdateAndWait(RG, "geo-vnet", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.60.0.0/16"] },
    subnets: [{ name: "pe", addressPrefix: "127.60.1.0/24" }, { name: "tiny", addressPrefix: "127.60.2.0/29" }],
  });
  const dns = new PrivateDnsManagementClient(credentialFor(cove), cove.credentials.subscriptionId, { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca } } as any);
  await dns.privateZones.beginCreateOrUpdateAndWait(RG, ZONE(), { location: "global" });
  await endpoint("geo-pe", "pe");
  await network(cove).privateDnsZoneGroups.beginCreateOrUpdateAndWait(RG, "geo-pe", "default", {
    privateDnsZoneConfigs: [{ name: "zone", privateDnsZoneId: `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Network/privateDnsZones/${ZONE()}` }],
  });
});
after(async () => { await cove?.stop(); });

function endpoint(name: string, subnet: string) {
  return network(cove).privateEndpoints.beginCreateOrUpdateAndWait(RG, name, {
    location: "westeurope", subnet: { id: `${v.id}/subnets/${subnet}` },
    privateLinkServiceConnections: [{ name: `${name}-conn`, privateLinkServiceId: reg.id, groupIds: ["registry"] }],
  });
}

async function members(peName: string): Promise<Array<[string, string, string]>> {
  const pe = await network(cove).privateEndpoints.get(RG, peName);
  const nic = await network(cove).networkInterfaces.get(RG, pe.networkInterfaces![0]!.id!.split("/").pop()!);
  return nic.ipConfigurations!.map((c) => [c.privateLinkConnectionProperties!.requiredMemberName!, c.privateIPAddress!, c.privateLinkConnectionProperties!.fqdns![0]!]);
}

async function zoneRecords(): Promise<Record<string, string[]>> {
  const r = await raw(cove, "GET", `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Network/privateDnsZones/${ZONE()}/A?api-version=2024-06-01`);
  const out: Record<string, string[]> = {};
  for (const s of r.json.value) out[s.name] = s.properties.aRecords.map((a: any) => a.ipv4Address);
  return out;
}

const dataHost = (region: string) => `georeg01.${region}.data.${cove.suffix}`;

test("a Premium registry lists its home replication, which cannot be deleted or made again elsewhere", async () => {
  const acr = registries(cove);
  const list = await collect(acr.replications.list(RG, "georeg01"));
  assert.deepEqual(list.map((r) => [r.name, r.location, r.provisioningState, r.status?.displayStatus, r.regionEndpointEnabled]), [["westeurope", "westeurope", "Succeeded", "Ready", true]]);
  await assert.rejects(acr.replications.beginDeleteAndWait(RG, "georeg01", "westeurope"), armFails(400, "HomeReplicationCannotBeDeleted", /home region 'westeurope'/));
  await assert.rejects(acr.replications.beginCreateAndWait(RG, "georeg01", "otherhome", { location: "West Europe" }), armFails(400, "ReplicationInHomeRegion"));
  await assert.rejects(acr.replications.beginCreateAndWait(RG, "georeg01", "no", { location: "northeurope" }), armFails(400, "InvalidReplicationName"));
  const std = await createRegistry(cove, RG, "geostd01", "Standard");
  await assert.rejects(acr.replications.beginCreateAndWait(RG, "geostd01", "northeurope", { location: "northeurope" }), armFails(400, "FeatureNotSupportedForSku", /replications.*Standard/));
  assert.deepEqual(await collect(acr.replications.list(RG, "geostd01")), []);
  assert.ok(std.id);
});

test("a replica adds one member, address and zone record to every endpoint, and its data endpoint name; deleting it takes them away", async () => {
  const acr = registries(cove);
  const before = await members("geo-pe");
  assert.deepEqual(before.map((m) => m[0]), ["registry", "registry_data_westeurope"]);
  const created = await acr.replications.beginCreateAndWait(RG, "georeg01", "northeurope", { location: "northeurope", tags: { team: "dr" } });
  assert.equal(created.provisioningState, "Succeeded");
  assert.equal(created.regionEndpointEnabled, true);
  assert.equal(created.zoneRedundancy, "Disabled");

  const after = await members("geo-pe");
  assert.deepEqual(after.slice(0, 2), before, "the existing members keep their addresses");
  assert.deepEqual(after[2], ["registry_data_northeurope", "127.60.1.6", dataHost("northeurope")]);
  const pe = await network(cove).privateEndpoints.get(RG, "geo-pe");
  assert.deepEqual(pe.customDnsConfigs!.map((d) => d.fqdn), [`georeg01.${cove.suffix}`, dataHost("westeurope"), dataHost("northeurope")]);
  assert.deepEqual((await zoneRecords())["georeg01.northeurope.data"], ["127.60.1.6"], "the zone group wrote the replica's record");

  const regDoc = await acr.registries.get(RG, "georeg01");
  assert.deepEqual(regDoc.dataEndpointHostNames, [dataHost("westeurope"), dataHost("northeurope")]);
  const [plr] = await collect(acr.registries.listPrivateLinkResources(RG, "georeg01"));
  assert.deepEqual(plr!.properties?.requiredMembers, ["registry", "registry_data_westeurope", "registry_data_northeurope"]);
  assert.deepEqual((await collect(acr.replications.list(RG, "georeg01"))).map((r) => r.name), ["westeurope", "northeurope"]);
  await assert.rejects(acr.replications.beginCreateAndWait(RG, "georeg01", "dublin01", { location: "northeurope" }), armFails(409, "ReplicationLocationInUse", /'northeurope'/));

  // An endpoint made after the replica has every member from the start.
  await endpoint("geo-pe-late", "pe");
  assert.deepEqual((await members("geo-pe-late")).map((m) => m[0]), ["registry", "registry_data_westeurope", "registry_data_northeurope"]);

  const patched = await acr.replications.beginUpdateAndWait(RG, "georeg01", "northeurope", { regionEndpointEnabled: false });
  assert.equal(patched.regionEndpointEnabled, false);
  assert.deepEqual(patched.tags, { team: "dr" }, "a PATCH without tags keeps them");
  await assert.rejects(acr.replications.beginUpdateAndWait(RG, "georeg01", "westeurope", { regionEndpointEnabled: false }), armFails(400, "HomeReplicationCannotBeChanged"));
  await assert.rejects(acr.registries.beginUpdateAndWait(RG, "georeg01", { sku: { name: "Standard" } }), armFails(400, "FeatureNotSupportedForSku"));

  await acr.replications.beginDeleteAndWait(RG, "georeg01", "northeurope");
  assert.deepEqual(await members("geo-pe"), before);
  assert.deepEqual((await members("geo-pe-late")).map((m) => m[0]), ["registry", "registry_data_westeurope"]);
  assert.equal((await zoneRecords())["georeg01.northeurope.data"], undefined, "the replica's record went with it");
  assert.deepEqual((await acr.registries.get(RG, "georeg01")).dataEndpointHostNames, [dataHost("westeurope")]);
  assert.deepEqual((await collect(acr.registries.listPrivateLinkResources(RG, "georeg01")))[0]!.properties?.requiredMembers, ["registry", "registry_data_westeurope"]);
  await network(cove).privateEndpoints.beginDeleteAndWait(RG, "geo-pe-late");
});

test("a replica whose address does not fit one endpoint's subnet fails as a whole, naming that subnet", async () => {
  const acr = registries(cove);
  // A /29 has three usable addresses (Azure reserves the first four and the last): the endpoint takes
  // two, the first replica the third, the second replica finds none.
  await endpoint("geo-pe-tiny", "tiny");
  await acr.replications.beginCreateAndWait(RG, "georeg01", "northeurope", { location: "northeurope" });
  const big = await members("geo-pe");
  await assert.rejects(
    acr.replications.beginCreateAndWait(RG, "georeg01", "eastus", { location: "eastus" }),
    armFails(400, "SubnetIsFull", /geo-vnet\/subnets\/tiny with address prefix 127\.60\.2\.0\/29/),
  );
  assert.deepEqual(await members("geo-pe"), big, "the endpoint whose subnet had room got nothing either");
  assert.deepEqual((await collect(acr.replications.list(RG, "georeg01"))).map((r) => r.name), ["westeurope", "northeurope"]);
  assert.equal((await zoneRecords())["georeg01.eastus.data"], undefined);
  assert.deepEqual((await acr.registries.get(RG, "georeg01")).dataEndpointHostNames, [dataHost("westeurope"), dataHost("northeurope")]);
  await acr.replications.beginDeleteAndWait(RG, "georeg01", "northeurope");
  await network(cove).privateEndpoints.beginDeleteAndWait(RG, "geo-pe-tiny");
});
