// The estates the page tests look at, built as a platform team's scripts would: the seed's case
// study through Microsoft's SDK clients (test/toolkit/landing.ts), and a big estate for the render
// budget through the management API directly (the shape of bench/report-bench.ts), in parallel.
//
// The case study, in loopback prefixes:
//   hub-vnet   127.16.0.0/16 (pe, app)  <-peered both ways->  spoke-vnet 127.17.0.0/16 (pe, app)
//   spoke-pe   in spoke-vnet/pe, manual, Approved   (zone group written first)
//   legacy-pe  in spoke-vnet/pe, manual, Rejected
//   hub-pe     in hub-vnet/pe,   manual, Pending    (zone group written last: the zone's records
//              point at it, so approving it is what gives hub-vnet its private path)
//   privatelink.cove.test linked to hub-vnet only (one VNet of two)
//   publicNetworkAccess Enabled, defaultAction Deny, two IP rules
//   network-team: Network Contributor and Reader on the subscription (reads, may not approve)
import type { TestCove } from "../support/cove.js";
import { createServicePrincipal, assignRole, managementToken, ROLE, type ServicePrincipal } from "../support/arm.js";
import { https } from "../support/http.js";
import { landing, ZONE, type Landing } from "../toolkit/landing.js";

export const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";
export const REGISTRY = "demoacr";
export const IP_RULES = ["203.0.113.0/24", "198.51.100.7"];

export interface CaseStudy {
  z: Landing;
  rg: string;
  registryId: string;
  hubVnetId: string;
  spokeVnetId: string;
  zone: string;
  /** Registry-side connection names by endpoint name (hub-pe, spoke-pe, legacy-pe). */
  connection: Record<"hub-pe" | "spoke-pe" | "legacy-pe", string>;
  networkTeam: ServicePrincipal;
}

export async function seedCaseStudy(cove: TestCove, rg = "rg-web"): Promise<CaseStudy> {
  const z = await landing(cove, rg);
  const registryId = await z.registry(REGISTRY, "Premium");
  const hubVnetId = await z.vnet("hub-vnet", 16);
  const spokeVnetId = await z.vnet("spoke-vnet", 17);
  await z.peer("hub-vnet", "spoke-vnet");
  await z.peer("spoke-vnet", "hub-vnet");
  await z.endpoint("spoke-pe", "spoke-vnet", registryId, true);
  await z.endpoint("legacy-pe", "spoke-vnet", registryId, true);
  await z.endpoint("hub-pe", "hub-vnet", registryId, true);

  const byEndpoint: Record<string, string> = {};
  for await (const c of z.acr.privateEndpointConnections.list(rg, REGISTRY)) byEndpoint[c.privateEndpoint!.id!.split("/").pop()!] = c.name!;
  const connection = byEndpoint as CaseStudy["connection"];
  const decide = (pe: keyof CaseStudy["connection"], status: string, description: string) =>
    z.acr.privateEndpointConnections.beginCreateOrUpdateAndWait(rg, REGISTRY, connection[pe], { privateLinkServiceConnectionState: { status, description } } as never);
  await decide("spoke-pe", "Approved", "spoke build agents");
  await decide("legacy-pe", "Rejected", "superseded by spoke-pe");

  await z.zone();
  await z.zoneGroup("spoke-pe");
  await z.zoneGroup("hub-pe");
  await z.link("hub-vnet");

  await z.acr.registries.beginUpdateAndWait(rg, REGISTRY, {
    publicNetworkAccess: "Enabled",
    networkRuleSet: { defaultAction: "Deny", ipRules: IP_RULES.map((value) => ({ action: "Allow", iPAddressOrRange: value })) },
  } as never);

  const networkTeam = await createServicePrincipal(cove, "network-team");
  const sub = `/subscriptions/${cove.credentials.subscriptionId}`;
  await assignRole(cove, sub, networkTeam.objectId, NETWORK_CONTRIBUTOR);
  await assignRole(cove, sub, networkTeam.objectId, ROLE.Reader);
  return { z, rg, registryId, hubVnetId, spokeVnetId, zone: ZONE, connection, networkTeam };
}

