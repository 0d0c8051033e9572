// privateDnsZones/{zone}/virtualNetworkLinks: PUT, PATCH, GET, DELETE, list. A link makes the zone
// answer for clients in the linked virtual network (DESIGN.md section 5). Rules, as Azure:
// - `virtualNetwork.id` must name an existing VNet, and the caller must be allowed to join it
//   (Microsoft.Network/virtualNetworks/join/action, which Network Contributor holds);
// - one link per VNet per zone (409 Conflict); a VNet cannot be linked to two zones of the same name
//   (400 BadRequest); a VNet may be a registration VNet of one zone only;
// - the linked VNet cannot be changed on an existing link;
// - `resolutionPolicy` (Default | NxDomainRedirect) is accepted on every api-version Cove accepts,
//   although Azure only knows it from 2024-06-01 (a deliberate difference, listed in docs/private-networking.md).
// Answers are synchronous: `virtualNetworkLinkState` "Completed", `provisioningState` "Succeeded".

import type { ArmCall, ArmResult } from "../arm/types.js";
import type { ResourceRecord } from "../../storage/types.js";
import { armError } from "../arm/errors.js";
import { asObject, asString, invalid, onlyKeys, optBoolean, optEnum, optObject, optString, optTags, type Json } from "../arm/strict-json.js";
import { checkConditions } from "./conditions.js";
import { asGlobalLocation, getZoneForChild } from "./zones.js";
import { ZONE_LIMITS, linkId, parseVnetId } from "./names.js";
import { LINK_TYPE, VNET_TYPE } from "../../domain/resource-types.js";
import { privateDnsEtag } from "../arm/resource-kit.js";

export const LINK_READ = "Microsoft.Network/privateDnsZones/virtualNetworkLinks/read";
export const LINK_WRITE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks/write";
export const LINK_DELETE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks/delete";
export const VNET_JOIN = "Microsoft.Network/virtualNetworks/join/action";

export const RESOLUTION_POLICIES = ["Default", "NxDomainRedirect"] as const;

/** Link names: 1-80 word characters, '.', '-', '_', starting with a word character (Microsoft.Network naming). */
const LINK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]$|^[A-Za-z0-9_]$/;

interface LinkInput {
  location?: "global";
  tags?: Record<string, string>;
  vnetId?: string;
  registrationEnabled?: boolean;
  resolutionPolicy?: (typeof RESOLUTION_POLICIES)[number];
}

function parseLinkBody(body: Json, mode: "put" | "patch"): LinkInput {
  onlyKeys(body, ["location", "tags", "etag", "properties", "id", "name", "type"], "");
  optString(body.etag, "etag");
  const out: LinkInput = { tags: optTags(body.tags) };
  if (mode === "put") out.location = asGlobalLocation(body.location, LINK_TYPE);
  else if (body.location !== undefined && body.location !== null) asGlobalLocation(body.location, LINK_TYPE);
  const p = optObject(body.properties, "properties") ?? {};
  onlyKeys(p, ["virtualNetwork", "registrationEnabled", "resolutionPolicy", "virtualNetworkLinkState", "provisioningState"], "properties");
  const vnet = optObject(p.virtualNetwork, "properties.virtualNetwork");
  if (vnet) {
    onlyKeys(vnet, ["id"], "properties.virtualNetwork");
    out.vnetId = asString(vnet.id, "properties.virtualNetwork.id");
  } else if (mode === "put") {
    invalid("properties.virtualNetwork", "Required property 'virtualNetwork' not found in JSON.");
  }
  out.registrationEnabled = optBoolean(p.registrationEnabled, "properties.registrationEnabled");
  out.resolutionPolicy = optEnum(p.resolutionPolicy, RESOLUTION_POLICIES, "properties.resolutionPolicy");
  return out;
}

function rgOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? "";
}

function notFound(zone: ResourceRecord, name: string): never {
  throw armError("ResourceNotFound", { type: LINK_TYPE, name: `${String(zone.body.name)}/${name}`, resourceGroup: rgOf(zone.id) });
}

