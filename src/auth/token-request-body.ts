// Reads the body of an OAuth token request (identity provider and ACR token endpoints alike):
// application/x-www-form-urlencoded, capped. A client that sends more than the cap gets an error
// at once; the rest of its body is left unread for the pipeline to drain (the stream is paused,
// never destroyed, so the error response can still be written).

import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

/** Token requests are a few hundred bytes; 64 KiB leaves room for long assertions and claims. */
export const MAX_FORM_BYTES = 64 * 1024;

export type FormResult =
  | { ok: true; form: URLSearchParams }
  | { ok: false; reason: "too_large" | "malformed" };

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * The whole body, or "too_large" once more than `max` bytes arrive (or are declared), or "error"
 * when the stream fails. Never destroys the stream: on "too_large" it is paused, to be drained.
 */
export async function readCapped(req: Readable, headers: IncomingHttpHeaders, max: number): Promise<Buffer | "too_large" | "error"> {
  const declared = Number(headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > max) return "too_large";
  return new Promise<Buffer | "too_large" | "error">((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Buffer | "too_large" | "error") => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.pause();
      resolve(r);
    };
    const onData = (c: Buffer | string) => {
      const b = typeof c === "string" ? Buffer.from(c) : c;
      size += b.length;
      if (size > max) return finish("too_large");
      chunks.push(b);
    };
    const onEnd = () => finish(Buffer.concat(chunks));
    const onError = () => finish("error");
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    if (req.readableEnded) finish(Buffer.concat(chunks));
  });
}

export async function readForm(req: Readable, headers: IncomingHttpHeaders, max = MAX_FORM_BYTES): Promise<FormResult> {
  const type = headers["content-type"];
  const raw = await readCapped(req, headers, max);
  if (raw === "too_large") return { ok: false, reason: "too_large" };
  if (raw === "error") return { ok: false, reason: "malformed" };
  if (raw.length > 0 && (typeof type !== "string" || !FORM_TYPE.test(type))) return { ok: false, reason: "malformed" };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  // Bad percent-escapes would silently become U+FFFD; refuse them instead.
  if (/%(?![0-9a-fA-F]{2})/.test(text)) return { ok: false, reason: "malformed" };
  return { ok: true, form: new URLSearchParams(text) };
}
