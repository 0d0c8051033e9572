// The demo's Cove and landing zone. Cove runs as `cove serve` (its own data dir, free ports); the
// landing zone is built through Microsoft's SDK clients, as a platform team's scripts would: a
// Premium registry, a hub VNet holding its private endpoint, a build-agent spoke and an AKS spoke
// peered with the hub, the privatelink zone with the endpoint's zone group, linked to the hub and the
// build spoke (not to the AKS spoke), and public access disabled. Every prefix is inside 127.0.0.0/8.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ClientSecretCredential } from "@azure/identity";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { ResourceManagementClient } from "@azure/arm-resources";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";

export const RG = "landing-zone";
export const REGISTRY = "demoacr";
export const ZONE = "privatelink.cove.test";

export interface Cove {
  dir: string;
  stop(): Promise<void>;
}

export interface LandingZone {
  sub: string;
  acr: ContainerRegistryManagementClient;
  net: NetworkManagementClient;
  pdns: PrivateDnsManagementClient;
  registryId: string;
  zoneId: string;
  vnetId(name: string): string;
  /** A VNet with one subnet per [name, prefix]. */
  vnet(name: string, prefix: string, subnets: [string, string][]): Promise<string>;
  /** Both sides of a peering. */
  peer(a: string, b: string): Promise<void>;
  /** A private endpoint to `registryId` in `vnet/subnet`, with a zone group writing its records. */
  endpoint(name: string, vnet: string, subnet: string, registryId: string, manual?: boolean): Promise<void>;
  link(vnet: string): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((ok) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => ok(p)); }); });
}

export async function startCove(): Promise<Cove & { cred: any; ca: string }> {
  const dir = await mkdtemp(join(tmpdir(), "cove-demo-"));
  const [mport, rport, dport] = [await freePort(), await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, ["bin/cove.js", "serve", "--data-dir", dir, "--management-listen", `127.0.0.1:${mport}`,
    "--registry-port", String(rport), "--dns-listen", `127.0.0.1:${dport}`, "--log-level", "error"], { stdio: ["ignore", "inherit", "inherit"] });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((ok) => child.once("exit", ok));
    }
    await rm(dir, { recursive: true, force: true });
  };
  let cred: any;
  for (let i = 0; i < 200 && !cred; i++) {
    try { cred = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8")); } catch { await sleep(50); }
  }
  if (!cred) { await stop(); throw new Error("cove serve did not start (no credentials.json)"); }
  const ca = await readFile(cred.caCertPath, "utf8");
  // credentials.json is written before the listeners open: wait for /healthz.
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((ok) => {
      const r = request({ host: "127.0.0.1", port: mport, path: "/healthz", ca }, (res) => { res.resume(); ok(res.statusCode === 200); });
      r.on("error", () => ok(false));
      r.end();
    });
    if (up) break;
    await sleep(50);
  }
  return { dir, cred, ca, stop };
}

export async function buildLandingZone(cred: any, ca: string): Promise<LandingZone> {
  const tc = new ClientSecretCredential(cred.tenantId, cred.clientId, cred.clientSecret, { authorityHost: cred.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca } } as any);
  const o = { endpoint: cred.managementEndpoint, tlsOptions: { ca } } as any;
  const sub: string = cred.subscriptionId;
  const acr = new ContainerRegistryManagementClient(tc, sub, o);
  const net = new NetworkManagementClient(tc, sub, o);
  const pdns = new PrivateDnsManagementClient(tc, sub, o);
  await new ResourceManagementClient(tc, sub, o).resourceGroups.createOrUpdate(RG, { location: "westeurope" });
  const vnetId = (name: string) => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/${name}`;
  const zoneId = `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.Network/privateDnsZones/${ZONE}`;
  const lz: LandingZone = {
    sub, acr, net, pdns, zoneId, vnetId, registryId: "",
    async vnet(name, prefix, subnets) {
      const v = await net.virtualNetworks.beginCreateOrUpdateAndWait(RG, name, {
        location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
        subnets: subnets.map(([n, p]) => ({ name: n, addressPrefix: p, privateEndpointNetworkPolicies: "Disabled" })),
      });
      return v.id!;
    },
    async peer(a, b) {
      await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, a, `${a}-to-${b}`, { remoteVirtualNetwork: { id: vnetId(b) }, allowVirtualNetworkAccess: true });
      await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, b, `${b}-to-${a}`, { remoteVirtualNetwork: { id: vnetId(a) }, allowVirtualNetworkAccess: true });
    },
    async endpoint(name, vnet, subnet, registryId, manual = false) {
      const conn = [{ name, privateLinkServiceId: registryId, groupIds: ["registry"], ...(manual ? { requestMessage: "please approve" } : {}) }];
      await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, name, {
        location: "westeurope", subnet: { id: `${vnetId(vnet)}/subnets/${subnet}` },
        ...(manual ? { manualPrivateLinkServiceConnections: conn } : { privateLinkServiceConnections: conn }),
      });
      await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(RG, name, "default", { privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: zoneId }] });
    },
    async link(vnet) {
      await pdns.virtualNetworkLinks.beginCreateOrUpdateAndWait(RG, ZONE, `${vnet}-link`, { location: "global", virtualNetwork: { id: vnetId(vnet) }, registrationEnabled: false });
    },
  };
  const reg = await acr.registries.beginCreateAndWait(RG, REGISTRY, { location: "westeurope", sku: { name: "Premium" } });
  lz.registryId = reg.id!;
  await lz.vnet("hub-vnet", "127.20.0.0/16", [["pe-subnet", "127.20.1.0/24"]]);
  await lz.vnet("build-vnet", "127.21.0.0/16", [["agents", "127.21.1.0/24"]]);
  await lz.vnet("aks-vnet", "127.22.0.0/16", [["nodes", "127.22.1.0/24"], ["pe-subnet", "127.22.2.0/24"]]);
  await lz.peer("hub-vnet", "build-vnet");
  await lz.peer("hub-vnet", "aks-vnet");
  await pdns.privateZones.beginCreateOrUpdateAndWait(RG, ZONE, { location: "global" });
  await lz.endpoint("hub-acr-pe", "hub-vnet", "pe-subnet", lz.registryId);
  await lz.link("hub-vnet");
  await lz.link("build-vnet");
  await acr.registries.beginUpdateAndWait(RG, REGISTRY, { publicNetworkAccess: "Disabled" });
  return lz;
}
