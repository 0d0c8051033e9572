// Split-horizon answers as a real client sees them: `dig -b <source> @127.0.0.1 -p <port>` from a
// linked VNet, a NxDomainRedirect-linked VNet, an unlinked VNet and no VNet (DESIGN.md section 5).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { dig } from "./dig.js";
import { BIG_IPS, HUB, LAPTOP, PUBLIC_IP, REDIRECT, SPOKE, type Running, landingZone, startDns } from "./scenario.js";

let dns: Running;
before(async () => { dns = await startDns(); });
after(async () => { await dns.stop(); });

const rows = (r: { answer: string[][] }) => r.answer.map((a) => `${a[0]} ${a[1]} ${a[3]} ${a[4]}`);

describe("registry names", () => {
  test("linked VNet: CNAME to privatelink, then the zone's A record with its TTL", async () => {
    const r = await dig(dns.port, HUB, "contoso.cove.test");
    assert.equal(r.status, "NOERROR");
    assert.ok(r.flags.includes("aa"), r.raw);
    assert.deepEqual(rows(r), [
      "contoso.cove.test. 300 CNAME contoso.privatelink.cove.test.",
      "contoso.privatelink.cove.test. 10 A 127.17.1.10",
    ]);
  });

  test("linked VNet: the data endpoint name follows the same chain", async () => {
    const r = await dig(dns.port, HUB, "contoso.westus.data.cove.test");
    assert.deepEqual(rows(r), [
      "contoso.westus.data.cove.test. 300 CNAME contoso.westus.data.privatelink.cove.test.",
      "contoso.westus.data.privatelink.cove.test. 10 A 127.17.1.11",
    ]);
  });

  for (const [where, source] of [["unlinked VNet", SPOKE], ["no VNet", LAPTOP]] as const) {
    test(`${where}: CNAME to privatelink, then the public address`, async () => {
      const r = await dig(dns.port, source, "contoso.cove.test");
      assert.equal(r.status, "NOERROR");
      assert.deepEqual(rows(r), [
        "contoso.cove.test. 300 CNAME contoso.privatelink.cove.test.",
        `contoso.privatelink.cove.test. 10 A ${PUBLIC_IP}`,
      ]);
    });
  }

  test("linked VNet, record missing from the zone: NXDOMAIN with the zone's SOA", async () => {
    const r = await dig(dns.port, HUB, "fabrikam.cove.test");
    assert.equal(r.status, "NXDOMAIN");
    assert.deepEqual(rows(r), ["fabrikam.cove.test. 300 CNAME fabrikam.privatelink.cove.test."]);
    assert.equal(r.authority.length, 1);
    assert.deepEqual(r.authority[0]!.slice(0, 5), ["privatelink.cove.test.", "3600", "IN", "SOA", "azureprivatedns.net."]);
  });

  test("NxDomainRedirect link, record missing: the public answer", async () => {
    const r = await dig(dns.port, REDIRECT, "fabrikam.cove.test");
    assert.equal(r.status, "NOERROR");
    assert.deepEqual(rows(r), [
      "fabrikam.cove.test. 300 CNAME fabrikam.privatelink.cove.test.",
      `fabrikam.privatelink.cove.test. 10 A ${PUBLIC_IP}`,
    ]);
    const present = await dig(dns.port, REDIRECT, "contoso.cove.test");
    assert.equal(present.answer[1]![4], "127.17.1.10", "a record in the zone still answers privately");
  });

  test("unknown names under the suffix: NXDOMAIN with the suffix's SOA", async () => {
    for (const name of ["nosuchreg.cove.test", "contoso.eastus.data.cove.test", "fabrikam.eastus.data.cove.test"]) {
      const r = await dig(dns.port, LAPTOP, name);
      assert.equal(r.status, "NXDOMAIN", name);
      assert.equal(r.answer.length, 0, name);
      assert.deepEqual(r.authority[0]!.slice(0, 5), ["cove.test.", "300", "IN", "SOA", "ns1.cove.test."], name);
    }
  });

  test("privatelink names asked directly: from the zone when linked, public otherwise", async () => {
    const hub = await dig(dns.port, HUB, "contoso.privatelink.cove.test");
    assert.deepEqual(rows(hub), ["contoso.privatelink.cove.test. 10 A 127.17.1.10"]);
    const laptop = await dig(dns.port, LAPTOP, "contoso.privatelink.cove.test");
    assert.deepEqual(rows(laptop), [`contoso.privatelink.cove.test. 10 A ${PUBLIC_IP}`]);
    const nx = await dig(dns.port, LAPTOP, "nosuchreg.privatelink.cove.test");
    assert.equal(nx.status, "NXDOMAIN");
  });

  test("another private zone linked to the VNet answers there and is refused elsewhere", async () => {
    const hub = await dig(dns.port, HUB, "db.corp.internal");
    assert.deepEqual(rows(hub), ["db.corp.internal. 60 A 127.17.5.5"]);
    const missing = await dig(dns.port, HUB, "web.corp.internal");
    assert.equal(missing.status, "NXDOMAIN");
    assert.equal(missing.authority[0]![0], "corp.internal.");
    const laptop = await dig(dns.port, LAPTOP, "db.corp.internal");
    assert.equal(laptop.status, "REFUSED");
  });

  test("names are case-insensitive and the question is echoed as asked", async () => {
    const r = await dig(dns.port, HUB, "CoNtOsO.CoVe.TeSt");
    assert.equal(r.status, "NOERROR");
    assert.equal(r.question.split(/\s+/)[0], "CoNtOsO.CoVe.TeSt.");
    assert.equal(r.answer[1]![4], "127.17.1.10");
  });
});

