// Malformed and hostile packets over raw sockets: each gets FORMERR/NOTIMP when a header can be
// read, or no answer at all, and the server answers a normal query right after (never a crash).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import dnsPacket from "dns-packet";
import { LAPTOP, type Running, startDns } from "./scenario.js";
import { frame, rawConnect } from "./tcp-client.js";

let dns: Running;
let client: dgram.Socket;
const replies: Buffer[] = [];

before(async () => {
  dns = await startDns({ tcp: { idleTimeoutMs: 1000, maxConnections: 3 } });
  client = dgram.createSocket("udp4");
  client.on("message", (m) => replies.push(m));
  await new Promise<void>((resolve) => client.bind(0, LAPTOP, () => resolve()));
});
after(async () => { client.close(); await dns.stop(); });

/** Sends one datagram; resolves with the reply, or undefined when none came within `waitMs`. */
async function send(buf: Buffer, waitMs = 250): Promise<Buffer | undefined> {
  replies.length = 0;
  client.send(buf, dns.port, "127.0.0.1");
  const until = Date.now() + waitMs;
  while (replies.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  return replies.shift();
}

function query(name = "contoso.cove.test", id = 7): Buffer {
  return dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] });
}

function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0); b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4); b.writeUInt16BE(an, 6); b.writeUInt16BE(ns, 8); b.writeUInt16BE(ar, 10);
  return b;
}
const rcode = (b: Buffer) => b[3]! & 0x0f;
const QUESTION = Buffer.from([7, ...Buffer.from("contoso"), 4, ...Buffer.from("cove"), 4, ...Buffer.from("test"), 0, 0, 1, 0, 1]);

async function stillServing(): Promise<void> {
  const r = await send(query("contoso.cove.test", 99), 1000);
  assert.ok(r, "no answer to a normal query");
  const d = dnsPacket.decode(r);
  assert.equal(d.id, 99);
  assert.equal(rcode(r), 0);
  assert.equal(d.answers!.length, 2);
}

