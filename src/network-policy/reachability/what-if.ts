// `--what-if` on a destructive network change (issue 9 section 5): the change is applied to a copy of
// the inventory as the server applies it, both models are built, and the reachability matrix of
// every registry is diffed (a zone or a record set serves any registry whose names it holds, so all
// are compared rather than guessing which are touched). Pure: inventory and change in, rows out.
// Not only destructive ones: approving a connection shows the networks it opens (rows deny -> allow),
// what the networking page's confirmation states before the approval is sent.
//
// What the server does, copied here (the handlers are the truth; keep the two in step):
//   - endpoint delete (control-plane/network/private-endpoints.ts): its zone groups go, with the
//     record sets they still own; its registry-side connection record goes (audited as a
//     disconnect); its NIC and the endpoint itself go;
//   - connection delete (containerregistry/private-endpoint-connections.ts): the record goes, the
//     endpoint stays and shows Disconnected; reject and approve: domain/connection-state.ts decides
//     (Rejected is final; the same state again changes nothing, not even the description);
//   - zone group delete (privatedns/zone-groups.ts): the A record sets it still owns go with it;
//   - zone delete (privatedns/zones.ts): refused while the zone has virtual network links
//     (CannotDeleteResource). The what-if shows the zone gone WITH its links, the cleanup the
//     operator is about to do, and says that the links must go first;
//   - record set delete, address removal (the set goes with its last address, as the command does),
//     link delete: just that.
import { transition, type ConnectionStatus } from "../../domain/connection-state.js";
import { parentOf } from "../../domain/resource-ids.js";
import type { ArmInventory, ArmJson } from "./inventory.js";
import { buildModel } from "./model.js";
import { networkReport, type ReportRow } from "./report.js";
import { applyCreateZoneGroup, ownedRecordSets, type CreateZoneGroup, type Overwrite } from "./zone-group-records.js";

export { ownedRecordSets, type Overwrite } from "./zone-group-records.js";

export type NetworkChange =
  | { kind: "delete-endpoint"; endpointId: string }
  | { kind: "delete-connection"; connectionId: string }
  | { kind: "reject-connection"; connectionId: string; description?: string }
  | { kind: "approve-connection"; connectionId: string; description?: string }
  | { kind: "delete-zone"; zoneId: string }
  | { kind: "delete-record-set"; recordSetId: string }
  | { kind: "remove-address"; recordSetId: string; ip: string; keepEmpty?: boolean }
  | { kind: "delete-link"; linkId: string }
  | { kind: "delete-zone-group"; zoneGroupId: string }
  | CreateZoneGroup;

/** One row of a registry's matrix whose decision or path changes. */
export interface RowChange {
  vnet: string; vnetId: string | null; subnet: string; subnetId: string | null; address: string;
  before: "allow" | "deny"; after: "allow" | "deny";
  /** "ok" or the root cause's code (report.ts). */
  beforeReason: string; afterReason: string;
  /** "private:<endpoint> (<ip>)", "public" or "none". */
  beforePath: string; afterPath: string;
}

export interface WhatIfResult {
  /** The change in words: "delete private endpoint spoke-pe". */
  change: string;
  /** False when the target does not exist: nothing would change. */
  found: boolean;
  /** What the service would say or do besides (a refusal, a no-op). */
  notes: string[];
  /** The registries whose matrix changes, each with its changed rows. */
  registries: { name: string; id: string; changes: RowChange[] }[];
  /** Rows that go from allow to deny, over all registries. */
  cutOff: number;
  /** create-zone-group: the record sets it would overwrite (and whose they were). */
  overwrites?: Overwrite[];
}

const lower = (v: unknown) => String(v ?? "").toLowerCase();
const same = (a: unknown, b: unknown) => lower(a) === lower(b);
const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);
const under = (id: unknown, parent: string) => lower(id).startsWith(lower(parent) + "/");

function removeWhere(list: ArmJson[], pred: (x: ArmJson) => boolean): number {
  let n = 0;
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) { list.splice(i, 1); n++; }
  return n;
}

/** Every list that holds connection documents: the flat list and each registry's inline copy. */
function connectionLists(inv: ArmInventory): ArmJson[][] {
  const out = [inv.connections];
  for (const r of inv.registries) if (Array.isArray(r.properties?.privateEndpointConnections)) out.push(r.properties.privateEndpointConnections);
  return out;
}

const findConnection = (inv: ArmInventory, id: string) => connectionLists(inv).flat().find((c) => same(c.id, id));

