// Microsoft.Network/privateEndpoints targeting a container registry (group `registry`): PUT, GET,
// DELETE, list (resource group, subscription). DESIGN.md section 4 and acr-networking.md 2.1.
//
// A PUT that creates an endpoint, in one serialised write (arm/front-door.ts runs audited writes in
// MetadataStore.exclusive, one at a time across every node on the store, which is what keeps
// address allocation exact under concurrency):
//   1. checks: the subnet exists (InvalidResourceReference) and the caller may join it
//      (LinkedAuthorizationFailed), same region as the VNet, the registry exists and is Premium,
//      fewer than 200 connections on it; an automatic connection needs the approval permission on
//      the registry (else LinkedAuthorizationFailed), a manual one needs nothing there;
//   2. two addresses, one per required member (`registry`, `registry_data_<location>`): the lowest
//      free ones of the subnet (Azure reserves the first four and the last), or the static
//      `ipConfigurations`, which must name both members and be free, unreserved and in the subnet;
//   3. writes the NIC, the connection on the registry (Approved or Pending), the endpoint, then the
//      subnet's and VNet's read-only usage lists, and lets the zone groups catch up.
// A PUT on an existing endpoint may change tags only (Cove; Azure also refuses most changes).
// DELETE removes zone groups, the connection (audited as a disconnect), the NIC, the endpoint, and
// so frees the addresses.

import { randomUUID } from "node:crypto";
import type { ResourceRecord } from "../../storage/types.js";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { initialStatus } from "../../domain/connection-state.js";
import { allocate, cidrContainsAddress, formatIPv4, isReserved, parseIPv4, type Cidr } from "../../domain/network.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getResourceGroup } from "../arm/scopes.js";
import type { Json } from "../arm/strict-json.js";
import { SUBNET_JOIN, refreshSubnet, subnetCidrs, subnetUsage } from "./subnets.js";
import { nicDocument, type NicMember } from "./network-interfaces.js";
import { MAX_CONNECTIONS_PER_REGISTRY, PEC_APPROVAL, changeState, connectionStateOf, connectionsForEndpoint, connectionsOf, createConnection, type ConnectionState } from "../containerregistry/private-endpoint-connections.js";
import { parseEndpointBody, type EndpointInput, type StaticIpConfig } from "./private-endpoint-body.js";
import { removeZoneGroupsForEndpoint, syncZoneGroupsForEndpoint } from "../privatedns/zone-groups.js";
import { REGISTRY_TYPE, NIC_TYPE, PRIVATE_ENDPOINT_TYPE, VNET_TYPE, SUBNET_TYPE, PE_CONNECTION_TYPE } from "../../domain/resource-types.js";
import { actorOf, getTyped, listTracked, networkEtag, notFoundTracked } from "../arm/resource-kit.js";
import { networkId, parentOf } from "../../domain/resource-ids.js";
import { dataEndpointHost } from "../../domain/resource-ids.js";
import { replicaLocations } from "../containerregistry/replication-records.js";

export const PE_READ = "Microsoft.Network/privateEndpoints/read";
export const PE_WRITE = "Microsoft.Network/privateEndpoints/write";
export const PE_DELETE = "Microsoft.Network/privateEndpoints/delete";


function linkedFailure(c: ArmCall, scope: string, linkedAction: string, linkedScope: string): never {
  throw armError("LinkedAuthorizationFailed", {
    clientId: actorOf(c.principal), objectId: c.principal.id, action: PE_WRITE, scope, linkedAction, linkedScope,
  });
}

/**
 * Members of the registry's private link resource, in the order Cove allocates them: the registry
 * endpoint, the home region's data endpoint, then one data endpoint per geo-replica (as Azure).
 */
export function requiredMembers(registry: ResourceRecord, replicaLocations: readonly string[] = []): string[] {
  return ["registry", `registry_data_${String(registry.body.location)}`, ...replicaLocations.map((l) => `registry_data_${l}`)];
}

export function fqdnsFor(registry: ResourceRecord, member: string, suffix: string): string[] {
  if (member === "registry") return [String((registry.body.properties as Json).loginServer).replace(/:\d+$/, "")];
  return [dataEndpointHost(String(registry.body.name), member.slice("registry_data_".length), suffix)];
}

