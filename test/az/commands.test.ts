// The seed's az commands, verbatim, run by the real az (Debian's 2.45, unmodified apart from the
// opt-in shim) through `cove az` against a real Cove: a landing zone built by az itself (registry,
// VNets, a private endpoint approved automatically, its zone and zone group), a second endpoint by
// manual request that the registry owner approves then rejects, a pipeline identity made by
// `ad sp create-for-rbac` with AcrPush (Cove's Graph subset), and public access disabled. Without the shim, the network and role commands fail inside az
// before sending anything, as docs/az.md says; with it they work.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { azHarness, requireAz, type AzHarness } from "./support.js";

let h: AzHarness;
let sub: string;
let registry: string;
const RG = "pay-rg";
const zone = () => `privatelink.${h.cove.suffix}`;

before(async () => {
  h = await azHarness();
  sub = h.cove.credentials.subscriptionId;
  registry = `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/payacr`;
});
after(async () => { await h?.close(); });

test("without the shim: Debian's az 2.45 fails inside az on network and role commands; --shim for one run mends it", async () => {
  requireAz();
  await h.json("--", "group", "create", "--name", RG, "--location", "westeurope", "-o", "none");
  const vnet = await h.az("--", "network", "vnet", "create", "-g", RG, "-n", "hub", "--address-prefixes", "127.61.0.0/16");
  assert.equal(vnet.code, 1, vnet.stderr);
  assert.match(vnet.stderr, /'NoneType' object has no attribute 'standard_medium'/);
  const roles = await h.az("--", "role", "assignment", "list", "--scope", `/subscriptions/${sub}`);
  assert.equal(roles.code, 1, roles.stderr);
  assert.match(roles.stderr, /'RoleAssignmentsOperations' object has no attribute 'config'|'RoleDefinitionsOperations' object has no attribute 'config'/);
  // Nothing reached Cove: with the shim for this one run, there is no VNet.
  assert.deepEqual(await h.json("--shim", "--", "network", "vnet", "list", "-g", RG), []);
});

