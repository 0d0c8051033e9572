// The defect of issue 8 section 4, end to end over real sockets: creating a private endpoint turns on
// the registry's dataEndpointEnabled, and the very next blob GET on the login server must answer 307
// to the data endpoint. Before the one state view, the data plane's registry index refreshed only
// when a registry handler said so, and kept answering 200 until Cove restarted.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { pushBlob, startRealRegistry, type RealRegistry } from "../data-plane/real-registry.js";
import { network } from "../network/network-support.js";
import { https } from "../support/http.js";

let r: RealRegistry | undefined;
after(async () => { await r?.stop(); });

test("after a private endpoint is created, the next blob GET on the login server is a 307 to the data endpoint", async () => {
  r = await startRealRegistry("defectacr");
  const { cove } = r;
  const bytes = Buffer.from("the bytes behind the data endpoint");
  const digest = await pushBlob(r, "app", bytes);

  const direct = await r.call("GET", `/v2/app/blobs/${digest}`);
  assert.equal(direct.status, 200, "no data endpoint yet: the login server serves the bytes");

  const net = network(cove);
  const vnet = await net.virtualNetworks.beginCreateOrUpdateAndWait("defectacr-rg", "defect-vnet", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.61.0.0/16"] },
    subnets: [{ name: "pe", addressPrefix: "127.61.1.0/24", privateEndpointNetworkPolicies: "Disabled" }],
  });
  const registryId = `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/defectacr-rg/providers/Microsoft.ContainerRegistry/registries/defectacr`;
  await net.privateEndpoints.beginCreateOrUpdateAndWait("defectacr-rg", "defect-pe", {
    location: "westeurope", subnet: { id: `${vnet.id}/subnets/pe` },
    privateLinkServiceConnections: [{ name: "c", privateLinkServiceId: registryId, groupIds: ["registry"] }],
  });

  const dataHost = `defectacr.westeurope.data.${cove.suffix}`;
  const redirected = await r.call("GET", `/v2/app/blobs/${digest}`);
  assert.equal(redirected.status, 307, `the login server redirects at once (got ${redirected.status})`);
  const location = new URL(String(redirected.headers.location));
  assert.equal(location.host, `${dataHost}:${cove.registryPort}`);

  // Following it (no Authorization: the signature is the credential) returns the exact bytes.
  const followed = await https(`https://127.0.0.1:${cove.registryPort}${location.pathname}${location.search}`, {
    ca: cove.ca, host: location.host,
  });
  assert.equal(followed.status, 200);
  assert.deepEqual(followed.body, bytes);
});
