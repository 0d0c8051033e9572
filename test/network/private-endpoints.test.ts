// Private endpoints to a registry through @azure/arm-network and @azure/arm-containerregistry
// against a running Cove, as two teams would use them: what each side reads (states, IPs, fqdns,
// NIC ipConfigurations, the registry's connections and data endpoint), the approval workflow with
// its permissions and audit trail, static addresses, and the errors for each kind of bad request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { assignRole, clients, createRegistry, createServicePrincipal, type ServicePrincipal } from "../support/arm.js";
import { CONTRIBUTOR, NETWORK_CONTRIBUTOR, OWNER, armFails, auditEvents, collect, network, raw, registries } from "./network-support.js";

let cove: TestCove;
let reg: { id: string; loginServer: string };
let std: { id: string; loginServer: string };
let netTeam: ServicePrincipal;
let regOwner: ServicePrincipal;
let regContributor: ServicePrincipal;
let subnetId: string;
const RG = "pe-rg";

before(async () => {
  cove = await startCove();
  const { resources } = clients(cove);
  await resources.resourceGroups.createOrUpdate(RG, { location: "westeurope" });
  reg = await createRegistry(cove, "acr-rg", "peacr01", "Premium");
  std = await createRegistry(cove, "acr-rg", "stdacr01", "Standard");
  [netTeam, regOwner, regContributor] = await Promise.all(["net-team", "reg-owner", "reg-contributor"].map((n) => createServicePrincipal(cove, n)));
  await assignRole(cove, `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/${RG}`, netTeam.objectId, NETWORK_CONTRIBUTOR);
  await assignRole(cove, reg.id, regOwner.objectId, OWNER);
  await assignRole(cove, reg.id, regContributor.objectId, CONTRIBUTOR);
  const v = await network(cove).virtualNetworks.beginCreateOrUpdateAndWait(RG, "pe-vnet", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.50.0.0/16"] },
    subnets: [
      { name: "pe", addressPrefix: "127.50.1.0/24", privateEndpointNetworkPolicies: "Disabled" },
      { name: "tiny", addressPrefix: "127.50.2.0/29" },
      { name: "busy", addressPrefix: "127.50.3.0/24" },
      { name: "static", addressPrefix: "127.50.4.0/24" },
    ],
  });
  subnetId = `${v.id}/subnets/pe`;
});
after(async () => { await cove?.stop(); });

const host = () => `peacr01.${cove.suffix}`;
const dataHost = () => `peacr01.westeurope.data.${cove.suffix}`;
const auto = (name: string, subnet: string, target = reg.id) => ({
  location: "westeurope", subnet: { id: subnet },
  privateLinkServiceConnections: [{ name: `${name}-conn`, privateLinkServiceId: target, groupIds: ["registry"] }],
});
const manual = (name: string, subnet: string, message = "please approve") => ({
  location: "westeurope", subnet: { id: subnet },
  manualPrivateLinkServiceConnections: [{ name: `${name}-conn`, privateLinkServiceId: reg.id, groupIds: ["registry"], requestMessage: message }],
});

