// The geo-replication bench's landing zone, built through Microsoft's SDK clients against a spawned
// `cove serve` (loopback mode): a Premium registry in westeurope with one replica in eastus, and one
// hub per region, each in its own resource group with its own private endpoint (located in its
// region) and its own `privatelink.<suffix>` zone linked to that hub only: the one-zone-per-region
// pattern, so each region's clients resolve the login server and the data hosts to their own
// endpoint. A client stands in a hub's `app` subnet by binding its source address; names are
// resolved by Cove's DNS from that address (`dig -b`), never by the machine's resolver.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { clients } from "../../test/support/arm.js";
import { freePort, spawnCove, type SpawnedCove } from "../../test/support/cove.js";
import { https, basic } from "../../test/support/http.js";

const exec = promisify(execFile);

export interface GeoRegion {
  location: string;
  group: string;
  /** A client address in the hub's `app` subnet. */
  client: string;
}

export interface GeoLanding {
  cove: SpawnedCove;
  ca: string;
  registryPort: number;
  name: string;
  loginServer: string;
  /** `<registry id>/replications/<location>` of the replica. */
  replicationId: string;
  home: GeoRegion;
  replica: GeoRegion;
  /** An A record as Cove's DNS answers it to a client standing at `from`. */
  resolve(host: string, from: string): Promise<string>;
  /** A registry token for `scope`, from the bootstrap principal's Basic credentials. */
  token(scope: string): Promise<string>;
  /** A management GET (raw: Cove's extensions kept). */
  arm<T = any>(path: string): Promise<T>;
}

export async function geoLanding(dataDir: string): Promise<GeoLanding> {
  const registryPort = await freePort();
  const mport = await freePort();
  const cove = await spawnCove(dataDir, mport, registryPort, { COVE_LOG_LEVEL: "error" });
  const ca = await readFile(cove.credentials.caCertPath, "utf8");
  const managementUrl = cove.credentials.managementEndpoint;
  const sub = cove.credentials.subscriptionId;
  const c = clients({ credentials: cove.credentials, ca, managementUrl } as never);
  const common = { endpoint: managementUrl, tlsOptions: { ca }, retryOptions: { maxRetries: 0 } } as never;
  const net = new NetworkManagementClient(c.cred, sub, common);
  const dns = new PrivateDnsManagementClient(c.cred, sub, common);

  const name = "geobench";
  const home: GeoRegion = { location: "westeurope", group: "geo-westeurope", client: "127.97.2.254" };
  const replica: GeoRegion = { location: "eastus", group: "geo-eastus", client: "127.98.2.254" };
  for (const r of [home, replica]) await c.resources.resourceGroups.createOrUpdate(r.group, { location: r.location });
  const reg = await c.acr.registries.create(home.group, name, { location: home.location, sku: { name: "Premium" } } as never);
  const loginServer = String((reg as { loginServer?: string }).loginServer);
  const suffix = loginServer.replace(/:\d+$/, "").slice(name.length + 1);
  const replication = await c.acr.replications.create(home.group, name, replica.location, { location: replica.location } as never);

  for (const [r, n] of [[home, 97], [replica, 98]] as const) {
    const vnet = await net.virtualNetworks.beginCreateOrUpdateAndWait(r.group, "hub", {
      location: r.location,
      addressSpace: { addressPrefixes: [`127.${n}.0.0/16`] },
      subnets: [{ name: "pe", addressPrefix: `127.${n}.1.0/24` }, { name: "app", addressPrefix: `127.${n}.2.0/24` }],
    } as never);
    await net.privateEndpoints.beginCreateOrUpdateAndWait(r.group, "pe-registry", {
      location: r.location,
      subnet: { id: `${vnet.id}/subnets/pe` },
      privateLinkServiceConnections: [{ name: "registry", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
    } as never);
    const zoneName = `privatelink.${suffix}`;
    const zone = await dns.privateZones.beginCreateOrUpdateAndWait(r.group, zoneName, { location: "global" });
    await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(r.group, zoneName, "hub-link", { location: "global", virtualNetwork: { id: vnet.id }, registrationEnabled: false } as never);
    await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(r.group, "pe-registry", "default", { privateDnsZoneConfigs: [{ name: "registry", privateDnsZoneId: zone.id }] } as never);
  }

  const [dnsHost, dnsPort] = cove.credentials.dnsAddress.split(":");
  const mgmtToken = async () => (await c.cred.getToken(`${managementUrl}/.default`))!.token;
  return {
    cove, ca, registryPort, name, loginServer, replicationId: String(replication.id), home, replica,
    async resolve(host, from) {
      const { stdout } = await exec("dig", ["+short", "+time=2", "+tries=2", "-b", from, `@${dnsHost}`, "-p", String(dnsPort), host.replace(/:\d+$/, ""), "A"]);
      const ip = stdout.trim().split("\n").filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l)).pop();
      if (!ip) throw new Error(`Cove's DNS has no A record of ${host} for a client at ${from}: ${stdout}`);
      return ip;
    },
    async token(scope) {
      const r = await https(`https://127.0.0.1:${registryPort}/oauth2/token?service=${encodeURIComponent(loginServer)}&scope=${encodeURIComponent(scope)}`, {
        ca, host: loginServer, headers: { authorization: basic(cove.credentials.clientId, cove.credentials.clientSecret) },
      });
      if (r.status !== 200) throw new Error(`token: ${r.status} ${r.body.toString().slice(0, 300)}`);
      return r.json().access_token as string;
    },
    async arm(path) {
      const r = await https(`${managementUrl}${path}${path.includes("?") ? "&" : "?"}api-version=2025-11-01`, { ca, headers: { authorization: `Bearer ${await mgmtToken()}` } });
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.toString().slice(0, 300)}`);
      return r.json();
    },
  };
}
