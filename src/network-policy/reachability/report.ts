// The reachability matrix (`cove acr network-report`, the page's Reachability view, evidence): one
// row per subnet of every VNet plus the internet, each the modelled verdict for a client standing at
// the subnet's last usable address. Pure: model in, rows out.
import type { CauseCode } from "./causes.js";
import { diagnose, type Verdict } from "./diagnose.js";
import { freeLoopbackPrefix, moveToLoopback, type FixCommand } from "./fixes.js";
import type { EndpointInfo, EndpointIp, ListenerState, ReachabilityModel, RegistryInfo } from "./model.js";
import { PUBLIC_ENDPOINT } from "./model.js";
import type { DnsSeen } from "./observation.js";
import { predict } from "./predict.js";
import { zoneFindings, type ZoneFinding } from "./zone-findings.js";

/** Where the model stands an internet client (TEST-NET-3, RFC 5737: in no VNet, never sent a packet). */
export const INTERNET_CLIENT = "203.0.113.10";

export interface ReportRow {
  vnet: string;
  vnetId: string | null;
  subnet: string;
  subnetId: string | null;
  /** The address the model stands the client at. */
  address: string;
  /** The login server's answer there: an address, "public endpoint", NXDOMAIN, ... */
  dns: string;
  dataDns: string | null;
  /** "private:<endpoint> (<ip>)", "public", or "none". */
  path: string;
  decision: "allow" | "deny";
  /** "ok", or the root cause's code. */
  reason: string;
  cause: CauseCode | null;
  summary: string;
  fix: FixCommand[];
  /** Identities holding pull / push on the registry (they can use them from here when the decision is allow). */
  pull: string[];
  push: string[];
  /** On a private path, whether the registry listens at its IP; only where the ARM says (Cove's listenerStatus). */
  listener?: ListenerState["state"];
}

/** One IP of one of the registry's private endpoints, and whether the registry listens there. */
export interface ListenerRow {
  endpoint: string;
  endpointId: string;
  member: string;
  ip: string;
  fqdn: string;
  state: ListenerState["state"];
  error?: string;
  /** When Failed: what clients meet there, and the fix in words. */
  finding?: string;
  /** When Failed on an address this host lacks: the commands that move the endpoint to one it serves. */
  fix?: FixCommand[];
}

export interface NetworkReport {
  registry: { id: string; name: string; loginServer: string; sku: string; publicNetworkAccess: string; defaultAction: string; dataEndpoint: string | null };
  rows: ReportRow[];
  /** Every IP of the registry's endpoints with its listener; absent where the ARM serves no listener status (Azure). */
  listeners?: ListenerRow[];
  /** Zones whose record for the registry points at an endpoint a linked VNet cannot reach (zone-findings.ts); absent when none. */
  zoneFindings?: ZoneFinding[];
  counts: { vnets: number; subnets: number; endpoints: number; allow: number; deny: number };
}

export function dnsText(d: DnsSeen | undefined): string {
  if (!d) return "";
  if (d.kind === "address") return d.ips.map((ip) => (ip === PUBLIC_ENDPOINT ? "public endpoint" : ip)).join(", ");
  if (d.kind === "failed") return `no answer (${d.message})`;
  return d.kind.toUpperCase();
}

export function pathText(v: Verdict): string {
  if (v.path.kind === "private") return `private:${v.path.endpointName} (${v.path.ip})`;
  return v.path.kind;
}

/** The finding for an IP the registry cannot listen on; the rule is the one `network private-endpoint create` warns with. */
export function listenerFinding(model: ReachabilityModel, e: EndpointInfo, m: EndpointIp): string {
  const l = m.listener!;
  const what = m.fqdn ? `${m.ip} (${m.fqdn})` : m.ip;
  const n = freeLoopbackPrefix(model) ?? 16;
  const fix = /EADDRNOTAVAIL/.test(l.error ?? "")
    ? `In loopback mode VNet prefixes must be in 127.0.0.0/8; use e.g. --address-prefixes 127.${n}.0.0/16 --subnet-prefixes 127.${n}.1.0/24 for the VNet (the fix moves the endpoint there), or give this host the address.`
    : l.hint ? `${l.hint.charAt(0).toUpperCase()}${l.hint.slice(1)}.` : "See the server's log.";
  return `The registry cannot listen on ${what} of private endpoint '${e.name}': ${l.error ?? "bind failed"}. Clients whose DNS answers it do not reach the registry. ${fix}`;
}

function listenerRows(model: ReachabilityModel, reg: RegistryInfo): ListenerRow[] | undefined {
  const out: ListenerRow[] = [];
  for (const e of model.endpoints.filter((x) => x.registryKey === reg.key).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))) {
    for (const m of e.ips) {
      if (!m.listener) continue;
      const row: ListenerRow = { endpoint: e.name, endpointId: e.id, member: m.member, ip: m.ip, fqdn: m.fqdn, state: m.listener.state, ...(m.listener.error ? { error: m.listener.error } : {}) };
      if (m.listener.state === "Failed") {
        row.finding = listenerFinding(model, e, m);
        if (/EADDRNOTAVAIL/.test(m.listener.error ?? "")) row.fix = moveToLoopback(model, reg, e, model.zones.find((z) => z.name === `privatelink.${model.suffix}`));
      }
      out.push(row);
    }
  }
  return out.length ? out : undefined;
}

export function networkReport(model: ReachabilityModel, reg: RegistryInfo): NetworkReport {
  const holders = model.holders(reg.id);
  const named = (action: "pull" | "push") => holders.filter((h) => h.actions.includes(action)).map((h) => h.displayName ?? h.appId ?? h.principalId);
  const pull = named("pull");
  const push = named("push");
  const row = (vnet: string, vnetId: string | null, subnet: string, subnetId: string | null, address: string): ReportRow => {
    const obs = predict(model, reg, { source: address });
    const v = diagnose(model, reg, obs);
    const listener = v.path.kind === "private" ? model.endpointAtIp(v.path.ip)?.member.listener?.state : undefined;
    return {
      vnet, vnetId, subnet, subnetId, address, dns: dnsText(obs.dns), dataDns: obs.dataDns ? dnsText(obs.dataDns) : null,
      path: pathText(v), decision: v.ok ? "allow" : "deny", reason: v.ok ? "ok" : v.cause!, cause: v.cause ?? null,
      summary: v.summary, fix: v.fix, pull: v.ok ? pull : [], push: v.ok ? push : [],
      ...(listener ? { listener } : {}),
    };
  };
  const rows: ReportRow[] = [];
  for (const vnet of [...model.vnets].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))) {
    for (const s of [...vnet.subnets].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!s.clientAddress) continue;
      rows.push(row(vnet.name, vnet.id, s.name, s.id, s.clientAddress));
    }
  }
  rows.push(row("internet", null, "-", null, INTERNET_CLIENT));
  const allow = rows.filter((r) => r.decision === "allow").length;
  const listeners = listenerRows(model, reg);
  const zones = zoneFindings(model, reg);
  return {
    registry: {
      id: reg.id, name: reg.name, loginServer: reg.loginServer, sku: reg.sku, publicNetworkAccess: reg.publicNetworkAccess,
      defaultAction: reg.defaultAction, dataEndpoint: reg.dataHost ?? null,
    },
    rows,
    ...(listeners ? { listeners } : {}),
    ...(zones.length ? { zoneFindings: zones } : {}),
    counts: { vnets: model.vnets.length, subnets: model.subnets.length, endpoints: model.endpoints.length, allow, deny: rows.length - allow },
  };
}