/** Static addresses: both members named, each free, unreserved and inside the subnet. */
function checkStatic(peId: string, subnetId: string, cidrs: Cidr[], taken: Map<number, string>, members: string[], given: StaticIpConfig[]): Map<string, StaticIpConfig> {
  const byMember = new Map<string, StaticIpConfig>();
  for (const g of given) {
    if (g.groupId.toLowerCase() === "registry" && members.includes(g.memberName) && !byMember.has(g.memberName)) byMember.set(g.memberName, g);
  }
  const missing = members.filter((m) => !byMember.has(m));
  if (missing.length > 0 || given.length !== members.length) {
    throw armError("PrivateEndpointIpConfigurationMissingMemberNamesRequiredByFps", {
      id: peId,
      given: given.map((g) => `PrivateIPAddress: ${g.privateIPAddress}, GroupId: ${g.groupId}, MemberName: ${g.memberName}`).join("; "),
      missing: (missing.length ? missing : members).map((m) => `GroupId: registry, MemberName: ${m}`).join("; "),
    });
  }
  const seen = new Map<number, string>();
  for (const g of given) {
    const cfg = `${peId}/ipConfigurations/${g.name}`;
    const ip = parseIPv4(g.privateIPAddress);
    if (ip === undefined) {
      throw armError("InvalidParameter", { target: "properties.ipConfigurations", reason: `'${g.privateIPAddress}' is not an IPv4 address.` }, { target: "properties.ipConfigurations" });
    }
    const inside = cidrs.find((c) => cidrContainsAddress(c, ip));
    if (!inside) throw armError("PrivateIPAddressNotInSubnet", { config: cfg, ip: g.privateIPAddress, subnet: subnetId });
    if (isReserved(inside, ip)) throw armError("PrivateIPAddressIsReserved", { config: cfg, ip: g.privateIPAddress, subnet: subnetId });
    const holder = taken.get(ip) ?? seen.get(ip);
    if (holder) throw armError("PrivateIPAddressInUse", { config: cfg, ip: g.privateIPAddress, owner: holder });
    seen.set(ip, cfg);
  }
  return byMember;
}

export function dynamicAddresses(subnet: ResourceRecord, cidrs: Cidr[], taken: Map<number, string>, count: number): string[] {
  const used = new Set(taken.keys());
  const out: number[] = [];
  for (const c of cidrs) {
    // A prefix may hold fewer free addresses than needed: take what it has, go on with the next.
    for (let n = count - out.length; n > 0; n--) {
      const got = allocate(c, used, n);
      if (!got) continue;
      for (const ip of got) { out.push(ip); used.add(ip); }
      break;
    }
    if (out.length === count) break;
  }
  if (out.length < count) {
    const p = subnet.body.properties as Json;
    throw armError("SubnetIsFull", { subnet: subnet.id, prefix: String(p.addressPrefix ?? (p.addressPrefixes as string[]).join(",")), count });
  }
  return out.map(formatIPv4);
}

