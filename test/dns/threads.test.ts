// dnsThreads > 1 as a user sees it: several UDP sockets on one port (SO_REUSEPORT), and `dig` from
// many source ports gets the same, current answers from every thread. After a management write is
// answered, no thread answers from the old view; /metrics shows which threads answered; each socket
// rate-limits at its share of the rate, so the sum over the threads keeps the limit; a crashed
// worker leaves the others answering; `cove serve` with threads stops and exits.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import dgram from "node:dgram";
import { pino } from "pino";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { createDnsServer, type DnsStateView } from "../../src/dns/index.js";
import { buildSnapshot, noNetworkFacts, type RegistryNetwork } from "../../src/network-policy/index.js";
import { freePort, spawnCove, startCove, type TestCove } from "../support/cove.js";
import { clients, credentialFor, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { dig, type DigResult } from "./dig.js";
import { registry } from "./fake-snapshot.js";
import { query } from "./tcp-client.js";

const CLIENT = "127.17.1.50"; // in the client VNet's subnet

/** `count` digs, ten at a time: each dig is its own process with its own random source port. */
async function digMany(count: number, port: number, source: string, name: string): Promise<DigResult[]> {
  const out: DigResult[] = [];
  for (let i = 0; i < count; i += 10) {
    out.push(...await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => dig(port, source, name))));
  }
  return out;
}

const lastA = (r: DigResult) => r.answer.filter((a) => a[3] === "A").map((a) => a[4]).join(",");

