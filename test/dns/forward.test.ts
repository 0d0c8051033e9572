// Names outside Cove's zones go to the configured upstream (a tiny fake resolver on 127.0.0.1 here)
// and its answer is relayed; an upstream that stays silent gives SERVFAIL, not a hang.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import dnsPacket from "dns-packet";
import { dig } from "./dig.js";
import { HUB, LAPTOP, type Running, startDns } from "./scenario.js";

let upstream: dgram.Socket;
let silent: dgram.Socket;
let dns: Running;
let quiet: Running;
let asked: string[] = [];

async function bind(s: dgram.Socket): Promise<number> {
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
  return s.address().port;
}

before(async () => {
  upstream = dgram.createSocket("udp4");
  upstream.on("message", (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0]!;
    asked.push(question.name);
    const reply = dnsPacket.encode({
      type: "response", id: q.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: q.questions,
      answers: [{ name: question.name, type: "A", ttl: 42, class: "IN", data: "127.9.9.9" }],
    });
    upstream.send(reply, rinfo.port, rinfo.address);
  });
  silent = dgram.createSocket("udp4");
  silent.on("message", () => undefined);
  dns = await startDns({ upstream: { host: "127.0.0.1", port: await bind(upstream) } });
  quiet = await startDns({ upstream: { host: "127.0.0.1", port: await bind(silent) }, upstreamTimeoutMs: 300 });
});

after(async () => {
  await dns.stop();
  await quiet.stop();
  upstream.close();
  silent.close();
});

test("a name outside Cove's zones is forwarded and the upstream's answer relayed", async () => {
  asked = [];
  for (const transport of ["+notcp", "+tcp"]) {
    const r = await dig(dns.port, LAPTOP, "www.example.org", "A", transport);
    assert.equal(r.status, "NOERROR");
    assert.deepEqual(r.answer.map((a) => `${a[0]} ${a[1]} ${a[4]}`), ["www.example.org. 42 127.9.9.9"]);
    assert.ok(r.flags.includes("ra"));
  }
  assert.deepEqual(asked, ["www.example.org", "www.example.org"]);
});

test("Cove's own names are still answered by Cove, not the upstream", async () => {
  asked = [];
  const r = await dig(dns.port, HUB, "contoso.cove.test");
  assert.equal(r.answer[1]![4], "127.17.1.10");
  assert.ok(r.flags.includes("aa"));
  assert.deepEqual(asked, []);
});

test("an upstream that does not answer gives SERVFAIL after the timeout", async () => {
  const r = await dig(quiet.port, LAPTOP, "www.example.org");
  assert.equal(r.status, "SERVFAIL");
  assert.equal((await dig(quiet.port, LAPTOP, "contoso.cove.test")).status, "NOERROR", "still serving");
});
