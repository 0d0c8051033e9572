// Cutover readiness, the pure part (issue 9 section 4; shared since issue 12): who used a
// registry's public endpoint (folded from audit records: token aggregates whose client came by the
// public path, `registry.token` rows of older versions, which did not record the path, so they
// count, and refusals at the public endpoint), where the model places each client, and whether it
// breaks once public network access is Disabled: an ok verdict through a private endpoint is a
// private path; anything else names the cause that breaks it. Two callers, one answer: `cove acr
// public-access readiness` (cli/toolkit/readiness.ts: the audit log through the API, the inventory
// through the SDKs) and the server's publicAccessReadiness route (the store's records and documents).
import { isIP } from "node:net";
import type { ArmInventory } from "./inventory.js";
import { buildModel, type ReachabilityModel, type RegistryInfo, type VnetInfo } from "./model.js";
import { predict } from "./predict.js";
import { diagnose } from "./diagnose.js";
import type { CauseCode } from "./causes.js";
import * as fix from "./fixes.js";
import type { FixCommand } from "./fixes.js";

export type ReadinessVerdict = "will-break" | "has-private-path" | "unknown";

/** What the log says one address did on the public endpoint in the window. */
export interface PublicUse {
  clientIp: string;
  /** Tokens issued to it through the public endpoint (or, in older records, by an unrecorded path). */
  tokens: number;
  /** Its refusals at the public endpoint. */
  denials: number;
  principals: string[];
  firstSeen: string;
  lastSeen: string;
  /** The record kinds it was seen in. */
  seenIn: string[];
}

export interface ReadinessClient extends PublicUse {
  /** `<vnet>/<subnet>` the model locates it in, or `internet`. */
  network: string;
  vnetId: string | null;
  subnetId: string | null;
  verdict: ReadinessVerdict;
  /** Why: the private path it has, the cause that breaks it, or why it cannot be placed. */
  reason: string;
  cause: CauseCode | null;
  /** Commands that give it a private path (none when its only way is the public endpoint). */
  fix: FixCommand[];
}

export interface ReadinessReport {
  registry: { id: string; name: string; publicNetworkAccess: string };
  since: string;
  clients: ReadinessClient[];
  summary: { willBreak: number; hasPrivatePath: number; unknown: number };
}

/** The record kinds readiness reads (GET /cove/audit?kind=...). */
export const READINESS_KINDS = ["registry.token-aggregate", "registry.token", "data-plane-denied"] as const;

type Event = Record<string, any>;
const same = (a: unknown, b: string) => typeof a === "string" && a.toLowerCase() === b.toLowerCase();
const kindOf = (e: Event) => (typeof e.kind === "string" && e.kind !== "auth" ? e.kind : String(e.type ?? e.kind ?? ""));

/** Folds audit records into the public endpoint's users of one registry. Streams: call per page. */
export class PublicUses {
  private readonly byIp = new Map<string, PublicUse & { principalSet: Set<string>; kinds: Set<string> }>();
  constructor(private readonly registryId: string) {}

  add(record: { time: string; event: Event }): void {
    const e = record.event;
    const kind = kindOf(e);
    if (kind === "registry.token-aggregate" && same(e.registry, this.registryId)) {
      for (const c of Array.isArray(e.clients) ? e.clients : []) {
        if (c?.path === "public") this.note(String(c.clientIp), kind, { tokens: Number(c.count) || 0, principal: e.principalId, first: c.firstAt ?? record.time, last: c.lastAt ?? record.time });
      }
    } else if (kind === "registry.token" && e.outcome === "issued" && same(e.registry, this.registryId)) {
      this.note(String(e.clientIp), kind, { tokens: 1, principal: e.principalId, first: record.time, last: record.time });
    } else if (kind === "data-plane-denied" && typeof e.via === "string" && e.via.startsWith("public:") && same(e.registry, this.registryId)) {
      this.note(String(e.clientIp), kind, { denials: 1, first: record.time, last: record.time });
    }
  }

  private note(ip: string, kind: string, n: { tokens?: number; denials?: number; principal?: unknown; first: string; last: string }): void {
    let u = this.byIp.get(ip);
    if (!u) {
      u = { clientIp: ip, tokens: 0, denials: 0, principals: [], firstSeen: n.first, lastSeen: n.last, seenIn: [], principalSet: new Set(), kinds: new Set() };
      this.byIp.set(ip, u);
    }
    u.tokens += n.tokens ?? 0;
    u.denials += n.denials ?? 0;
    if (typeof n.principal === "string") u.principalSet.add(n.principal);
    u.kinds.add(kind);
    if (n.first < u.firstSeen) u.firstSeen = n.first;
    if (n.last > u.lastSeen) u.lastSeen = n.last;
  }

