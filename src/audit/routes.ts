// Cove's audit endpoint, on the management listener behind authentication: how an auditor (or a
// test, or `cove audit`) reads the append-only, hash-chained log without access to the data dir.
//
//   GET  /cove/audit?after=<seq>&limit=<n>        -> 200 {value:[{seq,time,hash,event}], nextLink?}
//        [&since=<time>&until=<time>&kind=<k,k>]        only those records (read-filter.ts); a filtered
//                                                       page may be empty and still carry a nextLink
//   GET  /cove/audit/verify                       -> 200 {ok:true, lastSeq, lastHash, checkpoints, lastCheckpoint?}
//                                                        | {ok:false, code, seq, reason, checkpointSeq?, since?}
//   POST /cove/audit/verify {checkpoint, publicKey} -> the same, checked with the caller's public key
//   GET  /cove/audit/public-key[?format=jwk]      -> 200 PEM (SPKI) | JWK
//   GET  /cove/audit/checkpoints?after=&limit=    -> 200 {value:[{seq,headHash,time,keyId,signature}], nextLink?}
//
// Reading needs `Microsoft.Insights/eventtypes/values/read` at the subscription, the permission
// behind Azure's Activity Log; Reader, Contributor and Owner hold it through `*/read` or `*`.
import { createPublicKey, type KeyObject } from "node:crypto";
import type { HandlerResult, RequestContext } from "../http/types.js";
import type { AccessControl } from "../auth/types.js";
import type { MetadataStore } from "../storage/types.js";
import type { AuditAnchors } from "./checkpointer.js";
import { verifyAuditLog } from "./verify-log.js";
import { readFiltered, type AuditFilter } from "./read-filter.js";
import { AUDIT_KINDS } from "./event.js";
import { armError } from "../control-plane/arm/errors.js";
import { readJsonBody } from "../control-plane/arm/request-body.js";

export const AUDIT_PATH = "/cove/audit";
export const AUDIT_READ_ACTION = "Microsoft.Insights/eventtypes/values/read";
const MAX_PAGE = 1000;
const MAX_VERIFY_BODY = 64 * 1024;
const ROUTE = /^\/cove\/audit(?:\/(verify|public-key|checkpoints))?\/?$/i;
const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

function nonNegativeInt(v: string | null, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === null) return fallback;
  if (!/^\d{1,15}$/.test(v) || Number(v) > max) {
    throw armError("InvalidParameter", { target: name, reason: `It must be a whole number between 0 and ${max}.` }, { target: name });
  }
  return Number(v);
}

/** The auditor's public key from a POST body: PEM (SPKI) or an Ed25519 JWK. */
function auditorKey(value: unknown): KeyObject {
  let key: KeyObject | undefined;
  try {
    if (typeof value === "string") key = createPublicKey(value);
    else if (value && typeof value === "object") key = createPublicKey({ key: value as any, format: "jwk" });
  } catch { /* reported below */ }
  if (!key || key.asymmetricKeyType !== "ed25519") {
    throw armError("InvalidParameter", { target: "publicKey", reason: "It must be an Ed25519 public key, as PEM (SPKI) or JWK." }, { target: "publicKey" });
  }
  return key;
}

function nextLink(ctx: RequestContext, path: string, after: number, limit: number, filters = ""): string {
  const host = String(ctx.headers.host ?? `${ctx.listener.address}:${ctx.listener.port}`);
  return `https://${host}${path}?after=${after}&limit=${limit}${filters}`;
}

/** An ISO 8601 time from the query, in the form records carry (toISOString), so strings compare. */
function timeParam(v: string | null, name: string): string | undefined {
  if (v === null) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw armError("InvalidParameter", { target: name, reason: "It must be an ISO 8601 time, e.g. 2026-12-01T10:00:00Z." }, { target: name });
  return new Date(t).toISOString();
}

function kindsParam(v: string | null): Set<string> | undefined {
  if (v === null) return undefined;
  const kinds = v.split(",").map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.find((k) => !(AUDIT_KINDS as readonly string[]).includes(k));
  if (kinds.length === 0 || unknown !== undefined) {
    throw armError("InvalidParameter", { target: "kind", reason: `It must list kinds of docs/audit.md, separated by commas${unknown ? `; '${unknown}' is none` : ""}.` }, { target: "kind" });
  }
  return new Set(kinds);
}

/**
 * `beforeRead` runs once an authorised reader asks for records: the routine token counts of the
 * current minute are written first (token-aggregate.ts), so a reader sees every use up to now.
 */