function sameRequest(pe: ResourceRecord, input: EndpointInput): boolean {
  const p = pe.body.properties as Json;
  const key = (manual: boolean) => (manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections");
  const conns = (p[key(input.link.manual)] ?? []) as Json[];
  const conn = conns[0];
  const given = (p.ipConfigurations ?? []) as Json[];
  return String((p.subnet as Json).id).toLowerCase() === input.subnetId.toLowerCase()
    && conns.length === 1 && conn !== undefined
    && String(conn.name) === input.link.name
    && String((conn.properties as Json).privateLinkServiceId).toLowerCase() === input.link.privateLinkServiceId.toLowerCase()
    && given.length === input.staticConfigs.length
    && input.staticConfigs.every((s) => given.some((g) => String((g.properties as Json).privateIPAddress) === s.privateIPAddress && String((g.properties as Json).memberName) === s.memberName));
}

function connectionEntry(peId: string, input: EndpointInput, state: ConnectionState): Json {
  return {
    id: `${peId}/${input.link.manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections"}/${input.link.name}`,
    name: input.link.name, type: PE_CONNECTION_TYPE, etag: networkEtag(),
    properties: {
      provisioningState: "Succeeded",
      privateLinkServiceId: input.link.privateLinkServiceId,
      groupIds: ["registry"],
      ...(input.link.requestMessage !== undefined ? { requestMessage: input.link.requestMessage } : {}),
      privateLinkServiceConnectionState: { ...state },
    },
  };
}

export async function putPrivateEndpoint(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const meta = c.deps.meta;
  const id0 = networkId(s, String(group.body.name), "privateEndpoints", c.params.privateEndpointName!);
  const input = parseEndpointBody(c.body!);
  const existing = await getTyped(meta, id0, PRIVATE_ENDPOINT_TYPE);
  const actor = c.principal.id; // audit actors are object ids, as the front door writes them
  if (existing) {
    if (!sameRequest(existing, input) || existing.body.location !== input.location) {
      throw armError("InvalidParameter", {
        target: "properties",
        reason: "Only the tags of an existing private endpoint can change in Cove; delete it and create it again to change its subnet, connection or addresses.",
      }, { target: "properties" });
    }
    const { tags: _old, ...rest } = existing.body;
    void _old;
    const body = { ...rest, ...(input.tags ? { tags: input.tags } : {}), etag: networkEtag() };
    await meta.putResource({ id: existing.id, type: PRIVATE_ENDPOINT_TYPE, body });
    await syncZoneGroupsForEndpoint(meta, existing.id, actor);
    return { status: 200, body: (await meta.getResource(existing.id))!.body };
  }
  const id = id0;

  // 1. references and permissions
  const subnet = await getTyped(meta, input.subnetId, SUBNET_TYPE);
  if (!subnet) throw armError("InvalidResourceReference", { ref: input.subnetId, id });
  if (!(await c.deps.access.authorize(c.principal, SUBNET_JOIN, subnet.id))) linkedFailure(c, id, SUBNET_JOIN, subnet.id);
  const vnet = await getTyped(meta, parentOf(subnet.id), VNET_TYPE);
  if (vnet && vnet.body.location !== input.location) throw armError("InvalidResourceReference", { ref: subnet.id, id });
  const registry = await getTyped(meta, input.link.privateLinkServiceId, REGISTRY_TYPE);
  if (!registry) throw armError("InvalidResourceReference", { ref: input.link.privateLinkServiceId, id });
  const sku = String((registry.body.sku as Json).name);
  if (sku !== "Premium") throw armError("FeatureNotSupportedForSku", { feature: "privateEndpoints", sku, required: "Premium" });
  if (!input.link.manual && !(await c.deps.access.authorize(c.principal, PEC_APPROVAL, registry.id))) linkedFailure(c, id, PEC_APPROVAL, registry.id);
  if ((await connectionsOf(meta, registry.id)).length >= MAX_CONNECTIONS_PER_REGISTRY) {
    throw armError("PrivateEndpointConnectionLimitReached", { registry: registry.id, limit: MAX_CONNECTIONS_PER_REGISTRY });
  }

  // 2. addresses
  const members = requiredMembers(registry, await replicaLocations(meta, registry.id));
  const cidrs = subnetCidrs(subnet);
  const usage = await subnetUsage(meta, subnet.id);
  const nicName = input.customNicName ?? `${c.params.privateEndpointName!}.nic.${randomUUID()}`;
  const nicId = networkId(s, String(group.body.name), "networkInterfaces", nicName);
  if (await getTyped(meta, nicId, NIC_TYPE)) {
    throw armError("InvalidParameter", { target: "properties.customNetworkInterfaceName", reason: `A network interface named '${nicName}' already exists.` }, { target: "properties.customNetworkInterfaceName" });
  }
  let nicMembers: NicMember[];
  if (input.staticConfigs.length > 0) {
    const chosen = checkStatic(id, subnet.id, cidrs, usage.taken, members, input.staticConfigs);
    nicMembers = members.map((m) => {
      const g = chosen.get(m)!;
      return { configName: g.name, memberName: m, groupId: "registry", address: g.privateIPAddress, allocation: "Static", fqdns: fqdnsFor(registry, m, c.deps.loginServerSuffix) };
    });
  } else {
    const ips = dynamicAddresses(subnet, cidrs, usage.taken, members.length);
    nicMembers = members.map((m, i) => ({ memberName: m, groupId: "registry", address: ips[i]!, allocation: "Dynamic", fqdns: fqdnsFor(registry, m, c.deps.loginServerSuffix) }));
  }

  // 3. writes
  const state: ConnectionState = {
    status: initialStatus(input.link.manual),
    description: input.link.manual ? input.link.requestMessage ?? "" : "Auto-Approved",
    actionsRequired: "None",
  };
  await meta.putResource({ id: nicId, type: NIC_TYPE, body: nicDocument(nicId, input.location, id, subnet.id, nicMembers) });
  const conn = connectionEntry(id, input, state);
  const doc: Json = {
    id, name: id.split("/").pop(), type: PRIVATE_ENDPOINT_TYPE, location: input.location, ...(input.tags ? { tags: input.tags } : {}), etag: networkEtag(),
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: randomUUID(),
      subnet: { id: subnet.id },
      privateLinkServiceConnections: input.link.manual ? [] : [conn],
      manualPrivateLinkServiceConnections: input.link.manual ? [conn] : [],
      networkInterfaces: [{ id: nicId }],
      customDnsConfigs: nicMembers.map((m) => ({ fqdn: m.fqdns[0], ipAddresses: [m.address] })),
      ipConfigurations: input.staticConfigs.map((g) => ({
        name: g.name, properties: { groupId: g.groupId, memberName: g.memberName, privateIPAddress: g.privateIPAddress },
      })),
      customNetworkInterfaceName: input.customNicName ?? "",
      applicationSecurityGroups: [],
      ipVersionType: "IPv4",
    },
  };
  await meta.putResource({ id, type: PRIVATE_ENDPOINT_TYPE, body: doc });
  await createConnection(c.deps, registry, id, state, { actor, requestId: c.ctx.requestId });
  await refreshSubnet(meta, subnet.id);
  await syncZoneGroupsForEndpoint(meta, id, actor);
  return { status: 201, body: (await meta.getResource(id))!.body };
}

