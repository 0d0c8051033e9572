// The inventory half of an evidence bundle: the registry and everything on its private path, from
// the ARM documents and the toolkit's model. Pure: inventory and model in, sections out, sorted so
// that the same estate always gives the same bytes (a diff shows changes, never reordering).
import { withInlineChildren, type ArmInventory, type ArmJson } from "../../../network-policy/reachability/inventory.js";
import type { ReachabilityModel, RegistryInfo } from "../../../network-policy/reachability/model.js";
import type { NetworkReport } from "../../../network-policy/reachability/report.js";
import type { ConnectionEvidence, EndpointEvidence, HolderEvidence, MatrixRowEvidence, PrivateLinkResourceEvidence, RegistryEvidence, ZoneEvidence } from "./types.js";
import type { HistoryEntry } from "./collector.js";

const low = (v: unknown) => String(v ?? "").toLowerCase();
const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);
const byId = <T extends { id: string }>(a: T, b: T) => low(a.id).localeCompare(low(b.id));

export function registrySection(inv: ArmInventory, reg: RegistryInfo): RegistryEvidence {
  const doc = inv.registries.find((r) => low(r.id) === reg.key) ?? {};
  const p = (doc.properties ?? {}) as ArmJson;
  return {
    id: reg.id, name: reg.name, resourceGroup: reg.group, location: reg.location, sku: reg.sku, loginServer: reg.loginServer,
    publicNetworkAccess: reg.publicNetworkAccess,
    networkRuleSet: {
      defaultAction: reg.defaultAction,
      ipRules: ((p.networkRuleSet?.ipRules ?? []) as ArmJson[])
        .map((r) => ({ action: String(r.action ?? "Allow"), value: String(r.value ?? r.ipAddressOrRange ?? "") }))
        .sort((a, b) => a.value.localeCompare(b.value)),
    },
    dataEndpointEnabled: reg.dataEndpointEnabled,
    dataEndpointHostNames: ((p.dataEndpointHostNames ?? []) as unknown[]).map(String).sort(),
    ...(typeof p.adminUserEnabled === "boolean" ? { adminUserEnabled: p.adminUserEnabled } : {}),
    ...(typeof p.anonymousPullEnabled === "boolean" ? { anonymousPullEnabled: p.anonymousPullEnabled } : {}),
  };
}

export function connectionsSection(inv: ArmInventory, model: ReachabilityModel, reg: RegistryInfo, history: Map<string, HistoryEntry[]>): ConnectionEvidence[] {
  const all = withInlineChildren(inv).connections.filter((c) => low(c.id).startsWith(reg.key + "/privateendpointconnections/"));
  return all.map((c) => {
    const state = (c.properties?.privateLinkServiceConnectionState ?? {}) as ArmJson;
    return {
      id: String(c.id), name: String(c.name ?? nameOf(String(c.id))),
      privateEndpointId: String(c.properties?.privateEndpoint?.id ?? ""),
      status: String(state.status ?? ""), description: String(state.description ?? ""),
      ...(state.actionsRequired ? { actionsRequired: String(state.actionsRequired) } : {}),
      history: (history.get(low(c.id)) ?? []).map((h) => {
        const who = model.principal(h.actor)?.displayName;
        return who ? { ...h, actorName: who } : h;
      }),
    };
  }).sort(byId);
}

/** `s.acr().registries.listPrivateLinkResources`, as the SDK flattens it (v12 has no privateLinkResources group). */
export function privateLinkSection(items: readonly ArmJson[]): PrivateLinkResourceEvidence[] {
  return items.map((r) => ({
    id: String(r.id ?? ""), name: String(r.name ?? ""), groupId: String(r.groupId ?? r.properties?.groupId ?? ""),
    requiredMembers: [...(r.requiredMembers ?? r.properties?.requiredMembers ?? [])].map(String).sort(),
    requiredZoneNames: [...(r.requiredZoneNames ?? r.properties?.requiredZoneNames ?? [])].map(String).sort(),
  })).sort(byId);
}

