// Record sets of a private DNS zone: A record sets (PUT, PATCH, GET, DELETE), the SOA record set
// `@` (GET; it exists in every zone), list by type (`.../A`) and all types (`.../ALL`). Other
// record types (AAAA, CNAME, MX, PTR, SRV, TXT) are refused with a clear error: the issue needs A
// records only. `If-Match` / `If-None-Match: *` are honoured on writes and deletes.
//
// Zone groups (private-dns-zone-groups.ts) write A record sets through `writeZoneGroupRecord`; a
// Cove-internal owner marker, stored as its own resource record beside the record set (never in
// the ARM body), remembers which zone group last wrote it. A manual PUT, PATCH or DELETE through
// this API clears the marker: the record set is then the user's, and no zone group removes it.

import { isIPv4 } from "node:net";
import type { ArmCall, ArmResult } from "../arm/types.js";
import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import { armError } from "../arm/errors.js";
import { asObject, invalid, onlyKeys, optArray, optInteger, optObject, optString, type Json } from "../arm/strict-json.js";
import { checkConditions } from "./conditions.js";
import { getZoneForChild } from "./zones.js";
import { RECORD_TYPES, ZONE_LIMITS, checkRecordSetName, fqdnOf, recordSetId, recordSetType, recordTypeOf, type RecordType } from "./names.js";
import { ZONE_TYPE } from "../../domain/resource-types.js";
import { privateDnsEtag } from "../arm/resource-kit.js";

export const A_READ = "Microsoft.Network/privateDnsZones/A/read";
export const A_WRITE = "Microsoft.Network/privateDnsZones/A/write";
export const A_DELETE = "Microsoft.Network/privateDnsZones/A/delete";
export const SOA_READ = "Microsoft.Network/privateDnsZones/SOA/read";
export const RECORDSETS_READ = "Microsoft.Network/privateDnsZones/recordsets/read";

/** Azure's limit on records in one record set (private DNS limits). */
export const MAX_RECORDS_PER_SET = 20;

export const RECORD_OWNER_TYPE = "Cove/privateDnsRecordOwner";
export const recordOwnerId = (recordSet: string) => `${recordSet}/coveZoneGroupOwner`;

export interface RecordOwner {
  zoneGroupId: string;
  privateEndpointId: string;
}

const RECORD_ARRAYS = ["aRecords", "aaaaRecords", "cnameRecord", "mxRecords", "ptrRecords", "soaRecord", "srvRecords", "txtRecords"];

function badRequest(reason: string): never {
  throw armError("BadRequest", { reason });
}

function notFound(zone: ResourceRecord, type: RecordType, name: string): never {
  throw armError("ResourceNotFound", {
    type: ZONE_TYPE,
    name: `${String(zone.body.name)}/${type}/${name}`,
    resourceGroup: /\/resourceGroups\/([^/]+)/i.exec(zone.id)?.[1] ?? "",
  });
}

interface ARecordInput {
  ttl?: number;
  metadata?: Record<string, string>;
  aRecords?: Array<{ ipv4Address: string }>;
}

function parseARecordBody(body: Json): ARecordInput {
  onlyKeys(body, ["properties", "etag", "id", "name", "type"], "");
  optString(body.etag, "etag");
  const p = optObject(body.properties, "properties") ?? {};
  onlyKeys(p, ["ttl", "metadata", "fqdn", "isAutoRegistered", ...RECORD_ARRAYS], "properties");
  for (const k of RECORD_ARRAYS) {
    if (k !== "aRecords" && p[k] !== undefined && p[k] !== null) badRequest(`The property '${k}' is not allowed in a record set of type 'A'.`);
  }
  const out: ARecordInput = {};
  out.ttl = optInteger(p.ttl, "properties.ttl", 0, 2147483647);
  const meta = optObject(p.metadata, "properties.metadata");
  if (meta) {
    out.metadata = {};
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== "string") invalid(`properties.metadata.${k}`, `Error converting value ${JSON.stringify(v)} to type 'String'.`);
      out.metadata[k] = v;
    }
  }
  const recs = optArray(p.aRecords, "properties.aRecords");
  if (recs) {
    if (recs.length > MAX_RECORDS_PER_SET) badRequest(`A record set can hold at most ${MAX_RECORDS_PER_SET} records; ${recs.length} were given.`);
    const seen = new Set<string>();
    out.aRecords = recs.map((r, i) => {
      const o = asObject(r, `properties.aRecords[${i}]`);
      onlyKeys(o, ["ipv4Address"], `properties.aRecords[${i}]`);
      const ip = optString(o.ipv4Address, `properties.aRecords[${i}].ipv4Address`);
      if (ip === undefined || !isIPv4(ip)) badRequest(`The IPv4 address '${ip ?? ""}' of properties.aRecords[${i}] is invalid.`);
      if (seen.has(ip)) badRequest(`The IPv4 address '${ip}' appears more than once in the record set.`);
      seen.add(ip);
      return { ipv4Address: ip };
    });
  }
  return out;
}

