// Request bodies, read the two ways the data plane needs:
// - blob bytes are STREAMED to the BlobStore through a counting Transform that fails the stream
//   (so the driver discards the chunk) when the body is shorter or longer than declared;
// - manifests are BUFFERED, but never past the size limit: reading stops at limit + 1 byte.
import { Transform, type TransformCallback } from "node:stream";
import type { RequestContext } from "../http/types.js";
import { DomainError } from "../domain/errors.js";

/** Content-Length as a number; undefined when absent; SIZE_INVALID when not a plain integer. */
export function declaredLength(ctx: RequestContext): number | undefined {
  const v = ctx.headers["content-length"];
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(String(v))) throw new DomainError("SIZE_INVALID", "malformed Content-Length");
  return Number(v);
}

/** True when the request carries body bytes (a positive length, or a chunked body). */
export function hasBody(ctx: RequestContext): boolean {
  const len = declaredLength(ctx);
  if (len !== undefined) return len > 0;
  return ctx.headers["transfer-encoding"] !== undefined;
}

/**
 * The request body as a stream that errors with SIZE_INVALID when the byte count differs from
 * `expected` (when known). `failure()` tells afterwards whether the counter caused the error,
 * because a driver may wrap or replace the error it received.
 */
export function countedBody(ctx: RequestContext, expected: number | undefined): { stream: Transform; failure: () => DomainError | undefined } {
  let seen = 0;
  let failed: DomainError | undefined;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (expected !== undefined && seen > expected) {
        failed = new DomainError("SIZE_INVALID", "body is longer than its declared length", { expected, received: seen });
        cb(failed);
        return;
      }
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (expected !== undefined && seen !== expected) {
        failed = new DomainError("SIZE_INVALID", "body is shorter than its declared length", { expected, received: seen });
        cb(failed);
        return;
      }
      cb();
    },
  });
  // pipe(), not pipeline(): when the counter fails, the request is unpiped and drained rather
  // than destroyed, so the socket survives to carry the error response. A client abort is
  // forwarded into the counter, so the driver sees a failed stream, never a short success.
  const abort = () => {
    if (ctx.req.readableEnded) return;
    failed ??= new DomainError("BLOB_UPLOAD_INVALID", "the request body ended abnormally", { received: seen });
    counter.destroy(failed);
  };
  ctx.req.once("aborted", abort);
  ctx.req.once("error", abort);
  ctx.req.once("close", abort);
  counter.once("error", () => ctx.req.resume());
  ctx.req.pipe(counter);
  return { stream: counter, failure: () => failed };
}

/** Reads a small body whole, refusing it (MANIFEST_TOO_BIG) past `limit` without keeping more. */
export function readLimited(ctx: RequestContext, limit: number): Promise<Buffer> {
  const declared = declaredLength(ctx);
  if (declared !== undefined && declared > limit) {
    ctx.req.resume(); // drain and discard, so the socket can carry the error response
    return Promise.reject(new DomainError("MANIFEST_TOO_BIG", "manifest is larger than the limit", { limit, declared }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const fail = (e: DomainError) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      reject(e);
    };
    ctx.req.on("data", (c: Buffer | string) => {
      if (settled) return; // draining after a refusal
      const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
      total += b.length;
      if (total > limit) return fail(new DomainError("MANIFEST_TOO_BIG", "manifest is larger than the limit", { limit }));
      chunks.push(b);
    });
    ctx.req.once("end", () => {
      if (settled) return;
      if (declared !== undefined && declared !== total) {
        return fail(new DomainError("SIZE_INVALID", "body length differs from Content-Length", { expected: declared, received: total }));
      }
      settled = true;
      resolve(Buffer.concat(chunks, total));
    });
    ctx.req.once("error", () => fail(new DomainError("MANIFEST_INVALID", "the request body ended abnormally")));
  });
}
