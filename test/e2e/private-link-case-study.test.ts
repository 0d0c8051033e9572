// Issue 3's scenario: the seed's first case study, replayed end to end through Microsoft's SDKs with
// two teams and their own identities. A Premium registry; hub, build-agent and AKS spoke VNets,
// peered hub<->spokes; the network team creates a MANUAL private endpoint in the hub (Pending); the
// registry owner approves it; the zone group writes both records; the zone is linked to the spokes;
// public access is disabled. Then the whole inventory is read back as a user would read it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { startCove, type TestCove } from "../support/cove.js";
import { clients, createServicePrincipal, assignRole, credentialFor, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";

const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
let cove: TestCove;
before(async () => { cove = await startCove(); });
after(async () => { await cove?.stop(); });

test("hub-and-spoke private link, two teams, manual approval: the inventory reads as designed", async () => {
  const sub = cove.credentials.subscriptionId;
  const admin = clients(cove);
  const common = { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;

  // Landing zone: two resource groups, one per team; the registry in the platform group.
  await admin.resources.resourceGroups.createOrUpdate("net-rg", { location: "westeurope" });
  await admin.resources.resourceGroups.createOrUpdate("acr-rg", { location: "westeurope" });
  const registry: any = await admin.acr.registries.create("acr-rg", "contosoacr", { location: "westeurope", sku: { name: "Premium" } } as any);
  const loginHost = `contosoacr.${cove.suffix}`;
  const dataHost = `contosoacr.westeurope.data.${cove.suffix}`;

  const netTeam = await createServicePrincipal(cove, "network-team");
  await assignRole(cove, `/subscriptions/${sub}/resourceGroups/net-rg`, netTeam.objectId, NETWORK_CONTRIBUTOR);
  const acrOwner = await createServicePrincipal(cove, "registry-owner");
  await assignRole(cove, registry.id, acrOwner.objectId, OWNER);
  const net = new NetworkManagementClient(credentialFor(cove, netTeam.appId, netTeam.password), sub, common);
  const dns = new PrivateDnsManagementClient(credentialFor(cove, netTeam.appId, netTeam.password), sub, common);
  const owner = new ContainerRegistryManagementClient(credentialFor(cove, acrOwner.appId, acrOwner.password), sub, common);

  // Network team: hub and spokes (loopback prefixes), peerings both ways.
  const vnet = (name: string, prefix: string, subnet: string, subnetPrefix: string) =>
    net.virtualNetworks.beginCreateOrUpdateAndWait("net-rg", name, {
      location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
      subnets: [{ name: subnet, addressPrefix: subnetPrefix, privateEndpointNetworkPolicies: "Disabled" }],
    });
  const hub = await vnet("hub-vnet", "127.16.0.0/16", "pe-subnet", "127.16.1.0/24");
  const build = await vnet("build-vnet", "127.17.0.0/16", "agents", "127.17.1.0/24");
  const aks = await vnet("aks-vnet", "127.18.0.0/16", "nodes", "127.18.1.0/24");
  for (const spoke of [build, aks]) {
    await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", "hub-vnet", `hub-to-${spoke.name}`, { remoteVirtualNetwork: { id: spoke.id }, allowVirtualNetworkAccess: true });
    await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", spoke.name!, `${spoke.name}-to-hub`, { remoteVirtualNetwork: { id: hub.id }, allowVirtualNetworkAccess: true });
  }

  // The network team may not approve on a registry it does not own: a manual request, Pending.
  const subnetId = `${hub.id}/subnets/pe-subnet`;
  const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait("net-rg", "hub-acr-pe", {
    location: "westeurope", subnet: { id: subnetId },
    manualPrivateLinkServiceConnections: [{ name: "hub-acr-conn", privateLinkServiceId: registry.id, groupIds: ["registry"], requestMessage: "hub access for build and AKS" }],
  });
  assert.equal(pe.manualPrivateLinkServiceConnections![0].privateLinkServiceConnectionState!.status, "Pending");
  const pending = [];
  for await (const c of owner.privateEndpointConnections.list("acr-rg", "contosoacr")) pending.push(c);
  assert.equal(pending.length, 1);
  assert.equal(pending[0].privateLinkServiceConnectionState?.status, "Pending");
  assert.equal(pending[0].privateEndpoint?.id?.toLowerCase(), pe.id!.toLowerCase());

  const ownerAsNetTeam = new ContainerRegistryManagementClient(credentialFor(cove, netTeam.appId, netTeam.password), sub, common);
  await assert.rejects(
    ownerAsNetTeam.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "contosoacr", pending[0].name!, { privateLinkServiceConnectionState: { status: "Approved", description: "self-approved" } } as any),
    (e: any) => e.statusCode === 403,
    "Network Contributor cannot approve on the registry",
  );

  // The registry owner approves.
  const approved = await owner.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "contosoacr", pending[0].name!, {
    privateLinkServiceConnectionState: { status: "Approved", description: "approved for hub" },
  } as any);
  assert.equal(approved.privateLinkServiceConnectionState?.status, "Approved");
  const peAfter = await net.privateEndpoints.get("net-rg", "hub-acr-pe");
  assert.equal(peAfter.manualPrivateLinkServiceConnections![0].privateLinkServiceConnectionState!.status, "Approved", "state mirrored on the endpoint");

  // NIC: two IPs from the subnet (first four reserved), one per member, with the public fqdns.
  const nicName = peAfter.networkInterfaces![0].id!.split("/").pop()!;
  const nic = await net.networkInterfaces.get("net-rg", nicName);
  const byMember = new Map(nic.ipConfigurations!.map((c) => [c.privateLinkConnectionProperties!.requiredMemberName, c]));
  assert.deepEqual([...byMember.keys()].sort(), ["registry", "registry_data_westeurope"]);
  const loginIp = byMember.get("registry")!.privateIPAddress!;
  const dataIp = byMember.get("registry_data_westeurope")!.privateIPAddress!;
  assert.deepEqual([loginIp, dataIp].sort(), ["127.16.1.4", "127.16.1.5"]);
  assert.deepEqual(byMember.get("registry")!.privateLinkConnectionProperties!.fqdns, [loginHost]);
  assert.deepEqual(byMember.get("registry_data_westeurope")!.privateLinkConnectionProperties!.fqdns, [dataHost]);

  // Private DNS: the zone, the zone group (both records), links to the spokes.
  const zoneName = `privatelink.${cove.suffix}`;
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait("net-rg", zoneName, { location: "global" });
  await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("net-rg", "hub-acr-pe", "default", {
    privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: zone.id }],
  });
  for (const v of [hub, build, aks]) {
    await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("net-rg", zoneName, `${v.name}-link`, { location: "global", virtualNetwork: { id: v.id }, registrationEnabled: false });
  }

  // The registry owner disables public access.
  const locked: any = await owner.registries.update("acr-rg", "contosoacr", { publicNetworkAccess: "Disabled", networkRuleSet: { defaultAction: "Deny" } } as any);
  assert.equal(locked.publicNetworkAccess, "Disabled");

  // --- The inventory, as a user reads it ---
  const reg: any = await admin.acr.registries.get("acr-rg", "contosoacr");
  assert.equal(reg.sku.name, "Premium");
  assert.equal(reg.publicNetworkAccess, "Disabled");
  assert.equal(reg.networkRuleSet.defaultAction, "Deny");
  assert.equal(reg.dataEndpointEnabled, true, "a connected private endpoint turns on the data endpoint");
  assert.deepEqual(reg.dataEndpointHostNames, [dataHost]);
  assert.equal(reg.privateEndpointConnections.length, 1);
  assert.equal(reg.privateEndpointConnections[0].privateLinkServiceConnectionState.status, "Approved");

  const records = [];
  for await (const r of dns.recordSets.listByType("net-rg", zoneName, "A")) records.push(r);
  const aRecords = Object.fromEntries(records.map((r) => [r.name, r.aRecords!.map((a) => a.ipv4Address)]));
  assert.deepEqual(aRecords, { contosoacr: [loginIp], "contosoacr.westeurope.data": [dataIp] });
  assert.ok(records.every((r) => r.ttl === 10));

  const links = [];
  for await (const l of dns.virtualNetworkLinks.list("net-rg", zoneName)) links.push(l);
  assert.deepEqual(links.map((l) => l.virtualNetwork!.id!.split("/").pop()).sort(), ["aks-vnet", "build-vnet", "hub-vnet"]);
  assert.ok(links.every((l) => l.virtualNetworkLinkState === "Completed"));

  for (const v of ["build-vnet", "aks-vnet"]) {
    const peerings = [];
    for await (const p of net.virtualNetworkPeerings.list("net-rg", v)) peerings.push(p);
    assert.equal(peerings.length, 1);
    assert.equal(peerings[0].peeringState, "Connected");
  }

  const plr = [];
  for await (const r of owner.registries.listPrivateLinkResources("acr-rg", "contosoacr")) plr.push(r);
  assert.equal(plr[0].properties?.groupId, "registry");
  assert.deepEqual(plr[0].properties?.requiredMembers, ["registry", "registry_data_westeurope"]);
  assert.deepEqual(plr[0].properties?.requiredZoneNames, [zoneName]);

  // The audit trail names who did what: the network team requested, the owner approved, with states.
  const token = await managementToken(cove);
  const log = await https(`${cove.managementUrl}/cove/audit?limit=1000`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  const events = log.json().value.map((r: any) => r.event);
  const transitions = events.filter((e: any) => e.kind === "private-endpoint-connection");
  const approve = transitions.find((e: any) => e.action === "approve");
  assert.ok(approve, JSON.stringify(transitions));
  assert.equal(approve.actor, acrOwner.objectId);
  assert.equal(approve.from, "Pending");
  assert.equal(approve.to, "Approved");
  assert.equal(approve.description, "approved for hub");
  const peWrite = events.find((e: any) => e.kind === "control-plane" && /privateEndpoints\/hub-acr-pe$/i.test(e.resourceId ?? "") && e.status < 300);
  assert.equal(peWrite.actor, netTeam.objectId);
  const denied = events.find((e: any) => e.kind === "control-plane" && e.actor === netTeam.objectId && e.status === 403);
  assert.ok(denied, "the refused self-approval is in the trail too");
});
