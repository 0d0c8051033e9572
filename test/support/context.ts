// Builds a RequestContext without a socket, for in-process handler tests (house style habit 11).
// The body is a real Readable, so handlers stream it exactly as they would from a socket.
import { Readable } from "node:stream";
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ListenerInfo, RequestContext } from "../../src/http/types.js";
import type { Principal } from "../../src/auth/types.js";

export interface FakeRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string | object;
  clientIp?: string;
  listener?: ListenerInfo;
  principal?: Principal;
}

export function fakeContext(r: FakeRequest): RequestContext {
  const bytes =
    r.body === undefined ? Buffer.alloc(0)
    : Buffer.isBuffer(r.body) ? r.body
    : typeof r.body === "string" ? Buffer.from(r.body)
    : Buffer.from(JSON.stringify(r.body));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  if (r.body !== undefined && headers["content-length"] === undefined) headers["content-length"] = String(bytes.length);
  const req = Readable.from(bytes.length ? [bytes] : []) as unknown as IncomingMessage;
  (req as any).headers = headers;
  (req as any).method = r.method;
  (req as any).url = r.url;
  const q = r.url.indexOf("?");
  const rawPath = (q < 0 ? r.url : r.url.slice(0, q)).replace(/\/{2,}/g, "/");
  return {
    req,
    method: r.method.toUpperCase(),
    rawUrl: r.url,
    rawPath,
    query: new URLSearchParams(q < 0 ? "" : r.url.slice(q + 1)),
    headers,
    host: (headers.host ?? "").replace(/:\d+$/, "").toLowerCase(),
    clientIp: r.clientIp ?? "127.0.0.1",
    listener: r.listener ?? { kind: "registry", address: "127.0.0.1", port: 8444 },
    requestId: randomUUID(),
    principal: r.principal,
  };
}

/** Collects a HandlerResult body (Buffer, string, object or stream) into a Buffer. */
export async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks);
  }
  return Buffer.from(JSON.stringify(body));
}