describe("dnsThreads 3 in a running Cove", () => {
  let cove: TestCove;
  let port: number;
  let dns: PrivateDnsManagementClient;
  before(async () => {
    cove = await startCove({ dnsThreads: "3" });
    port = Number(cove.credentials.dnsAddress.split(":").pop());
    const common = { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;
    const sub = cove.credentials.subscriptionId;
    const net = new NetworkManagementClient(credentialFor(cove), sub, common);
    dns = new PrivateDnsManagementClient(credentialFor(cove), sub, common);
    await clients(cove).resources.resourceGroups.createOrUpdate("net-rg", { location: "westeurope" });
    const vnet = await net.virtualNetworks.beginCreateOrUpdateAndWait("net-rg", "client-vnet", {
      location: "westeurope", addressSpace: { addressPrefixes: ["127.17.0.0/16"] }, subnets: [{ name: "clients", addressPrefix: "127.17.1.0/24" }],
    });
    await dns.privateZones.beginCreateOrUpdateAndWait("net-rg", "corp.internal", { location: "global" });
    await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("net-rg", "corp.internal", "client-link", { location: "global", virtualNetwork: { id: vnet.id }, registrationEnabled: false });
    await dns.recordSets.createOrUpdate("net-rg", "corp.internal", "A", "db", { ttl: 10, aRecords: [{ ipv4Address: "127.17.5.5" }] });
  });
  after(async () => { await cove?.stop(); });

  test("every query from 30 + 50 source ports answers, and after an answered write every one sees the new address; /metrics names the threads", async () => {
    // Every thread answers and caches the first address...
    const first = await digMany(30, port, CLIENT, "db.corp.internal");
    assert.deepEqual(first.map(lastA), Array(30).fill("127.17.5.5"), first.find((r) => lastA(r) !== "127.17.5.5")?.raw);
    // ...then a management write, answered: from now on, no thread may answer the old one.
    await dns.recordSets.createOrUpdate("net-rg", "corp.internal", "A", "db", { ttl: 10, aRecords: [{ ipv4Address: "127.17.5.6" }] });
    const next = await digMany(50, port, CLIENT, "db.corp.internal");
    assert.deepEqual(next.map(lastA), Array(50).fill("127.17.5.6"), next.find((r) => lastA(r) !== "127.17.5.6")?.raw);

    await new Promise((ok) => setTimeout(ok, 600)); // worker threads post their counts every 250 ms
    const token = await managementToken(cove);
    const text = (await https(`${cove.managementUrl}/metrics`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } })).body.toString("utf8");
    const series = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`, "gm"))].map((m) => ({ labels: m[1]!, n: Number(m[2]) }));
    const perThread = series("cove_dns_thread_queries_total");
    assert.ok(perThread.filter((s) => s.n > 0).length >= 2, `more than one thread answered:\n${perThread.map((s) => `${s.labels} ${s.n}`).join("\n")}`);
    const sum = (xs: { n: number }[]) => xs.reduce((a, x) => a + x.n, 0);
    assert.equal(sum(perThread), 80, "each answer counted once, by the thread that sent it");
    assert.equal(sum(series("cove_dns_queries_total")), 80, "the workers' batches reach cove_dns_queries_total");
  });
});

/** A hand-made state source: registries as facts, rebuilt into a snapshot as the state module does. */
function fakeState(registries: RegistryNetwork[]) {
  let version = 1;
  const make = (): DnsStateView => {
    const facts = { ...noNetworkFacts(), registries };
    return { network: buildSnapshot(facts, { suffix: "cove.test", publicAddress: "127.0.0.1", version }), facts: { network: facts } };
  };
  let view = make();
  const subscribers = new Set<(v: DnsStateView) => void | Promise<unknown>>();
  return {
    current: () => view,
    subscribe(cb: (v: DnsStateView) => void | Promise<unknown>) { subscribers.add(cb); return () => { subscribers.delete(cb); }; },
    /** Resolves when every subscriber (the DNS server's follow) has. */
    async set(next: RegistryNetwork[]) {
      registries = next; version++; view = make();
      await Promise.all([...subscribers].map((cb) => cb(view)));
    },
  };
}

test("a crashed worker is logged, the other sockets keep answering, and views no longer wait for it", async () => {
  const lines: string[] = [];
  const log = pino({ level: "warn" }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
  const state = fakeState([registry("contoso", "westus", false)]);
  const server = createDnsServer({
    listen: { host: "127.0.0.1", port: 0 }, state, threads: 3, log,
    workerScript: new URL("./crashing-worker.js", import.meta.url),
  });
  await server.start();
  try {
    const port = server.address().udp.port;
    for (let i = 0; i < 100 && !lines.some((l) => l.includes("dns worker thread exited")); i++) await new Promise((ok) => setTimeout(ok, 50));
    const crash = lines.find((l) => l.includes("dns worker thread exited"));
    assert.ok(crash, lines.join(""));
    assert.match(crash!, /deliberate crash of dns worker thread 1/);
    const before = await digMany(50, port, "127.0.0.1", "contoso.cove.test");
    assert.deepEqual(before.map((r) => r.status), Array(50).fill("NOERROR"));

    const t0 = performance.now();
    await state.set([registry("contoso", "westus", false), registry("fabrikam", "eastus", false)]);
    assert.ok(performance.now() - t0 < 1000, "the live thread acknowledged; nobody waited for the dead one");
    const after = await digMany(50, port, "127.0.0.1", "fabrikam.cove.test");
    assert.deepEqual(after.map((r) => `${r.status} ${lastA(r)}`), Array(50).fill("NOERROR 127.0.0.1"));
  } finally {
    await server.stop();
  }
});

/** Sends one query from each of `sockets` UDP sockets, `each` times; counts the full answers within 300 ms. */
async function burst(port: number, sockets: number, each: number): Promise<number> {
  let full = 0;
  const socks = await Promise.all(Array.from({ length: sockets }, async () => {
    const sock = dgram.createSocket("udp4");
    sock.on("message", (m) => { if (!(m[2]! & 0x02)) full++; });
    await new Promise<void>((ok) => sock.bind(0, "127.0.0.1", () => ok()));
    return sock;
  }));
  for (let i = 0; i < each; i++) for (const sock of socks) sock.send(query("contoso.cove.test", i), port, "127.0.0.1");
  await new Promise((ok) => setTimeout(ok, 300));
  for (const sock of socks) sock.close();
  return full;
}

test("rate limiting with 2 threads: each socket takes its share, so one source port gets rate / 2 and many ports rate in all", async () => {
  const state = fakeState([registry("contoso", "westus", false)]);
  const server = createDnsServer({
    listen: { host: "127.0.0.1", port: 0 }, state, threads: 2, log: pino({ level: "silent" }),
    rateLimit: { responsesPerSecond: 20, slip: 0 },
  });
  await server.start();
  try {
    const port = server.address().udp.port;
    // One port reaches one socket: its bucket holds 10 (20 / 2), refilled at 10/s during the burst.
    const one = await burst(port, 1, 60);
    assert.ok(one >= 10 && one <= 12, `one source port: ${one} full answers`);
    await new Promise((ok) => setTimeout(ok, 2100)); // both buckets full again
    // 60 ports spread over both sockets: at most 20 in all, more than one socket's 10.
    const many = await burst(port, 60, 1);
    assert.ok(many > 12 && many <= 22, `60 source ports: ${many} full answers`);
  } finally {
    await server.stop();
  }
});

test("cove serve with dnsThreads 3 answers, then stops on SIGTERM and exits: no thread left behind", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-dns-threads-"));
  try {
    const cove = await spawnCove(dataDir, await freePort(), await freePort(), { COVE_DNS_THREADS: "3" });
    const port = Number(cove.credentials.dnsAddress.split(":").pop());
    const r = await digMany(10, port, "127.0.0.1", "ns1.cove.test");
    assert.deepEqual(r.map((x) => x.status), Array(10).fill("NOERROR"));
    const t0 = performance.now();
    cove.child.kill("SIGTERM");
    const timer = setTimeout(() => cove.child.kill("SIGKILL"), 10_000);
    const code = await cove.waitExit();
    clearTimeout(timer);
    assert.equal(code, 0, "exited by itself, cleanly");
    assert.ok(performance.now() - t0 < 8000);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
