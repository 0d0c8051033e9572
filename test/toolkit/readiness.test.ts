// Cutover readiness end to end (issue 9 section 4), with a real Cove and the real `cove` binary: a
// landing zone on loopback (a hub with the registry's private endpoint, an AKS spoke peered with
// the hub and linked to the zone, a build-agent VNet neither peered nor linked), and real pulls
// (docker's token flow, then the manifest) from each client's own address after resolving the
// login server through Cove's DNS from there. The laptop on the internet and the build agent come by
// the public endpoint, the AKS node privately. Readiness, computed from the audit log through the
// management API, says will-break for the first two and never lists the AKS node; once the build
// VNet is peered and linked it says has-private-path. `acr update --public-network-enabled false
// --require-readiness` refuses with exit 5 and changes nothing; without the flag it warns and
// applies, and then the laptop really is refused while the build agent pulls privately.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { freePorts, startAt } from "../audit/restartable-cove.js";
import type { TestCove } from "../support/cove.js";
import { assignRole, clients, createServicePrincipal, credentialFor, ROLE, type ServicePrincipal } from "../support/arm.js";
import { basic, https } from "../support/http.js";
import { network } from "../network/network-support.js";
import { resolve } from "../../examples/landing-zone/client.js";
import { runCove, type CliRun } from "../cli/real-cli.js";
import { openStores } from "../../src/storage/open.js";
import { appendAudit } from "../../src/audit/log.js";
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE } from "../../src/cli/exit-codes.js";

const LAPTOP = "127.99.0.10";
const BUILD_AGENT = "127.21.1.10";
const AKS_NODE = "127.22.1.10";
const OLD_LAPTOP = "127.99.0.20";
const IPV6 = "2001:db8::7";
const RG = "lz";
const REG = "readyacr";
let dir: string;
let cfg: string;
let cove: TestCove;
let env: Record<string, string | undefined>;
let registryId: string;
let login: string;
let sp: ServicePrincipal;
const ports = await freePorts();

const cli = (...args: string[]): Promise<CliRun> => runCove(args, env);
async function ok(...args: string[]): Promise<any> {
  const r = await cli(...args);
  assert.equal(r.code, EXIT_OK, `cove ${args.join(" ")}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : undefined;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "cove-readiness-"));
  cfg = await mkdtemp(join(tmpdir(), "cove-readiness-cli-"));
  env = { PATH: process.env.PATH, HOME: cfg, COVE_CONFIG_DIR: cfg };
  cove = await startAt(dir, ports);
  assert.equal((await cli("login", "--from-data-dir", dir)).code, 0);
  const admin = clients(cove);
  await admin.resources.resourceGroups.createOrUpdate(RG, { location: "westeurope" });
  const reg: any = await admin.acr.registries.create(RG, REG, { location: "westeurope", sku: { name: "Premium" } } as any);
  registryId = reg.id;
  login = reg.loginServer;
  const net = network(cove);
  const vnet = (name: string, prefix: string, subnet: string, subnetPrefix: string) => net.virtualNetworks.beginCreateOrUpdateAndWait(RG, name, {
    location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
    subnets: [{ name: subnet, addressPrefix: subnetPrefix, privateEndpointNetworkPolicies: "Disabled" }],
  });
  const hub = await vnet("hub-vnet", "127.20.0.0/16", "pe-subnet", "127.20.1.0/24");
  const aks = await vnet("aks-vnet", "127.22.0.0/16", "nodes", "127.22.1.0/24");
  await vnet("build-vnet", "127.21.0.0/16", "agents", "127.21.1.0/24");
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, "hub-vnet", "hub-to-aks", { remoteVirtualNetwork: { id: aks.id }, allowVirtualNetworkAccess: true });
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait(RG, "aks-vnet", "aks-to-hub", { remoteVirtualNetwork: { id: hub.id }, allowVirtualNetworkAccess: true });
  await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "hub-pe", {
    location: "westeurope", subnet: { id: `${hub.id}/subnets/pe-subnet` },
    privateLinkServiceConnections: [{ name: "hub-conn", privateLinkServiceId: registryId, groupIds: ["registry"] }],
  });
  const dns = new PrivateDnsManagementClient(credentialFor(cove), cove.credentials.subscriptionId, { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca } } as any);
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait(RG, `privatelink.${cove.suffix}`, { location: "global" });
  await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(RG, "hub-pe", "default", { privateDnsZoneConfigs: [{ name: "z", privateDnsZoneId: zone.id }] });
  for (const v of [hub, aks]) {
    await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(RG, zone.name!, `${v.name}-link`, { location: "global", virtualNetwork: { id: v.id }, registrationEnabled: false });
  }
  // An image to pull, pushed by the owner with Basic (no token issued), and a pull-only identity.
  const owner = basic(cove.credentials.clientId, cove.credentials.clientSecret);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux" }));
  const digest = "sha256:" + createHash("sha256").update(config).digest("hex");
  const at = `https://127.0.0.1:${cove.registryPort}`;
  const host = `${hostOnly()}:${cove.registryPort}`;
  assert.equal((await https(`${at}/v2/hello/blobs/uploads/?digest=${digest}`, { method: "POST", ca: cove.ca, host, headers: { authorization: owner, "content-type": "application/octet-stream" }, body: config })).status, 201);
  const manifest = { schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest, size: config.length }, layers: [] };
  assert.equal((await https(`${at}/v2/hello/manifests/v1`, { method: "PUT", ca: cove.ca, host, headers: { authorization: owner, "content-type": manifest.mediaType }, body: JSON.stringify(manifest) })).status, 201);
  sp = await createServicePrincipal(cove, "ci-puller");
  await assignRole(cove, registryId, sp.objectId, ROLE.AcrPull);
});
after(async () => {
  await cove?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(cfg, { recursive: true, force: true });
});

