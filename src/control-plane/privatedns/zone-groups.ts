// privateEndpoints/{pe}/privateDnsZoneGroups: PUT, GET, DELETE, list. A zone group keeps the A
// records of its private endpoint in the zones it names (acr-networking.md 2.2 and 3):
//
// - for each IP configuration of the endpoint's NIC, each of its fqdns (the public names, e.g.
//   `myreg.cove.test`, `myreg.westeurope.data.cove.test`) becomes a record set named by the fqdn
//   minus the zone's public suffix (zone `privatelink.cove.test` -> suffix `cove.test` -> record sets
//   `myreg` and `myreg.westeurope.data`: one zone holds both, as Azure), TTL 10, the endpoint's IP;
// - writing OVERWRITES whatever record set of that name is there. A second endpoint's zone group for
//   the same registry in the same zone therefore replaces the first's records, exactly as Azure does
//   (acr-networking.md 6.9: the real-world trap later tools must be able to show);
// - which zone group last wrote a record set is remembered in a Cove-internal owner marker
//   (private-dns-record-sets.ts), so deleting a zone group or its endpoint removes only the record
//   sets it still owns: the first endpoint of the trap is left without records, as in Azure.
//
// One zone group per endpoint and at most five zones per group, as Azure. The records a zone group
// writes are audited one event each, with the actor and the zone group as cause.

import type { ArmCall, ArmResult } from "../arm/types.js";
import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import { armError } from "../arm/errors.js";
import { appendAudit } from "../../audit/log.js";
import { demandLinked } from "./links.js";
import { assertSubscription, getResourceGroup } from "../arm/scopes.js";
import { asObject, asString, invalid, onlyKeys, optArray, optObject, optString, type Json } from "../arm/strict-json.js";
import { readARecord, writeZoneGroupRecord, deleteRecordSetById } from "./record-sets.js";
import { fqdnOf, parseZoneId, recordSetId, zoneGroupId } from "./names.js";
import { NIC_TYPE, PRIVATE_ENDPOINT_TYPE, ZONE_GROUP_TYPE, ZONE_TYPE } from "../../domain/resource-types.js";
import { privateDnsEtag } from "../arm/resource-kit.js";
import { privateEndpointId } from "../../domain/resource-ids.js";

export const ZONE_GROUP_READ = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/read";
export const ZONE_GROUP_WRITE = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/write";
export const ZONE_GROUP_DELETE = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/delete";
export const ZONE_JOIN = "Microsoft.Network/privateDnsZones/join/action";

/** TTL of the records a zone group writes (Azure's value; DOC-PL `dig` output shows 10). */
export const ZONE_GROUP_TTL = 10;
export const MAX_ZONES_PER_GROUP = 5;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]$|^[A-Za-z0-9_]$/;

interface ZoneConfig {
  name: string;
  privateDnsZoneId: string;
}

interface WrittenRecord {
  recordType: "A";
  recordSetName: string;
  fqdn: string;
  ttl: number;
  ipAddresses: string[];
  provisioningState: "Succeeded";
}

const lower = (s: string) => s.toLowerCase();

// ---------------------------------------------------------------------------------------------
// The record computation, shared by the handlers and by the private endpoint module.

/** The record set name for `fqdn` in `zone`, or undefined when the name does not belong there. */
export function recordNameFor(fqdn: string, zone: string): string | undefined {
  const f = lower(fqdn.replace(/\.$/, ""));
  const z = lower(zone);
  const publicSuffix = z.startsWith("privatelink.") ? z.slice("privatelink.".length) : z;
  for (const suffix of [z, publicSuffix]) {
    if (f.endsWith("." + suffix) && f.length > suffix.length + 1) return f.slice(0, f.length - suffix.length - 1);
  }
  return undefined;
}

