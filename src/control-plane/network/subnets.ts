// Microsoft.Network/virtualNetworks/subnets: PUT, GET, DELETE, list, plus the subnet rules shared
// with the VNet PUT (inline subnets): prefixes exact and inside the VNet's address space, no two
// subnets of a VNet overlapping, and a subnet holding private endpoints cannot be deleted (Azure's
// InUseSubnetCannotBeDeleted) nor shrunk away from the addresses it has handed out.
//
// What a subnet has handed out is never stored twice: it is read from the network interfaces whose
// ipConfigurations name the subnet (network-interfaces.ts). The subnet document's read-only
// `privateEndpoints` and `ipConfigurations` lists are recomputed from them on every change.

import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { onlyKeys, optArray, optBoolean, optEnum, optObject, optString, invalid, type Json } from "../arm/strict-json.js";
import { cidrContains, cidrContainsAddress, cidrsOverlap, parseIPv4, type Cidr } from "../../domain/network.js";
import { NIC_TYPE, SUBNET_TYPE } from "../../domain/resource-types.js";
import { getTyped, networkEtag } from "../arm/resource-kit.js";
import { loadVnet, parsePrefixes, addressSpaceOf, refreshVnet } from "./vnet-children.js";
import { parentOf } from "../../domain/resource-ids.js";

export const SUBNET_READ = "Microsoft.Network/virtualNetworks/subnets/read";
export const SUBNET_WRITE = "Microsoft.Network/virtualNetworks/subnets/write";
export const SUBNET_DELETE = "Microsoft.Network/virtualNetworks/subnets/delete";
/** Linked action Azure checks on the subnet when something (a private endpoint) is placed in it. */
export const SUBNET_JOIN = "Microsoft.Network/virtualNetworks/subnets/join/action";

const PE_POLICIES = ["Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"] as const;
const PLS_POLICIES = ["Enabled", "Disabled"] as const;
/** Read-only members a client may echo back from a GET. */
const ECHO = ["provisioningState", "privateEndpoints", "ipConfigurations", "purpose", "resourceNavigationLinks", "serviceAssociationLinks", "ipConfigurationProfiles"];

export interface SubnetInput {
  name: string;
  /** As given: `addressPrefix` (one) or `addressPrefixes` (several). */
  single: boolean;
  prefixes: string[];
  cidrs: Cidr[];
  privateEndpointNetworkPolicies: string;
  privateLinkServiceNetworkPolicies: string;
  defaultOutboundAccess?: boolean;
}

export function parseSubnetProps(p: Json, path: string, name: string, id: string): SubnetInput {
  onlyKeys(p, ["addressPrefix", "addressPrefixes", "privateEndpointNetworkPolicies", "privateLinkServiceNetworkPolicies", "defaultOutboundAccess", ...ECHO], path);
  const one = optString(p.addressPrefix, `${path}.addressPrefix`);
  const many = optArray(p.addressPrefixes, `${path}.addressPrefixes`);
  let raw: unknown[];
  if (one !== undefined && many !== undefined && many.length > 0) invalid(`${path}.addressPrefixes`, "Give either 'addressPrefix' or 'addressPrefixes', not both.");
  if (one !== undefined) raw = [one];
  else if (many && many.length > 0) raw = many;
  else invalid(`${path}.addressPrefix`, "Required property 'addressPrefix' not found in JSON.");
  const cidrs = parsePrefixes(raw, one !== undefined ? `${path}.addressPrefix` : `${path}.addressPrefixes`, id);
  return {
    name,
    single: one !== undefined,
    prefixes: raw.map((v) => String(v)),
    cidrs,
    // Azure's default for new subnets since api-version 2023-xx: network policies off for endpoints.
    privateEndpointNetworkPolicies: optEnum(p.privateEndpointNetworkPolicies, PE_POLICIES, `${path}.privateEndpointNetworkPolicies`) ?? "Disabled",
    privateLinkServiceNetworkPolicies: optEnum(p.privateLinkServiceNetworkPolicies, PLS_POLICIES, `${path}.privateLinkServiceNetworkPolicies`) ?? "Enabled",
    defaultOutboundAccess: optBoolean(p.defaultOutboundAccess, `${path}.defaultOutboundAccess`),
  };
}