const hostOnly = () => login.replace(/:\d+$/, "");

/** docker's pull from `source`: resolve through Cove's DNS from there, a token with Basic, then the manifest. */
async function pull(source: string): Promise<{ ip: string; status: number }> {
  const [dnsHost, dnsPort] = cove.credentials.dnsAddress.split(":");
  const r = await resolve({ host: dnsHost!, port: Number(dnsPort) }, hostOnly(), source);
  assert.ok(r.ip, `${source} resolves ${hostOnly()}`);
  const o = { ca: cove.ca, host: `${hostOnly()}:${cove.registryPort}`, localAddress: source };
  const at = `https://${r.ip}:${cove.registryPort}`;
  const t = await https(`${at}/oauth2/token?service=${login}&scope=repository:hello:pull`, { ...o, headers: { authorization: basic(sp.appId, sp.password) } });
  if (t.status !== 200) return { ip: r.ip!, status: t.status };
  const m = await https(`${at}/v2/hello/manifests/v1`, { ...o, headers: { authorization: `Bearer ${t.json().access_token}`, accept: "application/vnd.oci.image.manifest.v1+json" } });
  return { ip: r.ip!, status: m.status };
}

/** A graceful restart: the pending minute of token counts is written on close. */
async function restart(beforeStart?: () => Promise<void>) {
  await cove.stop();
  await beforeStart?.();
  cove = await startAt(dir, ports);
}