test("an automatic endpoint: Approved on both sides, two IPs with fqdns on its NIC, the registry's data endpoint on; delete undoes it all", async () => {
  const net = network(cove);
  const acr = registries(cove);
  const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-auto", auto("pe-auto", subnetId));
  assert.equal(pe.provisioningState, "Succeeded");
  const state = pe.privateLinkServiceConnections![0]!.privateLinkServiceConnectionState!;
  assert.deepEqual({ ...state }, { status: "Approved", description: "Auto-Approved", actionsRequired: "None" });
  assert.deepEqual(pe.manualPrivateLinkServiceConnections, []);
  assert.deepEqual(pe.customDnsConfigs!.map((d) => [d.fqdn, d.ipAddresses]), [[host(), ["127.50.1.4"]], [dataHost(), ["127.50.1.5"]]]);

  const nicName = pe.networkInterfaces![0]!.id!.split("/").pop()!;
  assert.match(nicName, /^pe-auto\.nic\.[0-9a-f-]{36}$/);
  const nic = await net.networkInterfaces.get(RG, nicName);
  assert.deepEqual(nic.ipConfigurations!.map((c) => ({
    ip: c.privateIPAddress, method: c.privateIPAllocationMethod, subnet: c.subnet!.id, ...c.privateLinkConnectionProperties,
  })), [
    { ip: "127.50.1.4", method: "Dynamic", subnet: subnetId, groupId: "registry", requiredMemberName: "registry", fqdns: [host()] },
    { ip: "127.50.1.5", method: "Dynamic", subnet: subnetId, groupId: "registry", requiredMemberName: "registry_data_westeurope", fqdns: [dataHost()] },
  ]);
  assert.ok((await collect(net.networkInterfaces.list(RG))).some((n) => n.name === nicName));

  const conns = await collect(acr.privateEndpointConnections.list("acr-rg", "peacr01"));
  assert.equal(conns.length, 1);
  assert.match(conns[0]!.name!, /^peacr01\.[0-9a-f-]{36}$/);
  assert.equal(conns[0]!.privateEndpoint!.id, pe.id);
  assert.equal(conns[0]!.privateLinkServiceConnectionState!.status, "Approved");
  const got = await acr.privateEndpointConnections.get("acr-rg", "peacr01", conns[0]!.name!);
  assert.equal(got.id, `${reg.id}/privateEndpointConnections/${conns[0]!.name}`);
  const r: any = await acr.registries.get("acr-rg", "peacr01");
  assert.equal(r.dataEndpointEnabled, true);
  assert.deepEqual(r.dataEndpointHostNames, [dataHost()]);
  assert.deepEqual(r.privateEndpointConnections.map((c: any) => c.privateLinkServiceConnectionState.status), ["Approved"]);
  assert.deepEqual((await net.subnets.get(RG, "pe-vnet", "pe")).privateEndpoints!.map((x) => x.id), [pe.id]);

  // A read-modify-write may change the tags; anything else about an endpoint is fixed.
  const tagged = await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-auto", { ...(await net.privateEndpoints.get(RG, "pe-auto")), tags: { owner: "net" } });
  assert.deepEqual(tagged.tags, { owner: "net" });
  assert.deepEqual(tagged.customDnsConfigs, pe.customDnsConfigs);
  await assert.rejects(
    net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-auto", { ...tagged, subnet: { id: subnetId.replace(/\/pe$/, "/busy") } }),
    armFails(400, "InvalidParameter"),
  );

  // While the endpoint exists: the subnet cannot go, the registry cannot leave Premium nor drop its data endpoint.
  await assert.rejects(net.subnets.beginDeleteAndWait(RG, "pe-vnet", "pe"), armFails(400, "InUseSubnetCannotBeDeleted"));
  await assert.rejects(acr.registries.update("acr-rg", "peacr01", { sku: { name: "Standard" } } as any), armFails(400, "FeatureNotSupportedForSku", /privateEndpointConnections/));
  await assert.rejects(acr.registries.update("acr-rg", "peacr01", { dataEndpointEnabled: false } as any), armFails(400, "InvalidParameter"));

  await net.privateEndpoints.beginDeleteAndWait(RG, "pe-auto");
  await assert.rejects(net.privateEndpoints.get(RG, "pe-auto"), armFails(404, "ResourceNotFound"));
  await assert.rejects(net.networkInterfaces.get(RG, nicName), armFails(404, "ResourceNotFound"));
  assert.deepEqual(await collect(acr.privateEndpointConnections.list("acr-rg", "peacr01")), []);
  assert.deepEqual(((await acr.registries.get("acr-rg", "peacr01")) as any).privateEndpointConnections, []);
  assert.deepEqual((await net.subnets.get(RG, "pe-vnet", "pe")).privateEndpoints, []);
  const events = (await auditEvents(cove)).filter((e) => e.kind === "private-endpoint-connection" && e.resourceId === got.id);
  assert.deepEqual(events.map((e) => [e.action, e.from, e.to]), [["create", null, "Approved"], ["disconnect", "Approved", "Disconnected"]]);
  const write = (await auditEvents(cove)).find((e) => e.kind === "control-plane" && e.action === "Microsoft.Network/privateEndpoints/write" && e.resourceId.endsWith("/pe-auto"));
  assert.equal(write.before, null);
  assert.match(write.after, /^sha256:[0-9a-f]{64}$/);
});

