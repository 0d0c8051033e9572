// The estate the evidence tests export, built through Microsoft's official SDK clients against a
// real Cove that can be restarted on its data dir (a graceful stop writes the minute's token
// aggregates): a hub VNet with the registry's approved endpoint, a spoke peered with it holding a
// Pending manual endpoint, the privatelink zone linked to both, a second zone of the same name in
// another group, a Premium registry without endpoints, a pull-only and an inherited push identity,
// two repositories, a private pull from the spoke and public pulls (one allowed, one refused by
// the firewall) from a laptop. The CLI under test is the real `cove` binary, logged in with
// `cove login --from-data-dir` in a private config dir.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { freePorts, startAt, type Ports } from "../audit/restartable-cove.js";
import type { TestCove } from "../support/cove.js";
import { assignRole, clients, createServicePrincipal, ROLE, type ServicePrincipal } from "../support/arm.js";
import { basic, https } from "../support/http.js";
import { resolve } from "../../examples/landing-zone/client.js";
import { runCove, type CliRun } from "../cli/real-cli.js";

export const RG = "rg-ev";
export const REG = "evidenceacr";
export const ZONE = "privatelink.cove.test";
/** A client in the spoke's app subnet: linked and peered, it reaches the hub's endpoint. */
export const SPOKE_CLIENT = "127.142.2.10";
/** A laptop in no VNet. */
export const LAPTOP = "127.149.0.10";
const ACCEPT = "application/vnd.oci.image.manifest.v1+json";

export interface Lab {
  dir: string;
  cfg: string;
  cove: TestCove;
  env: Record<string, string | undefined>;
  sub: string;
  registryId: string;
  loginServer: string;
  net: NetworkManagementClient;
  dns: PrivateDnsManagementClient;
  sdk: ReturnType<typeof clients>;
  puller: ServicePrincipal;
  run(...args: string[]): Promise<CliRun>;
  /** Runs and throws with stderr unless the command exits 0; the parsed JSON output. */
  json(...args: string[]): Promise<any>;
  /** docker's pull from `source`: resolve through Cove's DNS from there, a token with Basic, the manifest. */
  pull(source: string, repo?: string): Promise<{ ip: string; status: number }>;
  /** A graceful restart on the same data dir and ports (writes the pending token aggregates). */
  restart(between?: () => Promise<void>): Promise<void>;
  vnetId(name: string): string;
  close(): Promise<void>;
}

