// Private DNS through the official clients against a running Cove: @azure/arm-privatedns for zones,
// record sets and links; @azure/arm-network for VNets, private endpoints and zone groups;
// @azure/arm-authorization for a custom role. Includes the overwrite trap with two real endpoints
// for one registry. Runs twice: with the current majors, and with the versions users had when
// reference/azure-sdk-clients.md measured them (installed under npm aliases), since both are in use.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient as PrivateDnsManagementClient3 } from "@azure/arm-privatedns-3";
import { NetworkManagementClient as NetworkManagementClient36 } from "@azure/arm-network-36";
import { startCove, type TestCove } from "../support/cove.js";
import { clients, createRegistry } from "../support/arm.js";

type Clients = { dns: PrivateDnsManagementClient; net: NetworkManagementClient; zoneGroups: (rg: string, pe: string) => AsyncIterable<{ name?: string }> };

// What differs between the two generations is said here, not in the tests.
const SDKS: { label: string; make: (cred: any, sub: string, options: any) => Clients }[] = [
  {
    label: "@azure/arm-network 39, @azure/arm-privatedns 4",
    make: (cred, sub, o) => {
      const net = new NetworkManagementClient(cred, sub, o);
      return { dns: new PrivateDnsManagementClient(cred, sub, o), net, zoneGroups: (rg, pe) => net.privateDnsZoneGroups.list(rg, pe) };
    },
  },
  {
    label: "@azure/arm-network 36, @azure/arm-privatedns 3.2",
    make: (cred, sub, o) => {
      const net = new NetworkManagementClient36(cred, sub, o);
      // 36 takes the endpoint name first here; 37+ take the group first.
      return { dns: new PrivateDnsManagementClient3(cred, sub, o) as unknown as PrivateDnsManagementClient, net: net as unknown as NetworkManagementClient, zoneGroups: (rg, pe) => net.privateDnsZoneGroups.list(pe, rg) };
    },
  },
];

let cove: TestCove;
let dns: PrivateDnsManagementClient;
let net: NetworkManagementClient;
let zoneGroups: Clients["zoneGroups"];
let regId: string;
const Z = "privatelink.cove.test";

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejects(p: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.statusCode, status, `${e.statusCode} ${e.code} ${e.message}`);
    assert.equal(e.code, code);
    return true;
  });
}

async function vnet(rg: string, name: string, prefix: string): Promise<string> {
  const v = await net.virtualNetworks.beginCreateOrUpdateAndWait(rg, name, { location: "westeurope", addressSpace: { addressPrefixes: [prefix] } });
  await net.subnets.beginCreateOrUpdateAndWait(rg, name, "pe", { addressPrefix: prefix.replace(/\/16$/, "/24"), privateEndpointNetworkPolicies: "Disabled" });
  return v.id!;
}

async function endpoint(rg: string, name: string, vnetName: string) {
  const sub = `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnetName}/subnets/pe`;
  return net.privateEndpoints.beginCreateOrUpdateAndWait(rg, name, {
    location: "westeurope", subnet: { id: sub },
    privateLinkServiceConnections: [{ name: `${name}-conn`, privateLinkServiceId: regId, groupIds: ["registry"] }],
  });
}

async function records(): Promise<Record<string, string[]>> {
  const list = await all(dns.recordSets.listByType("dns", Z, "A"));
  return Object.fromEntries(list.map((r) => [r.name!, (r.aRecords ?? []).map((a) => a.ipv4Address!)]));
}

