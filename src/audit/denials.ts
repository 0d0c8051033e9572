// Denied data-plane requests are audited (security standard), but a flood of them must not fill
// the disk, nor hide anyone else's denials. So the quota is per source (client IP): each source
// may have `limit` denials per window written one by one; the rest are counted, exactly, per
// source and reason. The first denial of every (source, reason) in a window is written by name
// even past the quota, so a new kind of refusal is never only a number. At most `maxSources`
// sources are tracked per window; denials from sources beyond the cap are counted per reason in
// one overflow tally, so nothing goes uncounted. At the end of every window (a timer, not the
// next denial) and at shutdown, one `data-plane-denied-summary` record carries the counts.
//
// Network refusals (the firewall's 403, a dropped connection at a private endpoint IP) share the
// record kind and the quota, and add what decided: `reason`, `rule`, `via`, `effect` and `phase`.
import type { Logger } from "pino";
import type { MetadataStore } from "../storage/types.js";
import type { RequestContext } from "../http/types.js";
import type { RegistryView } from "../domain/registry.js";
import type { NetworkDenial } from "../http/network-step.js";
import type { AuditEvent } from "./event.js";
import { appendAudits } from "./log.js";

export const DENIAL_DEFAULTS = { limit: 60, windowMs: 60_000, maxSources: 256 } as const;

export interface DenialAuditOptions {
  /** Denials written one by one per source and window (beyond the first of each reason). */
  limit?: number;
  windowMs?: number;
  /** Sources tracked by name per window; the rest are counted together. */
  maxSources?: number;
}

export interface DenialAuditor {
  record(ctx: RequestContext, status: number, registry?: RegistryView): void;
  /** A refusal by the network decision (a 403 DENIED, or a connection dropped or cut). */
  recordNetwork(d: NetworkDenial): void;
  /** Closes the window now: writes its summary and waits for every pending write. */
  flush(): Promise<void>;
  /** flush(), and stops the window timer (at shutdown). */
  close(): Promise<void>;
}

interface Tally { recorded: number; suppressed: number }

/** Why a request the pipeline answered 401/403 was refused, as the summary counts it. */
function requestReason(ctx: RequestContext, status: number): "forbidden" | "credentials-rejected" | "token-rejected" {
  if (status === 403) return "forbidden";
  const scheme = String(ctx.headers.authorization ?? "").split(" ")[0]!.toLowerCase();
  return scheme === "basic" ? "credentials-rejected" : "token-rejected";
}

export function createDenialAuditor(meta: MetadataStore, log: Logger, options: DenialAuditOptions = {}): DenialAuditor {
  const limit = options.limit ?? DENIAL_DEFAULTS.limit;
  const windowMs = Math.max(1, options.windowMs ?? DENIAL_DEFAULTS.windowMs);
  const maxSources = options.maxSources ?? DENIAL_DEFAULTS.maxSources;
  let windowStart = Date.now();
  let timer: NodeJS.Timeout | undefined;
  // source -> written (against the quota) and the tally per reason
  let sources = new Map<string, { written: number; reasons: Map<string, Tally> }>();
  let overflow = new Map<string, number>();
  let pending: Promise<unknown> = Promise.resolve();
  // Records are queued and written together, in order, one transaction per turn of the event loop:
  // a flood from a thousand sources starts every window with a thousand records by name, and a
  // commit (an fsync) each held the event loop for seconds (a 1,000-source flood spent 37 % of
  // Cove's CPU time in those commits, and /healthz waited up to 2 s).
  let queue: AuditEvent[] = [];
  const write = () => {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    pending = pending.then(() => appendAudits(meta, batch)).catch((e) => log.warn({ err: String(e), records: batch.length }, "audit append failed"));
  };
  const append = (event: AuditEvent) => {
    if (queue.push(event) === 1) setImmediate(write);
  };

  const closeWindow = (now: number) => {
    const counted: { clientIp: string; reason: string; recorded: number; suppressed: number }[] = [];
    let suppressed = 0;
    for (const [clientIp, s] of sources) {
      for (const [reason, t] of s.reasons) {
        if (t.suppressed === 0) continue;
        counted.push({ clientIp, reason, recorded: t.recorded, suppressed: t.suppressed });
        suppressed += t.suppressed;
      }
    }
    const untracked = [...overflow.values()].reduce((a, b) => a + b, 0);
    if (suppressed > 0 || untracked > 0) {
      append({
        kind: "data-plane-denied-summary",
        from: new Date(windowStart).toISOString(),
        to: new Date(now).toISOString(),
        // Every denial not written by name, in this window: per source and reason, plus those
        // from sources beyond the cap.
        suppressed: suppressed + untracked,
        sources: counted,
        ...(untracked > 0 ? { untrackedSources: { count: untracked, byReason: Object.fromEntries(overflow) } } : {}),
      });
    }
    windowStart = now;
    sources = new Map();
    overflow = new Map();
    // The next window ends windowMs after this one began, whoever closed this one. (A fixed-phase
    // interval, after a denial had closed a window its delayed tick was late for, closed the next
    // one again a moment later: a window of a few ms with its own quota for every source.)
    timer?.refresh();
  };

  /** False when the event is only counted (quota spent, or a source beyond the cap). */
  const admit = (source: string, reason: string): boolean => {
    const now = Date.now();
    // The timer closes windows; this covers a timer delayed by a busy event loop.
    if (now - windowStart >= windowMs) closeWindow(now);
    let s = sources.get(source);
    if (!s) {
      if (sources.size >= maxSources) {
        overflow.set(reason, (overflow.get(reason) ?? 0) + 1);
        return false;
      }
      s = { written: 0, reasons: new Map() };
      sources.set(source, s);
    }
    let t = s.reasons.get(reason);
    if (!t) s.reasons.set(reason, (t = { recorded: 0, suppressed: 0 }));
    if (t.recorded === 0 || s.written < limit) {
      t.recorded++;
      s.written++;
      return true;
    }
    t.suppressed++;
    return false;
  };

  timer = setTimeout(() => closeWindow(Date.now()), windowMs);
  timer.unref();

  return {
    record(ctx, status, registry) {
      // The 401 challenge to a client that sent no credentials is the normal first step of every
      // login, not a denial worth keeping.
      if (status === 401 && !ctx.headers.authorization) return;
      const reason = requestReason(ctx, status);
      if (!admit(ctx.clientIp, reason)) return;
      append({
        kind: "data-plane-denied",
        status,
        reason,
        registry: registry?.id,
        host: ctx.host,
        clientIp: ctx.clientIp,
        method: ctx.method,
        path: ctx.rawPath,
        requestId: ctx.requestId,
        // A 401 carrying credentials is a failed login; without credentials it is the normal challenge.
        credentials: ctx.headers.authorization ? String(ctx.headers.authorization).split(" ")[0] : "none",
      });
    },
    recordNetwork(d) {
      if (!admit(d.clientIp, d.decision.reason)) return;
      append({
        kind: "data-plane-denied",
        ...(d.decision.effect === "forbidden" ? { status: 403 } : {}),
        effect: d.decision.effect,
        reason: d.decision.reason,
        rule: d.decision.rule,
        via: `${d.via.kind}:${d.via.address}`,
        phase: d.phase,
        clientIp: d.clientIp,
        ...(d.request ? { registry: d.request.registry, host: d.request.host, method: d.request.method, path: d.request.path, requestId: d.request.requestId } : {}),
      });
    },
    async flush() {
      closeWindow(Date.now());
      write();
      await pending;
    },
    async close() {
      clearTimeout(timer);
      timer = undefined;
      closeWindow(Date.now());
      write();
      await pending;
    },
  };
}
