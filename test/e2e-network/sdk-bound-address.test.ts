// Microsoft's @azure/container-registry and plain Node/curl clients that pick their network by their
// source address (issue 4, Tests). The SDK has no local-address option, so its child process gets a
// preload (fixtures/bind-local-address.ts, test-only) that binds every HTTPS connection to a chosen
// 127.x address; a private /etc/hosts maps the login server to the endpoint IP. Landing zone:
// hub (endpoint 127.16.1.4/.5), spoke peered and linked to the privatelink zone, lone VNet linked to
// the zone but NOT peered: it resolves the private IP and is then dropped ("reset" mode).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { freePort, startCove, type TestCove } from "../support/cove.js";
import { ROLE, assignRole, clients, createServicePrincipal, credentialFor, managementToken, type ServicePrincipal } from "../support/arm.js";
import { https } from "../support/http.js";
import { runWithHosts } from "../support/hosts.js";
import { LONE_CLIENT, SPOKE_CLIENT, createEndpoint, curl, landingZone, type Zone } from "../listeners/landing-zone.js";

const LOGIN_IP = "127.16.1.4";
const DATA_IP = "127.16.1.5";
const PRELOAD = pathToFileURL(resolve("dist/test/e2e-network/fixtures/bind-local-address.js")).href;
let cove: TestCove;
let zone: Zone;
let dnsPort: number;
let sp: ServicePrincipal;

before(async () => {
  dnsPort = await freePort();
  cove = await startCove({ privateEndpointDenyMode: "reset", dnsListen: `127.0.0.1:${dnsPort}` });
  zone = await landingZone(cove, "boundacr");
  await clients(cove).acr.registries.update("net-rg", "boundacr", { publicNetworkAccess: "Disabled" } as any);
  await createEndpoint(zone, "hub-pe");
  const dns = new PrivateDnsManagementClient(credentialFor(cove), cove.credentials.subscriptionId, { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any);
  const zoneName = `privatelink.${cove.suffix}`;
  const pz = await dns.privateZones.beginCreateOrUpdateAndWait("net-rg", zoneName, { location: "global" });
  await zone.net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("net-rg", "hub-pe", "default", { privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: pz.id }] });
  const sub = cove.credentials.subscriptionId;
  for (const vnet of ["spoke-vnet", "lone-vnet"]) {
    const id = `/subscriptions/${sub}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/${vnet}`;
    await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("net-rg", zoneName, `${vnet}-link`, { location: "global", virtualNetwork: { id }, registrationEnabled: false });
  }
  sp = await createServicePrincipal(cove, "bound-sdk");
  await assignRole(cove, zone.registryId, sp.objectId, ROLE.AcrPush);
});
after(async () => { await cove?.stop(); });

/** fixtures/sdk-pull.js from `from` (no preload when undefined: the kernel's source, 127.0.0.1). */
async function sdk(from: string | undefined, push = false): Promise<any> {
  // The endpoint turned the data endpoint on: blob downloads are redirected to its name, which
  // resolves to the endpoint's data member IP (the privatelink zone's second record in Azure).
  const r = await runWithHosts({ [zone.loginHost]: LOGIN_IP, [zone.dataHost]: DATA_IP }, process.execPath, ["dist/test/e2e-network/fixtures/sdk-pull.js"], {
    env: {
      ...(from ? { NODE_OPTIONS: `--import=${PRELOAD}`, COVE_LOCAL_ADDRESS: from } : {}),
      ...(push ? { COVE_PUSH: "1" } : {}),
      COVE_CA: cove.ca, COVE_LOGIN_SERVER: `${zone.loginHost}:${cove.registryPort}`, COVE_TENANT: cove.credentials.tenantId,
      COVE_CLIENT_ID: sp.appId, COVE_CLIENT_SECRET: sp.password, COVE_AUTHORITY: cove.credentials.authorityHost,
    },
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function denialsFrom(ip: string): Promise<any[]> {
  const token = await managementToken(cove);
  const log = await https(`${cove.managementUrl}/cove/audit?limit=1000`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  return log.json().value.map((e: any) => e.event).filter((e: any) => e.kind === "data-plane-denied" && e.clientIp === ip);
}

test("@azure/container-registry bound to the peered spoke pushes and pulls through the endpoint; bound to the unpeered VNet it is cut", async () => {
  const ok = await sdk(SPOKE_CLIENT, true);
  assert.equal(ok.error, undefined, JSON.stringify(ok.error));
  assert.equal(ok.downloaded, ok.layer);

  assert.deepEqual(await denialsFrom(LONE_CLIENT), [], "nothing from the lone VNet yet");
  const lone = await sdk(LONE_CLIENT);
  assert.equal(lone.downloaded, undefined);
  assert.equal(lone.error.code, "ECONNRESET", JSON.stringify(lone.error));
  const audited = await denialsFrom(LONE_CLIENT);
  assert.ok(audited.some((e) => e.reason === "endpoint-unreachable-from-network"), `the preload bound the SDK's socket: ${JSON.stringify(audited)}`);

  // Control: without the preload the SDK leaves from 127.0.0.1, which is in no VNet.
  const unbound = await sdk(undefined);
  assert.equal(unbound.error?.code, "ECONNRESET", JSON.stringify(unbound));
});

test("a VNet linked to the zone but not peered resolves the private IP (dig -b) and is dropped; the peered spoke gets the challenge", async () => {
  const dig = (from: string) => new Promise<string>((ok) =>
    execFile("dig", ["+short", "+time=2", "+tries=1", "-b", from, "@127.0.0.1", "-p", String(dnsPort), zone.loginHost, "A"], (_e, out) => ok(out.trim().split("\n").pop() ?? "")));
  assert.equal(await dig(LONE_CLIENT), LOGIN_IP, "the linked zone answers the lone VNet with the private IP");
  assert.equal(await dig(SPOKE_CLIENT), LOGIN_IP);

  const url = `https://${LOGIN_IP}:${cove.registryPort}/v2/`;
  const host = `${zone.loginHost}:${cove.registryPort}`;
  await assert.rejects(https(url, { ca: cove.ca, host, localAddress: LONE_CLIENT }), (e: NodeJS.ErrnoException) => e.code === "ECONNRESET");
  const c = await curl(cove, { from: LONE_CLIENT, host: zone.loginHost, ip: LOGIN_IP, path: "/v2/" });
  assert.notEqual(c.code, 0, "curl fails");
  assert.equal(c.status, 0, "without an HTTP answer");

  assert.equal((await https(url, { ca: cove.ca, host, localAddress: SPOKE_CLIENT })).status, 401);
  assert.equal((await curl(cove, { from: SPOKE_CLIENT, host: zone.loginHost, ip: LOGIN_IP, path: "/v2/" })).status, 401);
});
