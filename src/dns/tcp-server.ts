// DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): each message is preceded by a 2-byte length; a
// client may send several queries on one connection (answered as they complete, RFC 7766 section
// 6.2.1.1 allows any order).
//
// Bounded so that TCP, the path a truncated or rate-limited UDP answer sends clients to, stays
// reachable (RFC 7766 section 6.2.3 asks for idle timeouts of seconds and for servers to protect
// their resources; section 10 for limits on total and per-source connections):
//   - every message must arrive whole within `queryTimeoutMs` of its first byte. An idle timer
//     alone is reset by every byte, so a client dripping one byte every few seconds held its
//     connection forever;
//   - an idle timeout between messages;
//   - at most `maxConnectionsPerSource` connections per source address: the newest beyond it is closed;
//   - at most `maxConnections` in all. When full, a newcomer is not refused while an older
//     connection can make room: first the oldest idle one (no message half-received, no answer
//     pending), else the one whose unfinished message began earliest (it is a slow sender, at most
//     `queryTimeoutMs` from being closed anyway). Only when every connection waits for a forwarded
//     answer is the newcomer closed;
//   - a cap on unsent output, so a client that sends queries but never reads cannot make the
//     server buffer without end.

import net from "node:net";
import type { Logger } from "pino";
import type { Responder } from "./responder.js";
import { unwrapMapped } from "../network-policy/ip-address.js";

export interface TcpLimits {
  /** Close a connection that sends nothing for this long (RFC 7766 section 6.2.3: seconds, not minutes). */
  idleTimeoutMs: number;
  /** A message (length prefix and body) must arrive whole within this long of its first byte. */
  queryTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** Unsent response bytes a connection may have queued before it is closed. */
  maxQueuedBytes: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  idleTimeoutMs: 10_000,
  queryTimeoutMs: 5_000,
  maxConnections: 128,
  maxConnectionsPerSource: 16,
  maxQueuedBytes: 1 << 20,
};

interface Conn {
  socket: net.Socket;
  source: string;
  /** Received bytes not yet cut into messages; kept as a list so a dripped message is copied once. */
  chunks: Buffer[];
  length: number;
  /** When the first byte of the unfinished message arrived (monotonic ms), or undefined. */
  receivingSince: number | undefined;
  deadline: NodeJS.Timeout | undefined;
  /** Forwarded queries whose answer is still to come. */
  awaiting: number;
}

export class TcpServer {
  private server: net.Server | undefined;
  /** Open connections, oldest first (a Map keeps insertion order). */
  private readonly conns = new Map<net.Socket, Conn>();
  private readonly perSource = new Map<string, number>();

  constructor(private readonly responder: Responder, private readonly log: Logger, private readonly limits: TcpLimits) {}

