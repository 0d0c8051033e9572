// The registry's network properties through @azure/arm-containerregistry (publicNetworkAccess,
// networkRuleSet, networkRuleBypassOptions, dataEndpointEnabled) with Azure's SKU gating, and what a
// Network Contributor may do: build networks and request endpoints, never approve on a registry.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { assignRole, clients, createRegistry, createServicePrincipal } from "../support/arm.js";
import { NETWORK_CONTRIBUTOR, armFails, network, registries } from "./network-support.js";

let cove: TestCove;
before(async () => { cove = await startCove(); });
after(async () => { await cove?.stop(); });

test("public access, IP rules and data endpoints: Premium only, validated, with Azure's codes and messages", async () => {
  const acr = registries(cove);
  await createRegistry(cove, "regnet-rg", "stdnet01", "Standard");
  await createRegistry(cove, "regnet-rg", "prenet01", "Premium");
  await assert.rejects(
    acr.registries.update("regnet-rg", "stdnet01", { publicNetworkAccess: "Disabled" } as any),
    armFails(400, "DisablingPublicNetworkAccessNotSupported", /^Disabling public network access is not supported for the SKU Standard\. For more information, please visit https:\/\/aka\.ms\/acr\/private-link\.$/),
  );
  await assert.rejects(acr.registries.update("regnet-rg", "stdnet01", { networkRuleSet: { defaultAction: "Allow", ipRules: [{ iPAddressOrRange: "203.0.113.0/24" }] } } as any), armFails(400, "NetworkRuleSetNotSupported"));
  await assert.rejects(acr.registries.update("regnet-rg", "stdnet01", { dataEndpointEnabled: true } as any), armFails(400, "FeatureNotSupportedForSku"));

  const r: any = await acr.registries.update("regnet-rg", "prenet01", {
    publicNetworkAccess: "Disabled", networkRuleBypassOptions: "None", dataEndpointEnabled: true,
    networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: "203.0.113.0/24" }, { action: "Allow", iPAddressOrRange: "198.51.100.7" }] },
  } as any);
  assert.equal(r.publicNetworkAccess, "Disabled");
  assert.equal(r.networkRuleBypassOptions, "None");
  assert.deepEqual(r.networkRuleSet.ipRules.map((x: any) => x.iPAddressOrRange ?? x.value), ["203.0.113.0/24", "198.51.100.7"]);
  assert.deepEqual(r.dataEndpointHostNames, [`prenet01.westeurope.data.${cove.suffix}`]);
  // A downgrade of a registry that uses Premium features is refused, and nothing changes.
  await assert.rejects(acr.registries.update("regnet-rg", "prenet01", { sku: { name: "Standard" } } as any), armFails(400, "DisablingPublicNetworkAccessNotSupported"));
  assert.equal(((await acr.registries.get("regnet-rg", "prenet01")) as any).sku.name, "Premium");

  const rules = (values: string[]) => ({ networkRuleSet: { defaultAction: "Deny", ipRules: values.map((value) => ({ action: "Allow", iPAddressOrRange: value })) } } as any);
  for (const bad of ["10.0.0.256", "10.0.0.0/33", "::1", "10.0.0.0/8/8", "example.com"]) {
    await assert.rejects(acr.registries.update("regnet-rg", "prenet01", rules([bad])), armFails(400, "InvalidParameter", /IPv4/), bad);
  }
  await assert.rejects(acr.registries.update("regnet-rg", "prenet01", rules(["198.51.100.7", "198.51.100.7/32"])), armFails(400, "InvalidParameter", /more than once/));
  const many = Array.from({ length: 201 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);
  await assert.rejects(acr.registries.update("regnet-rg", "prenet01", rules(many)), armFails(400, "InvalidParameter", /200/));
  const ok: any = await acr.registries.update("regnet-rg", "prenet01", rules(many.slice(0, 200)));
  assert.equal(ok.networkRuleSet.ipRules.length, 200);
});

test("a Network Contributor builds VNets, subnets, peerings and manual endpoints, but approves nothing and peers only where it may", async () => {
  const sub = cove.credentials.subscriptionId;
  const { resources } = clients(cove);
  await resources.resourceGroups.createOrUpdate("nc-rg", { location: "westeurope" });
  await resources.resourceGroups.createOrUpdate("other-rg", { location: "westeurope" });
  const reg = await createRegistry(cove, "nc-acr-rg", "ncacr001", "Premium");
  const sp = await createServicePrincipal(cove, "nc");
  await assignRole(cove, `/subscriptions/${sub}/resourceGroups/nc-rg`, sp.objectId, NETWORK_CONTRIBUTOR);
  const net = network(cove, sp.appId, sp.password);
  const a = await net.virtualNetworks.beginCreateOrUpdateAndWait("nc-rg", "a", { location: "westeurope", addressSpace: { addressPrefixes: ["127.60.0.0/16"] } });
  const b = await net.virtualNetworks.beginCreateOrUpdateAndWait("nc-rg", "b", { location: "westeurope", addressSpace: { addressPrefixes: ["127.61.0.0/16"] } });
  const s = await net.subnets.beginCreateOrUpdateAndWait("nc-rg", "a", "pe", { addressPrefix: "127.60.1.0/24" });
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("nc-rg", "a", "a-b", { remoteVirtualNetwork: { id: b.id } });
  const foreign = await network(cove).virtualNetworks.beginCreateOrUpdateAndWait("other-rg", "c", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.62.0.0/16"] }, subnets: [{ name: "theirs", addressPrefix: "127.62.1.0/24" }],
  });
  await assert.rejects(
    net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("nc-rg", "a", "a-c", { remoteVirtualNetwork: { id: foreign.id } }),
    armFails(403, "LinkedAuthorizationFailed", /virtualNetworks\/peer\/action/),
  );
  await assert.rejects(net.virtualNetworks.beginCreateOrUpdateAndWait("other-rg", "d", { location: "westeurope", addressSpace: { addressPrefixes: ["127.63.0.0/16"] } }), armFails(403, "AuthorizationFailed"));
  // An endpoint in someone else's subnet needs subnets/join/action there.
  await assert.rejects(
    net.privateEndpoints.beginCreateOrUpdateAndWait("nc-rg", "pe-foreign", {
      location: "westeurope", subnet: { id: `${foreign.id}/subnets/theirs` },
      manualPrivateLinkServiceConnections: [{ name: "x", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
    }),
    armFails(403, "LinkedAuthorizationFailed", /subnets\/join\/action/),
  );
  const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait("nc-rg", "pe", {
    location: "westeurope", subnet: { id: s.id },
    manualPrivateLinkServiceConnections: [{ name: "x", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
  });
  assert.equal(pe.manualPrivateLinkServiceConnections![0]!.privateLinkServiceConnectionState!.status, "Pending");
  assert.equal(a.name, "a");
  const asNc = registries(cove, sp.appId, sp.password);
  await assert.rejects(asNc.registries.get("nc-acr-rg", "ncacr001"), armFails(403, "AuthorizationFailed"), "it cannot even read the registry");
  const [conn] = await (async () => { const o = []; for await (const x of registries(cove).privateEndpointConnections.list("nc-acr-rg", "ncacr001")) o.push(x); return o; })();
  await assert.rejects(
    asNc.privateEndpointConnections.beginCreateOrUpdateAndWait("nc-acr-rg", "ncacr001", conn!.name!, { privateLinkServiceConnectionState: { status: "Approved" } } as any),
    armFails(403, "AuthorizationFailed"),
  );
  await net.privateEndpoints.beginDeleteAndWait("nc-rg", "pe");
});
