// Deleting a resource group deletes what it holds the way each resource's own DELETE would: a
// registry elsewhere loses the connection of an endpoint that went with the group, and a VNet
// elsewhere that was peered with a VNet in the group shows its peering Disconnected.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { clients, createRegistry } from "../support/arm.js";
import { network, registries, collect } from "./network-support.js";

let cove: TestCove;
before(async () => { cove = await startCove(); });
after(async () => { await cove?.stop(); });

test("a deleted group takes its endpoints' connections and its VNets' peerings with it", async () => {
  const { resources } = clients(cove);
  const net = network(cove);
  const reg = await createRegistry(cove, "keep-rg", "keepacr01");
  await resources.resourceGroups.createOrUpdate("gone-rg", { location: "westeurope" });
  const keepVnet = await net.virtualNetworks.beginCreateOrUpdateAndWait("keep-rg", "keep-vnet", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.40.0.0/16"] },
  });
  const goneVnet = await net.virtualNetworks.beginCreateOrUpdateAndWait("gone-rg", "gone-vnet", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.41.0.0/16"] },
    subnets: [{ name: "pe", addressPrefix: "127.41.1.0/24" }],
  });
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("keep-rg", "keep-vnet", "to-gone", { remoteVirtualNetwork: { id: goneVnet.id } });
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("gone-rg", "gone-vnet", "to-keep", { remoteVirtualNetwork: { id: keepVnet.id } });
  assert.equal((await net.virtualNetworkPeerings.get("keep-rg", "keep-vnet", "to-gone")).peeringState, "Connected");
  await net.privateEndpoints.beginCreateOrUpdateAndWait("gone-rg", "gone-pe", {
    location: "westeurope", subnet: { id: `${goneVnet.id}/subnets/pe` },
    privateLinkServiceConnections: [{ name: "c", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
  });
  const acr = registries(cove);
  assert.equal((await collect(acr.privateEndpointConnections.list("keep-rg", "keepacr01"))).length, 1);

  await resources.resourceGroups.beginDeleteAndWait("gone-rg");

  assert.deepEqual(await collect(acr.privateEndpointConnections.list("keep-rg", "keepacr01")), [], "no connection to a vanished endpoint");
  const reg2: any = await acr.registries.get("keep-rg", "keepacr01");
  assert.deepEqual(reg2.privateEndpointConnections, []);
  assert.equal((await net.virtualNetworkPeerings.get("keep-rg", "keep-vnet", "to-gone")).peeringState, "Disconnected");
});