describe("zone records and other types", () => {
  test("SOA and NS of the suffix, authoritative", async () => {
    const soa = await dig(dns.port, LAPTOP, "cove.test", "SOA");
    assert.ok(soa.flags.includes("aa"));
    assert.deepEqual(soa.answer[0]!.slice(0, 6), ["cove.test.", "300", "IN", "SOA", "ns1.cove.test.", "hostmaster.cove.test."]);
    const ns = await dig(dns.port, LAPTOP, "cove.test", "NS");
    assert.deepEqual(rows(ns), ["cove.test. 300 NS ns1.cove.test."]);
    const glue = await dig(dns.port, LAPTOP, "ns1.cove.test");
    assert.deepEqual(rows(glue), ["ns1.cove.test. 300 A 127.0.0.1"]);
  });

  test("SOA and NS of a private zone from a linked VNet; the public zone's from the internet", async () => {
    const hub = await dig(dns.port, HUB, "privatelink.cove.test", "SOA");
    assert.ok(hub.flags.includes("aa"));
    assert.deepEqual(hub.answer[0]!.slice(0, 11), ["privatelink.cove.test.", "3600", "IN", "SOA", "azureprivatedns.net.", "azureprivatedns-host.microsoft.com.", "1", "3600", "300", "2419200", "10"]);
    const ns = await dig(dns.port, HUB, "corp.internal", "NS");
    assert.deepEqual(rows(ns), ["corp.internal. 3600 NS azureprivatedns.net."]);
    const laptop = await dig(dns.port, LAPTOP, "privatelink.cove.test", "SOA");
    assert.equal(laptop.answer[0]![4], "ns1.cove.test.");
  });

  test("AAAA for existing names: NOERROR, no address, the SOA (NODATA)", async () => {
    const direct = await dig(dns.port, HUB, "contoso.privatelink.cove.test", "AAAA");
    assert.equal(direct.status, "NOERROR");
    assert.equal(direct.answer.length, 0);
    assert.equal(direct.authority[0]![3], "SOA");
    const chained = await dig(dns.port, LAPTOP, "contoso.cove.test", "AAAA");
    assert.equal(chained.status, "NOERROR");
    assert.deepEqual(chained.answer.map((a) => a[3]), ["CNAME"], "the CNAME, then no AAAA at its target");
    assert.equal(chained.authority[0]![0], "privatelink.cove.test.");
    const txt = await dig(dns.port, SPOKE, "contoso.privatelink.cove.test", "TXT");
    assert.equal(txt.status, "NOERROR");
    assert.equal(txt.answer.length, 0);
  });

  test("names outside Cove's zones are REFUSED without an upstream", async () => {
    const r = await dig(dns.port, LAPTOP, "example.org");
    assert.equal(r.status, "REFUSED");
    assert.equal(r.answer.length, 0);
  });
});

