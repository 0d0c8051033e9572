// `cove acr evidence diff D1 D2`: what changed between two bundles (drift between spokes, or over
// time), one sentence per changed fact, in the words a reviewer uses: "connection X: Approved ->
// Rejected by Y at T", "subnet S lost its private path", "AcrPush granted to Z". Facts are matched
// by their resource ids (a matrix row by its subnet), so a renamed display never hides a change.
// Pure: two verified evidence documents in, sentences out, in section order.
import type { Evidence, MatrixRowEvidence } from "./types.js";
import { diffCompliance } from "./compliance-diff.js";

/** The facts of the `compliance` section (Azure Policy, compliance-diff.ts). */
export const POLICY_FACT_KINDS = ["policy-assignment", "exemption", "compliance"] as const;

/** Every kind of fact a diff names, in the order sentences come. */
export const FACT_KINDS = [
  "registry", "ip-rule", "connection", "private-link-resource", "endpoint", "zone", "record-set", "zone-link",
  "role", "reachability", "readiness", "preflight", "audit", "denial", "hygiene", ...POLICY_FACT_KINDS,
] as const;

export type FactKind = (typeof FACT_KINDS)[number];

export interface Change {
  fact: FactKind;
  change: string;
}

const low = (v: unknown) => String(v ?? "").toLowerCase();
const q = (v: unknown) => (v === undefined || v === null || v === "" ? "(none)" : String(v));
const list = (xs: readonly unknown[]) => (xs.length ? xs.join(", ") : "(none)");

/** Pairs of items by key: [key, before, after] for every key on either side, in the order seen. */
function pair<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): [string, T | undefined, T | undefined][] {
  const before = new Map(a.map((x) => [key(x), x]));
  const after = new Map(b.map((x) => [key(x), x]));
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  return keys.map((k) => [k, before.get(k), after.get(k)]);
}

function rowName(r: MatrixRowEvidence): string {
  return r.subnetId ? `subnet ${r.subnet} (VNet ${r.vnet})` : "the internet";
}

const isPrivate = (r: MatrixRowEvidence) => r.decision === "allow" && r.path.startsWith("private");
/** " via <path>", or nothing when the client has no path at all. */
const via = (r: MatrixRowEvidence) => (r.path === "none" ? "" : ` via ${r.path}`);

