// Cove's audit endpoint, on the management listener behind authentication: how an auditor (or a
// test, or `cove audit list`) reads the append-only, hash-chained log without access to the data dir.
//
//   GET /cove/audit?after=<seq>&limit=<n>   -> 200 {value:[{seq,time,hash,event}], nextLink?}
//   GET /cove/audit/verify                  -> 200 {ok, lastSeq, lastHash} | {ok:false, seq, reason}
//
// Reading needs `Microsoft.Insights/eventtypes/values/read` at the subscription, the permission
// behind Azure's Activity Log; Reader, Contributor and Owner hold it through `*/read` or `*`.
import type { HandlerResult, RequestContext } from "../http/types.js";
import type { AccessControl } from "../auth/types.js";
import type { MetadataStore } from "../storage/types.js";
import { verifyAuditChain, AUDIT_GENESIS_HASH } from "../audit/chain.js";
import { armError } from "./errors.js";

export const AUDIT_PATH = "/cove/audit";
export const AUDIT_READ_ACTION = "Microsoft.Insights/eventtypes/values/read";
const MAX_PAGE = 1000;
const ROUTE = /^\/cove\/audit(\/verify)?\/?$/i;

function nonNegativeInt(v: string | null, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === null) return fallback;
  if (!/^\d{1,15}$/.test(v) || Number(v) > max) {
    throw armError("InvalidParameter", { target: name, reason: `It must be a whole number between 0 and ${max}.` }, { target: name });
  }
  return Number(v);
}

export function createAuditRoutes(meta: MetadataStore, access: AccessControl, subscriptionId: string) {
  const scope = `/subscriptions/${subscriptionId}`;
  return async function auditRoutes(ctx: RequestContext): Promise<HandlerResult | undefined> {
    const m = ROUTE.exec(ctx.rawPath);
    if (!m) return undefined;
    if (!ctx.principal) throw armError("AuthenticationFailed");
    if (ctx.method !== "GET") throw armError("MethodNotAllowed", { method: ctx.method });
    if (!(await access.authorize(ctx.principal, AUDIT_READ_ACTION, scope))) {
      throw armError("AuthorizationFailed", { clientId: ctx.principal.clientId ?? ctx.principal.id, objectId: ctx.principal.id, action: AUDIT_READ_ACTION, scope });
    }
    if (m[1]) {
      // Verify the whole chain page by page, never holding the whole log in memory.
      let after = 0;
      let start = { prevHash: AUDIT_GENESIS_HASH, prevSeq: 0 };
      for (;;) {
        const page = await meta.readAudit(after, MAX_PAGE);
        if (page.length === 0) return { status: 200, body: { ok: true, lastSeq: start.prevSeq, lastHash: start.prevHash } };
        const r = verifyAuditChain(page, start);
        if (!r.ok) return { status: 200, body: r };
        start = { prevHash: r.lastHash, prevSeq: r.lastSeq };
        after = r.lastSeq;
      }
    }
    const after = nonNegativeInt(ctx.query.get("after"), "after", 0);
    const limit = nonNegativeInt(ctx.query.get("limit"), "limit", 100, MAX_PAGE) || 100;
    const value = await meta.readAudit(after, limit);
    const body: Record<string, unknown> = { value };
    if (value.length === limit) {
      const host = String(ctx.headers.host ?? `${ctx.listener.address}:${ctx.listener.port}`);
      body.nextLink = `https://${host}${AUDIT_PATH}?after=${value[value.length - 1]!.seq}&limit=${limit}`;
    }
    return { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body };
  };
}