describe("transport", () => {
  test("TCP (+tcp) gives the same answer", async () => {
    const r = await dig(dns.port, HUB, "contoso.cove.test", "A", "+tcp");
    assert.deepEqual(rows(r), [
      "contoso.cove.test. 300 CNAME contoso.privatelink.cove.test.",
      "contoso.privatelink.cove.test. 10 A 127.17.1.10",
    ]);
  });

  test("EDNS(0): OPT in, OPT out with our UDP size; none without; BADVERS for version 1", async () => {
    const r = await dig(dns.port, HUB, "contoso.cove.test");
    assert.match(r.edns ?? "", /version: 0.*udp: 1232/);
    const plain = await dig(dns.port, HUB, "contoso.cove.test", "A", "+noedns");
    assert.equal(plain.edns, undefined);
    assert.equal(plain.answer.length, 2);
    const v1 = await dig(dns.port, HUB, "contoso.cove.test", "A", "+edns=1", "+noednsnegotiation");
    assert.equal(v1.status, "BADVERS");
  });

  test("an answer larger than the UDP size sets TC; dig retries over TCP", async () => {
    const classic = await dig(dns.port, HUB, "big.privatelink.cove.test", "A", "+noedns", "+ignore");
    assert.ok(classic.flags.includes("tc"), classic.raw);
    assert.equal(classic.answer.length, 0);
    const tiny = await dig(dns.port, HUB, "big.privatelink.cove.test", "A", "+bufsize=100", "+ignore");
    assert.ok(tiny.flags.includes("tc"), "sizes under 512 count as 512 (RFC 6891 section 6.2.5)");
    const retried = await dig(dns.port, HUB, "big.privatelink.cove.test", "A", "+noedns");
    assert.match(retried.raw, /Truncated, retrying in TCP mode/);
    assert.deepEqual(retried.answer.map((a) => a[4]).sort(), [...BIG_IPS].sort());
    const large = await dig(dns.port, HUB, "big.privatelink.cove.test", "A", "+bufsize=1232", "+notcp");
    assert.ok(!large.flags.includes("tc"));
    assert.equal(large.answer.length, BIG_IPS.length);
  });
});

describe("state changes", () => {
  test("the next query sees a changed record, a new link and a removed registry", async () => {
    const before = await dig(dns.port, HUB, "contoso.cove.test");
    assert.equal(before.answer[1]![4], "127.17.1.10");
    const s = landingZone();
    s.zones[0]!.records.contoso = { ttl: 10, ips: ["127.17.1.20"] };
    s.links[s.vnets[2]!.id] = [{ zone: "privatelink.cove.test", resolutionPolicy: "Default" }];
    dns.set(s);
    assert.equal((await dig(dns.port, HUB, "contoso.cove.test")).answer[1]![4], "127.17.1.20");
    assert.equal((await dig(dns.port, SPOKE, "contoso.cove.test")).answer[1]![4], "127.17.1.20", "spoke now linked");
    s.registries = s.registries.filter((r) => r.name !== "contoso");
    dns.set(s);
    assert.equal((await dig(dns.port, LAPTOP, "contoso.cove.test")).status, "NXDOMAIN");
    dns.set(landingZone());
  });

  test("queries are counted by view and rcode", async () => {
    dns.queries.length = 0;
    await dig(dns.port, HUB, "contoso.cove.test");
    await dig(dns.port, SPOKE, "contoso.cove.test");
    await dig(dns.port, LAPTOP, "example.org");
    await dig(dns.port, HUB, "fabrikam.cove.test");
    assert.deepEqual(dns.queries, [
      { view: "linked:hub", rcode: "NOERROR" },
      { view: "vnet:spoke", rcode: "NOERROR" },
      { view: "internet", rcode: "REFUSED" },
      { view: "linked:hub", rcode: "NXDOMAIN" },
    ]);
  });
});