/** Every subnet inside the VNet's space; no two overlapping (the later one is named, as Azure). */
export function prefixesInVnet(vnetName: string, space: Cidr[], subnets: Pick<SubnetInput, "name" | "cidrs">[]): void {
  for (let i = 0; i < subnets.length; i++) {
    const s = subnets[i]!;
    if (!s.cidrs.every((c) => space.some((v) => cidrContains(v, c)))) throw armError("NetcfgSubnetRangeOutsideVnet", { subnet: s.name, vnet: vnetName });
    for (let j = 0; j < i; j++) {
      if (s.cidrs.some((a) => subnets[j]!.cidrs.some((b) => cidrsOverlap(a, b)))) throw armError("NetcfgSubnetRangesOverlap", { subnet: s.name, vnet: vnetName });
    }
    for (let k = 0; k < s.cidrs.length; k++) {
      for (let l = 0; l < k; l++) if (cidrsOverlap(s.cidrs[k]!, s.cidrs[l]!)) throw armError("NetcfgSubnetRangesOverlap", { subnet: s.name, vnet: vnetName });
    }
  }
}

export interface SubnetUsage {
  privateEndpointIds: string[];
  ipConfigurationIds: string[];
  /** Allocated address -> the ipConfiguration id holding it. */
  taken: Map<number, string>;
}

/** What the subnet has handed out, read from the network interfaces that name it. */
export async function subnetUsage(meta: MetadataStore, subnetId: string): Promise<SubnetUsage> {
  const sub = subnetId.split("/").slice(0, 3).join("/") + "/";
  const out: SubnetUsage = { privateEndpointIds: [], ipConfigurationIds: [], taken: new Map() };
  const key = subnetId.toLowerCase();
  for (const nic of await meta.listResources({ type: NIC_TYPE, underId: sub })) {
    const props = nic.body.properties as Json;
    let uses = false;
    for (const cfg of (props.ipConfigurations ?? []) as Json[]) {
      const cp = cfg.properties as Json;
      if (String((cp.subnet as Json)?.id ?? "").toLowerCase() !== key) continue;
      uses = true;
      out.ipConfigurationIds.push(String(cfg.id));
      const ip = parseIPv4(String(cp.privateIPAddress));
      if (ip !== undefined) out.taken.set(ip, String(cfg.id));
    }
    const pe = (props.privateEndpoint as Json | undefined)?.id;
    if (uses && pe) out.privateEndpointIds.push(String(pe));
  }
  return out;
}

export function subnetDocument(id: string, s: SubnetInput, prev?: ResourceRecord | null): Json {
  const prevProps = (prev?.body.properties ?? {}) as Json;
  return {
    id, name: id.split("/").pop(), type: SUBNET_TYPE, etag: networkEtag(),
    properties: {
      provisioningState: "Succeeded",
      ...(s.single ? { addressPrefix: s.prefixes[0] } : { addressPrefixes: s.prefixes }),
      privateEndpointNetworkPolicies: s.privateEndpointNetworkPolicies,
      privateLinkServiceNetworkPolicies: s.privateLinkServiceNetworkPolicies,
      ...(s.defaultOutboundAccess !== undefined ? { defaultOutboundAccess: s.defaultOutboundAccess } : {}),
      privateEndpoints: prevProps.privateEndpoints ?? [],
      ipConfigurations: prevProps.ipConfigurations ?? [],
    },
  };
}

/** Stores the subnet document with its read-only usage lists recomputed. */
export async function writeSubnet(meta: MetadataStore, prev: ResourceRecord | null, doc: Json): Promise<void> {
  const id = prev?.id ?? String(doc.id);
  const use = await subnetUsage(meta, id);
  const props = { ...(doc.properties as Json) };
  props.privateEndpoints = use.privateEndpointIds.map((x) => ({ id: x }));
  props.ipConfigurations = use.ipConfigurationIds.map((x) => ({ id: x }));
  await meta.putResource({ id, type: SUBNET_TYPE, body: { ...doc, id, properties: props } });
}

/** After endpoints came or went: the subnet's usage lists, then the VNet's inline copy. */
export async function refreshSubnet(meta: MetadataStore, subnetId: string): Promise<void> {
  const rec = await getTyped(meta, subnetId, SUBNET_TYPE);
  if (!rec) return;
  await writeSubnet(meta, rec, rec.body);
  await refreshVnet(meta, parentOf(rec.id));
}

