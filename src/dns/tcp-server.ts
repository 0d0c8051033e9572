// DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): each message is preceded by a 2-byte length; a
// client may send several queries on one connection (answered as they complete, RFC 7766 section
// 6.2.1.1 allows any order). Bounded: at most `maxConnections` open connections (more are closed
// by the server at accept), an idle timeout, and a cap on unsent output so that a client that
// sends queries but never reads cannot make the server buffer without end.

import net from "node:net";
import type { Logger } from "pino";
import type { Responder } from "./responder.js";
import { clientAddress } from "./udp-server.js";

export interface TcpLimits {
  /** Close a connection that sends nothing for this long (RFC 7766 section 6.2.3: seconds, not minutes). */
  idleTimeoutMs: number;
  maxConnections: number;
  /** Unsent response bytes a connection may have queued before it is closed. */
  maxQueuedBytes: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = { idleTimeoutMs: 10_000, maxConnections: 128, maxQueuedBytes: 1 << 20 };

export class TcpServer {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly responder: Responder, private readonly log: Logger, private readonly limits: TcpLimits) {}

  async listen(host: string, port: number): Promise<void> {
    const server = net.createServer((socket) => this.onConnection(socket));
    server.maxConnections = this.limits.maxConnections;
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

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    const client = clientAddress(socket.remoteAddress ?? "");
    let buffered: Buffer = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.setTimeout(this.limits.idleTimeoutMs, () => socket.destroy());
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", (err) => this.log.debug({ err: err.message, client }, "dns tcp connection error"));
    socket.on("data", (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      // Frames are at most 65535 + 2 bytes, so `buffered` stays bounded by one frame plus one chunk.
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const frame = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        this.onFrame(socket, Buffer.from(frame), client);
        if (socket.destroyed) return;
      }
    });
  }

  private onFrame(socket: net.Socket, frame: Buffer, client: string): void {
    let out: ReturnType<Responder["handle"]>;
    try {
      out = this.responder.handle(frame, client, "tcp");
    } catch (err) {
      this.log.error({ err: (err as Error).message, client }, "dns tcp query failed");
      return;
    }
    if (!out) return;
    const write = (buf: Buffer | undefined): void => {
      if (!buf || socket.destroyed) return;
      if (socket.writableLength > this.limits.maxQueuedBytes) { socket.destroy(); return; }
      const prefix = Buffer.allocUnsafe(2);
      prefix.writeUInt16BE(buf.length, 0);
      socket.write(Buffer.concat([prefix, buf]));
    };
    if (!(out instanceof Promise)) write(out);
    else out.then(write, (err: Error) => this.log.error({ err: err.message }, "dns tcp forward failed"));
  }
}
