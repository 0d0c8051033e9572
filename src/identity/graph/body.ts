// Request bodies of the Graph subset: the management API's one JSON reader (capped, streamed, depth
// bounded: control-plane/arm/request-body.ts), its refusals restated in Graph's catalogue, and the
// strict readers for the few properties Cove stores. A property Cove does not store is refused by
// name rather than ignored, so nobody believes a setting took effect that did not.

import { isDomainError } from "../../domain/errors.js";
import type { RequestContext } from "../../http/types.js";
import { readJsonBody } from "../../control-plane/arm/request-body.js";
import { graphError } from "./errors.js";

/** Graph documents here are a few hundred bytes; 64 KiB, as Cove's own identity endpoint. */
export const MAX_GRAPH_BODY = 64 * 1024;

export type JsonObject = Record<string, unknown>;

/**
 * `emptyIsNothing`: an empty body reads as `{}`. az sends its empty patches with no body at all
 * (Python's `if body:` skips serialising `{}`), so `az ad sp update` PATCHes nothing.
 */
export async function readGraphBody(ctx: RequestContext, emptyIsNothing = false): Promise<JsonObject> {
  try {
    return await readJsonBody(ctx, MAX_GRAPH_BODY);
  } catch (e) {
    if (!isDomainError(e)) throw e;
    if (e.code === "RequestEntityTooLarge") throw graphError("BodyTooLarge", { limit: MAX_GRAPH_BODY });
    if (e.code === "UnsupportedMediaType") throw graphError("UnsupportedMediaType", { contentType: String(ctx.headers["content-type"] ?? "").split(";")[0]!.trim() });
    if (e.code === "InvalidRequestContent" && emptyIsNothing && e.message.includes("'The request body is empty.'")) return {};
    if (e.code === "InvalidRequestContent") throw graphError("InvalidBody", { reason: e.message.replace(/^The request content was invalid and could not be deserialized: '([^]*)'\.$/, "$1") });
    throw e;
  }
}

/** Refuses every member of `body` outside `accepted`, naming it. */
export function onlyProperties(body: JsonObject, accepted: readonly string[], type: string): void {
  for (const k of Object.keys(body)) {
    if (!accepted.includes(k)) {
      throw graphError("UnsupportedProperty", { property: k, type, accepted: `it accepts ${accepted.join(", ")}` });
    }
  }
}

const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

/** A display name as Cove's identity provider stores it: 1-256 printable characters. */
export function displayNameOf(v: unknown, property = "displayName"): string {
  if (typeof v !== "string" || !v.trim() || v.length > 256 || !PRINTABLE.test(v)) {
    throw graphError("InvalidProperty", { property, reason: "it must be a string of 1-256 printable characters." });
  }
  return v.trim();
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function guidOf(v: unknown, property: string): string {
  if (typeof v !== "string" || !GUID.test(v)) throw graphError("InvalidProperty", { property, reason: "it must be a GUID." });
  return v.toLowerCase();
}

/** An optional ISO 8601 date-time (null and absent are "none"), returned normalised to UTC. */
export function dateTimeOf(v: unknown, property: string): string | null {
  if (v === undefined || v === null) return null;
  const t = typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw graphError("InvalidProperty", { property, reason: "it must be an ISO 8601 date and time with a zone, e.g. 2030-01-01T00:00:00Z." });
  // As the client wrote it where that is exact: az's "2026-01-01T00:00:00Z" comes back unchanged.
  return new Date(t).toISOString().replace(/\.000Z$/, "Z");
}

/** identifierUris: at most 50 absolute URIs (api://..., https://...), each at most 256 characters. */
export function identifierUrisOf(v: unknown): string[] {
  const bad = () => graphError("InvalidProperty", { property: "identifierUris", reason: "it must be a list of at most 50 absolute URIs (api://..., https://...) of at most 256 characters." });
  if (!Array.isArray(v) || v.length > 50) throw bad();
  const out: string[] = [];
  for (const u of v) {
    if (typeof u !== "string" || u.length > 256 || !PRINTABLE.test(u) || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(u)) throw bad();
    if (!out.some((o) => o.toLowerCase() === u.toLowerCase())) out.push(u);
  }
  return out;
}
