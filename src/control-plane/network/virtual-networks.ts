// Microsoft.Network/virtualNetworks: PUT (with inline subnets), GET, DELETE, list (resource group,
// subscription). Children (subnets, virtualNetworkPeerings) are their own records (vnet-children.ts).
//
// As Azure: a PUT replaces the subnet set. Subnets missing from the body are deleted (a subnet that
// still holds private endpoints refuses with InUseSubnetCannotBeDeleted); `virtualNetworkPeerings`
// in a VNet body are tolerated (GET echoes) and ignored: peerings change only through their own
// resource. Address spaces must be exact CIDR prefixes, not overlap each other, contain every subnet
// and not overlap a peered VNet's space.

import { randomUUID } from "node:crypto";
import type { ResourceRecord, MetadataStore } from "../../storage/types.js";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getResourceGroup } from "../arm/scopes.js";
import { asLocation, asObject, invalid, onlyKeys, optArray, optObject, optTags, asString, type Json } from "../arm/strict-json.js";
import { cidrsOverlap, firstOverlap, formatCidr, parseCidr, type Cidr } from "../../domain/network.js";
import { assertSubnetChangeAllowed, assertSubnetEmpty, deleteSubnetsOf, parseSubnetProps, prefixesInVnet, subnetDocument, writeSubnet, type SubnetInput } from "./subnets.js";
import { refreshPeeringsAround } from "./peerings.js";
import { getTyped, listTracked, networkEtag, notFoundTracked } from "../arm/resource-kit.js";
import { addressSpaceOf, loadVnet, parsePrefixes, refreshVnet } from "./vnet-children.js";
import { PEERING_TYPE, SUBNET_TYPE, VNET_TYPE } from "../../domain/resource-types.js";
import { networkId } from "../../domain/resource-ids.js";

export const VNET_READ = "Microsoft.Network/virtualNetworks/read";
export const VNET_WRITE = "Microsoft.Network/virtualNetworks/write";
export const VNET_DELETE = "Microsoft.Network/virtualNetworks/delete";

const VNET_PROPS = [
  "addressSpace", "dhcpOptions", "subnets", "virtualNetworkPeerings", "enableDdosProtection", "enableVmProtection",
  "provisioningState", "resourceGuid", "privateEndpointVNetPolicies",
];

interface VnetInput {
  location: string;
  tags?: Record<string, string>;
  prefixes: string[];
  dnsServers: string[];
  subnets: SubnetInput[];
}

function parseVnetBody(body: Json, id: string): VnetInput {
  onlyKeys(body, ["location", "tags", "properties", "id", "name", "type", "etag"], "");
  const location = asLocation(body.location);
  const tags = optTags(body.tags);
  const p = optObject(body.properties, "properties") ?? {};
  onlyKeys(p, VNET_PROPS, "properties");
  const space = optObject(p.addressSpace, "properties.addressSpace");
  if (!space) invalid("properties.addressSpace", "Required property 'addressSpace' not found in JSON.");
  onlyKeys(space, ["addressPrefixes"], "properties.addressSpace");
  const raw = optArray(space.addressPrefixes, "properties.addressSpace.addressPrefixes") ?? [];
  if (raw.length === 0) {
    throw armError("InvalidParameter", { target: "properties.addressSpace.addressPrefixes", reason: "A virtual network needs at least one address prefix." }, { target: "properties.addressSpace.addressPrefixes" });
  }
  const cidrs = parsePrefixes(raw, "properties.addressSpace.addressPrefixes", id);
  const dup = firstOverlap(cidrs);
  if (dup) {
    throw armError("InvalidParameter", {
      target: "properties.addressSpace.addressPrefixes",
      reason: `The address prefixes ${String(raw[dup[0]])} and ${String(raw[dup[1]])} overlap.`,
    }, { target: "properties.addressSpace.addressPrefixes" });
  }
  const dhcp = optObject(p.dhcpOptions, "properties.dhcpOptions");
  if (dhcp) onlyKeys(dhcp, ["dnsServers"], "properties.dhcpOptions");
  const dnsServers = (optArray(dhcp?.dnsServers, "properties.dhcpOptions.dnsServers") ?? []).map((v, i) => asString(v, `properties.dhcpOptions.dnsServers[${i}]`));
  const subnets = (optArray(p.subnets, "properties.subnets") ?? []).map((s, i) => {
    const path = `properties.subnets[${i}]`;
    const o = asObject(s, path);
    onlyKeys(o, ["name", "id", "type", "etag", "properties"], path);
    const name = asString(o.name, `${path}.name`);
    return parseSubnetProps(optObject(o.properties, `${path}.properties`) ?? {}, `${path}.properties`, name, `${id}/subnets/${name}`);
  });
  const names = new Set<string>();
  for (const s of subnets) {
    if (names.has(s.name.toLowerCase())) invalid("properties.subnets", `The subnet name '${s.name}' appears twice.`);
    names.add(s.name.toLowerCase());
  }
  return { location, tags, prefixes: cidrs.map((_, i) => String(raw[i])), dnsServers, subnets };
}

