// Microsoft.Network/privateDnsZones: PUT, PATCH (tags), GET, DELETE, list (resource group,
// subscription). Location is always "global". Every zone holds the SOA record set `@`, created with
// it, as Azure. The counters (`numberOfRecordSets`, `numberOfVirtualNetworkLinks`, ...) are computed
// from the stored children when a zone is read, so they can never drift from what is there.
// Deleting a zone that still has virtual network links is refused (409 CannotDeleteResource, as
// Azure); its record sets go with it.

import { randomUUID } from "node:crypto";
import type { ManagementApiDeps, ArmCall, ArmResult } from "../arm/types.js";
import type { ResourceRecord } from "../../storage/types.js";
import { armError } from "../arm/errors.js";
import { readable } from "../arm/authorize.js";
import { assertSubscription, getResourceGroup } from "../arm/scopes.js";
import { asObject, asString, onlyKeys, optObject, optString, optTags, type Json } from "../arm/strict-json.js";
import { checkConditions } from "./conditions.js";
import { ZONE_LIMITS, checkZoneName, fqdnOf, recordSetId, recordSetType } from "./names.js";
import { LINK_TYPE, ZONE_TYPE } from "../../domain/resource-types.js";
import { privateDnsEtag } from "../arm/resource-kit.js";
import { zoneId } from "../../domain/resource-ids.js";

export const ZONE_READ = "Microsoft.Network/privateDnsZones/read";
export const ZONE_WRITE = "Microsoft.Network/privateDnsZones/write";
export const ZONE_DELETE = "Microsoft.Network/privateDnsZones/delete";

/** Read-only zone properties a client may echo back in a PUT (ignored, as ARM does). */
const ZONE_READ_ONLY = [
  "maxNumberOfRecordSets", "numberOfRecordSets", "maxNumberOfVirtualNetworkLinks", "numberOfVirtualNetworkLinks",
  "maxNumberOfVirtualNetworkLinksWithRegistration", "numberOfVirtualNetworkLinksWithRegistration", "provisioningState", "internalId",
];

/** `location` of a global resource: required, and "global" is the only value (ARM's error otherwise). */
export function asGlobalLocation(v: unknown, type: string): "global" {
  if (v === undefined || v === null || v === "") throw armError("LocationRequired");
  const s = asString(v, "location");
  if (s.replace(/\s+/g, "").toLowerCase() !== "global") {
    throw armError("LocationNotAvailableForResourceType", { location: s, type, available: "global" });
  }
  return "global";
}

/** The zone, or 404 ParentResourceNotFound (for operations on its children). */
export async function getZoneForChild(deps: ManagementApiDeps, p: Record<string, string>): Promise<ResourceRecord> {
  const s = assertSubscription(deps, p.subscriptionId!);
  const group = await getResourceGroup(deps, p.resourceGroupName!);
  const rec = await deps.meta.getResource(zoneId(s, String(group.body.name), p.zoneName!));
  if (!rec || rec.type.toLowerCase() !== ZONE_TYPE.toLowerCase()) throw armError("ParentResourceNotFound", { name: p.zoneName! });
  return rec;
}

async function findZone(deps: ManagementApiDeps, p: Record<string, string>): Promise<{ id: string; rg: string; rec?: ResourceRecord }> {
  const s = assertSubscription(deps, p.subscriptionId!);
  const group = await getResourceGroup(deps, p.resourceGroupName!);
  const rg = String(group.body.name);
  const id = zoneId(s, rg, p.zoneName!);
  const rec = await deps.meta.getResource(id);
  return { id, rg, rec: rec && rec.type.toLowerCase() === ZONE_TYPE.toLowerCase() ? rec : undefined };
}

function notFound(p: Record<string, string>, rg: string): never {
  throw armError("ResourceNotFound", { type: ZONE_TYPE, name: p.zoneName!, resourceGroup: rg });
}

/** The zone as the API returns it, with counters computed from its children. */
export async function renderZone(deps: ManagementApiDeps, rec: ResourceRecord): Promise<Json> {
  let recordSets = 0;
  let links = 0;
  let withRegistration = 0;
  for (const child of await deps.meta.listResources({ underId: rec.id + "/" })) {
    const t = child.type.toLowerCase();
    if (t === LINK_TYPE.toLowerCase()) {
      links++;
      if ((child.body.properties as Json | undefined)?.registrationEnabled === true) withRegistration++;
    } else if (t.startsWith(ZONE_TYPE.toLowerCase() + "/")) {
      recordSets++;
    }
  }
  const body = rec.body;
  return {
    ...body,
    properties: {
      maxNumberOfRecordSets: ZONE_LIMITS.recordSets,
      maxNumberOfVirtualNetworkLinks: ZONE_LIMITS.links,
      maxNumberOfVirtualNetworkLinksWithRegistration: ZONE_LIMITS.linksWithRegistration,
      numberOfRecordSets: recordSets,
      numberOfVirtualNetworkLinks: links,
      numberOfVirtualNetworkLinksWithRegistration: withRegistration,
      provisioningState: "Succeeded",
      internalId: (body.properties as Json | undefined)?.internalId,
    },
  };
}

