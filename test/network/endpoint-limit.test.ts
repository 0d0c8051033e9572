// Azure's limit of 200 private endpoints per registry (acr-networking.md 7), in process: the 201st
// endpoint is refused with Cove's catalogued error and leaves nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SUB, group, harness, registry } from "../control-plane/harness.js";

test("a registry takes at most 200 private endpoints", async () => {
  const h = await harness();
  try {
    await group(h, "lim");
    await registry(h, "lim", "limacr01");
    const rg = `/subscriptions/${SUB}/resourceGroups/lim`;
    const reg = `${rg}/providers/Microsoft.ContainerRegistry/registries/limacr01`;
    const vnet = `${rg}/providers/Microsoft.Network/virtualNetworks/v`;
    const v = await h.call("PUT", `${vnet}?api-version=2025-05-01`, {
      body: { location: "westeurope", properties: { addressSpace: { addressPrefixes: ["127.80.0.0/16"] }, subnets: [{ name: "s", properties: { addressPrefix: "127.80.0.0/22" } }] } },
    });
    assert.equal(v.status, 201);
    const pe = (i: number) => h.call("PUT", `${rg}/providers/Microsoft.Network/privateEndpoints/pe${i}?api-version=2025-05-01`, {
      body: { location: "westeurope", properties: { subnet: { id: `${vnet}/subnets/s` }, manualPrivateLinkServiceConnections: [{ name: "c", properties: { privateLinkServiceId: reg, groupIds: ["registry"] } }] } },
    });
    for (let i = 0; i < 200; i++) assert.equal((await pe(i)).status, 201, `endpoint ${i}`);
    const over = await pe(200);
    assert.equal(over.status, 400);
    assert.equal(over.json.error.code, "PrivateEndpointConnectionLimitReached");
    assert.equal((await h.call("GET", `${rg}/providers/Microsoft.Network/privateEndpoints/pe200?api-version=2025-05-01`)).status, 404);
    const conns = await h.call("GET", `${reg}/privateEndpointConnections?api-version=2025-11-01`);
    assert.equal(conns.json.value.length, 200);
  } finally {
    await h.close();
  }
});