for (const sdk of SDKS) describe(sdk.label, () => {
  before(async () => {
    cove = await startCove();
    const common = { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;
    const { cred, resources } = clients(cove);
    ({ dns, net, zoneGroups } = sdk.make(cred, cove.credentials.subscriptionId, common));
    for (const g of ["dns", "hub", "spoke"]) await resources.resourceGroups.createOrUpdate(g, { location: "westeurope" });
    regId = (await createRegistry(cove, "reg", "myreg")).id;
  });
  after(async () => cove?.stop());

  test("zones: create, get, list by group and subscription, update tags", async () => {
    const z = await dns.privateZones.beginCreateOrUpdateAndWait("dns", Z, { location: "global" });
    assert.equal(z.name, Z);
    assert.equal(z.location, "global");
    assert.equal(z.numberOfRecordSets, 1);
    assert.equal(z.provisioningState, "Succeeded");
    assert.equal((await dns.privateZones.get("dns", Z)).maxNumberOfVirtualNetworkLinks, 1000);
    assert.deepEqual((await all(dns.privateZones.listByResourceGroup("dns"))).map((x) => x.name), [Z]);
    assert.deepEqual((await all(dns.privateZones.list())).map((x) => x.name), [Z]);
    const u = await dns.privateZones.beginUpdateAndWait("dns", Z, { tags: { team: "network" } });
    assert.deepEqual(u.tags, { team: "network" });
    await rejects(dns.privateZones.beginCreateOrUpdateAndWait("dns", "nolabels", { location: "global" }), 400, "BadRequest");
    await rejects(dns.privateZones.get("dns", "absent.test"), 404, "ResourceNotFound");
  });

  test("A record sets: createOrUpdate, get, update, listByType, list (ALL with SOA), If-None-Match, delete", async () => {
    const r = await dns.recordSets.createOrUpdate("dns", Z, "A", "manual", { ttl: 300, aRecords: [{ ipv4Address: "10.9.0.4" }], metadata: { owner: "me" } });
    assert.equal(r.fqdn, `manual.${Z}.`);
    assert.equal(r.ttl, 300);
    assert.equal(r.isAutoRegistered, false);
    await rejects(dns.recordSets.createOrUpdate("dns", Z, "A", "manual", { ttl: 1 }, { ifNoneMatch: "*" }), 412, "PreconditionFailed");
    await rejects(dns.recordSets.createOrUpdate("dns", Z, "A", "manual", { ttl: 1 }, { ifMatch: "stale" }), 412, "PreconditionFailed");
    const u = await dns.recordSets.update("dns", Z, "A", "manual", { ttl: 60 }, { ifMatch: r.etag });
    assert.equal(u.ttl, 60);
    assert.deepEqual(u.aRecords, [{ ipv4Address: "10.9.0.4" }]);
    assert.equal((await dns.recordSets.get("dns", Z, "A", "manual")).ttl, 60);
    assert.deepEqual((await all(dns.recordSets.listByType("dns", Z, "A"))).map((x) => x.name), ["manual"]);
    const everything = await all(dns.recordSets.list("dns", Z));
    assert.deepEqual(everything.map((x) => `${x.type} ${x.name}`), ["Microsoft.Network/privateDnsZones/SOA @", "Microsoft.Network/privateDnsZones/A manual"]);
    assert.equal(everything[0]!.soaRecord?.host, "azureprivatedns.net");
    await rejects(dns.recordSets.createOrUpdate("dns", Z, "A", "bad", { aRecords: [{ ipv4Address: "300.1.1.1" }] }), 400, "BadRequest");
    await rejects(dns.recordSets.createOrUpdate("dns", "absent.test", "A", "x", { ttl: 1 }), 404, "ParentResourceNotFound");
    await dns.recordSets.delete("dns", Z, "A", "manual");
    await rejects(dns.recordSets.get("dns", Z, "A", "manual"), 404, "ResourceNotFound");
  });

  test("virtual network links to real VNets: create, list, duplicate refused, unknown VNet refused", async () => {
    const hub = await vnet("hub", "hub", "127.16.0.0/16");
    const spoke = await vnet("spoke", "aks", "127.17.0.0/16");
    const l = await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("dns", Z, "hub", { location: "global", virtualNetwork: { id: hub }, registrationEnabled: false });
    assert.equal(l.virtualNetworkLinkState, "Completed");
    assert.equal(l.provisioningState, "Succeeded");
    assert.equal(l.virtualNetwork?.id, hub);
    // arm-privatedns 3.2 (api 2020-06-01) has no resolutionPolicy in its model: it neither sends nor
    // surfaces it; 4 (2024-06-01) does (the in-process tests cover the property on the wire).
    await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("dns", Z, "aks", { location: "global", virtualNetwork: { id: spoke }, registrationEnabled: true });
    const links = await all(dns.virtualNetworkLinks.list("dns", Z));
    assert.deepEqual(links.map((x) => x.name).sort(), ["aks", "hub"]);
    assert.equal((await dns.virtualNetworkLinks.get("dns", Z, "aks")).registrationEnabled, true);
    await rejects(dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("dns", Z, "hub2", { location: "global", virtualNetwork: { id: hub } }), 409, "Conflict");
    await rejects(dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("dns", Z, "ghost", { location: "global", virtualNetwork: { id: hub.replace(/hub$/, "ghost") } }), 404, "ResourceNotFound");
    assert.equal((await dns.privateZones.get("dns", Z)).numberOfVirtualNetworkLinks, 2);
    await rejects(dns.privateZones.beginDeleteAndWait("dns", Z), 409, "CannotDeleteResource");
  });

  test("zone groups on real endpoints write both records; the second endpoint overwrites; deleting it leaves none", async () => {
    const zoneId = (await dns.privateZones.get("dns", Z)).id!;
    const pe1 = await endpoint("hub", "pe-hub", "hub");
    const g1 = await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("hub", "pe-hub", "default", { privateDnsZoneConfigs: [{ name: "cove", privateDnsZoneId: zoneId }] });
    const nic1 = await net.networkInterfaces.get("hub", pe1.networkInterfaces![0]!.id!.split("/").pop()!);
    const ip1 = Object.fromEntries(nic1.ipConfigurations!.map((c) => [c.privateLinkConnectionProperties!.requiredMemberName!, c.privateIPAddress!]));
    assert.deepEqual(await records(), { "myreg": [ip1.registry!], "myreg.westeurope.data": [ip1.registry_data_westeurope!] });
    assert.deepEqual(g1.privateDnsZoneConfigs![0]!.recordSets!.map((r) => r.recordSetName), ["myreg", "myreg.westeurope.data"]);
    assert.deepEqual((await all(zoneGroups("hub", "pe-hub"))).map((g) => g.name), ["default"]);
    assert.equal((await net.privateDnsZoneGroups.get("hub", "pe-hub", "default")).privateDnsZoneConfigs![0]!.privateDnsZoneId, zoneId);
    await rejects(net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("hub", "pe-hub", "bad", { privateDnsZoneConfigs: [{ name: "x", privateDnsZoneId: zoneId.replace(Z, "privatelink.nope.test") }] }), 400, "InvalidPrivateDnsZoneIds");

    await endpoint("spoke", "pe-aks", "aks");
    await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("spoke", "pe-aks", "default", { privateDnsZoneConfigs: [{ name: "cove", privateDnsZoneId: zoneId }] });
    const second = await records();
    assert.ok(second.myreg![0]!.startsWith("127.17."), `the record holds the second endpoint's IP: ${JSON.stringify(second)}`);
    await net.privateEndpoints.beginDeleteAndWait("spoke", "pe-aks");
    assert.deepEqual(await records(), {}, "the first endpoint is left without records, as in Azure");
    await rejects(net.privateDnsZoneGroups.get("spoke", "pe-aks", "default"), 404, "ResourceNotFound");
  });

  test("a custom role is created and deleted through @azure/arm-authorization", async () => {
    const { authz } = clients(cove);
    const scope = `/subscriptions/${cove.credentials.subscriptionId}`;
    const guid = randomUUID();
    const created = await authz.roleDefinitions.createOrUpdate(scope, guid, {
      roleName: "PE approver", roleType: "CustomRole", description: "approve only",
      permissions: [{ actions: ["Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action"], notActions: [], dataActions: [], notDataActions: [] }],
      assignableScopes: [scope],
    } as any);
    assert.equal(created.name, guid);
    assert.equal(created.roleName, "PE approver");
    assert.equal((await authz.roleDefinitions.get(scope, guid)).roleType, "CustomRole");
    await authz.roleDefinitions.delete(scope, guid);
    await rejects(authz.roleDefinitions.get(scope, guid), 404, "RoleDefinitionDoesNotExist");
  });
});
