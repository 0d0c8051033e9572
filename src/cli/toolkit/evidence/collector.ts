// What an export keeps of the audit window, record by record as the pages stream past: the exact
// excerpt (spooled to a file, spool.ts), each connection's history, routine token use counted per
// (principal, path, client), denials counted per (client, reason), and which repositories were
// pulled. Memory is bounded (MAX_CLIENT_ROWS), whatever the size of the log or the window.
import { concerns, isTokenUse, kindOf, type AuditRecord, type AuditScope, type Ev, type WindowSink } from "./audit-window.js";
import type { RecordSpool } from "./spool.js";

/**
 * Token-use and denial rows kept per client at most; beyond, a new client's counts go to one row
 * per (principal, path, endpoint) or per reason with clientIp "*", so a flood from many addresses
 * keeps the totals exact and the memory bounded.
 */
export const MAX_CLIENT_ROWS = 2000;

export interface HistoryEntry {
  seq: number;
  time: string;
  action: string;
  from: string | null;
  to: string;
  actor: string;
  description: string;
}

export interface TokenUse {
  principalId: string;
  /** public, private (with the endpoint), or unknown: an older registry.token row records no path. */
  path: "public" | "private" | "unknown";
  endpointIp?: string;
  endpointId?: string;
  clientIp: string;
  count: number;
  firstAt: string;
  lastAt: string;
}

export interface DenialCount {
  clientIp: string;
  reason: string;
  /** Denials written by name in the window. */
  recorded: number;
  /** Counted only, in data-plane-denied-summary records, for pairs this registry's denials name. */
  suppressed: number;
  firstAt: string;
  lastAt: string;
  /** The listeners the client reached (`public:<ip>`, `private:<ip>`), when the records say. */
  via: string[];
}

const low = (v: unknown) => String(v ?? "").toLowerCase();

export class EvidenceCollector implements WindowSink {
  readonly history = new Map<string, HistoryEntry[]>();
  readonly tokenUse = new Map<string, TokenUse>();
  readonly denials = new Map<string, DenialCount>();
  /** Repositories a pull token was issued for in the window. */
  readonly pulled = new Set<string>();
  /** Token aggregates that do not say which repositories they were for. */
  aggregatesWithoutRepositories = 0;
  readonly counts = { window: 0, excerpt: 0, tokenRecords: 0, tokenAggregates: 0, tokenIssues: 0, byKind: {} as Record<string, number> };
  readonly unattributed = { count: 0, byReason: {} as Record<string, number> };
  /** Counts that went to a "*" row because MAX_CLIENT_ROWS was reached. */
  readonly folded = { tokenUse: 0, denials: 0 };
  firstSeq?: number;
  lastSeq?: number;

  constructor(private readonly scope: AuditScope, private readonly spool: RecordSpool) {}

  add(r: AuditRecord): void {
    this.counts.window++;
    this.firstSeq ??= r.seq;
    this.lastSeq = r.seq;
    const e = r.event as Ev;
    const kind = kindOf(e);
    if (kind === "data-plane-denied-summary") return this.summary(r, e);
    if (!concerns(e, this.scope)) return;
    this.counts.byKind[kind] = (this.counts.byKind[kind] ?? 0) + 1;
    if (isTokenUse(e)) return this.token(kind, e, r.time);
    this.keep(r);
    if (kind === "private-endpoint-connection") {
      const id = low(e.resourceId);
      const list = this.history.get(id) ?? [];
      list.push({ seq: r.seq, time: String(e.time ?? r.time), action: String(e.action), from: e.from ?? null, to: String(e.to), actor: String(e.actor ?? ""), description: String(e.description ?? "") });
      this.history.set(id, list);
    }
    if (kind === "data-plane-denied") this.denial(String(e.clientIp ?? ""), String(e.reason ?? ""), r.time, 1, 0, e.via);
  }

  private keep(r: AuditRecord): void {
    this.spool.append(r);
    this.counts.excerpt++;
  }

