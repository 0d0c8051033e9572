// Denied data-plane requests are audited (security standard), but a flood of them must not fill
// the disk: at most LIMIT records per window are written one by one; the rest are counted and
// written as one summary record when the window closes (or on shutdown). Network refusals (issue 4:
// the firewall's 403, a dropped connection at a private endpoint IP) share the same record kind and
// the same limit, and add what decided: `reason`, `rule`, `via`, `effect` and `phase`.
import type { Logger } from "pino";
import type { MetadataStore } from "../storage/types.js";
import type { RequestContext } from "../http/types.js";
import type { RegistryView } from "../domain/registry.js";
import type { NetworkDenial } from "../http/network-step.js";

const LIMIT = 60;
const WINDOW_MS = 60_000;

export interface DenialAuditor {
  record(ctx: RequestContext, status: number, registry?: RegistryView): void;
  /** A refusal by the network decision (a 403 DENIED, or a connection dropped or cut). */
  recordNetwork(d: NetworkDenial): void;
  flush(): Promise<void>;
}

export function createDenialAuditor(meta: MetadataStore, log: Logger, limit = LIMIT, windowMs = WINDOW_MS): DenialAuditor {
  let windowStart = Date.now();
  let written = 0;
  let suppressed = 0;
  let pending: Promise<unknown> = Promise.resolve();

  const append = (event: Record<string, unknown>) => {
    pending = pending.then(() => meta.appendAudit(event)).catch((e) => log.warn({ err: String(e) }, "audit append failed"));
  };
  const closeWindow = (now: number) => {
    if (suppressed > 0) {
      append({ kind: "data-plane-denied-summary", suppressed, from: new Date(windowStart).toISOString(), to: new Date(now).toISOString() });
    }
    windowStart = now;
    written = 0;
    suppressed = 0;
  };

  /** False when the window's quota is spent (the event is then only counted). */
  const admit = (): boolean => {
    const now = Date.now();
    if (now - windowStart >= windowMs) closeWindow(now);
    if (written >= limit) { suppressed++; return false; }
    written++;
    return true;
  };

  return {
    record(ctx, status, registry) {
      // The 401 challenge to a client that sent no credentials is the normal first step of every
      // login, not a denial worth keeping.
      if (status === 401 && !ctx.headers.authorization) return;
      if (!admit()) return;
      append({
        kind: "data-plane-denied",
        status,
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
      if (!admit()) return;
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
      await pending;
    },
  };
}