export function createAuditRoutes(meta: MetadataStore, access: AccessControl, subscriptionId: string, anchors: AuditAnchors, beforeRead?: () => Promise<void>) {
  const scope = `/subscriptions/${subscriptionId}`;
  const readPage = (after: number, limit: number) => meta.readAudit(after, limit);
  return async function auditRoutes(ctx: RequestContext): Promise<HandlerResult | undefined> {
    const m = ROUTE.exec(ctx.rawPath);
    if (!m) return undefined;
    const sub = m[1]?.toLowerCase();
    if (!ctx.principal) throw armError("AuthenticationFailed");
    if (ctx.method !== "GET" && !(sub === "verify" && ctx.method === "POST")) throw armError("MethodNotAllowed", { method: ctx.method });
    if (!(await access.authorize(ctx.principal, AUDIT_READ_ACTION, scope))) {
      throw armError("AuthorizationFailed", { clientId: ctx.principal.clientId ?? ctx.principal.id, objectId: ctx.principal.id, action: AUDIT_READ_ACTION, scope });
    }
    await beforeRead?.();

    if (sub === "verify" && ctx.method === "POST") {
      // An auditor's proof: their saved checkpoint and every checkpoint Cove holds, each checked
      // with the key they hold, and the log must pass through all of them.
      const body = await readJsonBody(ctx, MAX_VERIFY_BODY);
      if (body.checkpoint === undefined) throw armError("InvalidParameter", { target: "checkpoint", reason: "It is required: a checkpoint saved from GET /cove/audit/checkpoints." }, { target: "checkpoint" });
      const key = auditorKey(body.publicKey);
      const result = await verifyAuditLog(readPage, [body.checkpoint, ...(await anchors.checkpoints())], key);
      return { status: 200, headers: JSON_TYPE, body: result };
    }
    if (sub === "verify") {
      return { status: 200, headers: JSON_TYPE, body: await verifyAuditLog(readPage, await anchors.checkpoints(), anchors.publicKey) };
    }
    if (sub === "public-key") {
      const format = ctx.query.get("format") ?? "pem";
      if (format === "jwk") {
        return { status: 200, headers: JSON_TYPE, body: { ...anchors.publicKey.export({ format: "jwk" }), kid: anchors.keyId, use: "sig", alg: "EdDSA" } };
      }
      if (format !== "pem") throw armError("InvalidParameter", { target: "format", reason: "It must be pem or jwk." }, { target: "format" });
      return { status: 200, headers: { "content-type": "application/x-pem-file" }, body: anchors.publicKeyPem };
    }

    const after = nonNegativeInt(ctx.query.get("after"), "after", 0);
    const limit = nonNegativeInt(ctx.query.get("limit"), "limit", 100, MAX_PAGE) || 100;
    if (sub === "checkpoints") {
      const all = await anchors.checkpoints();
      // Lines are in the order they were appended, which is seq order; a line that is not a
      // checkpoint is still shown (verify reports it), so nothing in the file is hidden.
      const from = all.findIndex((c) => !(typeof (c as { seq?: unknown })?.seq === "number" && (c as { seq: number }).seq <= after));
      const value = from < 0 ? [] : all.slice(from, from + limit);
      const body: Record<string, unknown> = { value };
      if (from >= 0 && from + limit < all.length) {
        const lastSeq = (value[value.length - 1] as { seq?: unknown })?.seq;
        if (typeof lastSeq === "number") body.nextLink = nextLink(ctx, `${AUDIT_PATH}/checkpoints`, lastSeq, limit);
      }
      return { status: 200, headers: JSON_TYPE, body };
    }
    const filter: AuditFilter = { after, limit, since: timeParam(ctx.query.get("since"), "since"), until: timeParam(ctx.query.get("until"), "until"), kinds: kindsParam(ctx.query.get("kind")) };
    if (filter.since || filter.until || filter.kinds) {
      const page = await readFiltered(readPage, filter);
      const body: Record<string, unknown> = { value: page.value };
      if (page.next !== undefined) {
        const q = new URLSearchParams();
        for (const k of ["since", "until", "kind"]) if (ctx.query.get(k) !== null) q.set(k, ctx.query.get(k)!);
        body.nextLink = nextLink(ctx, AUDIT_PATH, page.next, limit, `&${q}`);
      }
      return { status: 200, headers: JSON_TYPE, body };
    }
    const value = await meta.readAudit(after, limit);
    const body: Record<string, unknown> = { value };
    if (value.length === limit) body.nextLink = nextLink(ctx, AUDIT_PATH, value[value.length - 1]!.seq, limit);
    return { status: 200, headers: JSON_TYPE, body };
  };
}