describe("UDP", () => {
  const formerr: [string, () => Buffer][] = [
    ["QDCOUNT 0", () => header(1, 0x0100, 0)],
    ["QDCOUNT 2", () => Buffer.concat([header(1, 0x0100, 2), QUESTION, QUESTION])],
    ["truncated question", () => Buffer.concat([header(1, 0x0100, 1), QUESTION.subarray(0, 9)])],
    ["question without type and class", () => Buffer.concat([header(1, 0x0100, 1), QUESTION.subarray(0, QUESTION.length - 4)])],
    ["compression pointer loop in the question", () => Buffer.concat([header(1, 0x0100, 1), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
    ["pointer loop in an additional record", () => Buffer.concat([header(1, 0x0100, 1, 0, 0, 1), QUESTION, Buffer.from([0xc0, 35, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])])],
    ["label longer than 63", () => Buffer.concat([header(1, 0x0100, 1), Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 1, 0, 1])])],
    ["name longer than 255", () => Buffer.concat([header(1, 0x0100, 1), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x61)])), Buffer.from([0, 0, 1, 0, 1])])],
    ["additional count beyond the packet", () => Buffer.concat([header(1, 0x0100, 1, 0, 0, 3), QUESTION])],
    ["two OPT records", () => {
      const opt = Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]);
      return Buffer.concat([header(1, 0x0100, 1, 0, 0, 2), QUESTION, opt, opt]);
    }],
    ["trailing garbage", () => Buffer.concat([query("contoso.cove.test", 1), Buffer.from("garbage")])],
    ["oversized datagram (60000 bytes)", () => Buffer.concat([query("contoso.cove.test", 1), Buffer.alloc(60000 - query().length, 0xff)])],
  ];
  for (const [name, make] of formerr) {
    test(`${name}: FORMERR, same ID, then still serving`, async () => {
      const r = await send(make());
      assert.ok(r, "expected an answer");
      assert.equal(r.readUInt16BE(0), 1);
      assert.ok(r[2]! & 0x80, "QR set");
      assert.equal(rcode(r), 1);
      await stillServing();
    });
  }

  for (const [opcode, label] of [[1, "IQUERY"], [2, "STATUS"], [4, "NOTIFY"], [5, "UPDATE"]] as const) {
    test(`opcode ${label}: NOTIMP`, async () => {
      const r = await send(Buffer.concat([header(5, opcode << 11, 1), QUESTION]));
      assert.ok(r);
      assert.equal(rcode(r), 4);
      assert.equal((r[2]! >> 3) & 0x0f, opcode, "opcode echoed");
      await stillServing();
    });
  }

  const dropped: [string, () => Buffer][] = [
    ["empty datagram", () => Buffer.alloc(0)],
    ["shorter than a header", () => Buffer.from([1, 2, 3, 4, 5])],
    ["a response sent to the server", () => dnsPacket.encode({ type: "response", id: 3, flags: 0, questions: [{ type: "A", name: "contoso.cove.test" }], answers: [] })],
  ];
  for (const [name, make] of dropped) {
    test(`${name}: no answer, still serving`, async () => {
      assert.equal(await send(make()), undefined);
      await stillServing();
    });
  }

  test("500 random packets: no crash, then still serving", async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 0) / 0x7fffffff;
    for (let i = 0; i < 500; i++) {
      const base = i % 2 === 0 ? query() : Buffer.alloc(Math.floor(rnd() * 600));
      const b = Buffer.from(base);
      for (let j = 0; j < b.length; j++) if (rnd() < 0.2) b[j] = Math.floor(rnd() * 256);
      client.send(b, dns.port, "127.0.0.1");
    }
    await new Promise((r) => setTimeout(r, 200));
    await stillServing();
  });

  test("class other than IN and zone transfers: REFUSED", async () => {
    const chaos = await send(dnsPacket.encode({ type: "query", id: 2, questions: [{ type: "TXT", name: "version.bind", class: "CH" }] }));
    assert.equal(rcode(chaos!), 5);
    const axfr = await send(dnsPacket.encode({ type: "query", id: 2, questions: [{ type: "AXFR", name: "cove.test" }] }));
    assert.equal(rcode(axfr!), 5);
  });
});

/** A TCP connection from the laptop's address (test/dns/tcp-client.ts collects the framed answers). */
const connect = () => rawConnect(dns.port, LAPTOP);
async function waitFor(cond: () => boolean, ms = 1000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
}

describe("TCP", () => {
  test("several queries on one connection, split across writes, plus a malformed one", async () => {
    const { sock, messages } = await connect();
    const all = Buffer.concat([frame(query("contoso.cove.test", 1)), frame(header(2, 0x0100, 0)), frame(query("nosuch.cove.test", 3))]);
    sock.write(all.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 20));
    sock.write(all.subarray(5));
    await waitFor(() => messages.length === 3);
    const byId = new Map(messages.map((m) => [m.readUInt16BE(0), rcode(m)]));
    assert.deepEqual([...byId.entries()].sort(), [[1, 0], [2, 1], [3, 3]]);
    sock.destroy();
  });

  test("an idle connection is closed", async () => {
    const { closed } = await connect();
    const t0 = Date.now();
    await closed;
    assert.ok(Date.now() - t0 < 3000);
  });

  test("a connection beyond the limit makes the oldest idle one close; the newcomer and the others keep working", async () => {
    const held: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 3; i++) held.push(await connect()); // one by one: their age order is known
    const extra = await connect();
    await Promise.race([held[0]!.closed, new Promise((r) => setTimeout(r, 1000))]);
    assert.ok(held[0]!.sock.destroyed || held[0]!.sock.readableEnded, "the oldest idle connection was not closed");
    for (const [c, id] of [[extra, 9], [held[1]!, 10]] as const) {
      c.sock.write(frame(query("contoso.cove.test", id)));
      await waitFor(() => c.messages.length === 1);
      assert.equal(c.messages[0]?.readUInt16BE(0), id);
      assert.equal(rcode(c.messages[0]!), 0);
    }
    for (const h of [...held, extra]) h.sock.destroy();
  });
});