export interface BigEstate {
  registryId: string;
  registry: string;
  connections: number;
  vnets: number;
}

/**
 * The render budget's estate: one Premium registry with 200 private endpoint connections in 50
 * VNets (4 subnets each, one endpoint per subnet, every tenth manual so Pending), 40 VNets peered
 * with the first, a zone linked to 45, and two IP rules. Written straight to the management API,
 * several requests at a time: the SDKs' long-running-operation polling would triple the time, and
 * the SDK path is what the case study covers.
 */
export async function seedBigEstate(cove: TestCove, registry = "bigacr"): Promise<BigEstate> {
  const token = await managementToken(cove);
  const call = async (method: string, path: string, version: string, body?: unknown) => {
    const r = await https(`${cove.managementUrl}${path}?api-version=${version}`, { method, ca: cove.ca, headers: { authorization: `Bearer ${token}` }, body: body as object });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body.toString().slice(0, 300)}`);
  };
  const NET = "2023-09-01";
  const sub = `/subscriptions/${cove.credentials.subscriptionId}`;
  await call("PUT", `${sub}/resourceGroups/rg-big`, "2021-04-01", { location: "westeurope" });
  const reg = `${sub}/resourceGroups/rg-big/providers/Microsoft.ContainerRegistry/registries/${registry}`;
  await call("PUT", reg, "2023-07-01", { location: "westeurope", sku: { name: "Premium" } });
  const net = `${sub}/resourceGroups/rg-big/providers/Microsoft.Network`;
  const vnet = (i: number) => `${net}/virtualNetworks/vnet-${String(i).padStart(2, "0")}`;
  await parallel(50, 6, (i) => call("PUT", vnet(i), NET, {
    location: "westeurope",
    properties: { addressSpace: { addressPrefixes: [`127.${100 + i}.0.0/16`] }, subnets: [0, 1, 2, 3].map((j) => ({ name: `subnet-${j}`, properties: { addressPrefix: `127.${100 + i}.${j}.0/24` } })) },
  }));
  await parallel(40, 6, async (k) => {
    const i = k + 1;
    await call("PUT", `${vnet(0)}/virtualNetworkPeerings/p-0-${i}`, NET, { properties: { remoteVirtualNetwork: { id: vnet(i) }, allowVirtualNetworkAccess: true } });
    await call("PUT", `${vnet(i)}/virtualNetworkPeerings/p-${i}-0`, NET, { properties: { remoteVirtualNetwork: { id: vnet(0) }, allowVirtualNetworkAccess: true } });
  });
  await parallel(200, 6, (k) => {
    const kind = k % 10 === 9 ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections";
    return call("PUT", `${net}/privateEndpoints/pe-${String(k).padStart(3, "0")}`, NET, {
      location: "westeurope",
      properties: { subnet: { id: `${vnet(Math.floor(k / 4))}/subnets/subnet-${k % 4}` }, [kind]: [{ name: "c", properties: { privateLinkServiceId: reg, groupIds: ["registry"] } }] },
    });
  });
  const zone = `${sub}/resourceGroups/rg-big/providers/Microsoft.Network/privateDnsZones/privatelink.${cove.suffix}`;
  await call("PUT", zone, "2020-06-01", { location: "global" });
  await call("PUT", `${net}/privateEndpoints/pe-000/privateDnsZoneGroups/default`, NET, { properties: { privateDnsZoneConfigs: [{ name: "privatelink", properties: { privateDnsZoneId: zone } }] } });
  await parallel(45, 6, (i) => call("PUT", `${zone}/virtualNetworkLinks/link-${i}`, "2020-06-01", { location: "global", properties: { virtualNetwork: { id: vnet(i) }, registrationEnabled: false } }));
  await call("PATCH", reg, "2023-07-01", { properties: { networkRuleSet: { defaultAction: "Deny", ipRules: IP_RULES.map((value) => ({ action: "Allow", value })) } } });
  return { registryId: reg, registry, connections: 200, vnets: 50 };
}

/** Runs f(0..n-1), at most `width` at a time. */
async function parallel(n: number, width: number, f: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await f(next++);
  }));
}
