// DNS over TCP under a slow-loris (issue 7, item 3): a client that announces a 500-byte message and
// then drips one byte every few hundred ms must be closed within the per-message deadline, however
// often it sends; 140 of them from ten source addresses must not lock a real `dig +tcp` out; a full
// server makes room by closing its oldest idle connection; one source gets at most its share; and
// connections waiting for a forwarded answer are never the ones closed. Raw sockets and the real
// dig, all on loopback. Short deadlines (1.5 s) keep the file well under a minute.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { dig } from "./dig.js";
import { ask, drip, frame, query, rawConnect, type RawClient, waitFor } from "./tcp-client.js";
import { LAPTOP, type Running, startDns } from "./scenario.js";

const DEADLINE_MS = 1500;
const SOURCES = ["127.0.0.1", ...Array.from({ length: 9 }, (_, i) => `127.30.0.${i + 1}`)];
const rcode = (b: Buffer) => b[3]! & 0x0f;

describe("the per-message deadline", () => {
  let dns: Running;
  before(async () => { dns = await startDns({ tcp: { queryTimeoutMs: DEADLINE_MS, idleTimeoutMs: 10_000 } }); });
  after(async () => { await dns.stop(); });

  test("a client dripping a byte every 300 ms is closed within the deadline of its first byte (the 10 s idle timer never fires)", async () => {
    const c = await rawConnect(dns.port, LAPTOP);
    const d = drip(c, 300, 20);
    await waitFor(() => c.isClosed(), DEADLINE_MS + 4000);
    assert.ok(c.isClosed(), `still open after ${d.sent()} dripped bytes`);
    const heldMs = c.closedAt! - d.startedAt;
    assert.ok(d.sent() >= 3, `only ${d.sent()} bytes dripped: the idle timer could explain the close`);
    assert.ok(heldMs >= DEADLINE_MS - 100 && heldMs < DEADLINE_MS + 1500, `closed ${Math.round(heldMs)} ms after the first byte`);
  });

  test("the deadline is per message: slow halves within it are answered, on a connection older than the deadline", async () => {
    const c = await rawConnect(dns.port, LAPTOP);
    const t0 = performance.now();
    for (const id of [1, 2]) {
      const f = frame(query("contoso.cove.test", id));
      c.sock.write(f.subarray(0, 7));
      await new Promise((r) => setTimeout(r, 700));
      c.sock.write(f.subarray(7));
      assert.ok(await waitFor(() => c.messages.length === id, 2000), `no answer to query ${id}`);
      assert.equal(c.messages[id - 1]!.readUInt16BE(0), id);
      assert.equal(rcode(c.messages[id - 1]!), 0);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(performance.now() - t0 > DEADLINE_MS, "the connection did not outlive one deadline");
    assert.equal(c.isClosed(), false);
    c.sock.destroy();
  });
});

describe("140 drip clients against the default 128-connection cap", () => {
  let dns: Running;
  before(async () => { dns = await startDns({ tcp: { queryTimeoutMs: DEADLINE_MS } }); });
  after(async () => { await dns.stop(); });

  test("a real dig +tcp still gets its answer within a few seconds, and every drip client is closed by the deadline", async () => {
    // 14 per source: under the per-source cap of 16, so only the total cap is in play.
    const clients: RawClient[] = [];
    const drips: ReturnType<typeof drip>[] = [];
    for (let i = 0; i < 140; i++) {
      const c = await rawConnect(dns.port, SOURCES[i % SOURCES.length]!);
      clients.push(c);
      drips.push(drip(c, 300, 30));
    }
    const t0 = performance.now();
    const r = await dig(dns.port, LAPTOP, "contoso.cove.test", "A", "+tcp");
    const took = performance.now() - t0;
    assert.equal(r.status, "NOERROR", r.raw);
    assert.equal(r.answer.length, 2, r.raw);
    assert.ok(took < 3000, `dig +tcp took ${Math.round(took)} ms`);

    const lastStart = Math.max(...drips.map((d) => d.startedAt));
    await waitFor(() => clients.every((c) => c.isClosed()), DEADLINE_MS + 4000);
    const open = clients.filter((c) => !c.isClosed()).length;
    assert.equal(open, 0, `${open} drip clients still open ${Math.round(performance.now() - lastStart)} ms after the last one started`);
    for (let i = 0; i < clients.length; i++) {
      const held = clients[i]!.closedAt! - drips[i]!.startedAt;
      assert.ok(held < DEADLINE_MS + 1500, `drip client ${i} held for ${Math.round(held)} ms`);
    }
    for (const c of clients) c.sock.destroy();
  });
});

describe("a full server", () => {
  let dns: Running;
  before(async () => { dns = await startDns({ tcp: { maxConnections: 8, queryTimeoutMs: DEADLINE_MS } }); });
  after(async () => { await dns.stop(); });

  test("closes its oldest idle connection for a newcomer (a real dig +tcp); the other seven stay and answer", async () => {
    const idle: RawClient[] = [];
    for (let i = 0; i < 8; i++) idle.push(await rawConnect(dns.port, SOURCES[i % SOURCES.length]!));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(idle.every((c) => !c.isClosed()), "the eight did not all fit");
    const r = await dig(dns.port, "127.30.1.1", "contoso.cove.test", "A", "+tcp");
    assert.equal(r.status, "NOERROR", r.raw);
    assert.ok(await waitFor(() => idle[0]!.isClosed(), 1000), "the oldest idle connection was not closed");
    for (let i = 1; i < 8; i++) {
      const a = await ask(idle[i]!, "contoso.cove.test", 100 + i);
      assert.ok(a, `connection ${i} no longer answers`);
      assert.equal(rcode(a), 0);
    }
    for (const c of idle) c.sock.destroy();
  });
});

describe("the per-source cap", () => {
  let dns: Running;
  before(async () => { dns = await startDns({ tcp: { maxConnectionsPerSource: 4, queryTimeoutMs: DEADLINE_MS } }); });
  after(async () => { await dns.stop(); });

  test("the fifth connection from one address is closed at once; other addresses and the first four are served; a freed slot is reused", async () => {
    const mine: RawClient[] = [];
    for (let i = 0; i < 4; i++) mine.push(await rawConnect(dns.port, "127.30.2.1"));
    const fifth = await rawConnect(dns.port, "127.30.2.1");
    assert.ok(await waitFor(() => fifth.isClosed(), 1000), "the fifth connection from 127.30.2.1 was accepted");
    const other = await rawConnect(dns.port, "127.30.2.2");
    assert.equal(rcode((await ask(other, "contoso.cove.test", 1))!), 0);
    for (const [i, c] of mine.entries()) {
      const a = await ask(c, "contoso.cove.test", 10 + i);
      assert.ok(a, `connection ${i} from 127.30.2.1 no longer answers`);
    }
    mine[0]!.sock.destroy();
    await mine[0]!.closed;
    await new Promise((r) => setTimeout(r, 100)); // the server sees the FIN
    const again = await rawConnect(dns.port, "127.30.2.1");
    const a = await ask(again, "contoso.cove.test", 20);
    assert.ok(a && rcode(a) === 0, "a slot freed by a closed connection was not reused");
    for (const c of [...mine, other, again]) c.sock.destroy();
  });
});

describe("connections waiting for a forwarded answer", () => {
  let dns: Running;
  let silent: dgram.Socket;
  before(async () => {
    silent = dgram.createSocket("udp4");
    silent.on("message", () => undefined); // an upstream that never answers
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", () => resolve()));
    dns = await startDns({ tcp: { maxConnections: 2 }, upstream: { host: "127.0.0.1", port: silent.address().port }, upstreamTimeoutMs: 1500 });
  });
  after(async () => { await dns.stop(); silent.close(); });

  test("are never closed to make room: the newcomer is, and the two still get their SERVFAIL", async () => {
    const busy = [await rawConnect(dns.port, "127.30.3.1"), await rawConnect(dns.port, "127.30.3.2")];
    busy.forEach((c, i) => c.sock.write(frame(query(`name${i}.example.org`, 50 + i))));
    await new Promise((r) => setTimeout(r, 200));
    const newcomer = await rawConnect(dns.port, "127.30.3.3");
    assert.ok(await waitFor(() => newcomer.isClosed(), 1000), "the newcomer was let in by closing a connection with a query in flight");
    for (const c of busy) {
      assert.ok(await waitFor(() => c.messages.length === 1, 3000), "a waiting connection lost its answer");
      assert.equal(rcode(c.messages[0]!), 2);
      c.sock.destroy();
    }
  });
});
