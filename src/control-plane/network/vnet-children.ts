// A virtual network and its children (subnets, virtualNetworkPeerings), as the subnet, peering and
// VNet handlers all need them: the parent lookup, its address space, and the rewrite of the VNet's
// inline arrays after a child changed. Children are stored as their own records; the VNet's stored
// body is rewritten with their current documents after every change (`refreshVnet`), so the inline
// arrays a GET returns always match the child resources, as ARM's do.

import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import type { ArmCall } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getResourceGroup } from "../arm/scopes.js";
import { asString, type Json } from "../arm/strict-json.js";
import { getTyped, notFoundTracked } from "../arm/resource-kit.js";
import { parseCidr, type Cidr } from "../../domain/network.js";
import { PEERING_TYPE, SUBNET_TYPE, VNET_TYPE } from "../../domain/resource-types.js";
import { networkId } from "../../domain/resource-ids.js";

/** Parses a list of address prefixes: each an exact IPv4 CIDR (Azure: InvalidCIDRNotation when host bits are set). */
export function parsePrefixes(values: unknown[], path: string, ownerId: string): Cidr[] {
  return values.map((v, i) => {
    const s = asString(v, `${path}[${i}]`);
    const r = parseCidr(s);
    if (r.ok) return r.cidr;
    if (r.reason === "host-bits") throw armError("InvalidCIDRNotation", { prefix: s, id: ownerId, canonical: r.canonical! });
    throw armError("InvalidAddressPrefixFormat", { prefix: s, id: ownerId }, { target: path });
  });
}

export function addressSpaceOf(vnet: ResourceRecord): Cidr[] {
  const p = ((vnet.body.properties as Json)?.addressSpace as Json | undefined)?.addressPrefixes as string[] | undefined;
  return (p ?? []).map((s) => parseCidr(s)).flatMap((r) => (r.ok ? [r.cidr] : []));
}

/** Rewrites the VNet's stored body so that its inline `subnets` and `virtualNetworkPeerings` match the children. */
export async function refreshVnet(meta: MetadataStore, vnetId: string): Promise<void> {
  const vnet = await getTyped(meta, vnetId, VNET_TYPE);
  if (!vnet) return;
  const under = vnet.id + "/";
  const subnets = (await meta.listResources({ type: SUBNET_TYPE, underId: under })).map((r) => r.body);
  const peerings = (await meta.listResources({ type: PEERING_TYPE, underId: under })).map((r) => r.body);
  const props = { ...(vnet.body.properties as Json), subnets, virtualNetworkPeerings: peerings };
  await meta.putResource({ id: vnet.id, type: VNET_TYPE, body: { ...vnet.body, properties: props } });
}

/** The VNet the request path names, or ARM's ResourceNotFound. */
export async function loadVnet(c: ArmCall): Promise<ResourceRecord> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const rec = await getTyped(c.deps.meta, networkId(s, String(group.body.name), "virtualNetworks", c.params.virtualNetworkName!), VNET_TYPE);
  if (!rec) notFoundTracked(VNET_TYPE, c.params.virtualNetworkName!, c.params.resourceGroupName!);
  return rec;
}