test("manual approval: the network team requests (Pending), may not approve, the registry side approves then rejects; each step audited", async () => {
  const net = network(cove, netTeam.appId, netTeam.password);
  // An automatic connection needs the approval permission on the registry: the network team lacks it.
  await assert.rejects(
    net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-denied", auto("pe-denied", subnetId)),
    armFails(403, "LinkedAuthorizationFailed", /privateEndpointConnectionsApproval\/action' on the linked scope\(s\) '.*peacr01'/),
  );
  await assert.rejects(net.privateEndpoints.get(RG, "pe-denied"), (e: any) => e.statusCode === 404, "nothing written");

  const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-manual", manual("pe-manual", subnetId, "build agents need it"));
  const pending = pe.manualPrivateLinkServiceConnections![0]!;
  assert.equal(pending.requestMessage, "build agents need it");
  assert.deepEqual({ ...pending.privateLinkServiceConnectionState }, { status: "Pending", description: "build agents need it", actionsRequired: "None" });
  assert.deepEqual(pe.privateLinkServiceConnections, []);

  const owner = registries(cove, regOwner.appId, regOwner.password);
  const [conn] = await collect(owner.privateEndpointConnections.list("acr-rg", "peacr01"));
  assert.equal(conn!.privateLinkServiceConnectionState!.status, "Pending");
  const asNet = registries(cove, netTeam.appId, netTeam.password);
  await assert.rejects(
    asNet.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "peacr01", conn!.name!, { privateLinkServiceConnectionState: { status: "Approved" } } as any),
    armFails(403, "AuthorizationFailed", /privateEndpointConnectionsApproval\/action/),
  );

  const contributor = registries(cove, regContributor.appId, regContributor.password);
  const approved = await contributor.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "peacr01", conn!.name!, {
    privateLinkServiceConnectionState: { status: "Approved", description: "ok for build" },
  } as any);
  assert.equal(approved.privateLinkServiceConnectionState!.status, "Approved");
  let mirrored = (await net.privateEndpoints.get(RG, "pe-manual")).manualPrivateLinkServiceConnections![0]!.privateLinkServiceConnectionState!;
  assert.deepEqual([mirrored.status, mirrored.description], ["Approved", "ok for build"]);

  // Approving again changes nothing (idempotent); Pending is never a target.
  await owner.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "peacr01", conn!.name!, { privateLinkServiceConnectionState: { status: "Approved" } } as any);
  await assert.rejects(
    owner.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "peacr01", conn!.name!, { privateLinkServiceConnectionState: { status: "Pending" } } as any),
    armFails(400, "PrivateEndpointConnectionStateTransitionNotAllowed", /from 'Approved' to 'Pending'/),
  );
  await owner.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "peacr01", conn!.name!, { privateLinkServiceConnectionState: { status: "Rejected", description: "no longer needed" } } as any);
  mirrored = (await net.privateEndpoints.get(RG, "pe-manual")).manualPrivateLinkServiceConnections![0]!.privateLinkServiceConnectionState!;
  assert.equal(mirrored.status, "Rejected");
  await assert.rejects(
    owner.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "peacr01", conn!.name!, { privateLinkServiceConnectionState: { status: "Approved" } } as any),
    armFails(400, "PrivateEndpointConnectionStateTransitionNotAllowed", /final/),
  );
  await assert.rejects(owner.privateEndpointConnections.get("acr-rg", "peacr01", "peacr01.nope"), armFails(404, "ResourceNotFound"));

  const trail = (await auditEvents(cove)).filter((e) => e.kind === "private-endpoint-connection" && e.resourceId === conn!.id);
  assert.deepEqual(trail.map((e) => [e.action, e.from, e.to, e.description]), [
    ["create", null, "Pending", "build agents need it"],
    ["approve", "Pending", "Approved", "ok for build"],
    ["reject", "Approved", "Rejected", "no longer needed"],
  ]);
  assert.equal(trail[0].actor, netTeam.objectId);
  assert.equal(trail[1].actor, regContributor.objectId);
  assert.equal(trail[2].actor, regOwner.objectId);
  assert.ok(trail.every((e) => typeof e.requestId === "string" && !Number.isNaN(Date.parse(e.time))));

  // The registry owner deletes the connection: the endpoint stays and shows Disconnected.
  await owner.privateEndpointConnections.beginDeleteAndWait("acr-rg", "peacr01", conn!.name!);
  assert.equal((await net.privateEndpoints.get(RG, "pe-manual")).manualPrivateLinkServiceConnections![0]!.privateLinkServiceConnectionState!.status, "Disconnected");
  assert.deepEqual(await collect(owner.privateEndpointConnections.list("acr-rg", "peacr01")), []);
  await net.privateEndpoints.beginDeleteAndWait(RG, "pe-manual");
});

