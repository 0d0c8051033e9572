// A landing zone written through Microsoft's SDKs (so the records have the exact shapes the control
// plane stores): the state tests read it back and compare it with the hand-built facts the policy
// tests use (test/network-policy/landing-zone-facts.ts). Loopback prefixes throughout:
//
//   hub    127.16.0.0/16  pe-subnet 127.16.1.0/24   endpoints live here
//   build  127.17.0.0/16  agents    127.17.1.0/24   peered with hub both ways
//   aks    127.18.0.0/16  nodes     127.18.1.0/24   hub -> aks only (Initiated: not peered)
//   island 127.19.0.0/16  lonely    127.19.1.0/24   no peering
//   wide   127.30.0.0/16  all       127.30.0.0/16   overlaps narrow (allowed: not peered)
//   narrow 127.30.7.0/24  part      127.30.7.0/26   longest prefix wins
//
// Registries: contosoacr (Premium, publicNetworkAccess Disabled), otheracr (Premium, defaultAction
// Deny, ipRules 127.0.0.1 and 127.40.0.0/16), openacr (Premium, defaults).
// Endpoints in hub/pe-subnet: pe-hub -> contosoacr Approved (127.16.1.4 registry, .5 data),
// pe-pending -> contosoacr Pending (.6/.7), pe-rejected -> contosoacr Rejected (.8/.9),
// pe-other -> otheracr Approved (.10/.11), pe-orphan -> openacr whose connection the registry
// deleted (Disconnected, .12/.13).
// DNS: privatelink.<suffix> with pe-hub's zone group; links hub (Default), build (NxDomainRedirect).
import assert from "node:assert/strict";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import type { TestCove } from "../support/cove.js";
import { clients, credentialFor } from "../support/arm.js";
import { network, raw } from "../network/network-support.js";

export interface LandingZone {
  vnet: Record<"hub" | "build" | "aks" | "island" | "wide" | "narrow", string>; // lower-cased ids
  subnet: Record<"hub" | "build" | "wide" | "narrow", string>;
  registry: Record<"contoso" | "other" | "open", string>; // lower-cased ids
  endpoint: Record<"hub" | "pending" | "rejected" | "other" | "orphan", string>;
  zoneName: string;
  zoneId: string;
}

export async function buildLandingZone(cove: TestCove): Promise<LandingZone> {
  const sub = cove.credentials.subscriptionId;
  const admin = clients(cove);
  const net = network(cove);
  const dns = new PrivateDnsManagementClient(credentialFor(cove), sub, { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any);

  await admin.resources.resourceGroups.createOrUpdate("net-rg", { location: "westeurope" });
  await admin.resources.resourceGroups.createOrUpdate("acr-rg", { location: "westeurope" });
  const reg = async (name: string) => (await admin.acr.registries.create("acr-rg", name, { location: "westeurope", sku: { name: "Premium" } } as any)) as any;
  const contoso = await reg("contosoacr");
  const other = await reg("otheracr");
  const open = await reg("openacr");

  const vnet = async (name: string, prefix: string, subnet: string, subnetPrefix: string) =>
    net.virtualNetworks.beginCreateOrUpdateAndWait("net-rg", name, {
      location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
      subnets: [{ name: subnet, addressPrefix: subnetPrefix, privateEndpointNetworkPolicies: "Disabled" }],
    });
  const hub = await vnet("hub-vnet", "127.16.0.0/16", "pe-subnet", "127.16.1.0/24");
  const build = await vnet("build-vnet", "127.17.0.0/16", "agents", "127.17.1.0/24");
  const aks = await vnet("aks-vnet", "127.18.0.0/16", "nodes", "127.18.1.0/24");
  const island = await vnet("island-vnet", "127.19.0.0/16", "lonely", "127.19.1.0/24");
  const wide = await vnet("wide-vnet", "127.30.0.0/16", "all", "127.30.0.0/16");
  const narrow = await vnet("narrow-vnet", "127.30.7.0/24", "part", "127.30.7.0/26");

  const peer = (from: any, to: any) =>
    net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", from.name, `${from.name}-to-${to.name}`, { remoteVirtualNetwork: { id: to.id }, allowVirtualNetworkAccess: true });
  await peer(hub, build);
  await peer(build, hub);
  await peer(hub, aks);

  const subnetId = `${hub.id}/subnets/pe-subnet`;
  const endpoint = (name: string, registryId: string, manual: boolean) =>
    net.privateEndpoints.beginCreateOrUpdateAndWait("net-rg", name, {
      location: "westeurope", subnet: { id: subnetId },
      [manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections"]: [{ name: `${name}-conn`, privateLinkServiceId: registryId, groupIds: ["registry"] }],
    });
  const peHub = await endpoint("pe-hub", contoso.id, false);
  const pePending = await endpoint("pe-pending", contoso.id, true);
  const peRejected = await endpoint("pe-rejected", contoso.id, true);
  const peOther = await endpoint("pe-other", other.id, false);
  const peOrphan = await endpoint("pe-orphan", open.id, false);

  const connectionOf = async (registry: string, endpointId: string) => {
    for await (const c of admin.acr.privateEndpointConnections.list("acr-rg", registry)) {
      if (c.privateEndpoint?.id?.toLowerCase() === endpointId.toLowerCase()) return c.name!;
    }
    throw new Error(`no connection for ${endpointId}`);
  };
  await admin.acr.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "contosoacr", await connectionOf("contosoacr", peRejected.id!), {
    privateLinkServiceConnectionState: { status: "Rejected", description: "not this one" },
  } as any);
  await admin.acr.privateEndpointConnections.beginDeleteAndWait("acr-rg", "openacr", await connectionOf("openacr", peOrphan.id!));

  const zoneName = `privatelink.${cove.suffix}`;
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait("net-rg", zoneName, { location: "global" });
  await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("net-rg", "pe-hub", "default", {
    privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: zone.id }],
  });
  await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("net-rg", zoneName, "hub-link", { location: "global", virtualNetwork: { id: hub.id }, registrationEnabled: false });
  // Raw, at the api-version `az` uses (2024-06-01): arm-privatedns 3.2, one of the SDK versions Cove is
  // tested with, cannot send resolutionPolicy (4.0 can).
  const redirect = await raw(cove, "PUT", `${zone.id}/virtualNetworkLinks/build-link?api-version=2024-06-01`, {
    location: "global", properties: { virtualNetwork: { id: build.id }, registrationEnabled: false, resolutionPolicy: "NxDomainRedirect" },
  });
  assert.equal(redirect.status, 201, JSON.stringify(redirect.json));

  await admin.acr.registries.update("acr-rg", "contosoacr", { publicNetworkAccess: "Disabled" } as any);
  await admin.acr.registries.update("acr-rg", "otheracr", {
    networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: "127.0.0.1" }, { action: "Allow", iPAddressOrRange: "127.40.0.0/16" }] },
  } as any);

  const id = (x: { id?: string }) => x.id!.toLowerCase();
  return {
    vnet: { hub: id(hub), build: id(build), aks: id(aks), island: id(island), wide: id(wide), narrow: id(narrow) },
    subnet: { hub: `${id(hub)}/subnets/pe-subnet`, build: `${id(build)}/subnets/agents`, wide: `${id(wide)}/subnets/all`, narrow: `${id(narrow)}/subnets/part` },
    registry: { contoso: id(contoso), other: id(other), open: id(open) },
    endpoint: { hub: id(peHub), pending: id(pePending), rejected: id(peRejected), other: id(peOther), orphan: id(peOrphan) },
    zoneName,
    zoneId: id(zone),
  };
}