/** The endpoint shows the registry side's state on its own connection entry (mirrorOnEndpoint). */
function mirror(inv: ArmInventory, endpointId: string, state: ArmJson): void {
  const pe = inv.privateEndpoints.find((e) => same(e.id, endpointId));
  for (const key of ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]) {
    for (const c of (pe?.properties?.[key] ?? []) as ArmJson[]) c.properties = { ...c.properties, privateLinkServiceConnectionState: { ...state } };
  }
}

function dropZoneGroup(inv: ArmInventory, group: ArmJson): void {
  const owned = new Set(ownedRecordSets(inv, group));
  removeWhere(inv.aRecordSets, (a) => owned.has(lower(a.id)));
  removeWhere(inv.zoneGroups, (g) => same(g.id, group.id));
}

type Applied = Pick<WhatIfResult, "change" | "found" | "notes" | "overwrites">;

/** Applies `change` to `inv` in place, as the server would. */
export function applyChange(inv: ArmInventory, change: NetworkChange): Applied {
  const missing = (what: string): Applied => ({ change: what, found: false, notes: [`${what}: it does not exist, nothing would change`] });
  switch (change.kind) {
    case "delete-endpoint": {
      const what = `delete private endpoint ${nameOf(change.endpointId)}`;
      const pe = inv.privateEndpoints.find((e) => same(e.id, change.endpointId));
      if (!pe) return missing(what);
      for (const g of inv.zoneGroups.filter((x) => same(parentOf(String(x.id)), pe.id))) dropZoneGroup(inv, g);
      for (const list of connectionLists(inv)) removeWhere(list, (c) => same(c.properties?.privateEndpoint?.id, pe.id));
      const nics = new Set(((pe.properties?.networkInterfaces ?? []) as ArmJson[]).map((n) => lower(n.id)));
      removeWhere(inv.networkInterfaces, (n) => nics.has(lower(n.id)));
      removeWhere(inv.privateEndpoints, (e) => same(e.id, pe.id));
      return { change: what, found: true, notes: [] };
    }
    case "delete-connection":
    case "reject-connection":
    case "approve-connection": {
      const verb = change.kind === "delete-connection" ? "delete" : change.kind === "reject-connection" ? "reject" : "approve";
      const what = `${verb} private endpoint connection ${nameOf(change.connectionId)}`;
      const conn = findConnection(inv, change.connectionId);
      if (!conn) return missing(what);
      const cur = conn.properties?.privateLinkServiceConnectionState ?? {};
      const endpointId = String(conn.properties?.privateEndpoint?.id ?? "");
      if (change.kind === "delete-connection") {
        for (const list of connectionLists(inv)) removeWhere(list, (c) => same(c.id, conn.id));
        mirror(inv, endpointId, { status: "Disconnected", description: "The connection was deleted by the registry owner.", actionsRequired: "Recreate" });
        return { change: what, found: true, notes: [] };
      }
      const to: ConnectionStatus = change.kind === "reject-connection" ? "Rejected" : "Approved";
      const t = transition(cur.status as ConnectionStatus, to, "owner");
      if (!t.ok) {
        return { change: what, found: true, notes: [`the service refuses this (PrivateEndpointConnectionStateTransitionNotAllowed): a ${lower(cur.status)} connection is final, nothing would change`] };
      }
      if (t.action === "none") return { change: what, found: true, notes: [`the connection is already ${to}: nothing would change`] };
      const state = { status: to, description: change.description ?? cur.description ?? "", actionsRequired: "None" };
      for (const c of connectionLists(inv).flat()) if (same(c.id, conn.id)) c.properties = { ...c.properties, privateLinkServiceConnectionState: state };
      mirror(inv, endpointId, state);
      return { change: what, found: true, notes: [] };
    }
    case "delete-zone-group": {
      const what = `delete private DNS zone group ${nameOf(change.zoneGroupId)} of private endpoint ${nameOf(parentOf(change.zoneGroupId))}`;
      const g = inv.zoneGroups.find((x) => same(x.id, change.zoneGroupId));
      if (!g) return missing(what);
      dropZoneGroup(inv, g);
      return { change: what, found: true, notes: [] };
    }
    case "delete-zone": {
      const what = `delete private DNS zone ${nameOf(change.zoneId)}`;
      const zone = inv.privateDnsZones.find((z) => same(z.id, change.zoneId));
      if (!zone) return missing(what);
      const links = inv.virtualNetworkLinks.filter((l) => under(l.id, String(zone.id)));
      const notes = links.length === 0 ? [] : [
        `the service refuses to delete a zone that has virtual network links (CannotDeleteResource): delete its ${links.length} link(s) first (${links.map((l) => String(l.name ?? nameOf(String(l.id)))).join(", ")}); the rows shown are the zone gone with its links`,
      ];
      removeWhere(inv.aRecordSets, (a) => under(a.id, String(zone.id)));
      removeWhere(inv.virtualNetworkLinks, (l) => under(l.id, String(zone.id)));
      removeWhere(inv.privateDnsZones, (z) => same(z.id, zone.id));
      return { change: what, found: true, notes };
    }
    case "delete-record-set":
    case "remove-address": {
      const set = inv.aRecordSets.find((a) => same(a.id, change.recordSetId));
      const setName = `${nameOf(change.recordSetId)} of zone ${nameOf(parentOf(change.recordSetId))}`;
      if (change.kind === "delete-record-set") {
        const what = `delete A record set ${setName}`;
        if (!set) return missing(what);
        removeWhere(inv.aRecordSets, (a) => same(a.id, set.id));
        return { change: what, found: true, notes: [] };
      }
      const what = `remove address ${change.ip} from A record set ${setName}`;
      if (!set) return missing(what);
      const records = (set.properties?.aRecords ?? []) as ArmJson[];
      const kept = records.filter((r) => r.ipv4Address !== change.ip);
      if (kept.length === records.length) return { change: what, found: true, notes: [`the set holds no address ${change.ip}: nothing would change`] };
      if (kept.length === 0 && !change.keepEmpty) {
        removeWhere(inv.aRecordSets, (a) => same(a.id, set.id));
        return { change: what, found: true, notes: ["it is the set's last address: the record set is deleted with it"] };
      }
      set.properties = { ...set.properties, aRecords: kept };
      return { change: what, found: true, notes: [] };
    }
    case "create-zone-group": {
      const what = `create private DNS zone group ${nameOf(change.zoneGroupId)} of private endpoint ${nameOf(parentOf(change.zoneGroupId))}`;
      const r = applyCreateZoneGroup(inv, change);
      return { change: what, found: r.found, notes: r.notes, ...(r.overwrites.length ? { overwrites: r.overwrites } : {}) };
    }
    case "delete-link": {
      const what = `delete virtual network link ${nameOf(change.linkId)} of zone ${nameOf(parentOf(change.linkId))}`;
      if (removeWhere(inv.virtualNetworkLinks, (l) => same(l.id, change.linkId)) === 0) return missing(what);
      return { change: what, found: true, notes: [] };
    }
  }
}

