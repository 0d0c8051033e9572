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
import { answerClientError, answerConnect } from "./client-error.js";

export interface TlsMaterial {
  /** The default certificate: a handshake without SNI, or one whose name `sni` does not choose. */
  cert: string | Buffer;
  key: string | Buffer;
  /** The context for an SNI server name (src/http/tls/server-certificates.ts); undefined: the default. */
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
  /**
   * How long an admitted connection may stay silent before its first byte, and then how long its TLS
   * handshake may take (config tlsHandshakeTimeoutSeconds; 0: no limit). Default 10 s.
   */
  handshakeTimeoutMs?: number;
  /**
   * How long a request's head (request line and headers) may take to arrive whole, from its first
   * byte, or from the end of the TLS handshake for a connection's first request (config
   * headersTimeoutSeconds). Past it Node answers 408 and closes the connection. Default 30 s.
   */
  headersTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept between requests (config keepAliveTimeoutSeconds). Default 30 s. */
  keepAliveTimeoutMs?: number;
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

/**
 * The accept queue: Node's default (511) overflows under a burst of connections (2,000 idle ones in
 * a few tens of ms), and the kernel then drops their handshake ACKs and retransmits SYN-ACKs for up
 * to 15 s, so a legitimate client behind the burst connects seconds late. The kernel caps this at
 * net.core.somaxconn (4096 on current Linux).
 */
const LISTEN_BACKLOG = 4096;

export async function openListener(o: ListenerOptions): Promise<Listener> {
  const { info, log } = o;
  let current = o.material;
  const handshakeTimeout = o.handshakeTimeoutMs ?? 10_000;
  const headersTimeout = o.headersTimeoutMs ?? 30_000;
  // requestTimeout stays 0: a large upload at a normal speed may take as long as it needs; a body that
  // stalls is cut by the pipeline's body-progress watchdog (body-progress.ts) instead. Node checks
  // the head's deadline on a timer (connectionsCheckingInterval, 30 s by default, which let a head
  // dripped a byte at a time hold its connection up to a minute): a quarter of the bound, 1 s at most.
  const server = createServer({
    cert: o.material.cert, key: o.material.key, SNICallback: (name, cb) => cb(null, current.sni?.(name)),
    requestTimeout: 0, headersTimeout, keepAliveTimeout: o.keepAliveTimeoutMs ?? 30_000, handshakeTimeout,
    connectionsCheckingInterval: Math.max(250, Math.min(1000, headersTimeout / 4)),
  }, o.onRequest);
  const internal = server.listeners("connection");
  if (internal.length !== 1) throw new Error(`https.Server has ${internal.length} connection listeners; the network gate expects exactly one`);
  const tlsAccept = internal[0] as (socket: Socket) => void;
  server.removeAllListeners("connection");

  // What one idle connection costs: the TLS session (OpenSSL's SSL object and its
  // buffers, tens of KB of native memory that glibc keeps after it is freed) is created only when the
  // client sends its first byte. A raw TCP connection that never says hello costs a net.Socket and
  // is destroyed after `handshakeTimeout`; the TLS handshake then has its own `handshakeTimeout`.
  // The handlers are shared functions (`this` is the socket), not closures made per connection.
  const connections = new Set<Socket>();
  function forget(this: Socket): void { connections.delete(this); }
  function silent(this: Socket): void { this.destroy(); }
  function firstBytes(this: Socket): void {
    this.off("readable", firstBytes);
    this.off("timeout", silent);
    this.setTimeout(0);
    // 'readable' with nothing buffered is the end of the stream: the client left without a byte.
    if (this.readableLength === 0) { this.destroy(); return; }
    // Bytes already read stay in the socket's buffer; TLSSocket feeds them to OpenSSL first.
    tlsAccept.call(server, this);
  }
  const admit = (socket: Socket) => {
    if (socket.destroyed) return;
    connections.add(socket);
    socket.on("close", forget);
    o.onConnection?.(socket);
    if (handshakeTimeout > 0) {
      socket.setTimeout(handshakeTimeout);
      socket.on("timeout", silent);
    }
    socket.on("readable", firstBytes);
  };
  server.on("connection", (socket: Socket) => {
    if (o.gate) o.gate(socket, admit);
    else admit(socket);
  });
  server.on("tlsClientError", (err) => log.debug({ err: err.message, listener: info.kind, address: info.address }, "TLS handshake failed"));
  // A request the HTTP parser refuses, or a CONNECT: the catalogued 400/405/408/413/431, flushed before the close (client-error.ts).
  server.on("clientError", answerClientError(log, info.kind));
  server.on("connect", answerConnect(log, info.kind));

  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen({ port: info.port, host: info.address, backlog: LISTEN_BACKLOG }, () => { server.off("error", fail); ok(); });
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