test("static addresses must name both members and be free, unreserved and in the subnet", async () => {
  const net = network(cove);
  const sid = subnetId.replace(/\/pe$/, "/static");
  const cfg = (registry: string, data: string, members = ["registry", "registry_data_westeurope"]) => ({
    ...auto("pe-static", sid),
    ipConfigurations: [
      { name: "c1", groupId: "registry", memberName: members[0], privateIPAddress: registry },
      ...(members[1] ? [{ name: "c2", groupId: "registry", memberName: members[1], privateIPAddress: data }] : []),
    ],
  });
  await assert.rejects(
    net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-static", cfg("127.50.4.10", "", ["default"])),
    armFails(400, "PrivateEndpointIpConfigurationMissingMemberNamesRequiredByFps",
      /static ipconfigurations: \[PrivateIPAddress: 127\.50\.4\.10, GroupId: registry, MemberName: default\] and its missing these membernames\/groupids requested by Private Link service \[GroupId: registry, MemberName: registry; GroupId: registry, MemberName: registry_data_westeurope\]/),
  );
  await assert.rejects(net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-static", cfg("127.50.5.10", "127.50.4.11")), armFails(400, "PrivateIPAddressNotInSubnet"));
  await assert.rejects(net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-static", cfg("127.50.4.3", "127.50.4.11")), armFails(400, "PrivateIPAddressIsReserved"));
  await assert.rejects(net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-static", cfg("127.50.4.255", "127.50.4.11")), armFails(400, "PrivateIPAddressIsReserved"));
  await assert.rejects(net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-static", cfg("127.50.4.11", "127.50.4.11")), armFails(400, "PrivateIPAddressInUse"));
  const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-static", cfg("127.50.4.10", "127.50.4.11"));
  const nic = await net.networkInterfaces.get(RG, pe.networkInterfaces![0]!.id!.split("/").pop()!);
  assert.deepEqual(nic.ipConfigurations!.map((c) => [c.name, c.privateIPAddress, c.privateIPAllocationMethod, c.privateLinkConnectionProperties!.requiredMemberName]), [
    ["c1", "127.50.4.10", "Static", "registry"], ["c2", "127.50.4.11", "Static", "registry_data_westeurope"],
  ]);
  // Taken by the first endpoint; a dynamic one skips them.
  await assert.rejects(
    net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-static2", { ...cfg("127.50.4.11", "127.50.4.12"), privateLinkServiceConnections: [{ name: "x", privateLinkServiceId: reg.id, groupIds: ["registry"] }] }),
    armFails(400, "PrivateIPAddressInUse", /already allocated to resource .*pe-static\.nic/),
  );
  await net.privateEndpoints.beginDeleteAndWait(RG, "pe-static");
});

test("bad requests: wrong SKU, unknown subnet or registry, wrong group, full subnet, unsupported api-version, malformed body", async () => {
  const net = network(cove);
  await assert.rejects(net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-bad", auto("pe-bad", subnetId, std.id)), armFails(400, "FeatureNotSupportedForSku", /Standard/));
  await assert.rejects(net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-bad", auto("pe-bad", subnetId + "x")), armFails(400, "InvalidResourceReference", /subnets\/pex referenced by/));
  await assert.rejects(net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-bad", auto("pe-bad", subnetId, reg.id + "x")), armFails(400, "InvalidResourceReference", /peacr01x/));
  await assert.rejects(
    net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-bad", { ...auto("pe-bad", subnetId), privateLinkServiceConnections: [{ name: "c", privateLinkServiceId: reg.id, groupIds: ["blob"] }] }),
    armFails(400, "InvalidParameter", /groupIds/),
  );
  const tiny = subnetId.replace(/\/pe$/, "/tiny");
  await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-tiny1", auto("pe-tiny1", tiny));
  await assert.rejects(net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-tiny2", auto("pe-tiny2", tiny)), armFails(400, "SubnetIsFull", /127\.50\.2\.0\/29/));
  await net.privateEndpoints.beginDeleteAndWait(RG, "pe-tiny1");
  const again = await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-tiny2", auto("pe-tiny2", tiny));
  assert.deepEqual(again.customDnsConfigs!.map((d) => d.ipAddresses![0]), ["127.50.2.4", "127.50.2.5"], "addresses were released");
  await net.privateEndpoints.beginDeleteAndWait(RG, "pe-tiny2");
  assert.equal((await collect(net.privateEndpoints.list(RG))).length, 0);

  const sub = cove.credentials.subscriptionId;
  const pec = `/subscriptions/${sub}/resourceGroups/acr-rg/providers/Microsoft.ContainerRegistry/registries/peacr01/privateEndpointConnections`;
  const v = await raw(cove, "GET", `${pec}?api-version=2016-06-27-preview`);
  assert.equal(v.json.error.code, "NoRegisteredProviderFound");
  const peUrl = `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.Network/privateEndpoints/pe-raw?api-version=2025-05-01`;
  for (const [body, code] of [
    [{ location: "westeurope" }, "InvalidRequestContent"],
    [{ location: "westeurope", properties: { subnet: { id: subnetId }, privateLinkServiceConnections: [] } }, "InvalidParameter"],
    [{ location: "westeurope", properties: { subnet: { id: subnetId }, bogus: 1, privateLinkServiceConnections: [] } }, "InvalidRequestContent"],
  ] as [unknown, string][]) {
    const r = await raw(cove, "PUT", peUrl, body);
    assert.equal(r.json.error.code, code, JSON.stringify(body));
  }
  const badState = await raw(cove, "PUT", `${pec}/peacr01.x?api-version=2025-11-01`, { properties: { privateLinkServiceConnectionState: { status: "Maybe" } } });
  assert.equal(badState.json.error.code, "InvalidRequestContent");
});

test("eight endpoints created at once in one subnet get sixteen distinct, unreserved addresses; deleting frees them", async () => {
  const net = network(cove);
  const busy = subnetId.replace(/\/pe$/, "/busy");
  const names = Array.from({ length: 8 }, (_, i) => `pe-c${i}`);
  const pes = await Promise.all(names.map((n) => net.privateEndpoints.beginCreateOrUpdateAndWait(RG, n, auto(n, busy))));
  const ips = pes.flatMap((p) => p.customDnsConfigs!.map((d) => d.ipAddresses![0]!));
  assert.equal(ips.length, 16);
  assert.equal(new Set(ips).size, 16, `duplicates in ${ips.join(",")}`);
  const last = ips.map((ip) => Number(ip.split(".")[3])).sort((a, b) => a - b);
  assert.deepEqual(last, Array.from({ length: 16 }, (_, i) => i + 4), "the lowest free addresses, none reserved");
  assert.equal((await net.subnets.get(RG, "pe-vnet", "busy")).ipConfigurations!.length, 16);
  assert.equal((await collect(registries(cove).privateEndpointConnections.list("acr-rg", "peacr01"))).length, 8);
  await Promise.all(names.map((n) => net.privateEndpoints.beginDeleteAndWait(RG, n)));
  assert.equal((await net.subnets.get(RG, "pe-vnet", "busy")).ipConfigurations!.length, 0);
  assert.equal((await collect(registries(cove).privateEndpointConnections.list("acr-rg", "peacr01"))).length, 0);
});

test("private link resources, and a deleted registry leaves its endpoints Disconnected", async () => {
  const acr = registries(cove);
  const list = await collect(acr.registries.listPrivateLinkResources("acr-rg", "peacr01"));
  assert.deepEqual(list.map((r) => ({ id: r.id, name: r.name, type: r.type, ...r.properties })), [{
    id: `${reg.id}/privateLinkResources/registry`, name: "registry", type: "Microsoft.ContainerRegistry/registries/privateLinkResources",
    groupId: "registry", requiredMembers: ["registry", "registry_data_westeurope"], requiredZoneNames: [`privatelink.${cove.suffix}`],
  }]);
  assert.equal((await acr.registries.getPrivateLinkResource("acr-rg", "peacr01", "registry")).properties?.groupId, "registry");
  await assert.rejects(acr.registries.getPrivateLinkResource("acr-rg", "peacr01", "blob"), armFails(404, "ResourceNotFound"));

  const gone = await createRegistry(cove, "acr-rg", "goneacr01", "Premium");
  const net = network(cove);
  await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "pe-gone", auto("pe-gone", subnetId, gone.id));
  await acr.registries.delete("acr-rg", "goneacr01");
  const state = (await net.privateEndpoints.get(RG, "pe-gone")).privateLinkServiceConnections![0]!.privateLinkServiceConnectionState!;
  assert.deepEqual([state.status, state.actionsRequired], ["Disconnected", "Recreate"]);
  await net.privateEndpoints.beginDeleteAndWait(RG, "pe-gone");
  assert.deepEqual((await net.subnets.get(RG, "pe-vnet", "pe")).privateEndpoints, []);
});