function aRecordDocument(zone: ResourceRecord, id: string, name: string, v: Required<Pick<ARecordInput, "ttl" | "aRecords">> & { metadata?: Record<string, string> }): Json {
  return {
    id, name, type: recordSetType("A"), etag: privateDnsEtag(),
    properties: {
      ...(v.metadata ? { metadata: v.metadata } : {}),
      ttl: v.ttl,
      fqdn: fqdnOf(name, String(zone.body.name)),
      isAutoRegistered: false,
      aRecords: v.aRecords,
    },
  };
}

async function countRecordSets(meta: MetadataStore, zone: ResourceRecord): Promise<number> {
  const prefix = ZONE_TYPE.toLowerCase() + "/";
  return (await meta.listResources({ underId: zone.id + "/" })).filter((r) => r.type.toLowerCase().startsWith(prefix) && !r.type.toLowerCase().endsWith("/virtualnetworklinks")).length;
}

async function getA(meta: MetadataStore, zone: ResourceRecord, name: string): Promise<ResourceRecord | undefined> {
  const rec = await meta.getResource(recordSetId(zone.id, "A", name));
  return rec && rec.type.toLowerCase() === recordSetType("A").toLowerCase() ? rec : undefined;
}

export async function putARecordSet(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const name = c.params.relativeRecordSetName!;
  checkRecordSetName(name, String(zone.body.name));
  const input = parseARecordBody(asObject(c.body, ""));
  const existing = await getA(c.deps.meta, zone, name);
  checkConditions(c, existing, name);
  if (!existing && (await countRecordSets(c.deps.meta, zone)) >= ZONE_LIMITS.recordSets) {
    badRequest(`The zone '${String(zone.body.name)}' already holds the maximum of ${ZONE_LIMITS.recordSets} record sets.`);
  }
  const id = existing?.id ?? recordSetId(zone.id, "A", name);
  const body = aRecordDocument(zone, id, existing ? String(existing.body.name) : name, {
    ttl: input.ttl ?? 3600, aRecords: input.aRecords ?? [], metadata: input.metadata,
  });
  await c.deps.meta.putResource({ id, type: recordSetType("A"), body });
  await c.deps.meta.deleteResource(recordOwnerId(id), false);
  return { status: existing ? 200 : 201, body };
}

/** PATCH: the properties given replace the stored ones; the others are kept. */
export async function patchARecordSet(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const name = c.params.relativeRecordSetName!;
  const input = parseARecordBody(asObject(c.body, ""));
  const existing = await getA(c.deps.meta, zone, name);
  if (!existing) notFound(zone, "A", name);
  checkConditions(c, existing, name);
  const prev = existing.body.properties as Json;
  const body = aRecordDocument(zone, existing.id, String(existing.body.name), {
    ttl: input.ttl ?? (prev.ttl as number),
    aRecords: input.aRecords ?? (prev.aRecords as Array<{ ipv4Address: string }>),
    metadata: input.metadata ?? (prev.metadata as Record<string, string> | undefined),
  });
  await c.deps.meta.putResource({ id: existing.id, type: recordSetType("A"), body });
  await c.deps.meta.deleteResource(recordOwnerId(existing.id), false);
  return { status: 200, body };
}

export async function getARecordSet(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const name = c.params.relativeRecordSetName!;
  const rec = await getA(c.deps.meta, zone, name);
  if (!rec) notFound(zone, "A", name);
  return { status: 200, body: rec.body };
}

/** 200 when deleted, 204 when there was nothing (as Azure DNS). */
export async function deleteARecordSet(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const name = c.params.relativeRecordSetName!;
  const rec = await getA(c.deps.meta, zone, name);
  checkConditions(c, rec, name);
  if (!rec) return { status: 204 };
  await c.deps.meta.deleteResource(rec.id, true);
  return { status: 200 };
}

