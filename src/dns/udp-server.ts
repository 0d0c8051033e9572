// DNS over UDP (RFC 1035 section 4.2.1): one datagram, one answer, sent back to where it came from.
// Nothing a client sends may stop the socket: every handler error is logged and the next datagram
// is served. With reusePort (dnsThreads > 1) several sockets, one per thread, bind the same address
// and the kernel spreads the datagrams over them (SO_REUSEPORT: by a hash of the source and
// destination, so one client port always reaches the same socket).

import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import type { Logger } from "pino";
import type { Responder } from "./responder.js";
// An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; views and rules use plain IPv4.
import { unwrapMapped } from "../network-policy/ip-address.js";

export class UdpServer {
  private socket: dgram.Socket | undefined;

  constructor(private readonly responder: Responder, private readonly log: Logger, private readonly reusePort = false) {}

  async listen(host: string, port: number): Promise<void> {
    // Only when asked: SO_REUSEPORT also lets another process of the same user join the port and
    // receive a share of the queries, so a single-threaded server keeps the port to itself.
    const socket = dgram.createSocket({ type: isIPv6(host) ? "udp6" : "udp4", reusePort: this.reusePort });
    socket.on("message", (msg, rinfo) => this.onMessage(socket, msg, rinfo));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, host, () => { socket.off("error", reject); resolve(); });
    });
    socket.on("error", (err) => this.log.warn({ err: err.message }, "dns udp socket error"));
    this.socket = socket;
  }

  address(): { address: string; port: number } {
    if (!this.socket) throw new Error("dns udp server is not listening");
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onMessage(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let out: ReturnType<Responder["handle"]>;
    try {
      out = this.responder.handle(msg, unwrapMapped(rinfo.address), "udp");
    } catch (err) {
      this.log.error({ err: (err as Error).message, client: rinfo.address }, "dns udp query failed");
      return;
    }
    if (!out) return;
    const send = (buf: Buffer | undefined): void => {
      if (!buf || this.socket !== socket) return;
      // No completion callback: without one Node tries a synchronous send (uv_udp_try_send) and
      // allocates no request object, the difference that matters at ~100k answers/s. A failed send
      // surfaces as the socket's 'error' event, which is logged.
      socket.send(buf, rinfo.port, rinfo.address);
    };
    if (!(out instanceof Promise)) send(out);
    else out.then(send, (err: Error) => this.log.error({ err: err.message }, "dns udp forward failed"));
  }
}
