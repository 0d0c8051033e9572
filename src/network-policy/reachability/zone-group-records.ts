// Which A record sets a zone group owns, and what creating one would write: the part of
// privatedns/zone-groups.ts that `--what-if` copies onto a copy of the inventory (what-if.ts).
// What the server does on a zone group PUT, copied here (the handler is the truth; keep in step):
//   - the group's endpoint must have no other zone group (BadRequest) and every zone must exist
//     (InvalidPrivateDnsZoneIds): refused, nothing written;
//   - for every IP configuration of the endpoint's NIC, each fqdn becomes a record set named by the
//     fqdn minus the zone's public suffix, holding the endpoint's IP; writing OVERWRITES the record
//     set of that name, whoever wrote it (the regional trap: a second region's group takes the
//     shared zone's records), and the set's `creator` names the new endpoint;
//   - a group written again drops the record sets it owned and no longer writes.
import { parentOf } from "../../domain/resource-ids.js";
import type { ArmInventory, ArmJson } from "./inventory.js";
import { recordNameIn } from "./record-history.js";

/** Azure's TTL for a zone group's records (privatedns/zone-groups.ts ZONE_GROUP_TTL). */
const TTL = 10;

const lower = (v: unknown) => String(v ?? "").toLowerCase();
const same = (a: unknown, b: unknown) => lower(a) === lower(b);
const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);
const creatorOf = (pe: ArmJson) => `created by private endpoint ${String(pe.name ?? nameOf(String(pe.id)))} with resource guid ${String(pe.properties?.resourceGuid ?? "")}`;
const ipsOf = (set: ArmJson | undefined) => ((set?.properties?.aRecords ?? []) as ArmJson[]).map((r) => String(r.ipv4Address));

/**
 * The A record sets (lower-cased ids) a zone group still owns. The server keeps the owner in a
 * marker ARM does not show; from ARM's documents, a set is the group's when the group lists it as
 * written, it still has the addresses the group wrote, and its `creator` metadata names the group's
 * endpoint (and resource guid). A second endpoint's group that overwrote it changes the creator; a
 * manual edit changes the addresses.
 */
export function ownedRecordSets(inv: ArmInventory, group: ArmJson): string[] {
  const pe = inv.privateEndpoints.find((e) => same(e.id, parentOf(String(group.id))));
  if (!pe) return [];
  const creator = creatorOf(pe);
  const out: string[] = [];
  for (const cfg of (group.properties?.privateDnsZoneConfigs ?? []) as ArmJson[]) {
    const zoneId = String(cfg.properties?.privateDnsZoneId ?? cfg.privateDnsZoneId ?? "");
    for (const w of (cfg.properties?.recordSets ?? []) as ArmJson[]) {
      const set = inv.aRecordSets.find((a) => same(a.id, `${zoneId}/A/${String(w.recordSetName)}`));
      if (!set || set.properties?.metadata?.creator !== creator) continue;
      if (ipsOf(set).sort().join(",") !== ((w.ipAddresses ?? []) as string[]).map(String).sort().join(",")) continue;
      out.push(lower(set.id));
    }
  }
  return out;
}

export interface CreateZoneGroup {
  kind: "create-zone-group";
  /** The zone group's id: `<private endpoint id>/privateDnsZoneGroups/<name>`. */
  zoneGroupId: string;
  /** The zone it writes into (one config, as `dns-zone-group create` makes). */
  zoneId: string;
  /** The config's name inside the group (default: the zone's name with dots as dashes, as az). */
  zoneConfigName?: string;
}

/** A record set the new group would overwrite: what it holds now (and which endpoint wrote it), what it would hold. */
export interface Overwrite {
  recordSetId: string;
  record: string;
  zone: string;
  before: string[];
  after: string[];
  /** The endpoint whose zone group wrote it (its `creator` metadata), when one did. */
  writtenBy?: string;
}

/** The endpoint's (ip, fqdns) pairs from its NIC documents. */
function nicAddresses(inv: ArmInventory, pe: ArmJson): { ip: string; fqdns: string[] }[] {
  const out: { ip: string; fqdns: string[] }[] = [];
  for (const ref of (pe.properties?.networkInterfaces ?? []) as ArmJson[]) {
    const nic = inv.networkInterfaces.find((n) => same(n.id, ref.id));
    for (const cfg of (nic?.properties?.ipConfigurations ?? []) as ArmJson[]) {
      const p = cfg.properties ?? {};
      if (typeof p.privateIPAddress === "string") out.push({ ip: p.privateIPAddress, fqdns: ((p.privateLinkConnectionProperties?.fqdns ?? []) as unknown[]).map(String) });
    }
  }
  return out;
}

