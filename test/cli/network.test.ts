// The `network ...` and `acr private-endpoint-connection|private-link-resource|network-rule`
// commands against the stand-in of fake-network.ts, in-process through runCli: the requests the
// official SDK clients send for each flag, the az-shaped output, az's record-set and network-rule
// semantics, exit codes for service errors, and that bad flags exit 2 with nothing sent.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from "../../src/cli/exit-codes.js";
import { cliHarness, type CliHarness } from "./capture.js";
import { SUBSCRIPTION } from "./fake-management.js";
import { startFakeNetwork, writeNetworkCredentials, type FakeNetwork } from "./fake-network.js";

let fake: FakeNetwork;
let cli: CliHarness;
let dataDir: string;
const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups/net-rg`;
const NET = `${RG}/providers/Microsoft.Network`;
const REGISTRY = `${RG}/providers/Microsoft.ContainerRegistry/registries/corpregistry`;

before(async () => {
  fake = await startFakeNetwork();
  cli = cliHarness();
  dataDir = mkdtempSync(join(tmpdir(), "cove-cli-net-data-"));
  writeNetworkCredentials(dataDir, fake);
  for (const argv of [
    ["login", "--from-data-dir", dataDir],
    ["group", "create", "-n", "net-rg", "-l", "westeurope"],
    ["acr", "create", "-n", "corpregistry", "-g", "net-rg", "--sku", "Premium"],
    ["acr", "create", "-n", "basicregistry", "-g", "net-rg", "--sku", "Basic"],
  ]) {
    const r = await cli.run(...argv);
    assert.equal(r.code, EXIT_OK, `${argv.join(" ")}: ${r.stderr}`);
  }
});
after(async () => {
  cli.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
  await fake.close();
});

/** Runs a command that must succeed and returns its parsed JSON output (undefined when none). */
async function ok(...argv: string[]): Promise<any> {
  const r = await cli.run(...argv);
  assert.equal(r.code, EXIT_OK, `${argv.join(" ")}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : undefined;
}

/** The body of the last request with this method whose path matches. */
function sent(method: string, path: RegExp): any {
  const q = fake.requests.filter((x) => x.method === method && path.test(decodeURIComponent(x.url.split("?")[0]))).pop();
  assert.ok(q, `no ${method} ${path}`);
  return q.body ? JSON.parse(q.body) : undefined;
}

test("vnet create sends az's body and prints {newVNet}; defaults 10.0.0.0/16; show, list, table", async () => {
  const out = await ok("network", "vnet", "create", "-g", "net-rg", "-n", "hub", "--address-prefixes", "127.16.0.0/16",
    "--subnet-name", "pe-subnet", "--subnet-prefixes", "127.16.1.0/24");
  assert.deepEqual(sent("PUT", /virtualNetworks\/hub$/), {
    location: "westeurope",
    properties: { addressSpace: { addressPrefixes: ["127.16.0.0/16"] }, subnets: [{ name: "pe-subnet", properties: { addressPrefix: "127.16.1.0/24" } }] },
  });
  assert.equal(out.newVNet.id, `${NET}/virtualNetworks/hub`);
  assert.deepEqual(out.newVNet.addressSpace, { addressPrefixes: ["127.16.0.0/16"] });
  assert.equal(out.newVNet.subnets[0].addressPrefix, "127.16.1.0/24");
  assert.equal(out.newVNet.provisioningState, "Succeeded");

  await ok("network", "vnet", "create", "-g", "net-rg", "-n", "spoke", "-l", "West Europe");
  assert.deepEqual(sent("PUT", /virtualNetworks\/spoke$/), { location: "westeurope", properties: { addressSpace: { addressPrefixes: ["10.0.0.0/16"] } } });
  await ok("network", "vnet", "create", "-g", "net-rg", "-n", "aks", "--address-prefix", "127.18.0.0/16", "127.19.0.0/16");
  assert.deepEqual(sent("PUT", /virtualNetworks\/aks$/).properties.addressSpace.addressPrefixes, ["127.18.0.0/16", "127.19.0.0/16"]);

  const shown = await ok("network", "vnet", "show", "-g", "net-rg", "-n", "hub", "--query", "subnets[].name");
  assert.deepEqual(shown, ["pe-subnet"]);
  const names = await ok("network", "vnet", "list", "-g", "net-rg", "--query", "[].name");
  assert.deepEqual(names.sort(), ["aks", "hub", "spoke"]);
  assert.deepEqual((await ok("network", "vnet", "list", "--query", "length(@)")), 3);
  const table = await cli.run("network", "vnet", "list", "-g", "net-rg", "-o", "table");
  assert.match(table.stdout.split("\n")[0], /^Name\s+ResourceGroup\s+Location\s+NumSubnets\s+Prefixes/);
  assert.match(table.stdout, /^hub\s+net-rg\s+westeurope\s+1\s+127\.16\.0\.0\/16/m);
});

