// The one adapter that writes a HandlerResult to the socket (house style habit 6). Objects become
// JSON; Buffers and strings are written with their length; streams are piped with back-pressure,
// except a file's untouched ReadStream, written from two recycled buffers (file-body.ts).
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { HandlerResult } from "./types.js";
import { untouchedFileRange, writeFileRange } from "./file-body.js";

export async function respond(res: ServerResponse, method: string, result: HandlerResult): Promise<void> {
  const headers: Record<string, string | number | string[]> = { ...(result.headers ?? {}) };
  const lower = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
  let bytes: Buffer | undefined;
  let stream: Readable | undefined;
  const body = result.body;
  if (body instanceof Readable) stream = body;
  else if (Buffer.isBuffer(body)) bytes = body;
  else if (typeof body === "string") bytes = Buffer.from(body);
  else if (body !== undefined) {
    bytes = Buffer.from(JSON.stringify(body));
    if (!lower.has("content-type")) headers["Content-Type"] = "application/json; charset=utf-8";
  }
  if (bytes && !lower.has("content-length")) headers["Content-Length"] = bytes.length;
  if (!bytes && !stream && !lower.has("content-length") && result.status !== 204 && result.status !== 304) headers["Content-Length"] = 0;
  res.writeHead(result.status, headers);
  if (method === "HEAD" || result.status === 204 || result.status === 304) {
    stream?.destroy();
    res.end();
    return;
  }
  if (stream) {
    const file = untouchedFileRange(stream);
    if (file) await writeFileRange(res, stream, file);
    else await pipeline(stream, res);
    return;
  }
  res.end(bytes);
}
