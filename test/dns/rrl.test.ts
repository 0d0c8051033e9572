// Response rate limiting (issue 7, item 4), seen from real sockets: a UDP flood from one source gets
// at most rate x seconds full answers, every second limited one a real truncated answer (dns-packet
// decodes it) and the rest nothing; a real `dig` in the flooded prefix still gets its answer (it
// retries over TCP on TC); another /24 is not limited and the same /24 is; TCP is never limited;
// sources inside a modelled VNet are exempt unless dnsRateLimitVnets is "limit";
// and `cove serve`'s defaults limit too, counted in GET /metrics. Loopback only; every loop is bounded.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import dnsPacket from "dns-packet";
import { dig } from "./dig.js";
import { rawConnect, frame, query, waitFor } from "./tcp-client.js";
import { HUB, LAPTOP, SPOKE, type Running, startDns } from "./scenario.js";
import { startCove, type TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { https } from "../support/http.js";

const RATE = 50;
const NAME = "contoso.cove.test";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isTc = (m: Buffer) => (m[2]! & 0x02) !== 0;

interface Flood {
  sent: number;
  firstSendAt: number;
  lastReplyAt: number;
  full: Buffer[];
  truncated: Buffer[];
  queryBytes: number;
  replyBytes: number;
}

/** Sends up to `total` queries for `name` from `source`, `batch` every `everyMs`, until done or `stop()`; then collects late replies for 300 ms. */
async function flood(port: number, source: string, name: string, total: number, batch: number, everyMs: number, stop: () => boolean = () => false): Promise<Flood> {
  const sock = dgram.createSocket("udp4");
  const r: Flood = { sent: 0, firstSendAt: 0, lastReplyAt: 0, full: [], truncated: [], queryBytes: 0, replyBytes: 0 };
  sock.on("message", (m) => {
    r.lastReplyAt = performance.now();
    r.replyBytes += m.length;
    (isTc(m) ? r.truncated : r.full).push(m);
  });
  await new Promise<void>((resolve) => sock.bind(0, source, () => resolve()));
  r.firstSendAt = performance.now();
  while (r.sent < total && !stop()) {
    for (let i = 0; i < batch && r.sent < total; i++, r.sent++) {
      const q = query(name, r.sent & 0xffff);
      r.queryBytes += q.length;
      sock.send(q, port, "127.0.0.1");
    }
    await sleep(everyMs);
  }
  await sleep(300);
  sock.close();
  return r;
}

let dns: Running;
const actions = { dropped: 0, slipped: 0 };
before(async () => {
  dns = await startDns({ rateLimit: { responsesPerSecond: RATE, slip: 2 }, onRateLimit: (a) => { actions[a]++; } });
});
after(async () => { await dns.stop(); });

describe("a flood from one source", () => {
  test("2,000 queries: at most rate x seconds full answers; every second limited one a real truncated answer, the rest dropped", async () => {
    const before = { ...actions };
    const f = await flood(dns.port, LAPTOP, NAME, 2000, 40, 10);
    const seconds = (f.lastReplyAt - f.firstSendAt) / 1000;
    const dropped = actions.dropped - before.dropped;
    const slipped = actions.slipped - before.slipped;
    const bound = Math.ceil(RATE * (seconds + 1)) + 1; // one second's burst, then the rate
    assert.ok(f.full.length <= bound, `${f.full.length} full answers in ${seconds.toFixed(2)} s (bound ${bound})`);
    assert.ok(f.full.length >= RATE / 2, `only ${f.full.length} full answers: the first second's worth should pass`);
    for (const m of f.full) assert.equal(dnsPacket.decode(m).answers!.length, 2);

    // slip 2: the server withheld about as many as it slipped, and we received what it slipped.
    assert.ok(slipped > 0 && Math.abs(dropped - slipped) <= 1, `dropped ${dropped}, slipped ${slipped}`);
    assert.ok(f.truncated.length <= slipped && f.truncated.length >= slipped * 0.9, `${f.truncated.length} TC answers received, ${slipped} slipped`);
    for (const m of f.truncated) {
      const d = dnsPacket.decode(m);
      assert.equal(d.type, "response");
      assert.ok((d.flags! & dnsPacket.TRUNCATED_RESPONSE) !== 0, "TC set");
      assert.equal(m[3]! & 0x0f, 0, "rcode NOERROR");
      assert.deepEqual([d.answers!.length, d.authorities!.length, d.additionals!.length], [0, 0, 0]);
      assert.deepEqual(d.questions, [{ name: NAME, type: "A", class: "IN" }]);
      assert.ok(d.id! < f.sent, "the id of a query we sent");
    }
    const amplification = f.replyBytes / f.queryBytes;
    assert.ok(amplification < 1, `bytes out / bytes in = ${amplification.toFixed(2)}`);
    console.log(`# flood: ${f.sent} queries, ${f.full.length} full + ${f.truncated.length} TC answers in ${seconds.toFixed(2)} s; ` +
      `server dropped ${dropped}, slipped ${slipped}; amplification ${amplification.toFixed(2)}x`);
  });

  test("a real dig from the flooded /24 still gets the answer (it retries over TCP when a truncated answer comes)", async () => {
    let done = false;
    const before = actions.slipped;
    const running = flood(dns.port, LAPTOP, NAME, 30_000, 20, 10, () => done);
    await sleep(200); // the flood has used the account's second of credit
    try {
      const r = await dig(dns.port, "127.0.0.2", NAME, "A", "+tries=8", "+time=1");
      assert.equal(r.status, "NOERROR", r.raw);
      assert.equal(r.answer.length, 2, r.raw);
    } finally {
      done = true;
      await running;
    }
    assert.ok(actions.slipped > before, "the flood was not limited while dig ran");
  });

  test("another /24 is not limited; another address in the flooded /24 is", async () => {
    let done = false;
    const running = flood(dns.port, LAPTOP, NAME, 30_000, 20, 10, () => done);
    await sleep(200);
    try {
      // 40 spaced queries: under one second's credit, so all must be answered in full.
      const other = await flood(dns.port, "127.1.0.1", NAME, 40, 1, 10);
      assert.deepEqual([other.full.length, other.truncated.length], [40, 0], "127.1.0.1 was limited");
      // The same /24 shares the flood's account: it competes for the same trickle of credit.
      const neighbour = await flood(dns.port, "127.0.0.9", NAME, 60, 1, 5);
      const seconds = (neighbour.lastReplyAt - neighbour.firstSendAt) / 1000;
      assert.ok(neighbour.truncated.length > 0, "127.0.0.9 got no truncated answer during the flood of 127.0.0.1");
      assert.ok(neighbour.full.length <= RATE * seconds + 2, `127.0.0.9 got ${neighbour.full.length} of 60 full answers in ${seconds.toFixed(2)} s`);
    } finally {
      done = true;
      await running;
    }
  });

  test("TCP is never limited: 200 queries on one connection during the flood are all answered in full", async () => {
    let done = false;
    const running = flood(dns.port, LAPTOP, NAME, 30_000, 20, 10, () => done);
    await sleep(200);
    try {
      const c = await rawConnect(dns.port, LAPTOP);
      c.sock.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => frame(query(NAME, i)))));
      assert.ok(await waitFor(() => c.messages.length === 200, 5000), `${c.messages.length} of 200 answers over TCP`);
      for (const m of c.messages) {
        assert.equal(isTc(m), false);
        assert.equal(m.readUInt16BE(6), 2, "two answer records");
      }
      c.sock.destroy();
    } finally {
      done = true;
      await running;
    }
  });
});