  private denial(ip: string, reason: string, time: string, recorded: number, suppressed: number, via?: unknown): void {
    let clientIp = ip;
    if (!this.denials.has(`${ip}\u0000${reason}`) && this.denials.size >= MAX_CLIENT_ROWS) {
      clientIp = "*";
      this.folded.denials += recorded + suppressed;
    }
    const key = `${clientIp}\u0000${reason}`;
    const d = this.denials.get(key) ?? { clientIp, reason, recorded: 0, suppressed: 0, firstAt: time, lastAt: time, via: [] };
    d.recorded += recorded;
    d.suppressed += suppressed;
    if (time < d.firstAt) d.firstAt = time;
    if (time > d.lastAt) d.lastAt = time;
    if (typeof via === "string" && via && !d.via.includes(via)) d.via.push(via);
    this.denials.set(key, d);
  }

  /** A summary names no registry: its counts go to the pairs this registry's own denials name. */
  private summary(r: AuditRecord, e: Ev): void {
    let matched = false;
    for (const s of Array.isArray(e.sources) ? e.sources : []) {
      const d = this.denials.get(`${s.clientIp}\u0000${s.reason}`);
      if (!d || !(Number(s.suppressed) > 0)) continue;
      this.denial(d.clientIp, d.reason, String(e.to ?? r.time), 0, Number(s.suppressed));
      matched = true;
    }
    const u = e.untrackedSources;
    if (u && typeof u === "object") {
      this.unattributed.count += Number(u.count) || 0;
      for (const [reason, n] of Object.entries(u.byReason ?? {})) this.unattributed.byReason[reason] = (this.unattributed.byReason[reason] ?? 0) + (Number(n) || 0);
    }
    if (matched) {
      this.counts.byKind["data-plane-denied-summary"] = (this.counts.byKind["data-plane-denied-summary"] ?? 0) + 1;
      this.keep(r);
    }
  }

  private use(given: Omit<TokenUse, "count" | "firstAt" | "lastAt">, count: number, firstAt: string, lastAt: string): void {
    let u = given;
    let key = [u.principalId, u.path, u.endpointIp ?? "", u.clientIp].join("\u0000");
    if (!this.tokenUse.has(key) && this.tokenUse.size >= MAX_CLIENT_ROWS) {
      u = { ...given, clientIp: "*" };
      key = [u.principalId, u.path, u.endpointIp ?? "", "*"].join("\u0000");
      this.folded.tokenUse += count;
    }
    const t = this.tokenUse.get(key) ?? { ...u, count: 0, firstAt, lastAt };
    t.count += count;
    if (firstAt < t.firstAt) t.firstAt = firstAt;
    if (lastAt > t.lastAt) t.lastAt = lastAt;
    if (!t.endpointId && u.endpointId) t.endpointId = u.endpointId;
    this.tokenUse.set(key, t);
  }

  private token(kind: string, e: Ev, time: string): void {
    const principalId = low(e.principalId);
    if (kind === "registry.token") {
      this.counts.tokenRecords++;
      this.counts.tokenIssues++;
      this.use({ principalId, path: "unknown", clientIp: String(e.clientIp ?? "") }, 1, time, time);
      for (const a of Array.isArray(e.access) ? e.access : []) {
        if (a?.type === "repository" && Array.isArray(a.actions) && a.actions.includes("pull")) this.pulled.add(String(a.name));
      }
      return;
    }
    this.counts.tokenAggregates++;
    this.counts.tokenIssues += Number(e.count) || 0;
    for (const c of Array.isArray(e.clients) ? e.clients : []) {
      const path = c.path === "public" || c.path === "private" ? c.path : "unknown";
      this.use({
        principalId, path, clientIp: String(c.clientIp ?? ""),
        ...(path === "private" ? { endpointIp: String(c.endpointIp ?? ""), endpointId: c.endpointId ? low(c.endpointId) : this.scope.endpointByIp.get(String(c.endpointIp)) } : {}),
      }, Number(c.count) || 0, String(c.firstAt ?? time), String(c.lastAt ?? time));
    }
    // Forward compatible: an aggregate that names its repositories (`repositories`, or `access` as a token carries it).
    const repos: unknown = e.repositories ?? (Array.isArray(e.access) ? e.access.filter((a: Ev) => a?.actions?.includes?.("pull")).map((a: Ev) => a.name) : undefined);
    if (Array.isArray(repos)) for (const n of repos) this.pulled.add(String(n));
    // No names, or more than the record kept: a repository that looks unpulled may have been pulled.
    if (!Array.isArray(repos) || Number(e.repositoriesOmitted) > 0) this.aggregatesWithoutRepositories++;
  }
}
