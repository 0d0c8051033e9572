// The landing zone the network-report tests read, written through Microsoft's SDKs with fixed names
// (so the report's table can be compared with a golden file). Loopback prefixes throughout:
//
//   hub-vnet     127.16.0.0/16  pe-subnet 127.16.1.0/24 (pe-hub, Approved), apps 127.16.2.0/24 (pe-old, Rejected)
//   build-vnet   127.17.0.0/16  agents    127.17.1.0/24  peered with hub both ways, linked       -> private
//   aks-vnet     127.18.0.0/16  nodes     127.18.1.0/24  hub -> aks only (one-sided), linked     -> NO_ROUTE
//   spoke-vnet   127.19.0.0/16  lonely    127.19.1.0/24  peered both ways, zone not linked       -> DNS_PUBLIC_ANSWER
//   ci-vnet      127.20.0.0/16  runners   127.20.1.0/24  own endpoint pe-ci (Pending) in a second
//                                                        privatelink zone (ci-rg) linked here   -> ENDPOINT_PENDING
//   office-vnet  127.40.0.0/16  desks     127.40.1.0/24  nothing private: the public path
//
// Registries (acr-rg): reportacr (Premium, data endpoints on, public network access Disabled) and
// fwacr (Premium, default action Deny, one IP rule 127.40.0.0/16, no endpoints). Identities:
// build-agent holds AcrPull on reportacr, release-bot AcrPush on acr-rg (inherited).
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import type { TestCove } from "../support/cove.js";
import { ROLE, assignRole, clients, createServicePrincipal, credentialFor } from "../support/arm.js";
import { network } from "../network/network-support.js";

export interface ReportZone {
  registry: { report: string; fw: string };
  vnets: string[];
  endpoints: string[];
  links: string[];
  /** Credentials of principals made for the authorisation checks. */
  reader: { appId: string; password: string };
  nobody: { appId: string; password: string };
}

export async function buildReportZone(cove: TestCove): Promise<ReportZone> {
  const sub = cove.credentials.subscriptionId;
  const admin = clients(cove);
  const net = network(cove);
  const dns = new PrivateDnsManagementClient(credentialFor(cove), sub, { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any);

  for (const g of ["net-rg", "acr-rg", "ci-rg"]) await admin.resources.resourceGroups.createOrUpdate(g, { location: "westeurope" });
  const report = (await admin.acr.registries.create("acr-rg", "reportacr", { location: "westeurope", sku: { name: "Premium" } } as any)) as any;
  await admin.acr.registries.update("acr-rg", "reportacr", { dataEndpointEnabled: true } as any);
  const fw = (await admin.acr.registries.create("acr-rg", "fwacr", { location: "westeurope", sku: { name: "Premium" } } as any)) as any;

  const vnet = (name: string, prefix: string, subnets: [string, string][]) =>
    net.virtualNetworks.beginCreateOrUpdateAndWait("net-rg", name, {
      location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
      subnets: subnets.map(([n, p]) => ({ name: n, addressPrefix: p, privateEndpointNetworkPolicies: "Disabled" })),
    });
  const hub = await vnet("hub-vnet", "127.16.0.0/16", [["pe-subnet", "127.16.1.0/24"], ["apps", "127.16.2.0/24"]]);
  const build = await vnet("build-vnet", "127.17.0.0/16", [["agents", "127.17.1.0/24"]]);
  const aks = await vnet("aks-vnet", "127.18.0.0/16", [["nodes", "127.18.1.0/24"]]);
  const spoke = await vnet("spoke-vnet", "127.19.0.0/16", [["lonely", "127.19.1.0/24"]]);
  const ci = await vnet("ci-vnet", "127.20.0.0/16", [["runners", "127.20.1.0/24"]]);
  const office = await vnet("office-vnet", "127.40.0.0/16", [["desks", "127.40.1.0/24"]]);

  const peer = (from: any, to: any) =>
    net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", from.name, `${from.name}-to-${to.name}`, { remoteVirtualNetwork: { id: to.id }, allowVirtualNetworkAccess: true });
  await peer(hub, build);
  await peer(build, hub);
  await peer(hub, aks);
  await peer(hub, spoke);
  await peer(spoke, hub);

  const endpoint = (name: string, subnetId: string, manual: boolean) =>
    net.privateEndpoints.beginCreateOrUpdateAndWait("net-rg", name, {
      location: "westeurope", subnet: { id: subnetId },
      [manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections"]: [{ name: `${name}-conn`, privateLinkServiceId: report.id, groupIds: ["registry"] }],
    });
  const peHub = await endpoint("pe-hub", `${hub.id}/subnets/pe-subnet`, false);
  const peOld = await endpoint("pe-old", `${hub.id}/subnets/apps`, true);
  const peCi = await endpoint("pe-ci", `${ci.id}/subnets/runners`, true);
  for await (const c of admin.acr.privateEndpointConnections.list("acr-rg", "reportacr")) {
    if (c.privateEndpoint?.id?.toLowerCase() !== peOld.id!.toLowerCase()) continue;
    await admin.acr.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "reportacr", c.name!, {
      privateLinkServiceConnectionState: { status: "Rejected", description: "replaced by pe-hub" },
    } as any);
  }

  const zoneName = `privatelink.${cove.suffix}`;
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait("net-rg", zoneName, { location: "global" });
  const ciZone = await dns.privateZones.beginCreateOrUpdateAndWait("ci-rg", zoneName, { location: "global" });
  const group = (pe: string, z: any) =>
    net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("net-rg", pe, "default", { privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: z.id }] });
  await group("pe-hub", zone);
  await group("pe-ci", ciZone);
  const links: string[] = [];
  const link = async (rg: string, v: any) => {
    const l = await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(rg, zoneName, `${v.name}-link`, { location: "global", virtualNetwork: { id: v.id }, registrationEnabled: false });
    links.push(l.id!);
  };
  for (const v of [hub, build, aks]) await link("net-rg", v);
  await link("ci-rg", ci);

  await admin.acr.registries.update("acr-rg", "reportacr", { publicNetworkAccess: "Disabled" } as any);
  await admin.acr.registries.update("acr-rg", "fwacr", {
    networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: "127.40.0.0/16" }] },
  } as any);

  const agent = await createServicePrincipal(cove, "build-agent");
  await assignRole(cove, report.id, agent.objectId, ROLE.AcrPull);
  const bot = await createServicePrincipal(cove, "release-bot");
  await assignRole(cove, `/subscriptions/${sub}/resourceGroups/acr-rg`, bot.objectId, ROLE.AcrPush);
  const reader = await createServicePrincipal(cove, "auditor");
  await assignRole(cove, `/subscriptions/${sub}`, reader.objectId, ROLE.Reader);
  const nobody = await createServicePrincipal(cove, "stranger");

  return {
    registry: { report: report.id, fw: fw.id },
    vnets: [hub, build, aks, spoke, ci, office].map((v) => v.id!),
    endpoints: [peHub, peOld, peCi].map((e) => e.id!),
    links,
    reader: { appId: reader.appId, password: reader.password },
    nobody: { appId: nobody.appId, password: nobody.password },
  };
}