async function getLink(c: ArmCall, zone: ResourceRecord, name: string): Promise<ResourceRecord | undefined> {
  const rec = await c.deps.meta.getResource(linkId(zone.id, name));
  return rec && rec.type.toLowerCase() === LINK_TYPE.toLowerCase() ? rec : undefined;
}

const vnetOfLink = (r: ResourceRecord) => String(((r.body.properties as Json | undefined)?.virtualNetwork as Json | undefined)?.id ?? "");

/**
 * A write that references another resource needs a permission on that resource too (joining a VNet,
 * a zone); Azure refuses with LinkedAuthorizationFailed naming both scopes.
 */
export async function demandLinked(c: ArmCall, action: string, scope: string, linkedAction: string, linkedScope: string): Promise<void> {
  if (await c.deps.access.authorize(c.principal, linkedAction, linkedScope)) return;
  throw armError("LinkedAuthorizationFailed", {
    clientId: c.principal.clientId ?? c.principal.id, objectId: c.principal.id, action, scope, linkedAction, linkedScope,
  });
}

/** The VNet must exist in Cove's subscription; returns its id as stored. */
async function checkVnet(c: ArmCall, vnetId: string, self: string): Promise<string> {
  const v = parseVnetId(vnetId);
  if (!v) invalid("properties.virtualNetwork.id", `'${vnetId}' is not a virtual network resource id.`);
  if (v.subscriptionId.toLowerCase() !== c.deps.subscriptionId.toLowerCase()) throw armError("SubscriptionNotFound", { subscriptionId: v.subscriptionId });
  const rec = await c.deps.meta.getResource(vnetId.replace(/\/+$/, ""));
  if (!rec || rec.type.toLowerCase() !== VNET_TYPE.toLowerCase()) {
    throw armError("ResourceNotFound", { type: VNET_TYPE, name: v.name, resourceGroup: v.resourceGroup });
  }
  await demandLinked(c, LINK_WRITE, self, VNET_JOIN, rec.id);
  return rec.id;
}

/** Azure's cross-link rules for `vnet` being linked to `zone` by the link `self`. */
async function checkLinkRules(c: ArmCall, zone: ResourceRecord, self: string, vnet: string, registration: boolean): Promise<void> {
  const zoneName = String(zone.body.name).toLowerCase();
  let inZone = 0;
  for (const l of await c.deps.meta.listResources({ type: LINK_TYPE })) {
    if (l.id.toLowerCase() === self.toLowerCase()) continue;
    const lZone = l.id.slice(0, l.id.toLowerCase().lastIndexOf("/virtualnetworklinks/"));
    const sameZone = lZone.toLowerCase() === zone.id.toLowerCase();
    if (sameZone) inZone++;
    if (vnetOfLink(l).toLowerCase() !== vnet.toLowerCase()) continue;
    if (sameZone) throw armError("Conflict", { zone: String(zone.body.name), vnet });
    const otherName = lZone.split("/").pop() ?? "";
    if (otherName.toLowerCase() === zoneName) {
      throw armError("BadRequest", {
        reason: `A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link virtual network with '${otherName}' and '${String(zone.body.name)}' zones.`,
      });
    }
    if (registration && (l.body.properties as Json | undefined)?.registrationEnabled === true) {
      throw armError("BadRequest", {
        reason: `The virtual network '${vnet}' is already a registration virtual network of the private zone '${otherName}'; a virtual network can have registration enabled for one private zone only.`,
      });
    }
  }
  if (inZone >= ZONE_LIMITS.links) throw armError("BadRequest", { reason: `The zone '${String(zone.body.name)}' already has the maximum of ${ZONE_LIMITS.links} virtual network links.` });
}

function linkDocument(id: string, name: string, input: Required<Pick<LinkInput, "registrationEnabled" | "resolutionPolicy">> & { vnetId: string; tags?: Record<string, string> }): Json {
  return {
    id, name, type: LINK_TYPE, etag: privateDnsEtag(), location: "global",
    ...(input.tags ? { tags: input.tags } : {}),
    properties: {
      virtualNetwork: { id: input.vnetId },
      registrationEnabled: input.registrationEnabled,
      resolutionPolicy: input.resolutionPolicy,
      virtualNetworkLinkState: "Completed",
      provisioningState: "Succeeded",
    },
  };
}