export async function assertSubnetEmpty(meta: MetadataStore, rec: ResourceRecord): Promise<void> {
  const use = await subnetUsage(meta, rec.id);
  if (use.ipConfigurationIds.length > 0) throw armError("InUseSubnetCannotBeDeleted", { subnet: rec.id, user: use.ipConfigurationIds[0]! });
}

/** A subnet in use may change, but not drop (`next` undefined) nor move away from an allocated address. */
export async function assertSubnetChangeAllowed(meta: MetadataStore, rec: ResourceRecord, next: SubnetInput | undefined): Promise<void> {
  if (!next) return assertSubnetEmpty(meta, rec);
  const use = await subnetUsage(meta, rec.id);
  for (const [ip, cfg] of use.taken) {
    if (!next.cidrs.some((c) => cidrContainsAddress(c, ip))) {
      throw armError("InvalidParameter", {
        target: "properties.addressPrefix",
        reason: `Subnet ${rec.id} is in use by ${cfg}; its new address prefixes would not contain the address that configuration holds.`,
      }, { target: "properties.addressPrefix" });
    }
  }
}

export async function deleteSubnetsOf(meta: MetadataStore, recs: ResourceRecord[]): Promise<void> {
  for (const r of recs) await meta.deleteResource(r.id, true);
}

function notFound(id: string): never {
  throw armError("NotFound", { path: id });
}

export async function putSubnet(c: ArmCall): Promise<ArmResult> {
  const vnet = await loadVnet(c);
  const body = c.body!;
  onlyKeys(body, ["properties", "id", "name", "type", "etag"], "");
  const name = c.params.subnetName!;
  const existing = await getTyped(c.deps.meta, `${vnet.id}/subnets/${name}`, SUBNET_TYPE);
  const id = existing?.id ?? `${vnet.id}/subnets/${name}`;
  const input = parseSubnetProps(optObject(body.properties, "properties") ?? {}, "properties", name, id);
  const siblings = (await c.deps.meta.listResources({ type: SUBNET_TYPE, underId: vnet.id + "/" }))
    .filter((r) => r.id.toLowerCase() !== id.toLowerCase())
    .map((r) => ({ name: String(r.body.name), cidrs: subnetCidrs(r) }));
  prefixesInVnet(String(vnet.body.name), addressSpaceOf(vnet), [...siblings, input]);
  if (existing) await assertSubnetChangeAllowed(c.deps.meta, existing, input);
  await writeSubnet(c.deps.meta, existing ?? null, subnetDocument(id, input, existing));
  await refreshVnet(c.deps.meta, vnet.id);
  return { status: existing ? 200 : 201, body: (await c.deps.meta.getResource(id))!.body };
}

export function subnetCidrs(r: ResourceRecord): Cidr[] {
  const p = r.body.properties as Json;
  const list = (p.addressPrefixes as string[] | undefined) ?? (p.addressPrefix !== undefined ? [String(p.addressPrefix)] : []);
  return parsePrefixes(list, "addressPrefixes", r.id);
}

export async function getSubnet(c: ArmCall): Promise<ArmResult> {
  const vnet = await loadVnet(c);
  const rec = await getTyped(c.deps.meta, `${vnet.id}/subnets/${c.params.subnetName!}`, SUBNET_TYPE);
  if (!rec) notFound(`${vnet.id}/subnets/${c.params.subnetName!}`);
  return { status: 200, body: rec.body };
}

export async function deleteSubnet(c: ArmCall): Promise<ArmResult> {
  const vnet = await loadVnet(c);
  const rec = await getTyped(c.deps.meta, `${vnet.id}/subnets/${c.params.subnetName!}`, SUBNET_TYPE);
  if (!rec) return { status: 204 };
  await assertSubnetEmpty(c.deps.meta, rec);
  await c.deps.meta.deleteResource(rec.id, true);
  await refreshVnet(c.deps.meta, vnet.id);
  return { status: 200 };
}

export async function listSubnets(c: ArmCall): Promise<ArmResult> {
  const vnet = await loadVnet(c);
  const all = await c.deps.meta.listResources({ type: SUBNET_TYPE, underId: vnet.id + "/" });
  return { status: 200, body: { value: all.map((r) => r.body) } };
}
