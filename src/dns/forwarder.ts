// Forwards queries for names outside Cove's zones to one upstream resolver over UDP and relays its
// answer. Each forwarded query gets a fresh random ID; an upstream reply is accepted only from the
// upstream's address and port, for a pending ID, with the same question bytes (so a spoofed reply
// from elsewhere cannot be relayed). No answer within the timeout -> the caller sends SERVFAIL.

import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { randomInt } from "node:crypto";
import type { Logger } from "pino";
import { HEADER_LEN } from "./wire.js";

interface Pending {
  question: Buffer;
  originalId: number;
  timer: NodeJS.Timeout;
  done: (reply: Buffer | undefined) => void;
}

export class Forwarder {
  private socket: dgram.Socket | undefined;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly upstream: { host: string; port: number },
    private readonly log: Logger,
    private readonly timeoutMs = 2000,
    private readonly maxPending = 1024,
  ) {}

  async start(): Promise<void> {
    const socket = dgram.createSocket(isIPv6(this.upstream.host) ? "udp6" : "udp4");
    socket.on("message", (msg, rinfo) => this.onReply(msg, rinfo));
    socket.on("error", (err) => this.log.warn({ err: err.message }, "dns upstream socket error"));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, () => { socket.off("error", reject); resolve(); });
    });
    this.socket = socket;
  }

  async stop(): Promise<void> {
    for (const [id, p] of this.pending) { clearTimeout(p.timer); p.done(undefined); this.pending.delete(id); }
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The upstream's reply with the client's ID restored, or undefined (timeout, overload, stopped). */
  forward(query: Buffer, questionEnd: number): Promise<Buffer | undefined> {
    const socket = this.socket;
    if (!socket || this.pending.size >= this.maxPending) return Promise.resolve(undefined);
    let id = randomInt(0x10000);
    for (let i = 0; this.pending.has(id) && i < 16; i++) id = randomInt(0x10000);
    if (this.pending.has(id)) return Promise.resolve(undefined);
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.pending.delete(id); resolve(undefined); }, this.timeoutMs);
      this.pending.set(id, { question: query.subarray(HEADER_LEN, questionEnd), originalId: query.readUInt16BE(0), timer, done: resolve });
      socket.send(out, this.upstream.port, this.upstream.host, (err) => {
        if (err) { clearTimeout(timer); this.pending.delete(id); resolve(undefined); }
      });
    });
  }

  private onReply(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.port !== this.upstream.port || rinfo.address !== this.upstream.host) return;
    if (msg.length < HEADER_LEN || !(msg[2]! & 0x80)) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    if (!p) return;
    const qEnd = HEADER_LEN + p.question.length;
    if (msg.length < qEnd || !msg.subarray(HEADER_LEN, qEnd).equals(p.question)) return;
    this.pending.delete(msg.readUInt16BE(0));
    clearTimeout(p.timer);
    const reply = Buffer.from(msg);
    reply.writeUInt16BE(p.originalId, 0);
    p.done(reply);
  }
}