export async function putLink(c: ArmCall): Promise<ArmResult> {
  const name = c.params.linkName!;
  if (!LINK_NAME.test(name)) throw armError("InvalidParameter", { target: "virtualNetworkLinkName", reason: "Link names have 1 to 80 letters, digits, '_', '.' or '-', start with a letter, digit or '_' and end with a letter, digit or '_'." }, { target: "virtualNetworkLinkName" });
  const input = parseLinkBody(asObject(c.body, ""), "put");
  const zone = await getZoneForChild(c.deps, c.params);
  const existing = await getLink(c, zone, name);
  checkConditions(c, existing, name);
  const vnet = await checkVnet(c, input.vnetId!, existing?.id ?? linkId(zone.id, name));
  if (existing && vnetOfLink(existing).toLowerCase() !== vnet.toLowerCase()) {
    throw armError("BadRequest", { reason: `The virtual network of the link '${name}' cannot be changed; delete the link and create a new one.` });
  }
  const id = existing?.id ?? linkId(zone.id, name);
  await checkLinkRules(c, zone, id, vnet, input.registrationEnabled === true);
  const body = linkDocument(id, existing ? String(existing.body.name) : name, {
    vnetId: existing ? vnetOfLink(existing) : vnet,
    registrationEnabled: input.registrationEnabled ?? false,
    resolutionPolicy: input.resolutionPolicy ?? "Default",
    tags: input.tags,
  });
  await c.deps.meta.putResource({ id, type: LINK_TYPE, body });
  return { status: existing ? 200 : 201, body };
}

export async function patchLink(c: ArmCall): Promise<ArmResult> {
  const input = parseLinkBody(asObject(c.body, ""), "patch");
  const zone = await getZoneForChild(c.deps, c.params);
  const existing = await getLink(c, zone, c.params.linkName!);
  if (!existing) notFound(zone, c.params.linkName!);
  checkConditions(c, existing, c.params.linkName!);
  const vnet = vnetOfLink(existing);
  if (input.vnetId !== undefined && input.vnetId.replace(/\/+$/, "").toLowerCase() !== vnet.toLowerCase()) {
    throw armError("BadRequest", { reason: `The virtual network of the link '${String(existing.body.name)}' cannot be changed; delete the link and create a new one.` });
  }
  const prev = existing.body.properties as Json;
  const registrationEnabled = input.registrationEnabled ?? (prev.registrationEnabled === true);
  if (registrationEnabled) await checkLinkRules(c, zone, existing.id, vnet, true);
  const body = linkDocument(existing.id, String(existing.body.name), {
    vnetId: vnet,
    registrationEnabled,
    resolutionPolicy: input.resolutionPolicy ?? (prev.resolutionPolicy as LinkInput["resolutionPolicy"]) ?? "Default",
    tags: input.tags ?? (existing.body.tags as Record<string, string> | undefined),
  });
  await c.deps.meta.putResource({ id: existing.id, type: LINK_TYPE, body });
  return { status: 200, body };
}

export async function getLinkHandler(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const rec = await getLink(c, zone, c.params.linkName!);
  if (!rec) notFound(zone, c.params.linkName!);
  return { status: 200, body: rec.body };
}

/** 200 when deleted, 204 when there was nothing. */
export async function deleteLink(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const rec = await getLink(c, zone, c.params.linkName!);
  checkConditions(c, rec, c.params.linkName!);
  if (!rec) return { status: 204 };
  await c.deps.meta.deleteResource(rec.id, true);
  return { status: 200 };
}

export async function listLinks(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const recs = await c.deps.meta.listResources({ type: LINK_TYPE, underId: zone.id + "/" });
  return { status: 200, body: { value: recs.map((r) => r.body) } };
}

/** Every link of every zone to this VNet (for the DNS answers and the tools of later issues). */
export async function linksOfVnet(meta: ArmCall["deps"]["meta"], vnetId: string): Promise<ResourceRecord[]> {
  return (await meta.listResources({ type: LINK_TYPE })).filter((l) => vnetOfLink(l).toLowerCase() === vnetId.toLowerCase());
}