export async function getSoaRecordSet(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const name = c.params.relativeRecordSetName!;
  const rec = name === "@" ? await c.deps.meta.getResource(recordSetId(zone.id, "SOA", "@")) : undefined;
  if (!rec) notFound(zone, "SOA", name);
  return { status: 200, body: rec.body };
}

/** Writes to the SOA record set and to record types other than A are not supported (yet). */
export async function unsupportedRecordSetWrite(c: ArmCall): Promise<ArmResult> {
  const t = recordTypeOf(c.params.recordType ?? "SOA");
  if (!t) badRequest(`The record type '${c.params.recordType}' is not valid. Valid types are ${RECORD_TYPES.join(", ")}.`);
  if (t === "SOA") badRequest("Cove does not support changing or deleting the SOA record set of a private DNS zone.");
  badRequest(`Cove supports A record sets only in private DNS zones; '${t}' record sets are not supported.`);
}

/** GET of a record set of another type: a valid type has no record sets here; an invalid one is refused. */
export async function getOtherRecordSet(c: ArmCall): Promise<ArmResult> {
  const t = recordTypeOf(c.params.recordType!);
  if (!t) badRequest(`The record type '${c.params.recordType}' is not valid. Valid types are ${RECORD_TYPES.join(", ")}.`);
  const zone = await getZoneForChild(c.deps, c.params);
  notFound(zone, t, c.params.relativeRecordSetName!);
}

function byName(a: ResourceRecord, b: ResourceRecord): number {
  return String(a.body.name).toLowerCase() < String(b.body.name).toLowerCase() ? -1 : 1;
}

/** GET .../{recordType}: the zone's record sets of one type. */
export async function listRecordSetsByType(c: ArmCall): Promise<ArmResult> {
  // The `.../A` route names its type in the pattern; the catch-all passes it as a parameter.
  const t = recordTypeOf(c.params.recordType ?? "A");
  if (!t) badRequest(`The record type '${c.params.recordType}' is not valid. Valid types are ${RECORD_TYPES.join(", ")}.`);
  const zone = await getZoneForChild(c.deps, c.params);
  const recs = await c.deps.meta.listResources({ type: recordSetType(t), underId: zone.id + "/" });
  return { status: 200, body: { value: recs.sort(byName).map((r) => r.body) } };
}

/** GET .../ALL (and .../recordsets): every record set of the zone, SOA first. */
export async function listAllRecordSets(c: ArmCall): Promise<ArmResult> {
  const zone = await getZoneForChild(c.deps, c.params);
  const value: unknown[] = [];
  for (const t of ["SOA", ...RECORD_TYPES.filter((x) => x !== "SOA")] as RecordType[]) {
    const recs = await c.deps.meta.listResources({ type: recordSetType(t), underId: zone.id + "/" });
    value.push(...recs.sort(byName).map((r) => r.body));
  }
  return { status: 200, body: { value } };
}

// --- for zone groups ---

/** The stored A record set `name` of the zone and its owner marker, if any. */
export async function readARecord(meta: MetadataStore, zone: ResourceRecord, name: string): Promise<{ rec?: ResourceRecord; owner?: RecordOwner }> {
  const rec = await getA(meta, zone, name);
  if (!rec) return {};
  const o = await meta.getResource(recordOwnerId(rec.id));
  return { rec, owner: o ? (o.body as unknown as RecordOwner) : undefined };
}

/** Writes (overwrites) an A record set for a zone group and marks the group as its owner. */
export async function writeZoneGroupRecord(
  meta: MetadataStore, zone: ResourceRecord, name: string, ips: string[], ttl: number, owner: RecordOwner, metadata: Record<string, string>,
): Promise<ResourceRecord> {
  const existing = await getA(meta, zone, name);
  const id = existing?.id ?? recordSetId(zone.id, "A", name);
  const body = aRecordDocument(zone, id, existing ? String(existing.body.name) : name, {
    ttl, aRecords: ips.map((ipv4Address) => ({ ipv4Address })), metadata,
  });
  const rec = { id, type: recordSetType("A"), body };
  await meta.putResource(rec);
  await meta.putResource({ id: recordOwnerId(id), type: RECORD_OWNER_TYPE, body: { ...owner } });
  return rec;
}

/** Deletes an A record set (and its owner marker). */
export async function deleteRecordSetById(meta: MetadataStore, id: string): Promise<void> {
  await meta.deleteResource(id, true);
}
