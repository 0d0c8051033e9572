// Landing zones for the toolkit's tests, built through Microsoft's official SDK clients against a
// real Cove (as a platform team's scripts would), in loopback prefixes: 127.<n>.0.0/16 per VNet,
// subnet `pe` (127.<n>.1.0/24) for endpoints and `app` (127.<n>.2.0/24) for clients. The toolkit
// under test then runs as the real `cove` binary (real-cli.ts), and its printed fixes are run as
// printed.
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { clients } from "../support/arm.js";
import { commandWords } from "../../src/cli/toolkit/policy-changes.js";
import type { TestCove } from "../support/cove.js";

export const ZONE = "privatelink.cove.test";

export interface Landing {
  rg: string;
  sub: string;
  net: NetworkManagementClient;
  dns: PrivateDnsManagementClient;
  acr: ReturnType<typeof clients>["acr"];
  registry(name: string, sku?: string, props?: Record<string, unknown>): Promise<string>;
  vnet(name: string, n: number, location?: string): Promise<string>;
  peer(a: string, b: string): Promise<void>;
  /** `location` is the endpoint's own region (default westeurope): a second region's endpoint on the same registry. */
  endpoint(name: string, vnet: string, registryId: string, manual?: boolean, location?: string): Promise<{ id: string; registryIp: string; dataIp: string }>;
  zone(): Promise<string>;
  link(vnet: string, policy?: "Default" | "NxDomainRedirect"): Promise<void>;
  zoneGroup(endpoint: string): Promise<void>;
  /** The last usable address of a VNet's `app` subnet: where `--from VNET/app` stands a client. */
  client(n: number): string;
}

export async function landing(cove: TestCove, rg = "rg-toolkit"): Promise<Landing> {
  const c = clients(cove);
  const sub = cove.credentials.subscriptionId;
  const common = { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;
  const net = new NetworkManagementClient(c.cred, sub, common);
  const dns = new PrivateDnsManagementClient(c.cred, sub, common);
  await c.resources.resourceGroups.createOrUpdate(rg, { location: "westeurope" });
  const vnetId = (name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
  let zoneMade = false;
  const zone = async () => {
    if (!zoneMade) await dns.privateZones.beginCreateOrUpdateAndWait(rg, ZONE, { location: "global" });
    zoneMade = true;
    return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/privateDnsZones/${ZONE}`;
  };
  return {
    rg, sub, net, dns, acr: c.acr,
    async registry(name, sku = "Premium", props = {}) {
      const r = await c.acr.registries.beginCreateAndWait(rg, name, { location: "westeurope", sku: { name: sku as never }, ...props } as never);
      return r.id!;
    },
    async vnet(name, n, location = "westeurope") {
      await net.virtualNetworks.beginCreateOrUpdateAndWait(rg, name, {
        location,
        addressSpace: { addressPrefixes: [`127.${n}.0.0/16`] },
        subnets: [{ name: "pe", addressPrefix: `127.${n}.1.0/24` }, { name: "app", addressPrefix: `127.${n}.2.0/24` }],
      } as never);
      return vnetId(name);
    },
    async peer(a, b) {
      await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(rg, a, `${a}-to-${b}`, { remoteVirtualNetwork: { id: vnetId(b) }, allowVirtualNetworkAccess: true } as never);
    },
    async endpoint(name, vnet, registryId, manual = false, location = "westeurope") {
      const conn = [{ name: `${name}-conn`, privateLinkServiceId: registryId, groupIds: ["registry"] }];
      const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait(rg, name, {
        location,
        subnet: { id: `${vnetId(vnet)}/subnets/pe` },
        ...(manual ? { manualPrivateLinkServiceConnections: conn } : { privateLinkServiceConnections: conn }),
      } as never);
      const ips = (pe.customDnsConfigs ?? []) as { fqdn?: string; ipAddresses?: string[] }[];
      const data = ips.find((x) => /\.data\./.test(x.fqdn ?? ""));
      const login = ips.find((x) => !/\.data\./.test(x.fqdn ?? ""));
      return { id: pe.id!, registryIp: login?.ipAddresses?.[0] ?? "", dataIp: data?.ipAddresses?.[0] ?? "" };
    },
    zone,
    async link(vnet, policy) {
      await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(rg, ZONE, `${vnet}-link`, {
        location: "global", virtualNetwork: { id: vnetId(vnet) }, registrationEnabled: false, ...(policy ? { resolutionPolicy: policy } : {}),
      } as never);
    },
    async zoneGroup(endpoint) {
      const zoneId = await zone();
      await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(rg, endpoint, "default", { privateDnsZoneConfigs: [{ name: "cove", privateDnsZoneId: zoneId }] } as never);
    },
    client: (n) => `127.${n}.2.254`,
  };
}

/** Splits a printed fix line (POSIX shell words, single-quoted where needed) into argv, without a shell: the toolkit's own splitter. */
export function shellWords(line: string): string[] {
  const words = commandWords(line);
  if (words.length === 0 && line.trim() !== "") throw new Error(`unbalanced quote in: ${line}`);
  return words;
}