/** A printed command's words (fixes.ts quotes for a POSIX shell: single quotes only). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!));
}

const byIp = (report: any) => new Map<string, any>(report.clients.map((c: any) => [c.clientIp, c]));

test("readiness names the public endpoint's users and whether they break; --require-readiness refuses with exit 5; without it the change warns and applies", async () => {
  const laptop = await pull(LAPTOP);
  const agent = await pull(BUILD_AGENT);
  const node = await pull(AKS_NODE);
  assert.deepEqual([laptop.status, agent.status, node.status], [200, 200, 200], "all three pull today");
  assert.equal(laptop.ip, agent.ip, "the laptop and the build agent both reach the public endpoint");
  assert.notEqual(node.ip, laptop.ip, "the AKS node reaches the private endpoint");
  await pull(LAPTOP);
  // Records an older Cove wrote (one row per token, no path) still count, and an address the model cannot place.
  await restart(async () => {
    const { meta, blobs } = await openStores(dir);
    for (const clientIp of [OLD_LAPTOP, IPV6]) {
      await appendAudit(meta, { kind: "registry.token", endpoint: "token", outcome: "issued", registry: registryId, principalKind: "servicePrincipal", principalId: sp.objectId, access: [], clientIp, requestId: "old" });
    }
    await meta.close();
    await blobs.close();
  });

  const report = await ok("acr", "public-access", "readiness", "-n", REG);
  const clientsSeen = byIp(report);
  assert.deepEqual([...clientsSeen.keys()].sort(), [BUILD_AGENT, LAPTOP, OLD_LAPTOP, IPV6].sort(), "the AKS node never appears as a public user");
  const l = clientsSeen.get(LAPTOP);
  assert.deepEqual([l.verdict, l.network, l.cause, l.tokens, l.seenIn], ["will-break", "internet", "PUBLIC_ACCESS_DISABLED", 2, ["registry.token-aggregate"]]);
  assert.deepEqual(l.principals, ["ci-puller"]);
  const b = clientsSeen.get(BUILD_AGENT);
  assert.deepEqual([b.verdict, b.network, b.tokens], ["will-break", "build-vnet/agents", 1]);
  assert.match(b.vnetId, /virtualNetworks\/build-vnet$/i);
  assert.deepEqual([clientsSeen.get(OLD_LAPTOP).verdict, clientsSeen.get(OLD_LAPTOP).seenIn], ["will-break", ["registry.token"]]);
  assert.equal(clientsSeen.get(IPV6).verdict, "unknown");
  assert.match(clientsSeen.get(IPV6).reason, /IPv6/);
  assert.deepEqual(report.summary, { willBreak: 3, hasPrivatePath: 0, unknown: 1 });
  assert.equal(report.registry.publicNetworkAccess, "Enabled");

  const table = await cli("acr", "public-access", "readiness", "-n", REG, "-g", RG, "-o", "table");
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^Client\s+Network\s+Verdict\s+Cause\s+Tokens\s+Denials\s+Last seen\s+Reason$/);
  assert.match(table.stdout, new RegExp(`^${LAPTOP.replace(/\./g, "\\.")}\\s+internet\\s+will-break\\s+PUBLIC_ACCESS_DISABLED\\s+2\\s+0\\s`, "m"));
  assert.match(lines.at(-1)!, /^summary\s+will-break 3, has-private-path 0, unknown 1$/);
  assert.equal((await ok("acr", "public-access", "readiness", "-n", REG, "--since", "2099-01-01T00:00:00Z")).clients.length, 0, "nothing in a window after today");
  const bad = await cli("acr", "public-access", "readiness", "-n", REG, "--since", "last week");
  assert.equal(bad.code, EXIT_USAGE);
  assert.match(bad.stderr, /^ERROR: argument --since: /);
  assert.equal((await cli("acr", "public-access", "readiness", "-n", "nosuchacr")).code, 3);

  // Refused: nothing changes, and the warning names each client that would break.
  const refused = await cli("acr", "update", "-n", REG, "--public-network-enabled", "false", "--require-readiness");
  assert.equal(refused.code, EXIT_CHECK_FAILED, refused.stderr);
  for (const ip of [LAPTOP, BUILD_AGENT, OLD_LAPTOP]) assert.match(refused.stderr, new RegExp(`^WARNING: ${ip.replace(/\./g, "\\.")} \\(.+\\) will break; it last used the public endpoint at `, "m"));
  assert.match(refused.stderr, /^ERROR: Public network access of 'readyacr' stays Enabled: 3 client\(s\)/m);
  assert.equal((await ok("acr", "show", "-n", REG)).publicNetworkAccess, "Enabled");

  // The build agent's fix, as readiness prints it: peer its VNet with the hub both ways, link the zone. Run as printed.
  const fixes = b.fix.map((f: any) => f.cove);
  assert.deepEqual(fixes.map((f: string) => f.split(" ").slice(1, 5).join(" ")), ["network vnet peering create", "network vnet peering create", "network private-dns link vnet"]);
  for (const f of fixes) await ok(...shellWords(f).slice(1));
  assert.deepEqual(clientsSeen.get(LAPTOP).fix, [], "an internet client gets no fix: its only way is the endpoint being closed");
  const fixed = byIp(await ok("acr", "public-access", "readiness", "-n", REG, "--since", "1h"));
  assert.equal(fixed.get(BUILD_AGENT).verdict, "has-private-path");
  assert.match(fixed.get(BUILD_AGENT).reason, /privately through hub-pe/);
  assert.equal(fixed.get(LAPTOP).verdict, "will-break");

  // Without the flag: warned, applied.
  const applied = await cli("acr", "update", "-n", REG, "--public-network-enabled", "false");
  assert.equal(applied.code, EXIT_OK, applied.stderr);
  assert.match(applied.stderr, new RegExp(`^WARNING: ${LAPTOP.replace(/\./g, "\\.")} \\(internet\\) will break; `, "m"));
  assert.doesNotMatch(applied.stderr, new RegExp(`WARNING: ${BUILD_AGENT.replace(/\./g, "\\.")} `));
  assert.equal(JSON.parse(applied.stdout).publicNetworkAccess, "Disabled");
  // The verdicts were right: the laptop is refused now, the build agent pulls privately.
  assert.equal((await pull(LAPTOP)).status, 403);
  const agentNow = await pull(BUILD_AGENT);
  assert.deepEqual([agentNow.status, agentNow.ip], [200, node.ip]);
});

test("--require-readiness only goes with --public-network-enabled false", async () => {
  const r = await cli("acr", "update", "-n", REG, "--require-readiness");
  assert.equal(r.code, EXIT_USAGE);
  assert.match(r.stderr, /--require-readiness and --readiness-since go with --public-network-enabled false/);
});