/** (ip, fqdns) pairs of the endpoint's NIC(s). */
async function endpointAddresses(meta: MetadataStore, pe: ResourceRecord): Promise<Array<{ ip: string; fqdns: string[] }>> {
  const out: Array<{ ip: string; fqdns: string[] }> = [];
  const nics = ((pe.body.properties as Json | undefined)?.networkInterfaces as Json[] | undefined) ?? [];
  for (const n of nics) {
    const nic = typeof n?.id === "string" ? await meta.getResource(n.id) : undefined;
    if (!nic || lower(nic.type) !== lower(NIC_TYPE)) continue;
    for (const cfg of ((nic.body.properties as Json | undefined)?.ipConfigurations as Json[] | undefined) ?? []) {
      const p = (cfg?.properties ?? {}) as Json;
      const ip = p.privateIPAddress;
      const fqdns = ((p.privateLinkConnectionProperties as Json | undefined)?.fqdns as unknown[] | undefined) ?? [];
      if (typeof ip === "string") out.push({ ip, fqdns: fqdns.filter((f): f is string => typeof f === "string") });
    }
  }
  return out;
}

function configsOf(group: Json | undefined): Array<ZoneConfig & { recordSets: WrittenRecord[] }> {
  const list = (((group?.properties as Json | undefined)?.privateDnsZoneConfigs as Json[] | undefined) ?? []);
  return list.map((c) => {
    const p = (c.properties ?? {}) as Json;
    return { name: String(c.name), privateDnsZoneId: String(p.privateDnsZoneId), recordSets: ((p.recordSets as WrittenRecord[] | undefined) ?? []) };
  });
}

async function audit(meta: MetadataStore, action: string, resourceId: string, actor: string, cause: string): Promise<void> {
  await appendAudit(meta, { kind: "control-plane", action, resourceId, actor, cause, status: 200 });
}

/** Removes the record sets the group wrote (per `written`) that it still owns. */
async function removeOwned(meta: MetadataStore, groupId: string, written: Array<{ zoneId: string; name: string }>, actor: string): Promise<void> {
  for (const w of written) {
    const zone = await meta.getResource(w.zoneId);
    if (!zone || lower(zone.type) !== lower(ZONE_TYPE)) continue;
    const { rec, owner } = await readARecord(meta, zone, w.name);
    if (!rec || !owner || lower(owner.zoneGroupId) !== lower(groupId)) continue;
    await deleteRecordSetById(meta, rec.id);
    await audit(meta, "Microsoft.Network/privateDnsZones/A/delete", rec.id, actor, groupId);
  }
}

const writtenOf = (configs: Array<{ privateDnsZoneId: string; recordSets: WrittenRecord[] }>) =>
  configs.flatMap((c) => c.recordSets.map((r) => ({ zoneId: c.privateDnsZoneId, name: r.recordSetName })));

/**
 * (Re)writes the records of one zone group from the endpoint's current NIC and stores the group.
 * `previous` is the group's stored body before this change (its records no longer wanted are removed).
 */
async function applyGroup(
  meta: MetadataStore, pe: ResourceRecord, id: string, name: string, configs: ZoneConfig[], previous: Json | undefined, actor: string,
): Promise<Json> {
  const addresses = await endpointAddresses(meta, pe);
  const peName = String(pe.body.name);
  const creator = `created by private endpoint ${peName} with resource guid ${String((pe.body.properties as Json | undefined)?.resourceGuid ?? "")}`;
  const wanted = new Set<string>();
  const rendered: Json[] = [];
  for (const cfg of configs) {
    const zone = await meta.getResource(cfg.privateDnsZoneId);
    const recordSets: WrittenRecord[] = [];
    if (zone && lower(zone.type) === lower(ZONE_TYPE)) {
      const zoneName = String(zone.body.name);
      const byName = new Map<string, string[]>();
      for (const a of addresses) {
        for (const f of a.fqdns) {
          const n = recordNameFor(f, zoneName);
          if (n === undefined) continue;
          const ips = byName.get(n) ?? [];
          if (!ips.includes(a.ip)) ips.push(a.ip);
          byName.set(n, ips);
        }
      }
      for (const [n, ips] of byName) {
        const rec = await writeZoneGroupRecord(meta, zone, n, ips, ZONE_GROUP_TTL, { zoneGroupId: id, privateEndpointId: pe.id }, { creator });
        await audit(meta, "Microsoft.Network/privateDnsZones/A/write", rec.id, actor, id);
        wanted.add(lower(recordSetId(zone.id, "A", n)));
        recordSets.push({ recordType: "A", recordSetName: n, fqdn: fqdnOf(n, zoneName).replace(/\.$/, ""), ttl: ZONE_GROUP_TTL, ipAddresses: ips, provisioningState: "Succeeded" });
      }
    }
    rendered.push({ name: cfg.name, properties: { privateDnsZoneId: cfg.privateDnsZoneId, recordSets } });
  }
  const stale = writtenOf(configsOf(previous)).filter((w) => !wanted.has(lower(recordSetId(w.zoneId, "A", w.name))));
  await removeOwned(meta, id, stale, actor);
  const body: Json = {
    id, name, type: ZONE_GROUP_TYPE, etag: privateDnsEtag(),
    properties: { provisioningState: "Succeeded", privateDnsZoneConfigs: rendered },
  };
  await meta.putResource({ id, type: ZONE_GROUP_TYPE, body });
  return body;
}