  async listen(host: string, port: number): Promise<void> {
    const server = net.createServer((socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, exclusive: true }, () => { server.off("error", reject); resolve(); });
    });
    server.on("error", (err) => this.log.warn({ err: err.message }, "dns tcp server error"));
    this.server = server;
  }

  address(): { address: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === "string") throw new Error("dns tcp server is not listening");
    return { address: a.address, port: a.port };
  }

  /** Open connections (for tests and diagnostics). */
  get connections(): number {
    return this.conns.size;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const c of [...this.conns.values()]) this.drop(c);
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    const source = unwrapMapped(socket.remoteAddress ?? "");
    socket.on("error", (err) => this.log.debug({ err: err.message, client: source }, "dns tcp connection error"));
    if ((this.perSource.get(source) ?? 0) >= this.limits.maxConnectionsPerSource) {
      // Debug, not info: a flood of refused connections must not become a flood of log lines.
      this.log.debug({ client: source, limit: this.limits.maxConnectionsPerSource }, "dns tcp connection refused: per-source limit");
      socket.destroy();
      return;
    }
    if (this.conns.size >= this.limits.maxConnections && !this.makeRoom()) {
      this.log.debug({ client: source, limit: this.limits.maxConnections }, "dns tcp connection refused: every connection is waiting for an answer");
      socket.destroy();
      return;
    }
    const conn: Conn = { socket, source, chunks: [], length: 0, receivingSince: undefined, deadline: undefined, awaiting: 0 };
    this.conns.set(socket, conn);
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    socket.setNoDelay(true);
    socket.setTimeout(this.limits.idleTimeoutMs, () => this.drop(conn));
    socket.on("close", () => this.release(conn));
    socket.on("data", (chunk: Buffer) => this.onData(conn, chunk));
  }

  /** Closes one connection to let a newcomer in; false when every connection waits for an answer. */
  private makeRoom(): boolean {
    let slowest: Conn | undefined;
    for (const c of this.conns.values()) {
      if (c.awaiting > 0) continue;
      if (c.receivingSince === undefined) {
        this.log.debug({ client: c.source }, "dns tcp idle connection closed to make room");
        this.drop(c);
        return true;
      }
      if (slowest === undefined || c.receivingSince < slowest.receivingSince!) slowest = c;
    }
    if (!slowest) return false;
    this.log.debug({ client: slowest.source }, "dns tcp slow connection closed to make room");
    this.drop(slowest);
    return true;
  }

  private onData(conn: Conn, chunk: Buffer): void {
    conn.chunks.push(chunk);
    conn.length += chunk.length;
    let completed = false;
    // Frames are at most 65535 + 2 bytes; the message timer bounds how long bytes may pile up.
    while (conn.length >= 2) {
      const len = this.peekLength(conn);
      if (conn.length < 2 + len) break;
      const all = conn.chunks.length === 1 ? conn.chunks[0]! : Buffer.concat(conn.chunks, conn.length);
      const frame = Buffer.from(all.subarray(2, 2 + len));
      const rest = all.subarray(2 + len);
      conn.chunks = rest.length > 0 ? [rest] : [];
      conn.length = rest.length;
      completed = true;
      this.onFrame(conn, frame);
      if (conn.socket.destroyed) return;
    }
    if (conn.length === 0) this.stopMessageTimer(conn);
    // A new message began in this chunk: its own deadline starts now.
    else if (completed || conn.receivingSince === undefined) this.startMessageTimer(conn);
  }

  private peekLength(conn: Conn): number {
    const first = conn.chunks[0]!;
    if (first.length >= 2) return first.readUInt16BE(0);
    return (first[0]! << 8) | conn.chunks[1]![0]!; // a 1-byte first chunk: the next chunk has byte two
  }

  private startMessageTimer(conn: Conn): void {
    this.stopMessageTimer(conn);
    conn.receivingSince = performance.now();
    conn.deadline = setTimeout(() => {
      this.log.debug({ client: conn.source, limitMs: this.limits.queryTimeoutMs, received: conn.length }, "dns tcp message not received in time; connection closed");
      this.drop(conn);
    }, this.limits.queryTimeoutMs);
    conn.deadline.unref();
  }

  private stopMessageTimer(conn: Conn): void {
    if (conn.deadline) clearTimeout(conn.deadline);
    conn.deadline = undefined;
    conn.receivingSince = undefined;
  }

  /** Destroys the socket and frees its slot at once (the 'close' event comes later). */
  private drop(conn: Conn): void {
    this.release(conn);
    conn.socket.destroy();
  }

  private release(conn: Conn): void {
    if (this.conns.get(conn.socket) !== conn) return;
    this.conns.delete(conn.socket);
    this.stopMessageTimer(conn);
    conn.chunks = [];
    const n = (this.perSource.get(conn.source) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(conn.source);
    else this.perSource.set(conn.source, n);
  }

  private onFrame(conn: Conn, frame: Buffer): void {
    const socket = conn.socket;
    let out: ReturnType<Responder["handle"]>;
    try {
      out = this.responder.handle(frame, conn.source, "tcp");
    } catch (err) {
      this.log.error({ err: (err as Error).message, client: conn.source }, "dns tcp query failed");
      return;
    }
    if (!out) return;
    const write = (buf: Buffer | undefined): void => {
      if (!buf || socket.destroyed) return;
      if (socket.writableLength > this.limits.maxQueuedBytes) { this.drop(conn); return; }
      const prefix = Buffer.allocUnsafe(2);
      prefix.writeUInt16BE(buf.length, 0);
      socket.write(Buffer.concat([prefix, buf]));
    };
    if (!(out instanceof Promise)) { write(out); return; }
    conn.awaiting++;
    out.then(write, (err: Error) => this.log.error({ err: err.message }, "dns tcp forward failed"))
      .finally(() => { conn.awaiting--; });
  }
}