/** Peered VNets (either direction) whose address space overlaps `space`. */
async function checkPeersDoNotOverlap(meta: MetadataStore, vnetId: string, space: Cidr[]): Promise<void> {
  for (const peering of await meta.listResources({ type: PEERING_TYPE, underId: vnetId + "/" })) {
    const remoteId = String(((peering.body.properties as Json).remoteVirtualNetwork as Json)?.id ?? "");
    const remote = await getTyped(meta, remoteId, VNET_TYPE);
    if (!remote) continue;
    const theirs = addressSpaceOf(remote);
    if (space.some((a) => theirs.some((b) => cidrsOverlap(a, b)))) {
      throw armError("VnetAddressSpacesOverlap", {
        peering: peering.id, vnet: vnetId, remote: remote.id,
        prefixes: theirs.filter((b) => space.some((a) => cidrsOverlap(a, b))).map(formatCidr).join(", "),
      });
    }
  }
}

export async function putVirtualNetwork(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const id0 = networkId(s, String(group.body.name), "virtualNetworks", c.params.virtualNetworkName!);
  const existing = await getTyped(c.deps.meta, id0, VNET_TYPE);
  const id = existing?.id ?? id0;
  const name = id.split("/").pop()!;
  const input = parseVnetBody(c.body!, id);
  if (existing && existing.body.location !== input.location) {
    throw armError("InvalidResourceLocation", { name, existing: String(existing.body.location), resourceGroup: String(group.body.name), location: input.location });
  }
  const space = input.prefixes.map((p) => (parseCidr(p) as { ok: true; cidr: Cidr }).cidr);
  prefixesInVnet(name, space, input.subnets);
  await checkPeersDoNotOverlap(c.deps.meta, id, space);

  // Subnets that go away must be empty (checked before anything is written).
  const oldSubnets = existing ? await c.deps.meta.listResources({ type: SUBNET_TYPE, underId: id + "/" }) : [];
  const keep = new Set(input.subnets.map((x) => x.name.toLowerCase()));
  const removed = oldSubnets.filter((r) => !keep.has(String(r.body.name).toLowerCase()));
  for (const r of oldSubnets) {
    const next = input.subnets.find((x) => x.name.toLowerCase() === String(r.body.name).toLowerCase());
    await assertSubnetChangeAllowed(c.deps.meta, r, next);
  }

  const props = (existing?.body.properties ?? {}) as Json;
  const doc: Json = {
    id, name, type: VNET_TYPE, location: input.location, ...(input.tags ? { tags: input.tags } : {}), etag: networkEtag(),
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: props.resourceGuid ?? randomUUID(),
      addressSpace: { addressPrefixes: input.prefixes },
      ...(input.dnsServers.length ? { dhcpOptions: { dnsServers: input.dnsServers } } : {}),
      subnets: [],
      virtualNetworkPeerings: [],
      enableDdosProtection: false,
      privateEndpointVNetPolicies: "Disabled",
    },
  };
  await c.deps.meta.putResource({ id, type: VNET_TYPE, body: doc });
  await deleteSubnetsOf(c.deps.meta, removed);
  for (const sn of input.subnets) {
    const prev = oldSubnets.find((r) => String(r.body.name).toLowerCase() === sn.name.toLowerCase());
    await writeSubnet(c.deps.meta, prev ?? null, subnetDocument(prev?.id ?? `${id}/subnets/${sn.name}`, sn, prev));
  }
  await refreshVnet(c.deps.meta, id);
  // The peerings' remoteAddressSpace on both sides follows this VNet's space.
  await refreshPeeringsAround(c.deps.meta, id);
  const stored = await c.deps.meta.getResource(id);
  return { status: existing ? 200 : 201, body: stored!.body };
}

export async function getVirtualNetwork(c: ArmCall): Promise<ArmResult> {
  return { status: 200, body: (await loadVnet(c)).body };
}

/** 200 when deleted, 204 when absent. Refused while a subnet holds private endpoints; peers become Disconnected. */
export async function deleteVirtualNetwork(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const rec = await getTyped(c.deps.meta, networkId(s, String(group.body.name), "virtualNetworks", c.params.virtualNetworkName!), VNET_TYPE);
  if (!rec) return { status: 204 };
  const subnets = await c.deps.meta.listResources({ type: SUBNET_TYPE, underId: rec.id + "/" });
  for (const sn of subnets) await assertSubnetEmpty(c.deps.meta, sn);
  await c.deps.meta.deleteResource(rec.id, true);
  await refreshPeeringsAround(c.deps.meta, rec.id);
  return { status: 200 };
}

export const listVirtualNetworks = listTracked(VNET_TYPE, VNET_READ);
