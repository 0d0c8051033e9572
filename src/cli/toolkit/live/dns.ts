// A stub resolver that asks one DNS server FROM the client's own source address, so it gets the view
// of that client's network (Cove answers each client from the view of its source address; a real
// client in that subnet asks the same way). UDP first; TCP when the answer is truncated (RFC 7766).
// The CNAME chain is kept as the answer lines ("<name> <type> <data>", as predict.ts writes them);
// when a server answers only the first link of a chain, the target is asked next, as a stub would.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect as tcpConnect } from "node:net";
import { isIP } from "node:net";
import { randomInt } from "node:crypto";
import dnsPacket from "dns-packet";
import type { DnsSeen } from "../../../network-policy/reachability/observation.js";

export interface DnsServer {
  host: string;
  port: number;
}

export interface Resolved {
  seen: DnsSeen;
  /** The address the query left from: `source`, or the one the OS chose. */
  source: string;
}

const MAX_HOPS = 8;
/** A DNS message over TCP is at most 65535 bytes (the length prefix). */
const MAX_TCP_BYTES = 2 + 65535;

type Packet = ReturnType<typeof dnsPacket.decode>;

function query(name: string): { id: number; bytes: Buffer } {
  const id = randomInt(1, 65535);
  return { id, bytes: dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] }) };
}

function answerFor(p: Packet, id: number, name: string): boolean {
  return p.id === id && p.type === "response" && (p.questions?.[0]?.name ?? "").toLowerCase() === name.toLowerCase();
}

async function overUdp(server: DnsServer, name: string, source: string | undefined, timeoutMs: number): Promise<{ packet: Packet; source: string }> {
  const sock: UdpSocket = createSocket(isIP(server.host) === 6 ? "udp6" : "udp4");
  try {
    await new Promise<void>((ok, fail) => { sock.once("error", fail); sock.bind(0, source, () => ok()); });
    // connect() makes the kernel pick the local address now (reported when the OS chose it) and
    // drops datagrams from any other peer.
    await new Promise<void>((ok, fail) => { sock.once("error", fail); sock.connect(server.port, server.host, () => ok()); });
    const from = sock.address().address;
    const q = query(name);
    const packet = await new Promise<Packet>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no answer from ${server.host}:${server.port} within ${timeoutMs} ms`)), timeoutMs);
      sock.on("message", (m) => {
        let p: Packet;
        try { p = dnsPacket.decode(m); } catch { return; } // garbage: keep waiting for the real answer
        if (!answerFor(p, q.id, name)) return;
        clearTimeout(timer);
        ok(p);
      });
      sock.on("error", (e) => { clearTimeout(timer); fail(e); });
      sock.send(q.bytes);
    });
    return { packet, source: from };
  } finally {
    sock.close();
  }
}

function overTcp(server: DnsServer, name: string, source: string | undefined, timeoutMs: number): Promise<Packet> {
  return new Promise((ok, fail) => {
    const q = query(name);
    const sock = tcpConnect({ host: server.host, port: server.port, localAddress: source });
    let buf = Buffer.alloc(0);
    const done = (e: Error | undefined, p?: Packet) => { clearTimeout(timer); sock.destroy(); if (e) fail(e); else ok(p!); };
    const timer = setTimeout(() => done(new Error(`no TCP answer from ${server.host}:${server.port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.bytes.length);
      sock.write(Buffer.concat([len, q.bytes]));
    });
    sock.on("data", (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length > MAX_TCP_BYTES) return done(new Error("oversized DNS answer over TCP"));
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      try {
        const p = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        done(answerFor(p, q.id, name) ? undefined : new Error("the TCP answer does not match the question"), p);
      } catch (e) {
        done(new Error(`undecodable DNS answer over TCP: ${(e as Error).message}`));
      }
    });
    sock.on("error", (e) => done(e));
    sock.on("end", () => done(new Error("the DNS server closed the TCP connection without an answer")));
  });
}

/** One question, UDP then TCP when truncated. */
async function ask(server: DnsServer, name: string, source: string | undefined, timeoutMs: number): Promise<{ packet: Packet; source: string }> {
  const udp = await overUdp(server, name, source, timeoutMs);
  if (!udp.packet.flag_tc) return udp;
  return { packet: await overTcp(server, name, udp.source, timeoutMs), source: udp.source };
}

/** The A records of `name` as a client at `source` gets them from `server`. Never throws. */
export async function resolveA(server: DnsServer, name: string, source: string | undefined, timeoutMs: number): Promise<Resolved> {
  const chain: string[] = [];
  let from = source ?? "";
  let current = name.toLowerCase();
  try {
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const { packet, source: used } = await ask(server, current, source, timeoutMs);
      from = used;
      const rcode = String((packet as { rcode?: string }).rcode ?? "NOERROR");
      // Walk the answer section from the asked name along CNAMEs, as a stub does.
      const answers = (packet.answers ?? []) as { name: string; type: string; data: unknown }[];
      let name_ = current;
      for (let i = 0; i < MAX_HOPS; i++) {
        const cname = answers.find((a) => a.type === "CNAME" && a.name.toLowerCase() === name_);
        if (!cname) break;
        chain.push(`${cname.name} CNAME ${String(cname.data)}`);
        name_ = String(cname.data).toLowerCase();
      }
      const a = answers.filter((x) => x.type === "A" && x.name.toLowerCase() === name_);
      for (const x of a) chain.push(`${x.name} A ${String(x.data)}`);
      if (rcode === "NXDOMAIN") return { seen: { kind: "nxdomain", chain }, source: from };
      if (rcode !== "NOERROR") return { seen: { kind: "failed", message: rcode }, source: from };
      if (a.length) return { seen: { kind: "address", ips: a.map((x) => String(x.data)), chain }, source: from };
      if (name_ === current) return { seen: { kind: "nodata", chain }, source: from };
      current = name_; // the chain's target was not answered: ask for it
    }
    return { seen: { kind: "failed", message: `CNAME chain longer than ${MAX_HOPS}` }, source: from };
  } catch (e) {
    return { seen: { kind: "failed", message: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, source: from };
  }
}
