// Reads an ARM request body: JSON only, capped, streamed from the request (never trusting
// Content-Length alone), and always an object at the top level. Every failure is a catalogued error,
// raised before any state is touched.

import { isUtf8 } from "node:buffer";
import type { RequestContext } from "../../http/types.js";
import { armError } from "./errors.js";
import { depthExceededAt, MAX_JSON_DEPTH } from "./strict-json.js";

/** ARM bodies here are small documents; 1 MiB leaves ample room (Azure's own limit is 4 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export async function readJsonBody(ctx: RequestContext, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const type = String(ctx.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "" && type !== "application/json" && !type.endsWith("+json") && type !== "text/json") {
    throw armError("UnsupportedMediaType", { contentType: type });
  }
  const declared = Number(ctx.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw armError("RequestEntityTooLarge", { limit });

  const bytes = await readCapped(ctx, limit);
  // JSON is UTF-8 (RFC 8259 8.1): bytes that are not would be stored as U+FFFD, silently changed.
  if (!isUtf8(bytes)) {
    throw armError("InvalidRequestContent", { reason: "The request body is not valid UTF-8." });
  }
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  if (text.trim() === "") throw armError("InvalidRequestContent", { reason: "The request body is empty." });
  // Before the parse: a 100,000-deep `tags` value once reached a recursive reader and a RangeError (500).
  const deep = depthExceededAt(text);
  if (deep >= 0) {
    throw armError("InvalidRequestContent", { reason: `The JSON document is nested deeper than ${MAX_JSON_DEPTH} levels (at character ${deep}).` });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw armError("InvalidRequestContent", { reason: `Malformed JSON: ${(e as Error).message}` });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw armError("InvalidRequestContent", { reason: "The request body must be a JSON object." });
  }
  return parsed as Record<string, unknown>;
}

/**
 * The body's bytes, or RequestEntityTooLarge as soon as they pass `limit` (a chunked body declares
 * no length). The rest of an oversized body is read and dropped, never buffered, until the pipeline
 * closes the connection after the answer (Connection: close, http/pipeline.ts). Destroying the
 * request here instead closed the socket before the 413 was written: the client saw only a reset.
 */
function readCapped(ctx: RequestContext, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => { if (!settled) { settled = true; fn(); } };
    ctx.req.on("data", (chunk: Buffer | string) => {
      if (settled) return; // past the limit: dropped
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += b.length;
      if (size > limit) settle(() => { chunks.length = 0; reject(armError("RequestEntityTooLarge", { limit })); });
      else chunks.push(b);
    });
    ctx.req.once("end", () => settle(() => resolve(Buffer.concat(chunks, size))));
    ctx.req.once("error", (e: Error) => settle(() => reject(e)));
    ctx.req.once("close", () => settle(() => reject(new Error("the request body ended before it was complete"))));
  });
}
