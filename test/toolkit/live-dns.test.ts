// The live checks' stub resolver against a small DNS server on real UDP and TCP sockets, for what
// Cove's own server never does but another one may: a truncated UDP answer (TCP retry, RFC 7766),
// a chain answered one link at a time, NXDOMAIN and silence. The server records the address each
// query came from, since the client's source address decides which view it gets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import dnsPacket from "dns-packet";
import { resolveA } from "../../src/cli/toolkit/live/dns.js";

const SOURCE = "127.45.2.254";
let udp: Socket;
let tcp: Server;
let port: number;
const seen: { via: "udp" | "tcp"; from: string; name: string }[] = [];

function answer(q: ReturnType<typeof dnsPacket.decode>, truncate: boolean): Buffer | undefined {
  const name = q.questions![0]!.name.toLowerCase();
  const base = { type: "response" as const, id: q.id, questions: q.questions };
  if (name === "silent.test") return undefined;
  if (name === "big.test") {
    if (truncate) return dnsPacket.encode({ ...base, flags: dnsPacket.TRUNCATED_RESPONSE, answers: [] });
    return dnsPacket.encode({ ...base, answers: [{ type: "A", name, ttl: 5, data: "127.9.9.9" }, { type: "A", name, ttl: 5, data: "127.9.9.10" }] });
  }
  if (name === "first.test") return dnsPacket.encode({ ...base, answers: [{ type: "CNAME", name, ttl: 5, data: "second.test" }] });
  if (name === "second.test") return dnsPacket.encode({ ...base, answers: [{ type: "A", name, ttl: 5, data: "127.9.9.8" }] });
  if (name === "gone.test") return dnsPacket.encode({ ...base, flags: 3, answers: [{ type: "CNAME", name, ttl: 5, data: "nothing.test" }] }); // rcode 3: NXDOMAIN
  return dnsPacket.encode({ ...base, answers: [] });
}

before(async () => {
  udp = createSocket("udp4");
  await new Promise<void>((ok) => udp.bind(0, "127.0.0.1", () => ok()));
  port = udp.address().port;
  udp.on("message", (m, rinfo) => {
    const q = dnsPacket.decode(m);
    seen.push({ via: "udp", from: rinfo.address, name: q.questions![0]!.name });
    const a = answer(q, true);
    if (a) udp.send(a, rinfo.port, rinfo.address);
  });
  tcp = createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on("data", (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const q = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      seen.push({ via: "tcp", from: sock.remoteAddress ?? "", name: q.questions![0]!.name });
      const a = answer(q, false)!;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(a.length);
      sock.end(Buffer.concat([len, a]));
    });
  });
  await new Promise<void>((ok) => tcp.listen(port, "127.0.0.1", () => ok()));
});
after(() => { udp?.close(); tcp?.close(); });

const server = () => ({ host: "127.0.0.1", port });

test("a truncated UDP answer is asked again over TCP, from the same source address", async () => {
  seen.length = 0;
  const r = await resolveA(server(), "big.test", SOURCE, 1000);
  assert.deepEqual(r.seen, { kind: "address", ips: ["127.9.9.9", "127.9.9.10"], chain: ["big.test A 127.9.9.9", "big.test A 127.9.9.10"] });
  assert.equal(r.source, SOURCE);
  assert.deepEqual(seen.map((s) => `${s.via} ${s.from}`), [`udp ${SOURCE}`, `tcp ${SOURCE}`]);
});

test("a chain answered one link at a time: the target is asked next and the chain kept", async () => {
  const r = await resolveA(server(), "first.test", SOURCE, 1000);
  assert.deepEqual(r.seen, { kind: "address", ips: ["127.9.9.8"], chain: ["first.test CNAME second.test", "second.test A 127.9.9.8"] });
});

test("NXDOMAIN after a CNAME keeps the chain; an empty answer is NODATA; silence is a failure within the deadline", async () => {
  assert.deepEqual((await resolveA(server(), "gone.test", SOURCE, 1000)).seen, { kind: "nxdomain", chain: ["gone.test CNAME nothing.test"] });
  assert.deepEqual((await resolveA(server(), "empty.test", SOURCE, 1000)).seen, { kind: "nodata", chain: [] });
  const started = Date.now();
  const silent = await resolveA(server(), "silent.test", SOURCE, 300);
  assert.equal(silent.seen.kind, "failed");
  assert.match(silent.seen.kind === "failed" ? silent.seen.message : "", /no answer .* within 300 ms/);
  assert.ok(Date.now() - started < 1000);
});

test("without a source the OS picks one and the result names it; a source not on this machine is a failure, not a throw", async () => {
  const r = await resolveA(server(), "second.test", undefined, 1000);
  assert.equal(r.source, "127.0.0.1");
  const foreign = await resolveA(server(), "second.test", "192.0.2.1", 1000);
  assert.deepEqual(foreign.seen, { kind: "failed", message: "EADDRNOTAVAIL" });
});
