// A small HTTPS client for tests: talks to 127.0.0.1 while presenting any Host/SNI name, so tests
// reach a registry by its login server without touching name resolution.
import { request, type Agent } from "node:https";
import { Readable } from "node:stream";
import type { IncomingHttpHeaders } from "node:http";

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json<T = any>(): T;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string | object | Readable;
  ca: string;
  /** Name for SNI and the Host header (defaults to the URL host). */
  host?: string;
  localAddress?: string;
  /** A keep-alive agent to reuse connections (the default opens one connection per request). */
  agent?: Agent;
}

export async function https(url: string, o: HttpOptions): Promise<HttpResult> {
  const u = new URL(url);
  const host = o.host ?? u.host;
  const servername = host.replace(/:\d+$/, "");
  let payload: Buffer | Readable | undefined;
  const headers: Record<string, string> = { host, ...(o.headers ?? {}) };
  if (o.body instanceof Readable) payload = o.body;
  else if (Buffer.isBuffer(o.body) || typeof o.body === "string") payload = Buffer.from(o.body);
  else if (o.body !== undefined) {
    payload = Buffer.from(JSON.stringify(o.body));
    headers["content-type"] ??= "application/json";
  }
  if (Buffer.isBuffer(payload) && headers["content-length"] === undefined) headers["content-length"] = String(payload.length);
  return new Promise((ok, fail) => {
    const req = request({
      host: u.hostname, port: u.port || 443, path: u.pathname + u.search, method: o.method ?? "GET",
      headers, ca: o.ca, servername: /^[\d.]+$/.test(servername) ? undefined : servername,
      localAddress: o.localAddress, agent: o.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        ok({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString("utf8")) });
      });
      res.on("error", fail);
    });
    req.on("error", fail);
    if (payload instanceof Readable) payload.pipe(req);
    else req.end(payload);
  });
}

export function basic(user: string, password: string): string {
  return "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
}
