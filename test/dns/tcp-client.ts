// Raw DNS-over-TCP clients for the fairness tests: a well-behaved one that sends whole framed
// queries, and a "drip" one that announces a long message and then sends one byte at a time (the
// slow-loris of the review). Every client binds a chosen loopback source address and stops by
// itself: drips are bounded in count, and every wait has a timeout.

import net from "node:net";
import dnsPacket from "dns-packet";

export interface RawClient {
  sock: net.Socket;
  /** Length-framed messages received, in order. */
  messages: Buffer[];
  /** Resolves when the server (or we) closed the connection. */
  closed: Promise<void>;
  /** performance.now() when the connection closed, once it has. */
  closedAt: number | undefined;
  isClosed(): boolean;
}

export async function rawConnect(port: number, localAddress: string): Promise<RawClient> {
  const sock = net.connect({ host: "127.0.0.1", port, localAddress });
  await new Promise<void>((resolve, reject) => { sock.once("connect", resolve); sock.once("error", reject); });
  sock.on("error", () => undefined); // resets after the server closes us are expected here
  const messages: Buffer[] = [];
  let buf = Buffer.alloc(0);
  sock.on("data", (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      messages.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
  });
  const client: RawClient = {
    sock, messages, closedAt: undefined,
    closed: new Promise<void>((resolve) => sock.once("close", () => { client.closedAt = performance.now(); resolve(); })),
    isClosed: () => client.closedAt !== undefined,
  };
  return client;
}

export function query(name: string, id: number): Buffer {
  return dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] });
}

export const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m]);

/** Sends a 500-byte length prefix, then one byte every `everyMs`, at most `maxBytes` of them or until closed. */
export function drip(c: RawClient, everyMs: number, maxBytes: number): { startedAt: number; sent: () => number } {
  const startedAt = performance.now();
  c.sock.write(Buffer.from([0x01, 0xf4]));
  let sent = 0;
  const timer = setInterval(() => {
    if (c.isClosed() || c.sock.destroyed || sent >= maxBytes) { clearInterval(timer); return; }
    c.sock.write(Buffer.from([0x61]));
    sent++;
  }, everyMs);
  void c.closed.then(() => clearInterval(timer));
  return { startedAt, sent: () => sent };
}

export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (!cond() && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

/** Sends one framed query and waits for its answer (undefined when none came within `ms`). */
export async function ask(c: RawClient, name: string, id: number, ms = 2000): Promise<Buffer | undefined> {
  const before = c.messages.length;
  c.sock.write(frame(query(name, id)));
  await waitFor(() => c.messages.length > before || c.isClosed(), ms);
  return c.messages[before];
}