async function groupsOf(meta: MetadataStore, endpointId: string): Promise<ResourceRecord[]> {
  return meta.listResources({ type: ZONE_GROUP_TYPE, underId: endpointId.replace(/\/+$/, "") + "/" });
}

/** Recompute the A records written by every zone group of this private endpoint from its NIC's current
 *  IPs and fqdns (called after a private endpoint is created or updated). */
export async function syncZoneGroupsForEndpoint(meta: MetadataStore, endpointId: string, actor: string): Promise<void> {
  const pe = await meta.getResource(endpointId);
  if (!pe || lower(pe.type) !== lower(PRIVATE_ENDPOINT_TYPE)) return;
  for (const g of await groupsOf(meta, pe.id)) {
    const configs = configsOf(g.body).map(({ name, privateDnsZoneId }) => ({ name, privateDnsZoneId }));
    await applyGroup(meta, pe, g.id, String(g.body.name), configs, g.body, actor);
  }
}

/** Delete the endpoint's zone groups and the A records they wrote (called before the endpoint is deleted). */
export async function removeZoneGroupsForEndpoint(meta: MetadataStore, endpointId: string, actor: string): Promise<void> {
  for (const g of await groupsOf(meta, endpointId)) {
    await removeOwned(meta, g.id, writtenOf(configsOf(g.body)), actor);
    await meta.deleteResource(g.id, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Handlers.

async function endpointFor(c: ArmCall): Promise<ResourceRecord> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const rec = await c.deps.meta.getResource(privateEndpointId(s, String(group.body.name), c.params.privateEndpointName!));
  if (!rec || lower(rec.type) !== lower(PRIVATE_ENDPOINT_TYPE)) {
    throw armError("ResourceNotFound", { type: PRIVATE_ENDPOINT_TYPE, name: c.params.privateEndpointName!, resourceGroup: String(group.body.name) });
  }
  return rec;
}

async function getGroup(c: ArmCall, pe: ResourceRecord): Promise<ResourceRecord | undefined> {
  const rec = await c.deps.meta.getResource(zoneGroupId(pe.id, c.params.privateDnsZoneGroupName!));
  return rec && lower(rec.type) === lower(ZONE_GROUP_TYPE) ? rec : undefined;
}

function checkName(name: string, target: string): void {
  if (!NAME.test(name)) {
    throw armError("InvalidParameter", {
      target,
      reason: "Names have 1 to 80 letters, digits, '_', '.' or '-', start with a letter, digit or '_' and end with a letter, digit or '_'.",
    }, { target });
  }
}

function parseGroupBody(body: Json): ZoneConfig[] {
  onlyKeys(body, ["properties", "name", "id", "type", "etag"], "");
  optString(body.etag, "etag");
  const p = optObject(body.properties, "properties");
  if (!p) invalid("properties", "Required property 'properties' not found in JSON.");
  onlyKeys(p, ["privateDnsZoneConfigs", "provisioningState"], "properties");
  const list = optArray(p.privateDnsZoneConfigs, "properties.privateDnsZoneConfigs") ?? [];
  if (list.length === 0) invalid("properties.privateDnsZoneConfigs", "At least one private DNS zone config is required.");
  if (list.length > MAX_ZONES_PER_GROUP) {
    throw armError("BadRequest", { reason: `A private DNS zone group can have at most ${MAX_ZONES_PER_GROUP} private DNS zone configs; ${list.length} were given.` });
  }
  const out: ZoneConfig[] = [];
  list.forEach((raw, i) => {
    const at = `properties.privateDnsZoneConfigs[${i}]`;
    const cfg = asObject(raw, at);
    onlyKeys(cfg, ["name", "id", "properties"], at);
    if (cfg.name === undefined || cfg.name === null) invalid(`${at}.name`, "Required property 'name' not found in JSON.");
    const name = asString(cfg.name, `${at}.name`);
    checkName(name, `${at}.name`);
    const cp = asObject(cfg.properties, `${at}.properties`);
    onlyKeys(cp, ["privateDnsZoneId", "recordSets"], `${at}.properties`);
    const zid = asString(cp.privateDnsZoneId, `${at}.properties.privateDnsZoneId`).replace(/\/+$/, "");
    if (out.some((o) => lower(o.name) === lower(name))) throw armError("BadRequest", { reason: `The private DNS zone config name '${name}' is used more than once.` });
    if (out.some((o) => lower(o.privateDnsZoneId) === lower(zid))) throw armError("BadRequest", { reason: `The private DNS zone '${zid}' is named by more than one config.` });
    out.push({ name, privateDnsZoneId: zid });
  });
  return out;
}

export async function putZoneGroup(c: ArmCall): Promise<ArmResult> {
  const name = c.params.privateDnsZoneGroupName!;
  checkName(name, "privateDnsZoneGroupName");
  const configs = parseGroupBody(asObject(c.body, ""));
  const pe = await endpointFor(c);
  const id = zoneGroupId(pe.id, name);
  const bad: string[] = [];
  for (const cfg of configs) {
    const z = parseZoneId(cfg.privateDnsZoneId);
    const rec = z && lower(z.subscriptionId) === lower(c.deps.subscriptionId) ? await c.deps.meta.getResource(cfg.privateDnsZoneId) : undefined;
    if (!rec || lower(rec.type) !== lower(ZONE_TYPE)) bad.push(cfg.privateDnsZoneId);
    else cfg.privateDnsZoneId = rec.id;
  }
  if (bad.length > 0) throw armError("InvalidPrivateDnsZoneIds", { id, ids: bad.join(", ") });
  for (const cfg of configs) await demandLinked(c, ZONE_GROUP_WRITE, id, ZONE_JOIN, cfg.privateDnsZoneId);
  const existing = await getGroup(c, pe);
  const others = (await groupsOf(c.deps.meta, pe.id)).filter((g) => lower(g.id) !== lower(id));
  if (others.length > 0) {
    throw armError("BadRequest", { reason: `Cannot create more than one private dns zone groups in the private endpoint ${String(pe.body.name)}.` });
  }
  const body = await applyGroup(c.deps.meta, pe, existing?.id ?? id, existing ? String(existing.body.name) : name, configs, existing?.body, c.principal.id);
  return { status: existing ? 200 : 201, body };
}

export async function getZoneGroup(c: ArmCall): Promise<ArmResult> {
  const pe = await endpointFor(c);
  const rec = await getGroup(c, pe);
  if (!rec) {
    throw armError("ResourceNotFound", {
      type: PRIVATE_ENDPOINT_TYPE, name: `${String(pe.body.name)}/privateDnsZoneGroups/${c.params.privateDnsZoneGroupName!}`,
      resourceGroup: /\/resourceGroups\/([^/]+)/i.exec(pe.id)?.[1] ?? "",
    });
  }
  return { status: 200, body: rec.body };
}

/** 200 when deleted (its records it still owns go with it), 204 when there was nothing. */
export async function deleteZoneGroup(c: ArmCall): Promise<ArmResult> {
  const pe = await endpointFor(c);
  const rec = await getGroup(c, pe);
  if (!rec) return { status: 204 };
  await removeOwned(c.deps.meta, rec.id, writtenOf(configsOf(rec.body)), c.principal.id);
  await c.deps.meta.deleteResource(rec.id, true);
  return { status: 200 };
}

export async function listZoneGroups(c: ArmCall): Promise<ArmResult> {
  const pe = await endpointFor(c);
  return { status: 200, body: { value: (await groupsOf(c.deps.meta, pe.id)).map((g) => g.body) } };
}