export function endpointsSection(inv: ArmInventory, model: ReachabilityModel, reg: RegistryInfo): EndpointEvidence[] {
  return model.endpoints.filter((e) => e.registryKey === reg.key).map((e) => {
    const doc = inv.privateEndpoints.find((d) => low(d.id) === low(e.id));
    const subnet = model.subnet(e.subnetId);
    return {
      id: e.id, name: e.name, resourceGroup: e.group, vnet: subnet?.vnetName ?? nameOf(e.vnetId), vnetId: e.vnetId,
      subnet: subnet?.name ?? nameOf(e.subnetId), subnetId: e.subnetId,
      ...(e.connectionName ? { connectionName: e.connectionName } : {}),
      status: e.status, manual: e.manual,
      networkInterfaces: ((doc?.properties?.networkInterfaces ?? []) as ArmJson[]).map((n) => String(n.id)).sort(),
      ips: [...e.ips].sort((a, b) => a.member.localeCompare(b.member) || a.ip.localeCompare(b.ip)),
      zoneGroups: e.zoneGroups.map((g) => ({ name: g.name, zones: [...g.zoneIds].sort() })).sort((a, b) => a.name.localeCompare(b.name)),
    };
  }).sort(byId);
}

/** The zones this registry's names live in: its required zone names, and every zone its endpoints' zone groups write to. */
export function relevantZoneNames(plr: readonly PrivateLinkResourceEvidence[], endpoints: readonly EndpointEvidence[], model: ReachabilityModel): Set<string> {
  const names = new Set(plr.flatMap((r) => r.requiredZoneNames.map(low)));
  for (const e of endpoints) for (const g of e.zoneGroups) for (const z of g.zones) {
    const zone = model.zones.find((x) => low(x.id) === low(z));
    names.add(zone ? zone.name : low(nameOf(z)));
  }
  return names;
}

export function zonesSection(model: ReachabilityModel, reg: RegistryInfo, zoneNames: Set<string>): ZoneEvidence[] {
  const me = low(reg.name);
  return model.zones.filter((z) => zoneNames.has(z.name)).map((z) => ({
    id: z.id, name: z.name, resourceGroup: z.group,
    records: [...z.records].filter(([name]) => name === me || name.startsWith(me + "."))
      .map(([name, ips]) => ({ name, ips: [...ips].sort() })).sort((a, b) => a.name.localeCompare(b.name)),
    links: z.links.map((l) => ({ id: l.id, name: l.name, vnetId: l.vnetId, vnet: nameOf(l.vnetId), resolutionPolicy: l.resolutionPolicy })).sort(byId),
  })).sort(byId);
}

export function holdersSection(model: ReachabilityModel, reg: RegistryInfo): HolderEvidence[] {
  return model.holders(reg.id).map((h) => ({
    principalId: h.principalId,
    ...(h.appId ? { appId: h.appId } : {}),
    ...(h.displayName ? { displayName: h.displayName } : {}),
    roles: [...h.roles].sort(), actions: [...h.actions], scopes: [...h.scopes].sort(),
    inherited: h.scopes.some((s) => low(s) !== reg.key),
  })).sort((a, b) => a.principalId.localeCompare(b.principalId));
}

export function matrixSection(report: NetworkReport): { rows: MatrixRowEvidence[] } {
  return {
    rows: report.rows.map((r) => ({
      vnet: r.vnet, vnetId: r.vnetId, subnet: r.subnet, subnetId: r.subnetId, address: r.address, dns: r.dns, dataDns: r.dataDns,
      path: r.path, decision: r.decision, reason: r.reason, summary: r.summary, pull: [...r.pull].sort(), push: [...r.push].sort(),
    })),
  };
}

/** "vnet/subnet" of the subnet holding the address, "internet" when none does, "unknown" when the model cannot place it ("*": the folded row of many clients). */
export function networkOf(model: ReachabilityModel, ip: string): string {
  if (ip === "*") return "(many clients)";
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return "unknown";
  const at = model.snapshot.locate(ip);
  if (!at) return "internet";
  const s = model.subnet(at.subnetId);
  return s ? `${s.vnetName}/${s.name}` : at.subnetId;
}