export function diffEvidence(a: Evidence, b: Evidence): Change[] {
  const out: Change[] = [];
  const add = (fact: FactKind, change: string) => out.push({ fact, change });

  const ra = a.registry, rb = b.registry;
  if (low(ra.id) !== low(rb.id)) add("registry", `the bundles are of different registries: ${ra.id} and ${rb.id}`);
  const name = rb.name;
  for (const [field, label] of [["sku", "SKU"], ["loginServer", "login server"], ["publicNetworkAccess", "public network access"],
    ["dataEndpointEnabled", "data endpoints enabled"], ["adminUserEnabled", "admin user enabled"], ["anonymousPullEnabled", "anonymous pull enabled"]] as const) {
    if (ra[field] !== rb[field]) add("registry", `registry ${name}: ${label} ${q(ra[field])} -> ${q(rb[field])}`);
  }
  if (ra.networkRuleSet.defaultAction !== rb.networkRuleSet.defaultAction) add("registry", `registry ${name}: firewall default action ${ra.networkRuleSet.defaultAction} -> ${rb.networkRuleSet.defaultAction}`);
  for (const [k, x, y] of pair(ra.networkRuleSet.ipRules, rb.networkRuleSet.ipRules, (r) => `${r.action} ${r.value}`)) {
    if (!x) add("ip-rule", `ip rule added: ${k}`);
    else if (!y) add("ip-rule", `ip rule removed: ${k}`);
  }

  for (const [, x, y] of pair(a.connections, b.connections, (c) => low(c.id))) {
    if (!x) { add("connection", `connection ${y!.name} added: ${y!.status}${y!.description ? ` ("${y!.description}")` : ""}`); continue; }
    if (!y) { add("connection", `connection ${x.name} removed (was ${x.status})`); continue; }
    if (x.status !== y.status) {
      const h = [...y.history].reverse().find((e) => e.to === y.status);
      const by = h ? ` by ${h.actorName ?? h.actor} at ${h.time}` : " (no transition in the second bundle's audit window)";
      add("connection", `connection ${y.name}: ${x.status} -> ${y.status}${by}`);
    } else if (x.description !== y.description) add("connection", `connection ${y.name}: description "${x.description}" -> "${y.description}"`);
  }

  for (const [, x, y] of pair(a.privateLinkResources, b.privateLinkResources, (p) => low(p.groupId))) {
    if (!x) add("private-link-resource", `private link resource ${y!.groupId} added`);
    else if (!y) add("private-link-resource", `private link resource ${x.groupId} removed`);
    else if (list(x.requiredMembers) !== list(y.requiredMembers) || list(x.requiredZoneNames) !== list(y.requiredZoneNames)) {
      add("private-link-resource", `private link resource ${y.groupId}: members ${list(x.requiredMembers)} -> ${list(y.requiredMembers)}, zone names ${list(x.requiredZoneNames)} -> ${list(y.requiredZoneNames)}`);
    }
  }

  for (const [, x, y] of pair(a.endpoints, b.endpoints, (e) => low(e.id))) {
    if (!x) { add("endpoint", `endpoint ${y!.name} added in subnet ${y!.vnet}/${y!.subnet} (${list(y!.ips.map((i) => i.ip))})`); continue; }
    if (!y) { add("endpoint", `endpoint ${x.name} removed (was in subnet ${x.vnet}/${x.subnet})`); continue; }
    if (low(x.subnetId) !== low(y.subnetId)) add("endpoint", `endpoint ${y.name}: subnet ${x.vnet}/${x.subnet} -> ${y.vnet}/${y.subnet}`);
    for (const [member, i, j] of pair(x.ips, y.ips, (p) => p.member)) {
      if (i?.ip !== j?.ip) add("endpoint", `endpoint ${y.name}: address of ${member} ${q(i?.ip)} -> ${q(j?.ip)}`);
    }
    for (const [g, i, j] of pair(x.zoneGroups, y.zoneGroups, (z) => z.name)) {
      if (!i) add("endpoint", `endpoint ${y.name}: zone group ${g} added`);
      else if (!j) add("endpoint", `endpoint ${y.name}: zone group ${g} removed`);
      else if (list(i.zones) !== list(j.zones)) add("endpoint", `endpoint ${y.name}: zone group ${g} now writes to ${list(j.zones.map((z) => z.split("/").pop()))}`);
    }
  }

  for (const [, x, y] of pair(a.zones, b.zones, (z) => low(z.id))) {
    const zone = (x ?? y)!;
    const zname = `${zone.name} (${zone.resourceGroup})`;
    if (!x) add("zone", `private DNS zone ${zname} added`);
    if (!y) add("zone", `private DNS zone ${zname} removed`);
    for (const [set, i, j] of pair(x?.records ?? [], y?.records ?? [], (r) => r.name)) {
      if (!i) add("record-set", `record set ${set} in ${zname} added: ${list(j!.ips)}`);
      else if (!j) add("record-set", `record set ${set} in ${zname} removed (was ${list(i.ips)})`);
      else if (list(i.ips) !== list(j.ips)) add("record-set", `record set ${set} in ${zname} changed: ${list(i.ips)} -> ${list(j.ips)}`);
    }
    for (const [, i, j] of pair(x?.links ?? [], y?.links ?? [], (l) => low(l.id))) {
      if (!i) add("zone-link", `zone link ${j!.name} added: ${zone.name} -> VNet ${j!.vnet}`);
      else if (!j) add("zone-link", `zone link ${i.name} removed: ${zone.name} no longer answers VNet ${i.vnet}`);
      else if (i.resolutionPolicy !== j.resolutionPolicy) add("zone-link", `zone link ${j.name}: resolution policy ${i.resolutionPolicy} -> ${j.resolutionPolicy}`);
    }
  }

  for (const [, x, y] of pair(a.roleAssignments, b.roleAssignments, (h) => low(h.principalId))) {
    const who = (h: typeof x) => h?.displayName ?? h?.appId ?? h?.principalId;
    const name = who(y ?? x);
    for (const [role, i, j] of pair(x?.roles ?? [], y?.roles ?? [], (r) => r)) {
      if (!i) add("role", `${role} granted to ${name}${y?.inherited ? ` (from ${list(y.scopes)})` : ""}`);
      else if (!j) add("role", `${role} revoked from ${name}`);
    }
    if (x && y && list(x.scopes) !== list(y.scopes) && list(x.roles) === list(y.roles)) add("role", `the rights of ${name} now come from ${list(y.scopes)} (was ${list(x.scopes)})`);
  }

  for (const [, x, y] of pair(a.reachability.rows, b.reachability.rows, (r) => low(r.subnetId ?? "internet"))) {
    if (!x) { add("reachability", `${rowName(y!)} added: ${y!.decision}${via(y!)} (${y!.reason})`); continue; }
    if (!y) { add("reachability", `${rowName(x)} removed (was ${x.decision}${via(x)})`); continue; }
    if (isPrivate(x) && !isPrivate(y)) add("reachability", `${rowName(y)} lost its private path: now ${y.decision}${via(y)} (${y.reason})`);
    else if (!isPrivate(x) && isPrivate(y)) add("reachability", `${rowName(y)} gained a private path: ${y.path}`);
    else if (x.decision !== y.decision) add("reachability", `${rowName(y)}: ${x.decision} -> ${y.decision} (${y.reason})`);
    else if (x.path !== y.path) add("reachability", `${rowName(y)}: path ${x.path} -> ${y.path}`);
    else if (x.dns !== y.dns || x.dataDns !== y.dataDns) add("reachability", `${rowName(y)}: DNS answer ${x.dns} -> ${y.dns}`);
    else if (x.reason !== y.reason) add("reachability", `${rowName(y)}: still ${y.decision}, now because ${y.reason} (was ${x.reason})`);
  }

  const clients = (r: unknown) => ((r as { clients?: unknown })?.clients as { clientIp?: string; network?: string; verdict?: string }[] | undefined) ?? [];
  for (const [ip, x, y] of pair(clients(a.readiness), clients(b.readiness), (c) => String(c.clientIp))) {
    if (!x) add("readiness", `public client ${ip} (${y!.network ?? "?"}) appeared: ${y!.verdict}`);
    else if (!y) add("readiness", `public client ${ip} no longer uses the public endpoint (was ${x.verdict})`);
    else if (x.verdict !== y.verdict) add("readiness", `public client ${ip}: ${x.verdict} -> ${y.verdict}`);
  }

  const pf = (r: unknown) => r as { ok?: boolean; cause?: string } | null;
  for (const [file, x, y] of pair(a.preflight, b.preflight, (p) => p.file)) {
    const state = (p: typeof x) => (pf(p?.result)?.ok ? "ok" : `failed${pf(p?.result)?.cause ? ` (${pf(p?.result)!.cause})` : ""}`);
    if (!x) add("preflight", `preflight result ${file} added: ${state(y)}`);
    else if (!y) add("preflight", `preflight result ${file} removed (was ${state(x)})`);
    else if (state(x) !== state(y)) add("preflight", `preflight ${file}: ${state(x)} -> ${state(y)}`);
  }

  const va = a.audit.verification.result, vb = b.audit.verification.result;
  if (va.ok !== vb.ok) add("audit", `audit log verification: ${va.ok ? "ok" : `failed (${va.code})`} -> ${vb.ok ? "ok" : `failed (${vb.code} at seq ${vb.seq})`}`);

  for (const [, x, y] of pair(a.denials.byClient, b.denials.byClient, (d) => `${d.clientIp} ${d.reason}`)) {
    const d = (y ?? x)!;
    if (!x) add("denial", `denials of ${d.clientIp} (${d.network}) for ${d.reason} appeared: ${d.count}`);
    else if (!y) add("denial", `no more denials of ${d.clientIp} (${d.network}) for ${d.reason} (was ${x.count})`);
    else if (x.count !== y.count) add("denial", `denials of ${d.clientIp} (${d.network}) for ${d.reason}: ${x.count} -> ${y.count}`);
  }

  const ha = a.hygiene, hb = b.hygiene;
  for (const [, x, y] of pair(ha.unusedEndpoints, hb.unusedEndpoints, (e) => low(e.id))) {
    if (!x) add("hygiene", `endpoint ${y!.name} is unused in the window`);
    else if (!y) add("hygiene", `endpoint ${x.name} is no longer an unused endpoint`);
  }
  for (const [zone, x, y] of pair(ha.duplicateZones, hb.duplicateZones, (z) => z.name)) {
    if (!x) add("hygiene", `duplicate private zones: ${y!.zones.length} zones named ${zone}`);
    else if (!y) add("hygiene", `the zones named ${zone} are no longer duplicated`);
  }
  for (const [, x, y] of pair(ha.premiumWithoutEndpoints, hb.premiumWithoutEndpoints, (r) => low(r.id))) {
    if (!x) add("hygiene", `Premium registry ${y!.name} has no private endpoint`);
    else if (!y) add("hygiene", `Premium registry ${x.name} is no longer without a private endpoint`);
  }
  const repos = (h: typeof ha) => (h.unpulledRepositories.status === "known" ? h.unpulledRepositories.repositories : undefined);
  const pa = repos(ha), pb = repos(hb);
  if ((pa === undefined) !== (pb === undefined)) add("hygiene", `repositories not pulled: ${pa ? "known" : "unknown"} -> ${pb ? "known" : "unknown"}`);
  else if (pa && pb) {
    for (const [r, x, y] of pair(pa, pb, (n) => n)) {
      if (!x) add("hygiene", `repository ${r} was not pulled in the window`);
      else if (!y) add("hygiene", `repository ${r} is no longer an unpulled repository`);
    }
  }
  diffCompliance(a.compliance, b.compliance, add);
  return out;
}
