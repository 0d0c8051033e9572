// One HTTPS listener: an https.Server bound to one address and port, whose TCP connections may pass a
// gate BEFORE the TLS handshake. The gate is how a private endpoint IP drops a client without a
// single byte of answer (Azure's `i/o timeout`): TLS must not even say hello.
//
// Why the gate replaces the server's own 'connection' listener: https.Server reacts to 'connection'
// with one internal listener that wraps the socket in TLS at once. Taking that listener and calling
// it only for admitted sockets keeps everything else the server does when it listens itself
// (connection tracking, headersTimeout, closeIdleConnections) intact; `openListener` checks that the
// server has exactly that one listener and refuses to start otherwise, so a Node.js change fails
// loudly instead of bypassing the gate.
import { createServer, type Server } from "node:https";
import type { RequestListener } from "node:http";
import type { Socket } from "node:net";
import type { SecureContext } from "node:tls";
import type { Logger } from "pino";
import type { ListenerInfo } from "./types.js";

export interface TlsMaterial {
  /** The default certificate: a handshake without SNI, or one whose name `sni` does not choose. */
  cert: string | Buffer;
  key: string | Buffer;
  /** The context for an SNI server name (src/tls/server-certificates.ts); undefined: the default. */
  sni?(servername: string): SecureContext | undefined;
}

/**
 * Decides for a new TCP connection. Call `admit(socket)` to let it through to TLS and HTTP; anything
 * else (drop, reset) is the gate's business. Absent: every connection is admitted.
 */
export type ConnectionGate = (socket: Socket, admit: (socket: Socket) => void) => void;

export interface ListenerOptions {
  info: ListenerInfo;
  material: TlsMaterial;
  onRequest: RequestListener;
  log: Logger;
  gate?: ConnectionGate;
  /** Every admitted raw socket (byte counting). */
  onConnection?(socket: Socket): void;
}

export interface Listener {
  readonly info: ListenerInfo;
  readonly server: Server;
  /** Admitted connections still open (the raw TCP sockets; destroying one cuts its TLS session). */
  readonly connections: ReadonlySet<Socket>;
  /** Hands a socket to TLS and HTTP (used by the gate, also later for a held socket now allowed). */
  admit(socket: Socket): void;
  setSecureContext(material: TlsMaterial): void;
  /** Stops accepting; with `cut`, open connections are destroyed at once. Resolves when closed. */
  close(cut: boolean): Promise<void>;
}

export async function openListener(o: ListenerOptions): Promise<Listener> {
  const { info, log } = o;
  let current = o.material;
  const server = createServer({ cert: o.material.cert, key: o.material.key, SNICallback: (name, cb) => cb(null, current.sni?.(name)), requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 30_000 }, o.onRequest);
  const internal = server.listeners("connection");
  if (internal.length !== 1) throw new Error(`https.Server has ${internal.length} connection listeners; the network gate expects exactly one`);
  const tlsAccept = internal[0] as (socket: Socket) => void;
  server.removeAllListeners("connection");

  const connections = new Set<Socket>();
  const admit = (socket: Socket) => {
    if (socket.destroyed) return;
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
    o.onConnection?.(socket);
    tlsAccept.call(server, socket);
  };
  server.on("connection", (socket: Socket) => {
    if (o.gate) o.gate(socket, admit);
    else admit(socket);
  });
  server.on("tlsClientError", (err) => log.debug({ err: err.message, listener: info.kind, address: info.address }, "TLS handshake failed"));

  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(info.port, info.address, () => { server.off("error", fail); ok(); });
  });
  // After a successful bind, errors are per connection; log rather than crash the process.
  server.on("error", (err) => log.warn({ err: err.message, address: info.address, port: info.port }, "listener error"));

  return {
    info,
    server,
    connections,
    admit,
    setSecureContext: (m) => { current = m; server.setSecureContext({ cert: m.cert, key: m.key }); },
    close(cut) {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      if (cut) for (const s of connections) s.destroy();
      return closed;
    },
  };
}
