// The history of one A record set, for preflight's DNS_WRONG_ADDRESS: which zone group (or which
// principal, directly) wrote it, with what addresses, when, newest first. The audit log says who and
// when: every record a zone group writes is one `control-plane` event with the zone group as
// `cause` (privatedns/zone-groups.ts), a record set PUT or PATCH through the API is the front door's
// event. It does not say the addresses, so they come from the documents ARM serves: the record set's
// current addresses for the newest write, the zone group's `recordSets` for a group's older write
// (what the group wrote and, in the trap, what it would still write), else the endpoint's NIC.
// Pure: audit records and the inventory in, the history out; the CLI reads both through the API.
import { parentOf } from "../../domain/resource-ids.js";
import type { ArmInventory, ArmJson } from "./inventory.js";
import type { ReachabilityModel } from "./model.js";

const WRITE = "microsoft.network/privatednszones/a/write";
const DELETE = "microsoft.network/privatednszones/a/delete";

/** An audit record as GET /cove/audit returns it (only the fields read here). */
export interface AuditRow {
  seq: number;
  time: string;
  event: Record<string, any>;
}

export interface RecordWriter {
  /** The zone group whose write it was, and its private endpoint (its region too, when known). */
  zoneGroupId: string;
  zoneGroup: string;
  endpointId: string;
  endpoint: string;
  location?: string;
}

export interface RecordChange {
  seq: number;
  time: string;
  action: "write" | "delete";
  /** The principal that asked (object id) and its display name when the directory has one. */
  actor: string;
  actorName?: string;
  /** Absent when the record set was written or deleted directly (a record set PUT, PATCH or DELETE). */
  writer?: RecordWriter;
  /** The addresses written; absent when no document says them any more. */
  addresses?: string[];
}

export interface RecordHistory {
  recordSetId: string;
  record: string;
  zone: string;
  /** Newest first. */
  changes: RecordChange[];
  /** One sentence: the newest write, and the other writer's whose addresses it replaced. */
  summary: string;
}

const lower = (v: unknown) => String(v ?? "").toLowerCase();
const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);

/** Whether an audit record is a change of this record set (write or delete, that succeeded). */
export function concernsRecordSet(r: AuditRow, recordSetId: string): boolean {
  const e = r.event;
  if (e?.kind !== "control-plane" || lower(e.resourceId) !== lower(recordSetId)) return false;
  const action = lower(e.action);
  return (action === WRITE || action === DELETE) && !(typeof e.status === "number" && e.status >= 300);
}

/** The record name of `fqdn` in zone `zone` (privatelink.<suffix> holds the names of <suffix>), as zone groups write it. */
export function recordNameIn(fqdn: string, zone: string): string | undefined {
  const f = lower(fqdn).replace(/\.$/, "");
  const z = lower(zone);
  for (const suffix of [z, z.replace(/^privatelink\./, "")]) if (f.endsWith("." + suffix)) return f.slice(0, f.length - suffix.length - 1);
  return undefined;
}

function groupAddresses(group: ArmJson | undefined, zoneId: string, record: string): string[] | undefined {
  for (const cfg of (group?.properties?.privateDnsZoneConfigs ?? []) as ArmJson[]) {
    if (lower(cfg.properties?.privateDnsZoneId ?? cfg.privateDnsZoneId) !== lower(zoneId)) continue;
    const set = ((cfg.properties?.recordSets ?? []) as ArmJson[]).find((w) => lower(w.recordSetName) === lower(record));
    if (set) return ((set.ipAddresses ?? []) as unknown[]).map(String);
  }
  return undefined;
}

function endpointAddresses(model: ReachabilityModel, endpointId: string, zone: string, record: string): string[] | undefined {
  const e = model.endpoint(endpointId);
  const ips = e?.ips.filter((m) => m.fqdn && recordNameIn(m.fqdn, zone) === lower(record)).map((m) => m.ip) ?? [];
  return ips.length ? ips : undefined;
}