describe("sources inside a modelled VNet", () => {
  // The flood of the tests above, at the same rate, from VNet addresses of the same landing zone.
  test("are exempt by default: 1,000 queries from a linked hub address and 1,000 from an unlinked spoke address are all answered in full", async () => {
    const before = { ...actions };
    for (const source of [HUB, SPOKE]) {
      const f = await flood(dns.port, source, NAME, 1000, 40, 10);
      assert.deepEqual([f.full.length, f.truncated.length], [1000, 0], `${source}: ${f.full.length} full, ${f.truncated.length} truncated of 1000`);
    }
    assert.deepEqual(actions, before, "nothing was dropped or slipped");
  });

  test("dnsRateLimitVnets \"limit\": the same flood from the hub address is limited like any other source", async () => {
    const limited = { dropped: 0, slipped: 0 };
    const strict = await startDns({ rateLimit: { responsesPerSecond: RATE, slip: 2, vnets: "limit" }, onRateLimit: (a) => { limited[a]++; } });
    try {
      const f = await flood(strict.port, HUB, NAME, 1000, 40, 10);
      const seconds = (f.lastReplyAt - f.firstSendAt) / 1000;
      assert.ok(f.full.length <= Math.ceil(RATE * (seconds + 1)) + 1, `${f.full.length} full answers in ${seconds.toFixed(2)} s`);
      assert.ok(f.truncated.length > 0 && limited.slipped > 0 && limited.dropped > 0, `truncated ${f.truncated.length}, ${JSON.stringify(limited)}`);
    } finally {
      await strict.stop();
    }
  });
});

describe("cove serve with its defaults", () => {
  let cove: TestCove;
  before(async () => { cove = await startCove(); });
  after(async () => { await cove.stop(); });

  test("limits at 100 per second (at most: one source port reaches one of its two sockets, each at 50) and counts dropped and slipped responses in GET /metrics", async () => {
    const port = Number(cove.credentials.dnsAddress.split(":").pop());
    const f = await flood(port, LAPTOP, `nosuch.${cove.suffix}`, 600, 40, 10);
    const seconds = (f.lastReplyAt - f.firstSendAt) / 1000;
    assert.ok(f.full.length <= Math.ceil(100 * (seconds + 1)) + 1, `${f.full.length} full answers in ${seconds.toFixed(2)} s`);
    assert.ok(f.truncated.length > 0, "no truncated answers");

    // The default is two UDP threads: a worker posts its counts every 250 ms, so read until every
    // query is accounted for (bounded), then check the split.
    const token = await managementToken(cove);
    let dropped = NaN;
    let slipped = NaN;
    for (let i = 0; i < 20; i++) {
      const r = await https(`${cove.managementUrl}/metrics`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      const text = r.body.toString("utf8");
      const value = (action: string) => Number(new RegExp(`^cove_dns_rrl_total\\{action="${action}"\\} (\\d+)`, "m").exec(text)?.[1] ?? NaN);
      dropped = value("dropped");
      slipped = value("slipped");
      if (f.full.length + dropped + slipped >= f.sent) break;
      await sleep(100);
    }
    assert.ok(slipped >= f.truncated.length && f.truncated.length >= slipped * 0.9, `metric slipped ${slipped}, TC answers received ${f.truncated.length}`);
    assert.ok(Math.abs(dropped - slipped) <= 1, `dropped ${dropped}, slipped ${slipped}`);
    assert.equal(f.full.length + dropped + slipped, f.sent, "every query was answered, dropped or slipped");
  });
});
