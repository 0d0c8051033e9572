// Microsoft.Network/virtualNetworks/virtualNetworkPeerings: PUT, GET, DELETE, list.
//
// peeringState is computed from both sides, as Azure shows it: `Initiated` while only this side
// exists, `Connected` on BOTH sides once the reverse peering exists, `Disconnected` on the
// surviving side when the other side (or its VNet) is deleted. Cove lets a Disconnected side become
// Connected again when the reverse peering is recreated (Azure asks to recreate both sides).
// Creating a peering also needs `virtualNetworks/peer/action` on the remote VNet (a linked check,
// as Azure), and address spaces of peered VNets must not overlap.

import { randomUUID } from "node:crypto";
import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { asObject, asString, onlyKeys, optBoolean, optObject, invalid, type Json } from "../arm/strict-json.js";
import { cidrsOverlap, formatCidr } from "../../domain/network.js";
import { PEERING_TYPE, VNET_TYPE } from "../../domain/resource-types.js";
import { actorOf, getTyped, networkEtag } from "../arm/resource-kit.js";
import { addressSpaceOf, loadVnet, refreshVnet } from "./vnet-children.js";
import { parentOf } from "../../domain/resource-ids.js";

export const PEERING_READ = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read";
export const PEERING_WRITE = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write";
export const PEERING_DELETE = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete";
/** Linked action on the remote VNet. */
export const VNET_PEER = "Microsoft.Network/virtualNetworks/peer/action";

const FLAGS = ["allowVirtualNetworkAccess", "allowForwardedTraffic", "allowGatewayTransit", "useRemoteGateways"] as const;
const ECHO = [
  "peeringState", "peeringSyncLevel", "provisioningState", "remoteAddressSpace", "remoteVirtualNetworkAddressSpace", "resourceGuid",
  "doNotVerifyRemoteGateways", "remoteBgpCommunities", "remoteVirtualNetworkEncryption",
];

const remoteOf = (r: ResourceRecord) => String(((r.body.properties as Json).remoteVirtualNetwork as Json)?.id ?? "");

/** Recomputes state and remote address space of one peering and stores it; returns whether it changed. */
async function refreshPeering(meta: MetadataStore, rec: ResourceRecord): Promise<void> {
  const props = rec.body.properties as Json;
  const localId = parentOf(rec.id);
  const remote = await getTyped(meta, remoteOf(rec), VNET_TYPE);
  let reverse = false;
  if (remote) {
    for (const p of await meta.listResources({ type: PEERING_TYPE, underId: remote.id + "/" })) {
      if (remoteOf(p).toLowerCase() === localId.toLowerCase()) reverse = true;
    }
  }
  const was = String(props.peeringState ?? "Initiated");
  const state = reverse ? "Connected" : was === "Connected" || was === "Disconnected" || !remote ? "Disconnected" : "Initiated";
  const space = remote ? ((remote.body.properties as Json).addressSpace as Json) : (props.remoteAddressSpace as Json);
  const next = { ...props, peeringState: state, peeringSyncLevel: state === "Connected" ? "FullyInSync" : props.peeringSyncLevel ?? "FullyInSync", remoteAddressSpace: space, remoteVirtualNetworkAddressSpace: space };
  if (JSON.stringify(next) === JSON.stringify(props)) return;
  await meta.putResource({ id: rec.id, type: PEERING_TYPE, body: { ...rec.body, properties: next } });
  await refreshVnet(meta, localId);
}

/** After a VNet or peering changed: every peering of this VNet, and every peering elsewhere that points at it. */
export async function refreshPeeringsAround(meta: MetadataStore, vnetId: string): Promise<void> {
  const sub = vnetId.split("/").slice(0, 3).join("/") + "/";
  for (const p of await meta.listResources({ type: PEERING_TYPE, underId: sub })) {
    const local = parentOf(p.id).toLowerCase();
    if (local === vnetId.toLowerCase() || remoteOf(p).toLowerCase() === vnetId.toLowerCase()) await refreshPeering(meta, p);
  }
}

