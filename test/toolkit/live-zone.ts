// The landing zone the live-check tests stand clients in, built through Microsoft's official SDK
// clients against a real Cove (realCli: the `cove` binary logged in to it), in loopback prefixes
// 127.<n>.0.0/16, subnet `pe` (127.<n>.1.0/24) for endpoints and `app` (127.<n>.2.0/24) for clients:
//   hub     127.44  endpoints: liveacr's (approved, zone group), pendacr's (manual: Pending, zone group)
//   spoke   127.45  peered with the hub both ways, zone linked: the private path works
//   lone    127.46  not peered, zone not linked: resolves the public endpoint, which is disabled
//   island  127.47  zone linked but not peered: resolves liveacr's endpoint IP, cannot route to it
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { realCli, type RealCli } from "../cli/real-cli.js";
import { clients, credentialFor } from "../support/arm.js";

export const RG = "live-rg";
export const ZONE = "privatelink.cove.test";
export const client = (n: number) => `127.${n}.2.254`;
export const HUB = 44, SPOKE = 45, LONE = 46, ISLAND = 47;

export interface LiveZone {
  cli: RealCli;
  dns: { host: string; port: number };
  ca: string;
  port: number;
  hubIp: string;
  pendingIp: string;
  registryId: string;
  net: NetworkManagementClient;
  pdns: PrivateDnsManagementClient;
  credential: ReturnType<typeof credentialFor>;
  close(): Promise<void>;
}

export async function liveZone(): Promise<LiveZone> {
  const cli = await realCli();
  const cove = cli.cove;
  const c = clients(cove);
  const sub = cove.credentials.subscriptionId;
  const common = { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;
  const net = new NetworkManagementClient(c.cred, sub, common);
  const pdns = new PrivateDnsManagementClient(c.cred, sub, common);
  const vnetId = (name: string) => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/${name}`;
  await c.resources.resourceGroups.createOrUpdate(RG, { location: "westeurope" });
  const reg = await c.acr.registries.beginCreateAndWait(RG, "liveacr", { location: "westeurope", sku: { name: "Premium" }, dataEndpointEnabled: true } as never);
  const pend = await c.acr.registries.beginCreateAndWait(RG, "pendacr", { location: "westeurope", sku: { name: "Premium" } } as never);
  const vnet = (name: string, n: number) => net.virtualNetworks.beginCreateOrUpdateAndWait(RG, name, {
    location: "westeurope", addressSpace: { addressPrefixes: [`127.${n}.0.0/16`] },
    subnets: [{ name: "pe", addressPrefix: `127.${n}.1.0/24` }, { name: "app", addressPrefix: `127.${n}.2.0/24` }],
  } as never);
  await Promise.all([vnet("hub", HUB), vnet("spoke", SPOKE), vnet("lone", LONE), vnet("island", ISLAND)]);
  const peer = (a: string, b: string) => net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, a, `${a}-to-${b}`, { remoteVirtualNetwork: { id: vnetId(b) }, allowVirtualNetworkAccess: true } as never);
  await peer("hub", "spoke");
  await peer("spoke", "hub");
  const endpoint = async (name: string, registryId: string, manual: boolean) => {
    const conn = [{ name: `${name}-conn`, privateLinkServiceId: registryId, groupIds: ["registry"] }];
    const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, name, {
      location: "westeurope", subnet: { id: `${vnetId("hub")}/subnets/pe` },
      ...(manual ? { manualPrivateLinkServiceConnections: conn } : { privateLinkServiceConnections: conn }),
    } as never);
    return ((pe.customDnsConfigs ?? []) as { fqdn?: string; ipAddresses?: string[] }[]).find((x) => !/\.data\./.test(x.fqdn ?? ""))?.ipAddresses?.[0] ?? "";
  };
  const hubIp = await endpoint("hub-pe", reg.id!, false);
  const pendingIp = await endpoint("pend-pe", pend.id!, true);
  const zone = await pdns.privateZones.beginCreateOrUpdateAndWait(RG, ZONE, { location: "global" });
  for (const pe of ["hub-pe", "pend-pe"]) {
    await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(RG, pe, "default", { privateDnsZoneConfigs: [{ name: "cove", privateDnsZoneId: zone.id }] } as never);
  }
  for (const v of ["hub", "spoke", "island"]) {
    await pdns.virtualNetworkLinks.beginCreateOrUpdateAndWait(RG, ZONE, `${v}-link`, { location: "global", virtualNetwork: { id: vnetId(v) }, registrationEnabled: false } as never);
  }
  await c.acr.registries.beginUpdateAndWait(RG, "liveacr", { publicNetworkAccess: "Disabled" } as never);
  const [dnsHost, dnsPort] = cove.credentials.dnsAddress.split(":");
  return {
    cli, dns: { host: dnsHost!, port: Number(dnsPort) }, ca: cove.ca, port: cove.registryPort, hubIp, pendingIp, registryId: reg.id!,
    net, pdns, credential: c.cred,
    close: () => cli.close(),
  };
}
