// Real sockets from the client's source address to one resolved IP, presenting the registry's name
// (SNI and Host) the way a client that resolved the name itself does. No agent and no keep-alive
// pool: each request is its own connection from `source`, so nothing another request set up (a
// socket from another address, a cached session) can make a path look better than it is.
// Failures are told apart the way an operator needs them (observation.ts TransportSeen): nothing
// listening (refused), accepted then cut or never answered (dropped: what Cove does to a private
// connection it refuses), a certificate for another name, or a chain the client does not trust.
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { request as httpsRequest } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import type { HttpSeen, TransportSeen } from "../../../network-policy/reachability/observation.js";

/** Responses are read up to this size; a registry's test artifact and its JSON answers are far smaller. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface Target {
  ip: string;
  port: number;
  /** The name the client uses: SNI and Host. */
  host: string;
  source?: string;
  ca?: string | Buffer;
}

/** A transport outcome other than ok: each carries the detail a person reads. */
export type Failure = Exclude<TransportSeen, { kind: "ok" }>;

export type Connected = { ok: true; socket: Socket; local: string } | { ok: false; seen: Failure };

export interface Request {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  signal: AbortSignal;
}

export type Outcome =
  | { kind: "response"; status: number; headers: IncomingHttpHeaders; body: Buffer }
  | { kind: "transport"; seen: Failure };

const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_GET_ISSUER_CERT", "CERT_UNTRUSTED", "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID", "CERT_SIGNATURE_FAILURE", "CERT_REVOKED", "INVALID_CA",
]);

/** What a socket or TLS error means on the client's path. */
export function classify(e: unknown, where: string): Failure {
  const err = e as NodeJS.ErrnoException;
  // The step's deadline aborts the request: to the client that is a connection that never answered.
  if (err?.name === "AbortError") return { kind: "dropped", detail: `${where}: i/o timeout` };
  const code = err?.code ?? "";
  const text = `${where}: ${code || err?.message || String(e)}`;
  if (code === "ECONNREFUSED") return { kind: "refused", detail: text };
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return { kind: "name-mismatch", detail: `${where}: ${err.message}` };
  if (UNTRUSTED.has(code)) return { kind: "untrusted", detail: text };
  // ECONNRESET, EPIPE, "socket hang up", EOF during the handshake, a timeout, no route: the
  // connection was cut or never answered, which is what a network drop looks like to a client.
  return { kind: "dropped", detail: text };
}

export function hostHeader(host: string, port: number): string {
  return port === 443 ? host : `${host}:${port}`;
}

/** TCP to ip:port from `source`; the socket is handed back for the TLS step. */
export function connectTcp(t: Target, signal: AbortSignal): Promise<Connected> {
  return new Promise((resolve) => {
    const where = `tcp ${t.ip}:${t.port}`;
    const socket = netConnect({ host: t.ip, port: t.port, localAddress: t.source });
    const finish = (r: Connected) => { signal.removeEventListener("abort", onAbort); resolve(r); };
    const onAbort = () => { socket.destroy(); finish({ ok: false, seen: { kind: "dropped", detail: `${where}: i/o timeout` } }); };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => finish({ ok: true, socket, local: socket.localAddress ?? t.source ?? "" }));
    socket.once("error", (e) => { socket.destroy(); finish({ ok: false, seen: classify(e, where) }); });
  });
}

/** TLS over a connected socket; the socket is closed afterwards either way. */
export function handshake(t: Target, socket: Socket, signal: AbortSignal): Promise<TransportSeen> {
  return new Promise((resolve) => {
    const where = `tls ${t.host} at ${t.ip}:${t.port}`;
    let settled = false;
    const tls = tlsConnect({ socket, servername: t.host, ca: t.ca });
    const finish = (r: TransportSeen) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      tls.destroy();
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ kind: "dropped", detail: `${where}: no handshake answer (i/o timeout)` });
    signal.addEventListener("abort", onAbort, { once: true });
    tls.once("secureConnect", () => finish({ kind: "ok" }));
    tls.once("error", (e) => finish(classify(e, where)));
    tls.once("close", () => finish({ kind: "dropped", detail: `${where}: connection closed during the handshake` }));
  });
}

/** One HTTPS request on its own connection from `source`; the body is read up to MAX_BODY_BYTES. */
export function send(t: Target, r: Request): Promise<Outcome> {
  return new Promise((resolve) => {
    const where = `${r.method} https://${hostHeader(t.host, t.port)}${r.path.split("?")[0]}`;
    let settled = false;
    const finish = (o: Outcome) => { if (!settled) { settled = true; resolve(o); } };
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
    const req = httpsRequest({
      host: t.ip, port: t.port, path: r.path, method: r.method, servername: t.host, localAddress: t.source, ca: t.ca,
      agent: false, signal: r.signal,
      headers: { host: hostHeader(t.host, t.port), ...(body ? { "content-length": String(body.length) } : {}), ...(r.headers ?? {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy();
          finish({ kind: "transport", seen: { kind: "dropped", detail: `${where}: answer larger than ${MAX_BODY_BYTES} bytes (not read)` } });
          return;
        }
        chunks.push(c);
      });
      res.on("end", () => finish({ kind: "response", status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", (e) => finish({ kind: "transport", seen: classify(e, where) }));
    });
    req.on("error", (e) => finish({ kind: "transport", seen: classify(e, where) }));
    req.end(body);
  });
}

/** The status and the first error code/message of a registry (`errors[]`) or OAuth (`error`) body. */
export function seenOf(status: number, body: Buffer): HttpSeen {
  const seen: HttpSeen = { status };
  let parsed: any;
  try { parsed = JSON.parse(body.toString("utf8")); } catch { return seen; }
  const first = Array.isArray(parsed?.errors) ? parsed.errors[0] : undefined;
  if (first && typeof first.code === "string") {
    seen.code = first.code;
    if (typeof first.message === "string") seen.message = first.message;
  } else if (typeof parsed?.error === "string") {
    seen.code = parsed.error;
    if (typeof parsed.error_description === "string") seen.message = parsed.error_description;
  }
  return seen;
}

export function json(body: Buffer): any {
  try { return JSON.parse(body.toString("utf8")); } catch { return undefined; }
}