  list(): PublicUse[] {
    return [...this.byIp.values()].map(({ principalSet, kinds, ...u }) => ({ ...u, principals: [...principalSet].sort(), seenIn: [...kinds].sort() }))
      .sort((a, b) => a.clientIp.localeCompare(b.clientIp, undefined, { numeric: true }));
  }
}

/** The inventory as it would be with the registry's public network access Disabled. */
export function withPublicAccessDisabled(inv: ArmInventory, registryId: string): ArmInventory {
  return {
    ...inv,
    registries: inv.registries.map((r) => (same(r.id, registryId) ? { ...r, properties: { ...(r.properties ?? {}), publicNetworkAccess: "Disabled" } } : r)),
  };
}

/** Why the model cannot place an address, or undefined when it can. */
function unplaceable(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 6) return "an IPv6 address: the model places IPv4 clients only (a dual-stack client may also have an IPv4 path)";
  if (family === 0) return `'${ip}' is not an IP address (a proxy may have sent it in X-Forwarded-For)`;
  return undefined;
}

/** For a VNet client with no route to the registry's endpoints: peer it with an approved endpoint's VNet and link the zone. */
export function privatePathFix(model: ReachabilityModel, reg: RegistryInfo, vnet: VnetInfo): FixCommand[] {
  const endpoint = model.endpoints.find((e) => e.registryKey === reg.key && e.status === "Approved");
  const target = endpoint ? model.vnet(endpoint.vnetId) : undefined;
  if (!endpoint || !target) return [];
  const out = model.routable(vnet.id, target.id) ? [] : fix.peer(vnet, target);
  const zone = model.zones.find((z) => z.name === `privatelink.${model.suffix}` && z.links.some((l) => same(l.vnetId, target.id)))
    ?? model.zones.find((z) => z.name === `privatelink.${model.suffix}`);
  if (zone && !zone.links.some((l) => same(l.vnetId, vnet.id))) out.push(fix.linkZone(zone, vnet));
  return out;
}

/** The verdict for each user, from the model as it is (where the client is) and as it would be (public access Disabled). */
export function readinessVerdicts(now: ReachabilityModel, off: ReachabilityModel, reg: RegistryInfo, uses: PublicUse[], since: string): ReadinessReport {
  const regOff = off.registry(reg.id)!;
  const clients = uses.map((u): ReadinessClient => {
    const name = (id: string) => now.principal(id)?.displayName ?? id;
    const base = { ...u, principals: u.principals.map(name) };
    const why = unplaceable(u.clientIp);
    if (why) return { ...base, network: "unknown", vnetId: null, subnetId: null, verdict: "unknown", reason: why, cause: null, fix: [] };
    const loc = now.snapshot.locate(u.clientIp);
    const subnet = loc ? now.subnet(loc.subnetId) : undefined;
    const where = { network: subnet ? `${subnet.vnetName}/${subnet.name}` : loc ? loc.subnetId : "internet", vnetId: subnet?.vnetId ?? loc?.vnetId ?? null, subnetId: subnet?.id ?? loc?.subnetId ?? null };
    const v = diagnose(off, regOff, predict(off, regOff, { source: u.clientIp }));
    if (v.ok && v.path.kind === "private") {
      return { ...base, ...where, verdict: "has-private-path", reason: `reaches ${reg.name} privately through ${v.path.endpointName} (${v.path.ip})`, cause: null, fix: [] };
    }
    // The public endpoint's own fixes (an IP rule, public access back on) reopen what is being
    // closed: a VNet client is offered the private path instead, an internet client nothing.
    const publicFix = v.cause === "PUBLIC_ACCESS_DISABLED" || v.cause === "FIREWALL_DENIED";
    const reason = !loc ? `on the internet: no private path to ${reg.name} (a VPN or a VNet linked to the private zone would give one)` : v.summary;
    const vnet = loc ? now.vnet(loc.vnetId) : undefined;
    return { ...base, ...where, verdict: "will-break", reason, cause: v.cause ?? null, fix: !publicFix ? v.fix : vnet ? privatePathFix(now, reg, vnet) : [] };
  });
  const count = (x: ReadinessVerdict) => clients.filter((c) => c.verdict === x).length;
  return {
    registry: { id: reg.id, name: reg.name, publicNetworkAccess: reg.publicNetworkAccess },
    since,
    clients,
    summary: { willBreak: count("will-break"), hasPrivatePath: count("has-private-path"), unknown: count("unknown") },
  };
}

/** The whole report of one registry: the model as it is, and as it would be with public access Disabled. */
export function readinessReport(inventory: ArmInventory, model: ReachabilityModel, reg: RegistryInfo, uses: PublicUse[], since: string): ReadinessReport {
  return readinessVerdicts(model, buildModel(withPublicAccessDisabled(inventory, reg.id)), reg, uses, since);
}