function connect(cove: TestCove) {
  const sdk = clients(cove);
  const common = { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;
  return {
    sdk,
    net: new NetworkManagementClient(sdk.cred, cove.credentials.subscriptionId, common),
    dns: new PrivateDnsManagementClient(sdk.cred, cove.credentials.subscriptionId, common),
  };
}

export async function evidenceLab(): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), "cove-evidence-"));
  const cfg = await mkdtemp(join(tmpdir(), "cove-evidence-cli-"));
  const ports: Ports = await freePorts();
  let cove = await startAt(dir, ports);
  const env = { PATH: process.env.PATH, HOME: cfg, COVE_CONFIG_DIR: cfg };
  const run = (...args: string[]) => runCove(args, env, 120_000);
  const json = async (...args: string[]) => {
    const r = await run(...args);
    if (r.code !== 0) throw new Error(`cove ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  };
  try {
    return await build();
  } catch (e) {
    await cove.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(cfg, { recursive: true, force: true });
    throw e;
  }

  async function build(): Promise<Lab> {
    await json("login", "--from-data-dir", dir);
    let c = connect(cove);
    const sub = cove.credentials.subscriptionId;
    const vnetId = (name: string) => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/${name}`;

    await c.sdk.resources.resourceGroups.createOrUpdate(RG, { location: "westeurope" });
    await c.sdk.resources.resourceGroups.createOrUpdate(`${RG}-dup`, { location: "westeurope" });
    const reg: any = await c.sdk.acr.registries.create(RG, REG, { location: "westeurope", sku: { name: "Premium" } } as any);
    await c.sdk.acr.registries.create(RG, "lonelyacr", { location: "westeurope", sku: { name: "Premium" } } as any);
    for (const [name, n] of [["hub", 141], ["spoke", 142]] as const) {
      await c.net.virtualNetworks.beginCreateOrUpdateAndWait(RG, name, {
        location: "westeurope", addressSpace: { addressPrefixes: [`127.${n}.0.0/16`] },
        subnets: [{ name: "pe", addressPrefix: `127.${n}.1.0/24` }, { name: "app", addressPrefix: `127.${n}.2.0/24` }],
      });
    }
    for (const [a, b] of [["hub", "spoke"], ["spoke", "hub"]]) {
      await c.net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, a!, `${a}-to-${b}`, { remoteVirtualNetwork: { id: vnetId(b!) }, allowVirtualNetworkAccess: true });
    }
    await c.net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "hub-pe", {
      location: "westeurope", subnet: { id: `${vnetId("hub")}/subnets/pe` },
      privateLinkServiceConnections: [{ name: "hub-conn", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
    });
    await c.net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "spoke-pe", {
      location: "westeurope", subnet: { id: `${vnetId("spoke")}/subnets/pe` },
      manualPrivateLinkServiceConnections: [{ name: "spoke-conn", privateLinkServiceId: reg.id, groupIds: ["registry"], requestMessage: "spoke team, ticket 7" }],
    });
    const zone = await c.dns.privateZones.beginCreateOrUpdateAndWait(RG, ZONE, { location: "global" });
    await c.dns.privateZones.beginCreateOrUpdateAndWait(`${RG}-dup`, ZONE, { location: "global" });
    await c.net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(RG, "hub-pe", "default", { privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: zone.id }] });
    for (const v of ["hub", "spoke"]) {
      await c.dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(RG, ZONE, `${v}-link`, { location: "global", virtualNetwork: { id: vnetId(v) }, registrationEnabled: false });
    }
    const puller = await createServicePrincipal(cove, "ci-puller");
    await assignRole(cove, reg.id, puller.objectId, ROLE.AcrPull);
    const pusher = await createServicePrincipal(cove, "group-pusher");
    await assignRole(cove, `/subscriptions/${sub}/resourceGroups/${RG}`, pusher.objectId, ROLE.AcrPush);

    const loginServer: string = reg.loginServer;
    const host = loginServer.replace(/:\d+$/, "");
    const owner = basic(cove.credentials.clientId, cove.credentials.clientSecret);
    for (const repo of ["hello", "stale"]) {
      const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", repo }));
      const digest = "sha256:" + createHash("sha256").update(config).digest("hex");
      const at = `https://127.0.0.1:${cove.registryPort}`;
      const o = { ca: cove.ca, host: loginServer, headers: { authorization: owner, "content-type": "application/octet-stream" } };
      const blob = await https(`${at}/v2/${repo}/blobs/uploads/?digest=${digest}`, { ...o, method: "POST", body: config });
      if (blob.status !== 201) throw new Error(`blob upload ${blob.status}`);
      const manifest = { schemaVersion: 2, mediaType: ACCEPT, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest, size: config.length }, layers: [] };
      const put = await https(`${at}/v2/${repo}/manifests/v1`, { ...o, method: "PUT", headers: { ...o.headers, "content-type": ACCEPT }, body: JSON.stringify(manifest) });
      if (put.status !== 201) throw new Error(`manifest push ${put.status}`);
    }

    const lab: Lab = {
      dir, cfg, cove, env, sub, registryId: reg.id, loginServer, net: c.net, dns: c.dns, sdk: c.sdk, puller, run, json, vnetId,
      async pull(source, repo = "hello") {
        const [dnsHost, dnsPort] = lab.cove.credentials.dnsAddress.split(":");
        const r = await resolve({ host: dnsHost!, port: Number(dnsPort) }, host, source);
        if (!r.ip) throw new Error(`${source} does not resolve ${host}`);
        const o = { ca: lab.cove.ca, host: loginServer, localAddress: source };
        const at = `https://${r.ip}:${lab.cove.registryPort}`;
        const t = await https(`${at}/oauth2/token?service=${loginServer}&scope=repository:${repo}:pull`, { ...o, headers: { authorization: basic(puller.appId, puller.password) } });
        if (t.status !== 200) return { ip: r.ip, status: t.status };
        const m = await https(`${at}/v2/${repo}/manifests/v1`, { ...o, headers: { authorization: `Bearer ${t.json().access_token}`, accept: ACCEPT } });
        return { ip: r.ip, status: m.status };
      },
      async restart(between) {
        await lab.cove.stop();
        await between?.();
        cove = await startAt(dir, ports);
        lab.cove = cove;
        c = connect(cove);
        Object.assign(lab, { net: c.net, dns: c.dns, sdk: c.sdk });
      },
      async close() {
        await lab.cove.stop();
        await rm(dir, { recursive: true, force: true });
        await rm(cfg, { recursive: true, force: true });
      },
    };

    // The spoke pulls privately; the laptop pulls through the public endpoint, then the firewall
    // (default Deny, only this machine's 127.0.0.1 allowed, so the CLI still reads the catalog)
    // refuses it.
    const spoke = await lab.pull(SPOKE_CLIENT);
    if (spoke.status !== 200) throw new Error(`the spoke's private pull answered ${spoke.status}`);
    const laptop = await lab.pull(LAPTOP);
    if (laptop.status !== 200 || laptop.ip === spoke.ip) throw new Error(`the laptop's public pull answered ${laptop.status} via ${laptop.ip}`);
    await c.sdk.acr.registries.update(RG, REG, { networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: "127.0.0.1" }] } } as any);
    const refused = await lab.pull(LAPTOP);
    if (refused.status !== 403) throw new Error(`the firewall let the laptop through: ${refused.status}`);
    await lab.restart();
    return lab;
  }
}
