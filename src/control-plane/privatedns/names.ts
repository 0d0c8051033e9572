// Names, ids and types of Microsoft.Network/privateDnsZones and their children (record sets,
// virtual network links), shared by the zone, record set, link and zone group modules. DNS names
// compare case-insensitively (RFC 4343); ids keep the case the resource was created with.

import { armError } from "../arm/errors.js";
import { ZONE_TYPE } from "../../domain/resource-types.js";


/** Record types of the private DNS API, in Azure's spelling (the path segment is matched case-insensitively). */
export const RECORD_TYPES = ["A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];
export const recordSetType = (t: RecordType) => `${ZONE_TYPE}/${t}`;

/** Azure's per-zone limits, reported on the zone (and enforced for record sets and links). */
export const ZONE_LIMITS = { recordSets: 25000, links: 1000, linksWithRegistration: 100 } as const;

export const recordSetId = (zone: string, type: RecordType, name: string) => `${zone}/${type}/${name}`;
export const linkId = (zone: string, name: string) => `${zone}/virtualNetworkLinks/${name}`;
export const zoneGroupId = (pe: string, name: string) => `${pe}/privateDnsZoneGroups/${name}`;

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

function badRequest(reason: string): never {
  throw armError("BadRequest", { reason });
}

/**
 * A private zone name: two or more labels (Azure's rule and message), each 1-63 letters, digits,
 * hyphens or underscores not starting or ending with a hyphen, 253 characters at most, no trailing dot.
 */
export function checkZoneName(name: string): void {
  const labels = name.split(".");
  if (labels.length < 2) badRequest(`The zone name '${name}' does not have enough labels. Zone names must have two or more labels.`);
  if (name.length > 253 || !labels.every((l) => LABEL.test(l))) {
    badRequest(`The zone name '${name}' is invalid. Zone names are DNS names of at most 253 characters whose labels have 1 to 63 letters, digits, hyphens or underscores and do not start or end with a hyphen.`);
  }
}

/**
 * A record set name relative to its zone: `@` for the apex, otherwise one or more labels (a leading
 * `*` label makes a wildcard); the whole fqdn stays within 253 characters.
 */
export function checkRecordSetName(name: string, zone: string): void {
  if (name === "@") return;
  const labels = name.split(".");
  const ok = labels.every((l, i) => LABEL.test(l) || (i === 0 && l === "*"));
  if (!ok || name.length + 1 + zone.length > 253) {
    badRequest(`The record set name '${name}' is invalid. Use '@' for the zone apex or one or more DNS labels of 1 to 63 letters, digits, hyphens or underscores (a leading '*' label for a wildcard); the full name must be at most 253 characters.`);
  }
}

/** `<name>.<zone>.` as Azure reports it (the apex is `<zone>.`). */
export function fqdnOf(name: string, zone: string): string {
  return name === "@" ? `${zone}.` : `${name}.${zone}.`;
}

/** The canonical record type for a path segment, or undefined. */
export function recordTypeOf(segment: string): RecordType | undefined {
  return RECORD_TYPES.find((t) => t.toLowerCase() === segment.toLowerCase());
}

/** Parses a private DNS zone id: subscription, resource group and zone name, or undefined. */
export function parseZoneId(id: string): { subscriptionId: string; resourceGroup: string; zone: string } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/privateDnsZones\/([^/]+)\/?$/i.exec(id);
  return m ? { subscriptionId: m[1]!, resourceGroup: m[2]!, zone: m[3]! } : undefined;
}

/** Parses a virtual network id, or undefined. */
export function parseVnetId(id: string): { subscriptionId: string; resourceGroup: string; name: string } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/?$/i.exec(id);
  return m ? { subscriptionId: m[1]!, resourceGroup: m[2]!, name: m[3]! } : undefined;
}