/** Applies a zone group PUT to `inv` in place; `notes` say what the service refuses, `overwrites` whose records it takes. */
export function applyCreateZoneGroup(inv: ArmInventory, change: CreateZoneGroup): { found: boolean; notes: string[]; overwrites: Overwrite[] } {
  const peId = parentOf(change.zoneGroupId);
  const pe = inv.privateEndpoints.find((e) => same(e.id, peId));
  if (!pe) return { found: false, notes: [`private endpoint ${nameOf(peId)} does not exist: the service refuses the zone group (ResourceNotFound), nothing would change`], overwrites: [] };
  const other = inv.zoneGroups.find((g) => same(parentOf(String(g.id)), pe.id) && !same(g.id, change.zoneGroupId));
  if (other) return { found: true, notes: [`the service refuses this (BadRequest): private endpoint ${String(pe.name)} already has zone group ${String(other.name ?? nameOf(String(other.id)))}; nothing would change`], overwrites: [] };
  const zones = [{ name: change.zoneConfigName ?? nameOf(change.zoneId).replace(/\./g, "-"), zoneId: change.zoneId }]
    .map((c) => ({ ...c, doc: inv.privateDnsZones.find((z) => same(z.id, c.zoneId)) }));
  const absent = zones.filter((z) => !z.doc).map((z) => z.zoneId);
  if (absent.length) return { found: true, notes: [`the service refuses this (InvalidPrivateDnsZoneIds): no zone ${absent.join(", ")}; nothing would change`], overwrites: [] };
  const previous = inv.zoneGroups.find((g) => same(g.id, change.zoneGroupId));
  const ownedBefore = new Set(previous ? ownedRecordSets(inv, previous) : []);
  const addresses = nicAddresses(inv, pe);
  const creator = creatorOf(pe);
  const overwrites: Overwrite[] = [];
  const wanted = new Set<string>();
  const configs = zones.map(({ name, zoneId, doc }) => {
    const zone = lower(doc!.name);
    const byName = new Map<string, string[]>();
    for (const a of addresses) {
      for (const f of a.fqdns) {
        const n = recordNameIn(f, zone);
        if (n === undefined) continue;
        byName.set(n, [...new Set([...(byName.get(n) ?? []), a.ip])]);
      }
    }
    const recordSets = [...byName].map(([n, ips]) => {
      const id = `${String(doc!.id)}/A/${n}`;
      wanted.add(lower(id));
      const at = inv.aRecordSets.findIndex((a) => same(a.id, id));
      const old = at >= 0 ? inv.aRecordSets[at] : undefined;
      if (old && (old.properties?.metadata?.creator !== creator || ipsOf(old).sort().join() !== [...ips].sort().join())) {
        const by = /^created by private endpoint (\S+)/.exec(String(old.properties?.metadata?.creator ?? ""))?.[1];
        overwrites.push({ recordSetId: String(old.id), record: n, zone, before: ipsOf(old), after: ips, ...(by ? { writtenBy: by } : {}) });
      }
      const set = { id: old?.id ?? id, name: n, type: "Microsoft.Network/privateDnsZones/A", properties: { ...old?.properties, ttl: TTL, metadata: { creator }, aRecords: ips.map((ip) => ({ ipv4Address: ip })) } };
      if (at >= 0) inv.aRecordSets[at] = set;
      else inv.aRecordSets.push(set);
      return { recordType: "A", recordSetName: n, fqdn: `${n}.${zone}`, ttl: TTL, ipAddresses: ips, provisioningState: "Succeeded" };
    });
    return { name, properties: { privateDnsZoneId: String(doc!.id), recordSets } };
  });
  for (let i = inv.aRecordSets.length - 1; i >= 0; i--) {
    const id = lower(inv.aRecordSets[i]!.id);
    if (ownedBefore.has(id) && !wanted.has(id)) inv.aRecordSets.splice(i, 1);
  }
  const group = { id: change.zoneGroupId, name: nameOf(change.zoneGroupId), type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", properties: { provisioningState: "Succeeded", privateDnsZoneConfigs: configs } };
  const at = inv.zoneGroups.findIndex((g) => same(g.id, change.zoneGroupId));
  if (at >= 0) inv.zoneGroups[at] = group;
  else inv.zoneGroups.push(group);
  const notes = overwrites.map((o) => `overwrites record set ${o.record} of zone ${o.zone} (${o.before.join(", ") || "no address"}${o.writtenBy ? `, written by private endpoint ${o.writtenBy}'s zone group` : ""}) with ${o.after.join(", ")}`);
  return { found: true, notes, overwrites };
}
