// GET .../registries/{r}/publicAccessReadiness (Cove extension) over real HTTPS against a real Cove:
// registry tokens issued through the public endpoint to a laptop on the internet and to an app in
// the hub VNet (which has the registry's approved private endpoint and the linked zone), and the
// route's answer is what `cove acr public-access readiness -o json` prints for the same window, the
// real `cove` binary beside it: the laptop will break, the hub app has a private path. It needs the
// registry read AND the audit log's read (GET /cove/audit's right), and says which is missing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { realCli, type RealCli } from "../cli/real-cli.js";
import { ROLE, assignRole, clients, createServicePrincipal, credentialFor, managementToken, type ServicePrincipal } from "../support/arm.js";
import { basic, https } from "../support/http.js";
import { network } from "../network/network-support.js";

const RG = "ready-rg";
const REG = "readyapi";
const LAPTOP = "127.99.0.10";
const HUB_APP = "127.20.2.10";

let cli: RealCli;
let registryId: string;
let login: string;
let puller: ServicePrincipal;
let since: string;

before(async () => {
  cli = await realCli();
  const cove = cli.cove;
  since = new Date(Date.now() - 60_000).toISOString();
  const admin = clients(cove);
  await admin.resources.resourceGroups.createOrUpdate(RG, { location: "westeurope" });
  const reg: any = await admin.acr.registries.create(RG, REG, { location: "westeurope", sku: { name: "Premium" } } as any);
  registryId = reg.id;
  login = reg.loginServer;
  const net = network(cove);
  const hub = await net.virtualNetworks.beginCreateOrUpdateAndWait(RG, "hub-vnet", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.20.0.0/16"] },
    subnets: [{ name: "pe-subnet", addressPrefix: "127.20.1.0/24", privateEndpointNetworkPolicies: "Disabled" }, { name: "apps", addressPrefix: "127.20.2.0/24" }],
  });
  await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "hub-pe", {
    location: "westeurope", subnet: { id: `${hub.id}/subnets/pe-subnet` },
    privateLinkServiceConnections: [{ name: "hub-conn", privateLinkServiceId: registryId, groupIds: ["registry"] }],
  });
  const dns = new PrivateDnsManagementClient(credentialFor(cove), cove.credentials.subscriptionId, { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca } } as any);
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait(RG, `privatelink.${cove.suffix}`, { location: "global" });
  await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(RG, "hub-pe", "default", { privateDnsZoneConfigs: [{ name: "z", privateDnsZoneId: zone.id }] });
  await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(RG, zone.name!, "hub-link", { location: "global", virtualNetwork: { id: hub.id }, registrationEnabled: false });
  puller = await createServicePrincipal(cove, "ci-puller");
  await assignRole(cove, registryId, puller.objectId, ROLE.AcrPull);
  // Tokens through the public endpoint (Cove's public address), each from its client's own address.
  for (const source of [LAPTOP, HUB_APP, LAPTOP]) {
    const t = await https(`https://127.0.0.1:${cove.registryPort}/oauth2/token?service=${login}&scope=repository:hello:pull`, {
      ca: cove.ca, host: login, localAddress: source, headers: { authorization: basic(puller.appId, puller.password) },
    });
    assert.equal(t.status, 200, `a token for ${source}: ${t.body.toString()}`);
  }
});
after(async () => { await cli?.close(); });

const ACR_V = "api-version=2023-07-01";

async function readiness(token: string, query = `&since=${encodeURIComponent(since)}`) {
  const r = await https(`${cli.cove.managementUrl}${registryId}/publicAccessReadiness?${ACR_V}${query}`, { ca: cli.cove.ca, headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, json: r.json() };
}

test("the route answers what `cove acr public-access readiness -o json` prints: the laptop will break, the hub app has a private path", async () => {
  // The CLI reads /cove/audit first, which writes the current minute's token counts to the log; the
  // route reads the same records from the store.
  const viaCli = await cli.json("acr", "public-access", "readiness", "-n", REG, "--since", since, "-o", "json");
  const viaApi = await readiness(await managementToken(cli.cove));
  assert.equal(viaApi.status, 200, JSON.stringify(viaApi.json));
  assert.deepEqual(viaApi.json, viaCli);

  const byIp = new Map<string, any>(viaApi.json.clients.map((c: any) => [c.clientIp, c]));
  assert.deepEqual([...byIp.keys()].sort(), [HUB_APP, LAPTOP].sort());
  const laptop = byIp.get(LAPTOP);
  assert.deepEqual([laptop.verdict, laptop.network, laptop.cause, laptop.tokens, laptop.principals], ["will-break", "internet", "PUBLIC_ACCESS_DISABLED", 2, ["ci-puller"]]);
  const app = byIp.get(HUB_APP);
  assert.deepEqual([app.verdict, app.network, app.tokens], ["has-private-path", "hub-vnet/apps", 1]);
  assert.match(app.reason, /^reaches readyapi privately through hub-pe \(127\.20\.1\.\d+\)$/);
  assert.deepEqual(viaApi.json.summary, { willBreak: 1, hasPrivatePath: 1, unknown: 0 });
  assert.deepEqual([viaApi.json.registry.name, viaApi.json.registry.publicNetworkAccess, viaApi.json.since], [REG, "Enabled", since]);
});

test("since: a window after the tokens lists no client; the default window (7 days) lists them; a bad time is 400 InvalidParameter", async () => {
  const token = await managementToken(cli.cove);
  const later = await readiness(token, `&since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
  assert.deepEqual([later.status, later.json.clients, later.json.summary], [200, [], { willBreak: 0, hasPrivatePath: 0, unknown: 0 }]);
  const dflt = await readiness(token, "");
  assert.equal(dflt.json.clients.length, 2);
  assert.ok(Date.now() - Date.parse(dflt.json.since) >= 7 * 86_400_000 - 60_000, dflt.json.since);
  const bad = await readiness(token, "&since=last%20week");
  assert.deepEqual([bad.status, bad.json.error.code, bad.json.error.target], [400, "InvalidParameter", "since"]);
});

test("it needs the registry read and the audit log's read: Reader on the subscription may ask; Reader on the registry alone is 403 naming the audit action", async () => {
  const sub = `/subscriptions/${cli.cove.credentials.subscriptionId}`;
  const auditor = await createServicePrincipal(cli.cove, "auditor");
  await assignRole(cli.cove, sub, auditor.objectId, ROLE.Reader);
  const asAuditor = await readiness(await managementToken(cli.cove, credentialFor(cli.cove, auditor.appId, auditor.password)));
  assert.equal(asAuditor.status, 200);
  assert.deepEqual(asAuditor.json.summary, { willBreak: 1, hasPrivatePath: 1, unknown: 0 });

  const teamToken = await managementToken(cli.cove, credentialFor(cli.cove, puller.appId, puller.password));
  const noRead = await readiness(teamToken);
  assert.deepEqual([noRead.status, noRead.json.error.code], [403, "AuthorizationFailed"]);
  assert.match(noRead.json.error.message, /Microsoft\.ContainerRegistry\/registries\/read/);
  await assignRole(cli.cove, registryId, puller.objectId, ROLE.Reader);
  const noAudit = await readiness(teamToken);
  assert.deepEqual([noAudit.status, noAudit.json.error.code], [403, "AuthorizationFailed"]);
  assert.match(noAudit.json.error.message, new RegExp(`'Microsoft\\.Insights/eventtypes/values/read' over scope '${sub}'`));
});