export async function putPeering(c: ArmCall): Promise<ArmResult> {
  const vnet = await loadVnet(c);
  const body = c.body!;
  onlyKeys(body, ["properties", "id", "name", "type", "etag"], "");
  const p = optObject(body.properties, "properties") ?? {};
  onlyKeys(p, ["remoteVirtualNetwork", ...FLAGS, ...ECHO], "properties");
  const rv = p.remoteVirtualNetwork === undefined || p.remoteVirtualNetwork === null ? undefined : asObject(p.remoteVirtualNetwork, "properties.remoteVirtualNetwork");
  if (!rv) invalid("properties.remoteVirtualNetwork", "Required property 'remoteVirtualNetwork' not found in JSON.");
  onlyKeys(rv, ["id"], "properties.remoteVirtualNetwork");
  const remoteId = asString(rv.id, "properties.remoteVirtualNetwork.id");
  const flags: Json = {};
  for (const f of FLAGS) flags[f] = optBoolean(p[f], `properties.${f}`) ?? (f === "allowVirtualNetworkAccess");
  const name = c.params.virtualNetworkPeeringName!;
  const existing = await getTyped(c.deps.meta, `${vnet.id}/virtualNetworkPeerings/${name}`, PEERING_TYPE);
  const id = existing?.id ?? `${vnet.id}/virtualNetworkPeerings/${name}`;
  const remote = await getTyped(c.deps.meta, remoteId, VNET_TYPE);
  if (!remote) throw armError("InvalidResourceReference", { ref: remoteId, id });
  if (existing && remoteOf(existing).toLowerCase() !== remote.id.toLowerCase()) {
    throw armError("InvalidParameter", { target: "properties.remoteVirtualNetwork.id", reason: "The remote virtual network of an existing peering cannot change." }, { target: "properties.remoteVirtualNetwork.id" });
  }
  if (remote.id.toLowerCase() === vnet.id.toLowerCase()) {
    throw armError("InvalidParameter", { target: "properties.remoteVirtualNetwork.id", reason: "A virtual network cannot be peered with itself." }, { target: "properties.remoteVirtualNetwork.id" });
  }
  const others = (await c.deps.meta.listResources({ type: PEERING_TYPE, underId: vnet.id + "/" }))
    .filter((r) => r.id.toLowerCase() !== id.toLowerCase() && remoteOf(r).toLowerCase() === remote.id.toLowerCase());
  if (others.length > 0) {
    throw armError("InvalidParameter", { target: "properties.remoteVirtualNetwork.id", reason: `The virtual network is already peered with ${remote.id} by ${others[0]!.id}.` }, { target: "properties.remoteVirtualNetwork.id" });
  }
  if (!(await c.deps.access.authorize(c.principal, VNET_PEER, remote.id))) {
    throw armError("LinkedAuthorizationFailed", {
      clientId: actorOf(c.principal), objectId: c.principal.id, action: PEERING_WRITE, scope: id, linkedAction: VNET_PEER, linkedScope: remote.id,
    });
  }
  const mine = addressSpaceOf(vnet);
  const theirs = addressSpaceOf(remote);
  const clash = theirs.filter((b) => mine.some((a) => cidrsOverlap(a, b)));
  if (clash.length > 0) throw armError("VnetAddressSpacesOverlap", { peering: id, vnet: vnet.id, remote: remote.id, prefixes: clash.map(formatCidr).join(", ") });

  const prevProps = (existing?.body.properties ?? {}) as Json;
  const doc: Json = {
    id, name: id.split("/").pop(), type: PEERING_TYPE, etag: networkEtag(),
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: prevProps.resourceGuid ?? randomUUID(),
      peeringState: prevProps.peeringState ?? "Initiated",
      peeringSyncLevel: "FullyInSync",
      remoteVirtualNetwork: { id: remote.id },
      ...flags,
      doNotVerifyRemoteGateways: false,
      remoteAddressSpace: (remote.body.properties as Json).addressSpace,
      remoteVirtualNetworkAddressSpace: (remote.body.properties as Json).addressSpace,
    },
  };
  await c.deps.meta.putResource({ id, type: PEERING_TYPE, body: doc });
  await refreshVnet(c.deps.meta, vnet.id);
  await refreshPeeringsAround(c.deps.meta, vnet.id);
  return { status: existing ? 200 : 201, body: (await c.deps.meta.getResource(id))!.body };
}

export async function getPeering(c: ArmCall): Promise<ArmResult> {
  const vnet = await loadVnet(c);
  const id = `${vnet.id}/virtualNetworkPeerings/${c.params.virtualNetworkPeeringName!}`;
  const rec = await getTyped(c.deps.meta, id, PEERING_TYPE);
  if (!rec) throw armError("NotFound", { path: id });
  return { status: 200, body: rec.body };
}

export async function deletePeering(c: ArmCall): Promise<ArmResult> {
  const vnet = await loadVnet(c);
  const rec = await getTyped(c.deps.meta, `${vnet.id}/virtualNetworkPeerings/${c.params.virtualNetworkPeeringName!}`, PEERING_TYPE);
  if (!rec) return { status: 204 };
  await c.deps.meta.deleteResource(rec.id, true);
  await refreshVnet(c.deps.meta, vnet.id);
  await refreshPeeringsAround(c.deps.meta, vnet.id);
  return { status: 200 };
}

export async function listPeerings(c: ArmCall): Promise<ArmResult> {
  const vnet = await loadVnet(c);
  const all = await c.deps.meta.listResources({ type: PEERING_TYPE, underId: vnet.id + "/" });
  return { status: 200, body: { value: all.map((r) => r.body) } };
}