async function loadEndpoint(c: ArmCall): Promise<ResourceRecord | undefined> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  return getTyped(c.deps.meta, networkId(s, String(group.body.name), "privateEndpoints", c.params.privateEndpointName!), PRIVATE_ENDPOINT_TYPE);
}

/**
 * Cove extension, read-only and never stored: `properties.listenerStatus`, one entry per endpoint IP
 * saying whether the registry listens there. In loopback mode an IP outside 127.0.0.0/8 cannot be
 * bound; without this the endpoint would look healthy while nothing answers on its addresses.
 */
export function withListenerStatus(c: ArmCall, body: Json): Json {
  const status = c.deps.listenerStatus;
  if (!status) return body;
  const props = body.properties as Json;
  const listenerStatus = ((props.customDnsConfigs ?? []) as Json[]).flatMap((d) =>
    ((d.ipAddresses ?? []) as string[]).map((ip) => ({ ipAddress: ip, fqdn: d.fqdn, ...status(ip) })));
  return { ...body, properties: { ...props, listenerStatus } };
}

export async function getPrivateEndpoint(c: ArmCall): Promise<ArmResult> {
  const rec = await loadEndpoint(c);
  if (!rec) notFoundTracked(PRIVATE_ENDPOINT_TYPE, c.params.privateEndpointName!, c.params.resourceGroupName!);
  return { status: 200, body: withListenerStatus(c, rec.body as Json) };
}

export async function deletePrivateEndpoint(c: ArmCall): Promise<ArmResult> {
  const rec = await loadEndpoint(c);
  if (!rec) return { status: 204 };
  const meta = c.deps.meta;
  const actor = c.principal.id;
  await removeZoneGroupsForEndpoint(meta, rec.id, actor);
  for (const conn of await connectionsForEndpoint(meta, rec.id)) {
    const from = connectionStateOf(conn);
    await changeState(c.deps, conn, "Disconnected", "system", { actor, requestId: c.ctx.requestId }, `The private endpoint was deleted (was ${from.status}).`);
  }
  const props = rec.body.properties as Json;
  for (const nic of (props.networkInterfaces ?? []) as Json[]) await meta.deleteResource(String(nic.id), true);
  await meta.deleteResource(rec.id, true);
  await refreshSubnet(meta, String((props.subnet as Json).id));
  return { status: 200 };
}

const listStored = listTracked(PRIVATE_ENDPOINT_TYPE, PE_READ);

export async function listPrivateEndpoints(c: ArmCall): Promise<ArmResult> {
  const r = await listStored(c);
  const page = r.body as { value: Json[] };
  return { ...r, body: { ...page, value: page.value.map((b) => withListenerStatus(c, b)) } };
}
