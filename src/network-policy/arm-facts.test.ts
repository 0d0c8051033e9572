// The geo-replica facts the ARM documents give: a registry's data locations (home first, then each
// replica named by its dataEndpointHostNames) and each endpoint address's own region.
import { test } from "node:test";
import assert from "node:assert/strict";
import { networkFacts, type NetworkRecords } from "./arm-facts.js";

const REG = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/GeoReg";
const PE = "/subscriptions/s/resourceGroups/ne/providers/Microsoft.Network/privateEndpoints/pe-ne";
const NIC = "/subscriptions/s/resourceGroups/ne/providers/Microsoft.Network/networkInterfaces/pe-ne.nic";
const SUBNET = "/subscriptions/s/resourceGroups/ne/providers/Microsoft.Network/virtualNetworks/hub-ne/subnets/pe";

const empty: NetworkRecords = { subnets: [], peerings: [], endpoints: [], nics: [], connections: [], registries: [], zones: [], aRecordSets: [], links: [] };

test("data locations: home first, then every replica's data host; other names and other registries' hosts are not regions", () => {
  const hosts = ["georeg.westeurope.data.cove.test", "georeg.northeurope.data.cove.test", "other.eastus.data.cove.test", "georeg.cove.test", "georeg.eastus2.data.cove.test"];
  const f = networkFacts({ ...empty, registries: [{ id: REG, body: { name: "GeoReg", location: "westeurope", properties: { dataEndpointEnabled: true, dataEndpointHostNames: hosts } } }] }, "cove.test");
  assert.deepEqual(f.registries[0]!.dataLocations, ["westeurope", "northeurope", "eastus2"]);
  const bare = networkFacts({ ...empty, registries: [{ id: REG, body: { name: "GeoReg", location: "westeurope", properties: {} } }] }, "cove.test");
  assert.deepEqual(bare.registries[0]!.dataLocations, ["westeurope"], "no data endpoints yet: the home region only");
});

test("an endpoint address carries its endpoint's region, lower-cased", () => {
  const f = networkFacts({
    ...empty,
    endpoints: [{ id: PE, body: { location: "NorthEurope", properties: { subnet: { id: SUBNET }, networkInterfaces: [{ id: NIC }], privateLinkServiceConnections: [{ properties: { privateLinkServiceId: REG } }] } } }],
    nics: [{ id: NIC, body: { properties: { ipConfigurations: [{ properties: { privateIPAddress: "127.61.1.6", privateLinkConnectionProperties: { requiredMemberName: "registry_data_northeurope", fqdns: ["georeg.northeurope.data.cove.test"] } } }] } } }],
  }, "cove.test");
  assert.deepEqual(f.endpoints.map((e) => [e.ip, e.location, e.member]), [["127.61.1.6", "northeurope", "registry_data_northeurope"]]);
});
