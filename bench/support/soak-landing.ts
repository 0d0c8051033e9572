// The soak's landing zone, built through Microsoft's SDK clients against one spawned `cove serve`
// (loopback mode), as a platform team would build it:
//   hub-vnet    127.113.0.0/16  pe-subnet 127.113.1.0/24 (the registry's endpoint, then the ARM loop's
//                               endpoints), app subnet 127.113.2.0/24 (the listener probe's client)
//   spoke-vnet  127.114.0.0/16  peered both ways; subnet 127.114.0.0/22: four /24s, so the DNS load
//                               from four clients is four response-rate-limiting prefixes (each well
//                               under the default 100 answers/s), and the registry client
//   127.0.0.77                  in no VNet: the public internet, which the firewall refuses
// The registry (Premium) has publicNetworkAccess Disabled, so its public listener answers 403 DENIED
// to everyone; its private endpoint asks for manual approval and is approved; privatelink.<suffix>
// is linked to the spoke and the endpoint's zone group writes the A records there.
import { readFile } from "node:fs/promises";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import type { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { clients, managementToken } from "../../test/support/arm.js";
import { freePort, spawnCove, type SpawnedCove } from "../../test/support/cove.js";
import { basic } from "../../test/support/http.js";
import type { TestCove } from "../../test/support/cove.js";

export const GROUP = "soak-rg";
export const REGISTRY = "soakacr";
export const ADDRESSES = {
  /** In the hub's app subnet: probes the ARM loop's approved endpoints. */
  hubClient: "127.113.2.10",
  /** In the spoke: pushes, pulls and manifest GETs through the private endpoint. */
  registryClient: "127.114.0.20",
  /** In the spoke, one per /24: the DNS load. */
  dnsClients: ["127.114.0.10", "127.114.1.10", "127.114.2.10", "127.114.3.10"],
  /** In no VNet: every request is refused (publicNetworkAccess Disabled). */
  denied: "127.0.0.77",
} as const;

export interface SoakLanding {
  cove: SpawnedCove;
  pid: number;
  ca: string;
  managementUrl: string;
  registryPort: number;
  dnsPort: number;
  registryId: string;
  loginHost: string;
  dataHost: string;
  /** The registry's endpoint addresses, as its zone group wrote them. */
  loginIp: string;
  dataIp: string;
  zoneName: string;
  peSubnetId: string;
  net: NetworkManagementClient;
  dns: PrivateDnsManagementClient;
  acr: ContainerRegistryManagementClient;
  /** Basic credentials of the bootstrap principal (Owner), for registry token requests. */
  basic: string;
  /** A management token for /metrics (the bootstrap principal reads metrics through Owner). */
  managementToken(): Promise<string>;
}

/** The connection of endpoint `peName` on the registry (a manual one is created Pending). */
export async function connectionOf(z: Pick<SoakLanding, "acr">, peName: string): Promise<string> {
  for await (const c of z.acr.privateEndpointConnections.list(GROUP, REGISTRY)) {
    if (c.privateEndpoint?.id?.toLowerCase().endsWith(`/privateendpoints/${peName.toLowerCase()}`)) return c.name!;
  }
  throw new Error(`no connection on ${REGISTRY} for endpoint ${peName}`);
}

export async function soakLanding(dataDir: string): Promise<SoakLanding> {
  const registryPort = await freePort();
  const dnsPort = await freePort();
  const cove = await spawnCove(dataDir, await freePort(), registryPort, {
    COVE_LOG_LEVEL: "error", COVE_DNS_LISTEN: `127.0.0.1:${dnsPort}`,
    // V8 flags for the server alone (say --max-semi-space-size=8), not for the soak's own process.
    ...(process.env.COVE_SOAK_NODE_OPTIONS ? { NODE_OPTIONS: process.env.COVE_SOAK_NODE_OPTIONS } : {}),
  }, true);
  try {
    return await build(cove, registryPort, dnsPort);
  } catch (e) {
    cove.child.kill("SIGKILL"); // the caller never gets the server to stop
    throw e;
  }
}

async function build(cove: SpawnedCove, registryPort: number, dnsPort: number): Promise<SoakLanding> {
  const ca = await readFile(cove.credentials.caCertPath, "utf8");
  const managementUrl = cove.credentials.managementEndpoint;
  const asTest = { credentials: cove.credentials, ca, managementUrl } as unknown as TestCove;
  const c = clients(asTest);
  const sub = cove.credentials.subscriptionId;
  const common = { endpoint: managementUrl, tlsOptions: { ca }, retryOptions: { maxRetries: 0 } } as never;
  const net = new NetworkManagementClient(c.cred, sub, common);
  const dns = new PrivateDnsManagementClient(c.cred, sub, common);

  await c.resources.resourceGroups.createOrUpdate(GROUP, { location: "westeurope" });
  const reg = await c.acr.registries.create(GROUP, REGISTRY, { location: "westeurope", sku: { name: "Premium" }, publicNetworkAccess: "Disabled" } as never);
  const loginHost = String((reg as { loginServer?: string }).loginServer).replace(/:\d+$/, "");
  const suffix = loginHost.slice(REGISTRY.length + 1);
  const vnet = (name: string, prefix: string, subnets: [string, string][]) =>
    net.virtualNetworks.beginCreateOrUpdateAndWait(GROUP, name, {
      location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
      subnets: subnets.map(([n, p]) => ({ name: n, addressPrefix: p })),
    });
  const hub = await vnet("hub-vnet", "127.113.0.0/16", [["pe-subnet", "127.113.1.0/24"], ["app", "127.113.2.0/24"]]);
  const spoke = await vnet("spoke-vnet", "127.114.0.0/16", [["clients", "127.114.0.0/22"]]);
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(GROUP, "hub-vnet", "hub-to-spoke", { remoteVirtualNetwork: { id: spoke.id }, allowVirtualNetworkAccess: true });
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(GROUP, "spoke-vnet", "spoke-to-hub", { remoteVirtualNetwork: { id: hub.id }, allowVirtualNetworkAccess: true });

  const peSubnetId = `${hub.id}/subnets/pe-subnet`;
  await net.privateEndpoints.beginCreateOrUpdateAndWait(GROUP, "soak-pe", {
    location: "westeurope", subnet: { id: peSubnetId },
    manualPrivateLinkServiceConnections: [{ name: "soak-pe-conn", privateLinkServiceId: reg.id, groupIds: ["registry"], requestMessage: "soak" }],
  });
  await c.acr.privateEndpointConnections.beginCreateOrUpdateAndWait(GROUP, REGISTRY, await connectionOf(c, "soak-pe"), {
    privateLinkServiceConnectionState: { status: "Approved", description: "the soak's endpoint" },
  } as never);

  const zoneName = `privatelink.${suffix}`;
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait(GROUP, zoneName, { location: "global" });
  await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(GROUP, zoneName, "spoke-link", { location: "global", virtualNetwork: { id: spoke.id }, registrationEnabled: false });
  await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(GROUP, "soak-pe", "default", { privateDnsZoneConfigs: [{ name: "registry", privateDnsZoneId: zone.id }] });
  const a = async (name: string) => {
    const ip = (await dns.recordSets.get(GROUP, zoneName, "A", name)).aRecords?.[0]?.ipv4Address;
    if (!ip) throw new Error(`the zone group wrote no A record ${name}`);
    return ip;
  };
  const dataHost = `${REGISTRY}.westeurope.data.${suffix}`;
  return {
    cove, pid: cove.child.pid!, ca, managementUrl, registryPort, dnsPort, registryId: reg.id!, loginHost, dataHost,
    loginIp: await a(REGISTRY), dataIp: await a(`${REGISTRY}.westeurope.data`), zoneName, peSubnetId, net, dns, acr: c.acr,
    basic: basic(cove.credentials.clientId, cove.credentials.clientSecret),
    managementToken: () => managementToken(asTest, c.cred),
  };
}
