// report.md: evidence.json told for a reviewer, section by section, in the same order. Pure and
// deterministic (the same evidence gives the same bytes), so the signed digest of the report
// means something. Every table cell is escaped: names come from the estate, not from us.
import type { Evidence } from "./types.js";

const cell = (v: unknown) => String(v ?? "").replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ") || "-";

function table(head: string[], rows: unknown[][]): string[] {
  if (rows.length === 0) return ["(none)", ""];
  return [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`), ""];
}

const list = (xs: readonly unknown[]) => (xs.length ? xs.join(", ") : "-");

export function renderReport(e: Evidence): string {
  const r = e.registry;
  const out: string[] = [
    `# Evidence: registry ${r.name}`, "",
    `Bundle \`${e.bundleId}\`, exported ${e.createdAt} from ${e.source.managementEndpoint} (subscription ${e.source.subscriptionId}) by ${e.source.exportedBy}.`,
    `Audit window: ${e.audit.window.since} to ${e.audit.window.until}.`,
    "", "Check this bundle with `cove acr evidence verify <dir> --public-key <the signer's public key>`.", "",
    "## Registry", "",
    ...table(["field", "value"], [
      ["id", r.id], ["SKU", r.sku], ["login server", r.loginServer], ["public network access", r.publicNetworkAccess],
      ["firewall default action", r.networkRuleSet.defaultAction],
      ["IP rules", list(r.networkRuleSet.ipRules.map((x) => `${x.action} ${x.value}`))],
      ["data endpoints", r.dataEndpointEnabled ? list(r.dataEndpointHostNames) : "disabled"],
      ["admin user", r.adminUserEnabled ?? "-"], ["anonymous pull", r.anonymousPullEnabled ?? "-"],
    ]),
    "## Private endpoint connections", "",
    ...table(["connection", "endpoint", "status", "description"], e.connections.map((c) => [c.name, c.privateEndpointId.split("/").pop(), c.status, c.description])),
  ];
  for (const c of e.connections.filter((x) => x.history.length)) {
    out.push(`History of ${c.name}:`, "", ...table(["time", "change", "by", "description"],
      c.history.map((h) => [h.time, `${h.action}: ${h.from ?? "(new)"} -> ${h.to}`, h.actorName ? `${h.actorName} (${h.actor})` : h.actor, h.description])));
  }
  out.push("## Private link resources", "",
    ...table(["group id", "required members", "required zone names"], e.privateLinkResources.map((p) => [p.groupId, list(p.requiredMembers), list(p.requiredZoneNames)])),
    "## Private endpoints", "",
    ...table(["endpoint", "subnet", "status", "addresses", "zone groups"], e.endpoints.map((p) => [
      `${p.name} (${p.resourceGroup})`, `${p.vnet}/${p.subnet}`, p.status, list(p.ips.map((i) => `${i.fqdn} ${i.ip}`)), list(p.zoneGroups.map((g) => g.name)),
    ])),
    "## Private DNS zones", "");
  if (e.zones.length === 0) out.push("(none)", "");
  for (const z of e.zones) {
    out.push(`### ${z.name} (${z.resourceGroup})`, "",
      ...table(["record", "addresses"], z.records.map((x) => [x.name, list(x.ips)])),
      ...table(["link", "VNet", "resolution policy"], z.links.map((l) => [l.name, l.vnet, l.resolutionPolicy])));
  }
  out.push("## Data-plane rights", "",
    ...table(["principal", "roles", "rights", "scopes", "inherited"], e.roleAssignments.map((h) => [
      h.displayName ? `${h.displayName} (${h.appId ?? h.principalId})` : h.principalId, list(h.roles), list(h.actions), list(h.scopes), h.inherited ? "yes" : "no",
    ])),
    ...complianceLines(e.compliance),
    "## Reachability", "",
    ...table(["VNet", "subnet", "DNS", "path", "decision", "reason", "pull", "push"], e.reachability.rows.map((x) => [x.vnet, x.subnet, x.dns, x.path, x.decision, x.reason, list(x.pull), list(x.push)])),
    "## Public-access readiness", "", ...readinessLines(e.readiness),
    "## Preflight results", "",
    ...table(["file", "sha256", "ok", "cause"], e.preflight.map((p) => {
      const res = p.result as { ok?: unknown; cause?: unknown } | null;
      return [p.file, p.sha256, typeof res?.ok === "boolean" ? (res.ok ? "yes" : "no") : "-", res?.cause ?? "-"];
    })),
    "## Audit log", "");
  const v = e.audit.verification;
  out.push(v.result.ok
    ? `The hash chain verifies up to seq ${v.result.lastSeq}, through ${v.result.checkpoints} signed checkpoint(s) (checked on the client with the server's audit key ${v.checkpointKey.fingerprint}).`
    : `**The audit log does not verify**: ${v.result.code} at seq ${v.result.seq}: ${v.result.reason}.`, "");
  const c = e.audit.counts;
  out.push(`${c.window} record(s) in the window; ${c.excerpt} concern this registry and are kept by name; routine token use: ${c.tokenIssues} issue(s) in ${c.tokenRecords} record(s) and ${c.tokenAggregates} aggregate(s).`, "",
    ...table(["kind", "records"], Object.entries(c.byKind).sort(([a], [b]) => a.localeCompare(b))),
    "Token use:", "",
    ...table(["principal", "path", "client", "network", "tokens", "first", "last"], e.audit.tokenUse.map((u) => [
      u.principal ?? u.principalId, u.path === "private" ? `private ${u.endpointIp ?? ""}` : u.path, u.clientIp, u.network, u.count, u.firstAt, u.lastAt,
    ])),
    "## Denials", "",
    ...table(["client", "network", "reason", "count", "first", "last"], e.denials.byClient.map((d) => [d.clientIp, d.network, d.reason, d.count, d.firstAt, d.lastAt])));
  if (e.denials.unattributed.count > 0) out.push(`${e.denials.unattributed.count} further denial(s) came from sources beyond the per-window cap; the log does not say for which registry.`, "");
  const h = e.hygiene;
  out.push("## Hygiene", "",
    `- Endpoints unused in the window: ${list(h.unusedEndpoints.map((x) => x.name))}`,
    `- Duplicate private zones: ${list(h.duplicateZones.map((x) => `${x.name} (${x.zones.length})`))}`,
    `- Premium registries without private endpoints: ${list(h.premiumWithoutEndpoints.map((x) => x.name))}`,
    `- Repositories not pulled in the window: ${h.unpulledRepositories.status === "known" ? list(h.unpulledRepositories.repositories) : `unknown (${h.unpulledRepositories.reason})`}`,
    "");
  return out.join("\n");
}