test("subnet create: one prefix as addressPrefix, --disable-private-endpoint-network-policies; subnet list", async () => {
  const out = await ok("network", "vnet", "subnet", "create", "-g", "net-rg", "--vnet-name", "spoke", "-n", "build",
    "--address-prefixes", "10.0.2.0/24", "--disable-private-endpoint-network-policies", "true");
  assert.deepEqual(sent("PUT", /virtualNetworks\/spoke\/subnets\/build$/), { properties: { addressPrefix: "10.0.2.0/24", privateEndpointNetworkPolicies: "Disabled" } });
  assert.equal(out.privateEndpointNetworkPolicies, "Disabled");
  await ok("network", "vnet", "subnet", "create", "-g", "net-rg", "--vnet-name", "spoke", "-n", "dual",
    "--address-prefixes", "10.0.3.0/24", "10.0.4.0/24", "--private-endpoint-network-policies", "networksecuritygroupenabled");
  assert.deepEqual(sent("PUT", /subnets\/dual$/), { properties: { addressPrefixes: ["10.0.3.0/24", "10.0.4.0/24"], privateEndpointNetworkPolicies: "NetworkSecurityGroupEnabled" } });
  const list = await ok("network", "vnet", "subnet", "list", "-g", "net-rg", "--vnet-name", "spoke", "--query", "[].name");
  assert.deepEqual(list.sort(), ["build", "dual"]);
  // A subnet of a VNet that does not exist: the service's 404 is exit 3.
  const missing = await cli.run("network", "vnet", "subnet", "create", "-g", "net-rg", "--vnet-name", "nosuchvnet", "-n", "x", "--address-prefixes", "10.9.0.0/24");
  assert.equal(missing.code, EXIT_NOT_FOUND, missing.stderr);
  assert.match(missing.stderr, /^ERROR: \(ParentResourceNotFound\) /);
});

test("peering create: --remote-vnet by name or id, az's false defaults; Initiated then Connected", async () => {
  const first = await ok("network", "vnet", "peering", "create", "-g", "net-rg", "--vnet-name", "hub", "-n", "hub-to-spoke", "--remote-vnet", "spoke", "--allow-vnet-access");
  assert.deepEqual(sent("PUT", /virtualNetworks\/hub\/virtualNetworkPeerings\/hub-to-spoke$/), {
    properties: { remoteVirtualNetwork: { id: `${NET}/virtualNetworks/spoke` }, allowVirtualNetworkAccess: true, allowForwardedTraffic: false, allowGatewayTransit: false, useRemoteGateways: false },
  });
  assert.equal(first.peeringState, "Initiated");
  await ok("network", "vnet", "peering", "create", "-g", "net-rg", "--vnet-name", "spoke", "-n", "spoke-to-hub", "--remote-vnet", `${NET}/virtualNetworks/hub`, "--allow-vnet-access", "true");
  const states = await ok("network", "vnet", "peering", "list", "-g", "net-rg", "--vnet-name", "hub", "--query", "[].{n:name,s:peeringState}");
  assert.deepEqual(states, [{ n: "hub-to-spoke", s: "Connected" }]);
});