const rowKey = (r: ReportRow) => lower(r.subnetId ?? "internet");

function diffRows(before: ReportRow[], after: ReportRow[]): RowChange[] {
  const next = new Map(after.map((r) => [rowKey(r), r]));
  const out: RowChange[] = [];
  for (const b of before) {
    const a = next.get(rowKey(b));
    if (!a || (a.decision === b.decision && a.path === b.path)) continue;
    out.push({
      vnet: b.vnet, vnetId: b.vnetId, subnet: b.subnet, subnetId: b.subnetId, address: b.address,
      before: b.decision, after: a.decision, beforeReason: b.reason, afterReason: a.reason, beforePath: b.path, afterPath: a.path,
    });
  }
  return out;
}

export function whatIf(inventory: ArmInventory, change: NetworkChange): WhatIfResult {
  const copy = structuredClone(inventory);
  const applied = applyChange(copy, change);
  const result: WhatIfResult = { ...applied, registries: [], cutOff: 0 };
  if (!applied.found) return result;
  const before = buildModel(inventory);
  const after = buildModel(copy);
  for (const reg of before.registries) {
    const regAfter = after.registry(reg.id);
    if (!regAfter) continue;
    const changes = diffRows(networkReport(before, reg).rows, networkReport(after, regAfter).rows);
    if (changes.length === 0) continue;
    result.registries.push({ name: reg.name, id: reg.id, changes });
    result.cutOff += changes.filter((c) => c.before === "allow" && c.after === "deny").length;
  }
  return result;
}

/** One line per network the change cuts off (a row from allow to deny), as the commands warn; `would` before the change is made. */
export function cutWarnings(r: WhatIfResult, tense: "done" | "would" = "done"): string[] {
  const out: string[] = [];
  for (const reg of r.registries) {
    for (const c of reg.changes) {
      if (c.before !== "allow" || c.after !== "deny") continue;
      const where = c.subnetId ? `subnet ${c.vnet}/${c.subnet}` : "the internet";
      const kind = c.beforePath.startsWith("private") ? "private" : "public";
      out.push(tense === "would" ? `${where} would lose its ${kind} path to ${reg.name} (then: ${c.afterReason})` : `${where} loses its ${kind} path to ${reg.name} (now: ${c.afterReason})`);
    }
  }
  return out;
}