test("with the shim saved by setup: az builds the landing zone; the endpoint is approved automatically and its zone group writes the records", async () => {
  requireAz();
  const setup = await h.az("setup", "--shim");
  assert.equal(setup.code, 0, setup.stderr);
  assert.equal(JSON.parse(setup.stdout).shim, true);

  const acr = await h.json("--", "acr", "create", "--name", "payacr", "--resource-group", RG, "--sku", "Premium");
  assert.equal(acr.id, registry);
  await h.json("--", "network", "vnet", "create", "-g", RG, "-n", "hub", "--address-prefixes", "127.61.0.0/16",
    "--subnet-name", "pe", "--subnet-prefixes", "127.61.1.0/24", "-o", "none");
  const pe = await h.json("--", "network", "private-endpoint", "create", "-g", RG, "-n", "payacr-pe", "--vnet-name", "hub", "--subnet", "pe",
    "--private-connection-resource-id", registry, "--group-id", "registry", "--connection-name", "payacr-conn");
  assert.equal(pe.provisioningState, "Succeeded");
  assert.equal(pe.privateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Approved");
  const ips = new Map<string, string>(pe.customDnsConfigs.map((c: any) => [c.fqdn, c.ipAddresses[0]]));
  assert.match(ips.get(`payacr.${h.cove.suffix}`) ?? "", /^127\.61\.1\.\d+$/);
  // The endpoint's NIC, read by the versioned operations path the shim maps (az's own field names).
  const nic = await h.json("--", "network", "nic", "show", "--ids", pe.networkInterfaces[0].id,
    "--query", "ipConfigurations[].{ip:privateIpAddress,fqdn:privateLinkConnectionProperties.fqdns[0]}");
  assert.deepEqual(new Map(nic.map((c: any) => [c.fqdn, c.ip])), ips);

  await h.json("--", "network", "private-dns", "zone", "create", "-g", RG, "-n", zone(), "-o", "none");
  await h.json("--", "network", "private-dns", "link", "vnet", "create", "-g", RG, "-z", zone(), "-n", "hub-link", "-v", "hub", "-e", "false", "-o", "none");
  const group = await h.json("--", "network", "private-endpoint", "dns-zone-group", "create", "-g", RG, "--endpoint-name", "payacr-pe",
    "-n", "default", "--private-dns-zone", zone(), "--zone-name", "registry");
  assert.equal(group.provisioningState, "Succeeded");
  const records = await h.json("--", "network", "private-dns", "record-set", "a", "list", "--resource-group", RG, "--zone-name", zone(),
    "--query", "[].{name:name,ip:aRecords[0].ipv4Address}");
  assert.deepEqual(new Map(records.map((r: any) => [r.name, r.ip])), new Map([
    ["payacr", ips.get(`payacr.${h.cove.suffix}`)],
    ["payacr.westeurope.data", ips.get(`payacr.westeurope.data.${h.cove.suffix}`)],
  ]));
});

test("a manual-request endpoint is Pending; the registry owner lists, shows, approves and rejects its connection", async () => {
  requireAz();
  await h.json("--", "network", "vnet", "create", "-g", RG, "-n", "build", "--address-prefixes", "127.62.0.0/16",
    "--subnet-name", "agents", "--subnet-prefixes", "127.62.1.0/24", "-o", "none");
  const pe = await h.json("--", "network", "private-endpoint", "create", "-g", RG, "-n", "build-pe", "--vnet-name", "build", "--subnet", "agents",
    "--private-connection-resource-id", registry, "--group-id", "registry", "--connection-name", "build-conn",
    "--manual-request", "true", "--request-message", "build agents, ticket 7");
  assert.equal(pe.manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Pending");
  assert.equal(pe.privateLinkServiceConnections.length, 0);

  const list = await h.json("--", "acr", "private-endpoint-connection", "list", "--registry-name", "payacr", "--resource-group", RG);
  assert.deepEqual(list.map((c: any) => c.privateLinkServiceConnectionState.status).sort(), ["Approved", "Pending"]);
  const pending = list.find((c: any) => c.privateLinkServiceConnectionState.status === "Pending");
  assert.equal(pending.resourceGroup, RG);
  assert.match(pending.privateEndpoint.id, /\/privateEndpoints\/build-pe$/);
  const shown = await h.json("--", "acr", "private-endpoint-connection", "show", "--name", pending.name, "--registry-name", "payacr", "--resource-group", RG);
  assert.equal(shown.privateLinkServiceConnectionState.description, "build agents, ticket 7");

  const approved = await h.json("--", "acr", "private-endpoint-connection", "approve", "--name", pending.name, "--registry-name", "payacr",
    "--resource-group", RG, "--description", "approved by the registry owner");
  assert.equal(approved.privateLinkServiceConnectionState.status, "Approved");
  assert.equal(await h.json("--", "network", "private-endpoint", "show", "-g", RG, "-n", "build-pe",
    "--query", "manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status"), "Approved");
  const rejected = await h.json("--", "acr", "private-endpoint-connection", "reject", "--name", pending.name, "--registry-name", "payacr",
    "--resource-group", RG, "--description", "wrong subnet");
  assert.equal(rejected.privateLinkServiceConnectionState.status, "Rejected");
  const missing = await h.az("--", "acr", "private-endpoint-connection", "show", "--name", "payacr.no-such", "--registry-name", "payacr", "--resource-group", RG);
  assert.equal(missing.code, 3, missing.stderr);
});

test("the pipeline identity: ad sp create-for-rbac --role AcrPush --scopes <registry id>; role assignment create/list; an unknown principal refused", async () => {
  requireAz();
  const sp = await h.json("--", "ad", "sp", "create-for-rbac", "--name", "payments-pipeline", "--role", "AcrPush", "--scopes", registry);
  assert.equal(sp.displayName, "payments-pipeline");
  assert.equal(sp.tenant, h.cove.credentials.tenantId);
  assert.ok(sp.password.length >= 20);

  const created = await h.json("--", "role", "assignment", "create", "--assignee", sp.appId, "--role", "AcrPull", "--scope", registry);
  assert.equal(created.principalType, "ServicePrincipal");
  assert.equal(created.scope, registry);
  const listed = await h.json("--", "role", "assignment", "list", "--scope", registry, "--query", "[].{role:roleDefinitionName,principal:principalName}");
  assert.deepEqual(listed.sort((a: any, b: any) => a.role.localeCompare(b.role)), [
    { role: "AcrPull", principal: sp.appId },
    { role: "AcrPush", principal: sp.appId },
  ]);
  assert.deepEqual((await h.json("--", "role", "assignment", "list", "--assignee", sp.appId, "--all", "--query", "[].roleDefinitionName")).sort(), ["AcrPull", "AcrPush"]);

  const unknown = await h.az("--", "role", "assignment", "create", "--assignee-object-id", "6f1c2a9e-0000-4000-8000-00000000dead",
    "--assignee-principal-type", "ServicePrincipal", "--role", "AcrPull", "--scope", registry);
  assert.equal(unknown.code, 1, unknown.stderr);
  assert.match(unknown.stderr, /^ERROR: \(PrincipalNotFound\) Principal 6f1c2a9e-?0000-?4000-?8000-?00000000dead does not exist in the directory /m);
});

test("public access disabled with acr update; acr show as the seed queries it", async () => {
  requireAz();
  const updated = await h.json("--", "acr", "update", "--name", "payacr", "--resource-group", RG, "--public-network-enabled", "false");
  assert.equal(updated.publicNetworkAccess, "Disabled");
  const shown = await h.json("--", "acr", "show", "--name", "payacr", "--resource-group", RG,
    "--query", "{sku:sku.name,loginServer:loginServer,publicNetworkAccess:publicNetworkAccess}");
  assert.deepEqual(shown, { sku: "Premium", loginServer: `payacr.${h.cove.suffix}:${h.cove.registryPort}`, publicNetworkAccess: "Disabled" });
});