test("private-endpoint create --manual-request: manual connection, Pending; the registry owner approves", async () => {
  const pe = await ok("network", "private-endpoint", "create", "-g", "net-rg", "-n", "hub-pe", "--vnet-name", "hub", "--subnet", "pe-subnet",
    "--private-connection-resource-id", REGISTRY, "--group-id", "registry", "--connection-name", "hub-conn",
    "--manual-request", "true", "--request-message", "network team, ticket 42");
  const body = sent("PUT", /privateEndpoints\/hub-pe$/);
  assert.equal(body.location, "westeurope");
  assert.equal(body.properties.subnet.id, `${NET}/virtualNetworks/hub/subnets/pe-subnet`);
  assert.equal(body.properties.privateLinkServiceConnections, undefined);
  assert.deepEqual(body.properties.manualPrivateLinkServiceConnections, [
    { name: "hub-conn", properties: { privateLinkServiceId: REGISTRY, groupIds: ["registry"], requestMessage: "network team, ticket 42" } },
  ]);
  assert.equal(pe.manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Pending");
  assert.equal(pe.customDnsConfigs.length, 2);
  const status = await ok("network", "private-endpoint", "show", "-g", "net-rg", "-n", "hub-pe", "-o", "json", "--query", "manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status");
  assert.equal(status, "Pending");

  const conns = await ok("acr", "private-endpoint-connection", "list", "-r", "corpregistry");
  assert.equal(conns.length, 1);
  assert.equal(conns[0].privateEndpoint.id, `${NET}/privateEndpoints/hub-pe`);
  assert.equal(conns[0].privateLinkServiceConnectionState.status, "Pending");
  const name = conns[0].name;

  const approved = await ok("acr", "private-endpoint-connection", "approve", "-r", "corpregistry", "-g", "net-rg", "-n", name, "--description", "ok by registry team");
  const put = sent("PUT", /privateEndpointConnections\/[^/]+$/);
  assert.deepEqual(put.properties.privateLinkServiceConnectionState, { status: "Approved", description: "ok by registry team", actionsRequired: "None" });
  assert.equal(put.properties.privateEndpoint.id, `${NET}/privateEndpoints/hub-pe`);
  assert.equal(approved.privateLinkServiceConnectionState.status, "Approved");
  assert.equal(approved.name, name);
  const shown = await ok("acr", "private-endpoint-connection", "show", "-r", "corpregistry", "-n", name, "--query", "privateLinkServiceConnectionState.description");
  assert.equal(shown, "ok by registry team");

  const rejected = await ok("acr", "private-endpoint-connection", "reject", "-r", "corpregistry", "-n", name);
  assert.equal(rejected.privateLinkServiceConnectionState.status, "Rejected");
  assert.equal(sent("PUT", /privateEndpointConnections\/[^/]+$/).properties.privateLinkServiceConnectionState.description, undefined);

  const table = await cli.run("acr", "private-endpoint-connection", "list", "-r", "corpregistry", "-o", "table");
  assert.match(table.stdout, new RegExp(`^${name.replace(/\./g, "\\.")}\\s+net-rg\\s+hub-pe\\s+Rejected`, "m"));
});

test("private-endpoint create: direct connection by subnet id, --ip-config shorthand (repeated) and JSON", async () => {
  const subnet = `${NET}/virtualNetworks/hub/subnets/pe-subnet`;
  const pe = await ok("network", "private-endpoint", "create", "-g", "net-rg", "-n", "static-pe", "--subnet", subnet,
    "--private-connection-resource-id", REGISTRY, "--group-ids", "registry", "--connection-name", "static-conn",
    "--ip-config", "name=ip-reg", "group-id=registry", "member-name=registry", "private-ip-address=127.16.1.10",
    "--ip-config", "name=ip-data", "group-id=registry", "member-name=registry_data_westeurope", "private-ip-address=127.16.1.11",
    "--nic-name", "static-pe-nic");
  const body = sent("PUT", /privateEndpoints\/static-pe$/);
  assert.equal(body.properties.subnet.id, subnet);
  assert.deepEqual(body.properties.privateLinkServiceConnections[0].properties, { privateLinkServiceId: REGISTRY, groupIds: ["registry"] });
  assert.deepEqual(body.properties.ipConfigurations, [
    { name: "ip-reg", properties: { groupId: "registry", memberName: "registry", privateIPAddress: "127.16.1.10" } },
    { name: "ip-data", properties: { groupId: "registry", memberName: "registry_data_westeurope", privateIPAddress: "127.16.1.11" } },
  ]);
  assert.equal(body.properties.customNetworkInterfaceName, "static-pe-nic");
  assert.equal(pe.privateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Approved");
  assert.deepEqual(pe.customDnsConfigs.map((c: any) => c.ipAddresses[0]), ["127.16.1.10", "127.16.1.11"]);

  await ok("network", "private-endpoint", "create", "-g", "net-rg", "-n", "json-pe", "--vnet-name", "hub", "--subnet", "pe-subnet",
    "--private-connection-resource-id", REGISTRY, "--group-id", "registry", "--connection-name", "json-conn",
    "--ip-config", '[{"name":"a","groupId":"registry","memberName":"registry","privateIPAddress":"127.16.1.20"},{"name":"b","groupId":"registry","memberName":"registry_data_westeurope","privateIPAddress":"127.16.1.21"}]');
  assert.deepEqual(sent("PUT", /privateEndpoints\/json-pe$/).properties.ipConfigurations.map((c: any) => c.properties.privateIPAddress), ["127.16.1.20", "127.16.1.21"]);

  const names = await ok("network", "private-endpoint", "list", "-g", "net-rg", "--query", "[].name");
  assert.deepEqual(names.sort(), ["hub-pe", "json-pe", "static-pe"]);
  assert.equal((await ok("network", "private-endpoint", "list", "--query", "length(@)")), 3);
});

test("private-dns zone, vnet links (with and without --resolution-policy) and the endpoint's zone group", async () => {
  const zone = await ok("network", "private-dns", "zone", "create", "-g", "net-rg", "-n", "privatelink.cove.test");
  assert.deepEqual(sent("PUT", /privateDnsZones\/privatelink\.cove\.test$/), { location: "global" });
  assert.equal(zone.name, "privatelink.cove.test");
  assert.deepEqual(await ok("network", "private-dns", "zone", "list", "--query", "[].name"), ["privatelink.cove.test"]);

  const link = await ok("network", "private-dns", "link", "vnet", "create", "-g", "net-rg", "-z", "privatelink.cove.test", "-n", "hub-link", "-v", "hub", "-e", "false");
  assert.deepEqual(sent("PUT", /virtualNetworkLinks\/hub-link$/), { location: "global", properties: { virtualNetwork: { id: `${NET}/virtualNetworks/hub` }, registrationEnabled: false } });
  assert.equal(link.virtualNetworkLinkState, "Completed");
  assert.equal(link.registrationEnabled, false);

  const fallback = await ok("network", "private-dns", "link", "vnet", "create", "-g", "net-rg", "--zone-name", "privatelink.cove.test", "--name", "aks-link",
    "--virtual-network", `${NET}/virtualNetworks/aks`, "--registration-enabled", "false", "--resolution-policy", "nxdomainredirect");
  const q = fake.requests.filter((x) => x.method === "PUT" && x.url.includes("virtualNetworkLinks/aks-link")).pop()!;
  assert.match(q.url, /api-version=2024-06-01/);
  assert.deepEqual(JSON.parse(q.body).properties, { virtualNetwork: { id: `${NET}/virtualNetworks/aks` }, registrationEnabled: false, resolutionPolicy: "NxDomainRedirect" });
  assert.equal(fallback.resolutionPolicy, "NxDomainRedirect", "printed flattened, as the SDK would");
  assert.equal(fallback.virtualNetwork.id, `${NET}/virtualNetworks/aks`);
  assert.equal(fallback.properties, undefined);
  assert.deepEqual((await ok("network", "private-dns", "link", "vnet", "list", "-g", "net-rg", "-z", "privatelink.cove.test", "--query", "[].name")).sort(), ["aks-link", "hub-link"]);

  const group = await ok("network", "private-endpoint", "dns-zone-group", "create", "-g", "net-rg", "--endpoint-name", "static-pe", "-n", "default",
    "--private-dns-zone", "privatelink.cove.test", "--zone-name", "registry");
  assert.deepEqual(sent("PUT", /privateEndpoints\/static-pe\/privateDnsZoneGroups\/default$/), {
    properties: { privateDnsZoneConfigs: [{ name: "registry", properties: { privateDnsZoneId: `${NET}/privateDnsZones/privatelink.cove.test` } }] },
  });
  assert.equal(group.privateDnsZoneConfigs[0].privateDnsZoneId, `${NET}/privateDnsZones/privatelink.cove.test`);
});

test("record-set a: add-record creates the set (TTL 3600) and appends once; remove-record deletes the set with its last record", async () => {
  const zone = ["-g", "net-rg", "-z", "privatelink.cove.test"];
  let set = await ok("network", "private-dns", "record-set", "a", "add-record", ...zone, "-n", "corpregistry", "-a", "127.16.1.10");
  assert.deepEqual(sent("PUT", /privateDnsZones\/privatelink\.cove\.test\/A\/corpregistry$/), { properties: { ttl: 3600, aRecords: [{ ipv4Address: "127.16.1.10" }] } });
  assert.equal(set.fqdn, "corpregistry.privatelink.cove.test.");
  await ok("network", "private-dns", "record-set", "a", "add-record", ...zone, "--record-set-name", "corpregistry", "--ipv4-address", "127.16.1.12");
  set = await ok("network", "private-dns", "record-set", "a", "add-record", ...zone, "-n", "corpregistry", "-a", "127.16.1.12");
  assert.deepEqual(set.aRecords, [{ ipv4Address: "127.16.1.10" }, { ipv4Address: "127.16.1.12" }]);
  await ok("network", "private-dns", "record-set", "a", "add-record", ...zone, "-n", "corpregistry.westeurope.data", "-a", "127.16.1.11");

  assert.deepEqual((await ok("network", "private-dns", "record-set", "a", "list", ...zone, "--query", "[].name")).sort(), ["corpregistry", "corpregistry.westeurope.data"]);
  const shown = await ok("network", "private-dns", "record-set", "a", "show", ...zone, "-n", "corpregistry", "--query", "aRecords[].ipv4Address");
  assert.deepEqual(shown, ["127.16.1.10", "127.16.1.12"]);

  set = await ok("network", "private-dns", "record-set", "a", "remove-record", ...zone, "-n", "corpregistry", "-a", "127.16.1.12");
  assert.deepEqual(set.aRecords, [{ ipv4Address: "127.16.1.10" }]);
  const last = await cli.run("network", "private-dns", "record-set", "a", "remove-record", ...zone, "-n", "corpregistry", "-a", "127.16.1.10");
  assert.equal(last.code, EXIT_OK, last.stderr);
  assert.equal(last.stdout, "");
  assert.ok(fake.requests.some((x) => x.method === "DELETE" && /\/A\/corpregistry\?/.test(x.url)));
  const gone = await cli.run("network", "private-dns", "record-set", "a", "show", ...zone, "-n", "corpregistry");
  assert.equal(gone.code, EXIT_NOT_FOUND, gone.stderr);
  assert.match(gone.stderr, /\(ResourceNotFound\)/);

  const kept = await ok("network", "private-dns", "record-set", "a", "remove-record", ...zone, "-n", "corpregistry.westeurope.data", "-a", "127.16.1.11", "--keep-empty-record-set");
  assert.deepEqual(kept.aRecords, []);
  assert.equal(fake.get(`${NET}/privateDnsZones/privatelink.cove.test/A/corpregistry.westeurope.data`).properties.aRecords.length, 0);
});

test("acr private-link-resource list, network-rule add/list/remove, acr update --public-network-enabled false --default-action Deny", async () => {
  const plr = await ok("acr", "private-link-resource", "list", "-r", "corpregistry", "-g", "net-rg");
  assert.deepEqual(plr[0].requiredMembers, ["registry", "registry_data_westeurope"]);
  assert.equal(plr[0].groupId, "registry");

  let rules = await ok("acr", "network-rule", "add", "-n", "corpregistry", "--ip-address", "203.0.113.0/24");
  assert.deepEqual(sent("PATCH", /registries\/corpregistry$/), { properties: { networkRuleSet: { defaultAction: "Allow", ipRules: [{ action: "Allow", value: "203.0.113.0/24" }] } } });
  assert.deepEqual(rules, { defaultAction: "Allow", ipRules: [{ action: "Allow", iPAddressOrRange: "203.0.113.0/24" }] });
  rules = await ok("acr", "network-rule", "add", "-n", "corpregistry", "-g", "net-rg", "--ip-address", "198.51.100.7");
  assert.deepEqual(rules.ipRules.map((r: any) => r.iPAddressOrRange), ["203.0.113.0/24", "198.51.100.7"]);
  rules = await ok("acr", "network-rule", "add", "-n", "corpregistry", "--ip-address", "198.51.100.7");
  assert.equal(rules.ipRules.length, 2, "an address already allowed is not added twice");

  const updated = await ok("acr", "update", "-n", "corpregistry", "--public-network-enabled", "false", "--default-action", "Deny");
  assert.deepEqual(sent("PATCH", /registries\/corpregistry$/).properties, {
    publicNetworkAccess: "Disabled",
    networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", value: "203.0.113.0/24" }, { action: "Allow", value: "198.51.100.7" }] },
  });
  assert.equal(updated.publicNetworkAccess, "Disabled");
  assert.equal(updated.networkRuleSet.defaultAction, "Deny");

  rules = await ok("acr", "network-rule", "remove", "-n", "corpregistry", "--ip-address", "203.0.113.0/24");
  assert.deepEqual(rules, { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: "198.51.100.7" }] });
  assert.deepEqual(await ok("acr", "network-rule", "list", "-n", "corpregistry"), rules);

  // The service's refusal (a Basic registry) comes back as exit 1 with the ARM code.
  const basic = await cli.run("acr", "update", "-n", "basicregistry", "--public-network-enabled", "false");
  assert.equal(basic.code, EXIT_ERROR, basic.stderr);
  assert.match(basic.stderr, /^ERROR: \(DisablingPublicNetworkAccessNotSupported\) /);
});