function readinessLines(r: Evidence["readiness"]): string[] {
  const s = r.summary;
  return [
    `will break: ${s.willBreak}, has a private path: ${s.hasPrivatePath}, unknown: ${s.unknown}`, "",
    ...(r.notAssessed ? [`Not assessed: ${r.notAssessed.records} record(s): ${r.notAssessed.reason}.`, ""] : []),
    ...table(["client", "network", "verdict", "reason"], r.clients.map((c) => [c.clientIp, c.network, c.verdict, c.reason])),
  ];
}

/** Azure Policy: the assignments, what is not compliant and why, and every exemption with its expiry (absent in bundles of older CLIs). */
function complianceLines(c: Evidence["compliance"]): string[] {
  if (!c) return [];
  const out = ["## Azure Policy", ""];
  if (c.status === "unknown") return [...out, `Not known: ${c.reason}.`, ""];
  const states = (rows: typeof c.nonCompliant) => table(["resource", "assignment", "definition", "reason", "evaluated"],
    rows.map((x) => [x.resourceId, x.assignment, x.definition, x.reason ?? "-", x.timestamp]));
  out.push(...table(["assignment", "definition", "scope", "not scopes", "enforcement", "parameters"], c.assignments.map((a) => [
    `${a.displayName} (${a.id})`, a.definitionName, a.scope, list(a.notScopes), a.enforcementMode,
    list(Object.entries(a.parameters).map(([k, v]) => `${k}=${JSON.stringify(v)}`)),
  ])),
  "Non-compliant resources:", "", ...states(c.nonCompliant),
  "Exempt resources:", "", ...states(c.exempt),
  "Exemptions:", "", ...table(["exemption", "category", "scope", "assignment", "expires", "expired"], c.exemptions.map((x) => [
    x.displayName ? `${x.displayName} (${x.name})` : x.name, x.category, x.scope, x.assignment, x.expiresOn ?? "never", x.expired ? "yes" : "no",
  ])));
  return out;
}
