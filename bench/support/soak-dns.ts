// The soak's DNS load: UDP queries from spoke addresses (a VNet linked to privatelink.<suffix>), one
// socket per address, each in its own /24 so that response rate limiting (on, at its default) sees
// four prefixes well under their limit. Names rotate over the registry's login host (answered CNAME
// -> privatelink A), its data host, and the record the ARM loop rewrites. An answer is right when it
// is NOERROR, not truncated, and carries at least one A record; a timeout (2 s) is an error.
import { createSocket, type Socket } from "node:dgram";
import dnsPacket from "dns-packet";
import { query } from "../../test/dns/tcp-client.js";
import type { Outcome } from "./soak-workload.js";

export interface DnsLoad {
  ask(i: number): Promise<Outcome>;
  close(): void;
}

interface Waiter { ok(m: Buffer): void; fail(e: Error): void; timer: NodeJS.Timeout }

export async function dnsLoad(port: number, sources: readonly string[], names: string[]): Promise<DnsLoad> {
  const sockets: { sock: Socket; waiting: Map<number, Waiter>; nextId: number }[] = [];
  for (const source of sources) {
    const sock = createSocket("udp4");
    const waiting = new Map<number, Waiter>();
    sock.on("message", (m) => {
      if (m.length < 2) return;
      const w = waiting.get(m.readUInt16BE(0));
      if (w) { waiting.delete(m.readUInt16BE(0)); clearTimeout(w.timer); w.ok(m); }
    });
    await new Promise<void>((ok) => sock.bind(0, source, () => ok()));
    sockets.push({ sock, waiting, nextId: 1 });
  }
  return {
    async ask(i) {
      const s = sockets[i % sockets.length]!;
      const name = names[Math.floor(i / sockets.length) % names.length]!;
      // Ids are not reused while a query is outstanding (at most a few hundred are).
      let id = s.nextId;
      while (s.waiting.has(id)) id = (id % 65535) + 1;
      s.nextId = (id % 65535) + 1;
      const reply = await new Promise<Buffer>((ok, fail) => {
        const timer = setTimeout(() => { s.waiting.delete(id); fail(new Error("DNS timeout")); }, 2000);
        s.waiting.set(id, { ok, fail, timer });
        s.sock.send(query(name, id), port, "127.0.0.1");
      });
      const msg = dnsPacket.decode(reply);
      const rcode = (msg as { rcode?: string }).rcode; // set by the decoder, missing from its types
      if (rcode !== "NOERROR") throw new Error(`DNS ${name}: ${rcode}`);
      if (msg.flag_tc) throw new Error(`DNS ${name}: truncated (rate limited)`);
      if (!msg.answers?.some((a) => a.type === "A")) throw new Error(`DNS ${name}: no A record`);
      return "ok";
    },
    close() {
      for (const s of sockets) {
        for (const w of s.waiting.values()) clearTimeout(w.timer);
        s.sock.close();
      }
    },
  };
}