test("deleting an endpoint, a connection and a VNet; a missing endpoint or connection is exit 3", async () => {
  const before = (await ok("acr", "private-endpoint-connection", "list", "-r", "corpregistry", "--query", "[].name")) as string[];
  const jsonConn = (await ok("acr", "private-endpoint-connection", "list", "-r", "corpregistry", "--query", "[?ends_with(privateEndpoint.id, '/json-pe')].name"))[0];
  const r = await cli.run("acr", "private-endpoint-connection", "delete", "-r", "corpregistry", "-n", jsonConn);
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(fake.requests.filter((x) => x.method === "DELETE" && x.url.includes(`privateEndpointConnections/${jsonConn}`)).length, 1);

  assert.equal((await cli.run("network", "private-endpoint", "delete", "-g", "net-rg", "-n", "hub-pe")).code, EXIT_OK);
  const after = (await ok("acr", "private-endpoint-connection", "list", "-r", "corpregistry", "--query", "[].name")) as string[];
  assert.equal(after.length, before.length - 2);

  let missing = await cli.run("network", "private-endpoint", "show", "-g", "net-rg", "-n", "hub-pe");
  assert.equal(missing.code, EXIT_NOT_FOUND, missing.stderr);
  missing = await cli.run("acr", "private-endpoint-connection", "show", "-r", "corpregistry", "-n", "nosuchconnection");
  assert.equal(missing.code, EXIT_NOT_FOUND, missing.stderr);

  assert.equal((await cli.run("network", "vnet", "delete", "-g", "net-rg", "-n", "aks")).code, EXIT_OK);
  assert.equal((await cli.run("network", "vnet", "show", "-g", "net-rg", "-n", "aks")).code, EXIT_NOT_FOUND);
});