/** The SOA record set every zone has (Azure's values for private zones). */
function soaRecordSet(zone: ResourceRecord): ResourceRecord {
  const name = String(zone.body.name);
  const id = recordSetId(zone.id, "SOA", "@");
  return {
    id,
    type: recordSetType("SOA"),
    body: {
      id, name: "@", type: recordSetType("SOA"), etag: privateDnsEtag(),
      properties: {
        ttl: 3600,
        fqdn: fqdnOf("@", name),
        isAutoRegistered: false,
        soaRecord: {
          email: "azureprivatedns-host.microsoft.com",
          expireTime: 2419200,
          host: "azureprivatedns.net",
          minimumTtl: 10,
          refreshTime: 3600,
          retryTime: 300,
          serialNumber: 1,
        },
      },
    },
  };
}

function parseZoneBody(body: Json, mode: "put" | "patch"): { location?: "global"; tags?: Record<string, string> } {
  onlyKeys(body, ["location", "tags", "etag", "properties", "id", "name", "type"], "");
  optString(body.etag, "etag");
  const props = optObject(body.properties, "properties");
  if (props) onlyKeys(props, ZONE_READ_ONLY, "properties");
  const tags = optTags(body.tags);
  if (mode === "patch") {
    if (body.location !== undefined && body.location !== null) asGlobalLocation(body.location, ZONE_TYPE);
    return { tags };
  }
  return { location: asGlobalLocation(body.location, ZONE_TYPE), tags };
}

export async function putZone(c: ArmCall): Promise<ArmResult> {
  checkZoneName(c.params.zoneName!);
  const input = parseZoneBody(asObject(c.body, ""), "put");
  const { id, rec } = await findZone(c.deps, c.params);
  checkConditions(c, rec, c.params.zoneName!);
  const stored: ResourceRecord = {
    id: rec?.id ?? id,
    type: ZONE_TYPE,
    body: {
      id: rec?.id ?? id,
      name: rec ? String(rec.body.name) : c.params.zoneName!,
      type: ZONE_TYPE,
      etag: privateDnsEtag(),
      location: "global",
      ...(input.tags ? { tags: input.tags } : {}),
      properties: { internalId: (rec?.body.properties as Json | undefined)?.internalId ?? randomUUID() },
    },
  };
  await c.deps.meta.putResource(stored);
  if (!rec) await c.deps.meta.putResource(soaRecordSet(stored));
  return { status: rec ? 200 : 201, body: await renderZone(c.deps, stored) };
}

export async function patchZone(c: ArmCall): Promise<ArmResult> {
  const input = parseZoneBody(asObject(c.body, ""), "patch");
  const { rg, rec } = await findZone(c.deps, c.params);
  if (!rec) notFound(c.params, rg);
  checkConditions(c, rec, c.params.zoneName!);
  const body: Json = { ...rec.body, etag: privateDnsEtag() };
  if (input.tags) body.tags = input.tags;
  const stored = { ...rec, body };
  await c.deps.meta.putResource(stored);
  return { status: 200, body: await renderZone(c.deps, stored) };
}

export async function getZone(c: ArmCall): Promise<ArmResult> {
  const { rg, rec } = await findZone(c.deps, c.params);
  if (!rec) notFound(c.params, rg);
  return { status: 200, body: await renderZone(c.deps, rec) };
}

/** 200 when deleted, 204 when there was nothing (as Azure). Refused while links remain. */
export async function deleteZone(c: ArmCall): Promise<ArmResult> {
  const { rec } = await findZone(c.deps, c.params);
  checkConditions(c, rec, c.params.zoneName!);
  if (!rec) return { status: 204 };
  const links = await c.deps.meta.listResources({ type: LINK_TYPE, underId: rec.id + "/" });
  if (links.length > 0) {
    const name = String(rec.body.name);
    const ids = links.slice(0, 3).map((l) => `${ZONE_TYPE}/${name}/virtualNetworkLinks/${String(l.body.name)}`).join("', '");
    throw armError("CannotDeleteResource", { ids });
  }
  await c.deps.meta.deleteResource(rec.id, true);
  return { status: 200 };
}

export async function listZonesInGroup(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const all = await c.deps.meta.listResources({ type: ZONE_TYPE, underId: group.id + "/" });
  const visible = await readable(c.deps, c.principal, ZONE_READ, all);
  return { status: 200, body: { value: await Promise.all(visible.map((r) => renderZone(c.deps, r))) } };
}

export async function listZonesInSubscription(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const all = await c.deps.meta.listResources({ type: ZONE_TYPE, underId: `/subscriptions/${s}/` });
  const visible = await readable(c.deps, c.principal, ZONE_READ, all);
  return { status: 200, body: { value: await Promise.all(visible.map((r) => renderZone(c.deps, r))) } };
}
