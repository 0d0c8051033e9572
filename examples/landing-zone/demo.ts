// `npm run demo`: a hub-and-spoke landing zone on loopback addresses, then the seed's failure
// modes one by one, each with what a user would see and the fix: real `cove` commands with the
// real names, each with its `az` equivalent, run with the real CLI (cli.ts) before the demo
// checks that the failure is gone. No root needed: every VNet prefix
// is inside 127.0.0.0/8, Cove binds each private endpoint IP directly, and each "machine" below is
// just a source address that resolves names through Cove's DNS server and connects from there.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:https";
import { ClientSecretCredential } from "@azure/identity";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { ResourceManagementClient } from "@azure/arm-resources";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { get, resolve, type Seen } from "./client.js";
import { loginCli } from "./cli.js";

const BUILD_AGENT = "127.21.1.10";
const LAPTOP = "127.99.0.10";
const AKS_NODE = "127.22.1.10";
const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

async function freePort(): Promise<number> {
  return new Promise((ok) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const p = (s.address() as any).port; s.close(() => ok(p)); }); });
}

function step(n: number, title: string) { console.log(`\n== ${n}. ${title}`); }
function saw(who: string, what: string) { console.log(`   ${who.padEnd(24)} ${what}`); }
function fix(text: string) { console.log(`   fix: ${text}`); }
const RG = "landing-zone";
const ZONE_ARGS = (zone: string) => ["-g", RG, "-z", zone];
function expect(seen: Seen, ok: boolean, label: string) {
  if (seen.ok !== ok) throw new Error(`demo expectation failed at "${label}": ${seen.text}`);
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), "cove-demo-"));
  const [mport, rport, dport] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ["bin/cove.js", "serve", "--data-dir", dir, "--management-listen", `127.0.0.1:${mport}`,
    "--registry-port", String(rport), "--dns-listen", `127.0.0.1:${dport}`, "--log-level", "error"], { stdio: ["ignore", "inherit", "inherit"] });
  try {
    let cred: any;
    for (let i = 0; i < 200 && !cred; i++) {
      try { cred = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8")); } catch { await sleep(50); }
    }
    if (!cred) throw new Error("cove serve did not start (no credentials.json)");
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
    const tc = new ClientSecretCredential(cred.tenantId, cred.clientId, cred.clientSecret, { authorityHost: cred.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca } } as any);
    const o = { endpoint: cred.managementEndpoint, tlsOptions: { ca } } as any;
    const sub = cred.subscriptionId;
    const acr = new ContainerRegistryManagementClient(tc, sub, o);
    const rm_ = new ResourceManagementClient(tc, sub, o);
    const authz = new AuthorizationManagementClient(tc, sub, o);
    const net = new NetworkManagementClient(tc, sub, o);
    const pdns = new PrivateDnsManagementClient(tc, sub, o);
    const cli = await loginCli(dir, (line) => console.log(line));
    const dns = { host: "127.0.0.1", port: dport };
    const suffix = "cove.test";
    const login = `demoacr.${suffix}`;

    console.log("Building the landing zone: a Premium registry, a hub VNet with the private endpoint,");
    console.log("a build-agent spoke and an AKS spoke, both peered with the hub.");
    await rm_.resourceGroups.createOrUpdate("landing-zone", { location: "westeurope" });
    const reg: any = await acr.registries.create("landing-zone", "demoacr", { location: "westeurope", sku: { name: "Premium" } } as any);
    const vnet = (name: string, prefix: string, subnets: [string, string][]) => net.virtualNetworks.beginCreateOrUpdateAndWait("landing-zone", name, {
      location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
      subnets: subnets.map(([n, p]) => ({ name: n, addressPrefix: p, privateEndpointNetworkPolicies: "Disabled" })),
    });
    const hub = await vnet("hub-vnet", "127.20.0.0/16", [["pe-subnet", "127.20.1.0/24"]]);
    const build = await vnet("build-vnet", "127.21.0.0/16", [["agents", "127.21.1.0/24"]]);
    const aks = await vnet("aks-vnet", "127.22.0.0/16", [["nodes", "127.22.1.0/24"], ["pe-subnet", "127.22.2.0/24"]]);
    for (const spoke of [build, aks]) {
      await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("landing-zone", "hub-vnet", `hub-to-${spoke.name}`, { remoteVirtualNetwork: { id: spoke.id }, allowVirtualNetworkAccess: true });
      await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("landing-zone", spoke.name!, `${spoke.name}-to-hub`, { remoteVirtualNetwork: { id: hub.id }, allowVirtualNetworkAccess: true });
    }

    // An image to pull, pushed while the public endpoint is still open; a pull-only identity.
    const basicOwner = "Basic " + Buffer.from(`${cred.clientId}:${cred.clientSecret}`).toString("base64");
    const layer = randomBytes(64 * 1024);
    const layerDigest = "sha256:" + createHash("sha256").update(layer).digest("hex");
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux" }));
    const configDigest = "sha256:" + createHash("sha256").update(config).digest("hex");
    const put = (method: string, path: string, body: Buffer, type: string) => new Promise<number>((ok, fail) => {
      const r = request({ host: "127.0.0.1", port: rport, path, method, ca, servername: login, headers: { host: `${login}:${rport}`, authorization: basicOwner, "content-type": type, "content-length": body.length } }, (res) => { res.resume(); res.on("end", () => ok(res.statusCode ?? 0)); });
      r.on("error", fail);
      r.end(body);
    });
    await put("POST", `/v2/hello/blobs/uploads/?digest=${layerDigest}`, layer, "application/octet-stream");
    await put("POST", `/v2/hello/blobs/uploads/?digest=${configDigest}`, config, "application/octet-stream");
    await put("PUT", "/v2/hello/manifests/v1", Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerDigest, size: layer.length }],
    })), "application/vnd.oci.image.manifest.v1+json");
    const sp = await new Promise<any>((ok, fail) => {
      tc.getToken(`${cred.managementEndpoint}/.default`).then((t) => {
        const body = Buffer.from(JSON.stringify({ displayName: "aks-kubelet" }));
        const r = request({ host: "127.0.0.1", port: mport, path: "/cove/identity/servicePrincipals", method: "POST", ca, headers: { authorization: `Bearer ${t!.token}`, "content-type": "application/json", "content-length": body.length } }, (res) => {
          let s = ""; res.on("data", (c) => (s += c)); res.on("end", () => ok(JSON.parse(s)));
        });
        r.on("error", fail); r.end(body);
      }, fail);
    });
    await authz.roleAssignments.create(reg.id, "00000000-0000-4000-8000-00000000a001", {
      roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${ACR_PULL}`, principalId: sp.objectId, principalType: "ServicePrincipal",
    } as any);
    const pullAuth = { authorization: "Basic " + Buffer.from(`${sp.appId}:${sp.password}`).toString("base64") };
    const pull = (source: string, timeoutMs = 2500) => get({ dns, host: login, port: rport, path: "/v2/hello/manifests/v1", source, ca, headers: { ...pullAuth, accept: "application/vnd.oci.image.manifest.v1+json" }, timeoutMs });
    const download = (source: string) => get({ dns, host: login, port: rport, path: `/v2/hello/blobs/${layerDigest}`, source, ca, headers: pullAuth, followRedirect: true, timeoutMs: 2500 });
    const show = async (who: string, source: string, name = login) => {
      const r = await resolve(dns, name, source);
      saw(who, `${name} -> ${r.chain.length ? r.chain.map((c) => c.split(" ").slice(1).join(" ")).join(" -> ") : r.rcode}`);
    };

    // The private path: endpoint in the hub, zone group, zone linked to hub and build spoke.
    const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait("landing-zone", "hub-acr-pe", {
      location: "westeurope", subnet: { id: `${hub.id}/subnets/pe-subnet` },
      privateLinkServiceConnections: [{ name: "hub-acr", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
    });
    const zone = await pdns.privateZones.beginCreateOrUpdateAndWait("landing-zone", `privatelink.${suffix}`, { location: "global" });
    await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("landing-zone", "hub-acr-pe", "default", { privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: zone.id }] });
    for (const v of [hub, build]) {
      await pdns.virtualNetworkLinks.beginCreateOrUpdateAndWait("landing-zone", zone.name!, `${v.name}-link`, { location: "global", virtualNetwork: { id: v.id }, registrationEnabled: false });
    }
    await acr.registries.update("landing-zone", "demoacr", { publicNetworkAccess: "Disabled" } as any);

    step(1, "A build agent in a linked, peered spoke pulls privately");
    await show("build agent", BUILD_AGENT);
    let s = await pull(BUILD_AGENT); saw("build agent pull", s.text); expect(s, true, "private pull");
    s = await download(BUILD_AGENT); saw("build agent blob", s.text); expect(s, true, "private blob download");

    step(2, "A laptop on the internet is DENIED once public access is off");
    await show("laptop", LAPTOP);
    s = await pull(LAPTOP); saw("laptop pull", s.text); expect(s, false, "laptop denied");
    fix("allow the laptop's address on the public endpoint (or connect it through a network linked to the private zone, e.g. a VPN into the hub)");
    await cli.fix(["acr", "network-rule", "add", "-n", "demoacr", "-g", RG, "--ip-address", LAPTOP]);
    await cli.fix(["acr", "update", "-n", "demoacr", "-g", RG, "--public-network-enabled", "true", "--default-action", "Deny"]);
    s = await pull(LAPTOP); saw("laptop, after the fix", s.text); expect(s, true, "laptop allowed by its IP rule");
    console.log("   back to private-only for the rest of the demo:");
    await cli.fix(["acr", "update", "-n", "demoacr", "-g", RG, "--public-network-enabled", "false"]);

    step(3, "An AKS spoke whose VNet is not linked to the zone resolves the public address and is DENIED");
    await show("AKS node", AKS_NODE);
    s = await pull(AKS_NODE); saw("AKS node pull", s.text); expect(s, false, "unlinked spoke denied");
    fix("link the zone to the AKS spoke's VNet");
    await cli.fix(["network", "private-dns", "link", "vnet", "create", ...ZONE_ARGS(zone.name!), "-n", "aks-vnet-link", "-v", aks.name!, "-e", "false"]);
    await show("AKS node, after the fix", AKS_NODE);
    s = await pull(AKS_NODE); saw("AKS node pull", s.text); expect(s, true, "linked spoke pulls");

    step(4, "A Pending private endpoint times out");
    const reg2: any = await acr.registries.create("landing-zone", "pendingacr", { location: "westeurope", sku: { name: "Premium" } } as any);
    await net.privateEndpoints.beginCreateOrUpdateAndWait("landing-zone", "hub-pending-pe", {
      location: "westeurope", subnet: { id: `${hub.id}/subnets/pe-subnet` },
      manualPrivateLinkServiceConnections: [{ name: "pending", privateLinkServiceId: reg2.id, groupIds: ["registry"], requestMessage: "please approve" }],
    });
    await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("landing-zone", "hub-pending-pe", "default", { privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: zone.id }] });
    const pendingLogin = `pendingacr.${suffix}`;
    await show("build agent", BUILD_AGENT, pendingLogin);
    s = await get({ dns, host: pendingLogin, port: rport, path: "/v2/", source: BUILD_AGENT, ca, timeoutMs: 2500 });
    saw("build agent GET /v2/", s.text); expect(s, false, "pending times out");
    fix("the registry owner approves the endpoint's connection");
    for await (const c of acr.privateEndpointConnections.list(RG, "pendingacr")) {
      await cli.fix(["acr", "private-endpoint-connection", "approve", "-r", "pendingacr", "-g", RG, "-n", c.name!, "--description", "approved for the hub"]);
    }
    s = await get({ dns, host: pendingLogin, port: rport, path: "/v2/", source: BUILD_AGENT, ca, timeoutMs: 2500 });
    saw("after approval", s.text + " (401 is the login challenge: the path works)");
    if (s.status !== 401) throw new Error(`demo expectation failed at "approval opens the path": ${s.text}`);

    step(5, "A missing data-endpoint record breaks blob downloads (manifests still work)");
    const dataName = "demoacr.westeurope.data";
    const dataIp = (await pdns.recordSets.get(RG, zone.name!, "A", dataName)).aRecords?.[0]?.ipv4Address;
    if (!dataIp) throw new Error("the zone group wrote no data-endpoint record");
    await pdns.recordSets.delete(RG, zone.name!, "A", dataName);
    s = await pull(BUILD_AGENT); saw("build agent pull", s.text); expect(s, true, "manifest still works");
    s = await download(BUILD_AGENT); saw("build agent blob", s.text); expect(s, false, "blob breaks");
    fix("add the data endpoint's record back, with the endpoint's data IP (or recreate the zone group)");
    await cli.fix(["network", "private-dns", "record-set", "a", "add-record", ...ZONE_ARGS(zone.name!), "-n", dataName, "-a", dataIp]);
    s = await download(BUILD_AGENT); saw("after the fix", s.text); expect(s, true, "blob works again");

    step(6, "A second endpoint's zone group overwrites the first's record");
    await net.privateEndpoints.beginCreateOrUpdateAndWait("landing-zone", "aks-acr-pe", {
      location: "westeurope", subnet: { id: `${aks.id}/subnets/pe-subnet` },
      privateLinkServiceConnections: [{ name: "aks-acr", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
    });
    await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("landing-zone", "aks-acr-pe", "default", { privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: zone.id }] });
    await show("build agent", BUILD_AGENT);
    s = await pull(BUILD_AGENT); saw("build agent pull", s.text); expect(s, false, "overwritten record breaks the build spoke");
    fix("one zone group per registry per zone: delete the second group (or give each region its own zone and VNet links), then re-apply the first");
    await cli.fix(["network", "private-endpoint", "dns-zone-group", "delete", "--endpoint-name", "aks-acr-pe", "-g", RG, "-n", "default", "--yes"]);
    await cli.fix(["network", "private-endpoint", "dns-zone-group", "create", "--endpoint-name", "hub-acr-pe", "-g", RG, "-n", "default", "--private-dns-zone", zone.name!, "--zone-name", "privatelink"]);
    s = await pull(BUILD_AGENT); saw("after the fix", s.text); expect(s, true, "fixed");
    console.log(`\nEvery failure mode reproduced, each with its fix (endpoint ${pe.name} in the hub).`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((ok) => child.once("exit", ok));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