/** The history of record set `recordSetId`, from the audit records that concern it (any order). */
export function recordHistory(inv: ArmInventory, model: ReachabilityModel, recordSetId: string, rows: AuditRow[]): RecordHistory {
  const zoneId = parentOf(recordSetId);
  const zone = lower(nameOf(zoneId));
  const record = nameOf(recordSetId);
  const current = inv.aRecordSets.find((a) => lower(a.id) === lower(recordSetId));
  const currentIps = current ? ((current.properties?.aRecords ?? []) as ArmJson[]).map((a) => String(a.ipv4Address)) : undefined;
  const sorted = rows.filter((r) => concernsRecordSet(r, recordSetId)).sort((a, b) => b.seq - a.seq);
  const changes = sorted.map((r, i): RecordChange => {
    const e = r.event;
    const action = lower(e.action) === DELETE ? "delete" : "write";
    const actor = String(e.actor ?? "");
    const who = model.principal(actor);
    const out: RecordChange = { seq: r.seq, time: r.time, action, actor, ...(who?.displayName ? { actorName: who.displayName } : {}) };
    if (typeof e.cause === "string" && /\/privateDnsZoneGroups\//i.test(e.cause)) {
      const endpointId = parentOf(e.cause);
      const doc = inv.privateEndpoints.find((p) => lower(p.id) === lower(endpointId));
      out.writer = {
        zoneGroupId: e.cause, zoneGroup: nameOf(e.cause), endpointId: String(doc?.id ?? endpointId), endpoint: nameOf(endpointId),
        ...(doc?.location ? { location: lower(doc.location) } : {}),
      };
    }
    if (action === "write") {
      const group = out.writer ? inv.zoneGroups.find((g) => lower(g.id) === lower(out.writer!.zoneGroupId)) : undefined;
      const ips = (i === 0 ? currentIps : undefined) ?? groupAddresses(group, zoneId, record) ?? (out.writer ? endpointAddresses(model, out.writer.endpointId, zone, record) : undefined);
      if (ips) out.addresses = ips;
    }
    return out;
  });
  return { recordSetId, record, zone, changes, summary: summaryOf(record, zone, changes) };
}

export function writerText(c: RecordChange): string {
  if (!c.writer) return `${c.actorName ?? c.actor} directly`;
  return `zone group ${c.writer.zoneGroup} of endpoint ${c.writer.endpoint}${c.writer.location ? ` (${c.writer.location})` : ""}`;
}

const writerKey = (c: RecordChange) => lower(c.writer?.zoneGroupId ?? `direct:${c.actor}`);
const ipsText = (c: RecordChange) => (c.addresses?.length ? c.addresses.join(", ") : "addresses no longer known");

function summaryOf(record: string, zone: string, changes: RecordChange[]): string {
  const last = changes[0];
  if (!last) return `The audit log holds no change of record ${record} in zone ${zone}.`;
  if (last.action === "delete") return `Record ${record} in zone ${zone} was deleted by ${writerText(last)} at ${last.time}.`;
  const head = `Record ${record} in zone ${zone} was written by ${writerText(last)} at ${last.time} (${ipsText(last)})`;
  const i = changes.findIndex((c) => c.action === "delete" || writerKey(c) !== writerKey(last));
  const prev = changes[i];
  if (!prev || prev.action === "delete") return `${head}.`;
  return `${head}, overwriting ${writerText(prev)}'s ${ipsText(prev)} written at ${prev.time}.`;
}

/** One line per change, newest first, as preflight prints them. */
export function historyLines(h: RecordHistory): string[] {
  return h.changes.map((c) => {
    const by = c.actorName ? `${c.actorName} (${c.actor})` : c.actor;
    const what = c.action === "delete" ? "deleted" : `written with ${ipsText(c)}`;
    return `${c.time}  ${what} by ${c.writer ? `${writerText(c)}, asked by ${by}` : `${by} directly (not a zone group)`}`;
  });
}