test("bad flags exit 2 with a clear message and send nothing", async () => {
  const reg = REGISTRY;
  const pe = ["network", "private-endpoint", "create", "-g", "net-rg", "-n", "bad-pe", "--connection-name", "c", "--private-connection-resource-id", reg];
  const cases: [string[], RegExp][] = [
    [["network", "vnet", "create", "-g", "net-rg"], /^ERROR: required option '-n, --name <name>' not specified$/m],
    [["network", "vnet", "create", "-g", "net-rg", "-n", "v", "--address-prefixes", "10.0.0.0/33"], /argument '10\.0\.0\.0\/33' is invalid\. Expected an address prefix in CIDR notation/],
    [["network", "vnet", "create", "-g", "net-rg", "-n", "v", "--address-prefixes", "10.0.0"], /Expected an address prefix in CIDR notation/],
    [["network", "vnet", "create", "-g", "net-rg", "-n", "v", "--address-prefixes", "10.0.0.1/16"], /has host bits set; did you mean 10\.0\.0\.0\/16\?/],
    [["network", "vnet", "create", "-g", "net-rg", "-n", "v", "--subnet-prefixes", "10.0.0.0/24"], /usage error: --subnet-name NAME/],
    [["network", "vnet", "create", "-g", "net-rg", "-n", "bad name"], /argument 'bad name' is invalid\. Names are 1-80/],
    [["network", "vnet", "create", "-g", "net-rg", "-n", "v", "--bogus"], /^ERROR: unknown option '--bogus'/m],
    [["network", "vnet", "subnet", "create", "-g", "net-rg", "--vnet-name", "hub", "-n", "s"], /required: --address-prefixes/],
    [["network", "vnet", "subnet", "create", "-g", "net-rg", "--vnet-name", "hub", "-n", "s", "--address-prefixes", "10.0.0.0/24", "--private-endpoint-network-policies", "Sometimes"], /Allowed values: Disabled, Enabled/],
    [["network", "vnet", "peering", "create", "-g", "net-rg", "--vnet-name", "hub", "-n", "p", "--remote-vnet", "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/privateDnsZones/z"], /Expected a name or the id of a Microsoft\.Network\/virtualNetworks resource/],
    [[...pe, "--subnet", "pe-subnet"], /usage error: --subnet ID \| --subnet NAME --vnet-name NAME/],
    [[...pe.slice(0, -2), "--subnet", "s", "--vnet-name", "hub", "--private-connection-resource-id", "corpregistry"], /Expected a resource id/],
    [[...pe, "--subnet", "s", "--vnet-name", "hub", "--ip-config", "name=a", "private-ip-address=10.0.0.300"], /Expected an IPv4 address/],
    [[...pe, "--subnet", "s", "--vnet-name", "hub", "--ip-config", "name=a", "colour=blue"], /argument --ip-config: expected KEY=VALUE/],
    [[...pe, "--subnet", "s", "--vnet-name", "hub", "--ip-config", "group-id=registry"], /needs name=<name> and private-ip-address/],
    [[...pe, "--subnet", "s", "--vnet-name", "hub", "--ip-config", "{not json"], /invalid JSON/],
    [[...pe, "--subnet", "s", "--vnet-name", "hub", "--request-message", "x".repeat(141)], /At most 140 characters/],
    [[...pe, "--subnet", "s", "--vnet-name", "hub", "--manual-request", "maybe"], /Allowed values: true, false/],
    [["network", "private-dns", "record-set", "a", "add-record", "-g", "net-rg", "-z", "privatelink.cove.test", "-n", "r", "-a", "256.1.1.1"], /Expected an IPv4 address/],
    [["network", "private-dns", "record-set", "a", "add-record", "-g", "net-rg", "-z", "privatelink.cove.test", "-n", "r"], /required option '-a, --ipv4-address <ip>' not specified/],
    [["network", "private-dns", "record-set", "a", "add-record", "-g", "net-rg", "-z", "bad zone", "-n", "r", "-a", "10.0.0.1"], /Expected a DNS name/],
    [["network", "private-dns", "link", "vnet", "create", "-g", "net-rg", "-z", "privatelink.cove.test", "-n", "l", "-v", "hub"], /required option '-e, --registration-enabled <bool>' not specified/],
    [["network", "private-dns", "link", "vnet", "create", "-g", "net-rg", "-z", "privatelink.cove.test", "-n", "l", "-v", "hub", "-e", "false", "--resolution-policy", "Fallback"], /Allowed values: Default, NxDomainRedirect/],
    [["acr", "network-rule", "add", "-n", "corpregistry", "--ip-address", "2001:db8::1"], /Expected an IPv4 address or CIDR range/],
    [["acr", "network-rule", "add", "-n", "corpregistry", "--ip-address", "10.0.0.0/40"], /Expected an IPv4 address or CIDR range/],
    [["acr", "network-rule", "add", "-n", "corpregistry"], /required option '--ip-address <ip-or-cidr>' not specified/],
    [["acr", "private-endpoint-connection", "approve", "-r", "corpregistry"], /required option '-n, --name <name>' not specified/],
    [["acr", "private-endpoint-connection", "list", "-r", "x"], /alpha numeric characters and must be between 5 and 50/],
  ];
  for (const [argv, message] of cases) {
    const count = fake.requests.length;
    const r = await cli.run(...argv);
    assert.equal(r.code, EXIT_USAGE, `${argv.join(" ").slice(0, 120)}: ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(" ").slice(0, 120));
    assert.equal(r.stdout, "");
    assert.equal(fake.requests.length, count, `${argv.join(" ").slice(0, 120)} sent a request`);
  }
});
