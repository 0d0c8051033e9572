// `node dist/bench/dns-bench.js`: Cove's DNS server against dnsmasq in ONE run, same machine, same
// client (dnsperf), same query (target: Cove / dnsmasq >= 1.0 in queries per second, with response
// rate limiting on at its default). Not part of `npm test`. Rewrites the "## DNS" section of
// docs/benchmarks.md.
//
// Cove runs as `cove serve` (a separate process, like dnsmasq) with a landing zone made through
// Microsoft's SDKs: a hub VNet holding the registry's private endpoint, a client VNet peered to it
// and linked to privatelink.<suffix>, the zone group writing the A records. dnsperf sends from
// 127.17.1.10 (`-a`), an address of the client VNet's subnet, so every query is answered from the
// LINKED view: CNAME <r>.privatelink.<suffix>, then the zone's A record (the real code path).
// dnsmasq is given the same two records (--host-record + --cname), so both answers hold the same
// CNAME and A. Loopback only; every process is bounded and killed at the end.
// Cove keeps its defaults, response rate limiting included (100 answers/s per /24 and kind), under
// which a source inside a modelled VNet is exempt (dnsRateLimitVnets: exempt, docs/dns.md). The bench
// checks both halves: no answer to the VNet client was withheld, and a short flood from 127.0.0.1 (in
// no VNet) is cut to the limit.
// Cove is measured with each of BENCH_DNS_THREADS (default 1,2,3: dnsThreads, restarted on the same
// data dir), dnsmasq before and after them (the peer's figure is the mean of the two), and a
// fixed-answer Node responder as Node's own ceiling. dnsperf acts as CLIENTS clients (each its own
// source port), since the kernel spreads queries over Cove's SO_REUSEPORT sockets by source port.
// For each run: queries/s, where the two cores went (the server, dnsperf, the machine), and p50/p99
// at a fixed offered rate below every server's capacity.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createSocket } from "node:dgram";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { freePort } from "../test/support/cove.js";
import { latency, throughput, type Latency, type Target, type Throughput } from "./support/dnsperf.js";
import { https } from "../test/support/http.js";
import { clients, createRegistry, credentialFor, managementToken } from "../test/support/arm.js";
import { replaceSection } from "./report-section.js";
import { FIELDS } from "../src/config/schema.js";

const DEFAULT_THREADS = FIELDS.find((x) => x.key === "dnsThreads")!.default as number;

const exec = promisify(execFile);
const SECONDS = Number(process.env.BENCH_DNS_SECONDS ?? 20);
const THREADS = (process.env.BENCH_DNS_THREADS ?? "1,2,3").split(",").map(Number);
const LATENCY_SECONDS = 5;
const LATENCY_QPS = 10_000;
const CLIENT_IP = "127.17.1.10"; // in the client VNet's subnet 127.17.1.0/24
const OUTSIDE_IP = "127.0.0.1"; // in no VNet: rate limited
const CLIENTS = 16;
const REGISTRY = "benchacr";
// A directory: Cove runs with --cpu-prof and is stopped with SIGTERM so the profile is written there.
const PROFILE_DIR = process.env.BENCH_CPU_PROF;

/** The answer section as dig prints it (+short), from the client address. */
async function dig(port: number, name: string): Promise<string[]> {
  const { stdout } = await exec("dig", ["+short", "+tries=1", "+time=2", "-b", CLIENT_IP, "-p", String(port), "@127.0.0.1", name, "A"]);
  return stdout.trim().split("\n").filter(Boolean);
}

async function landingZone(cove: { credentials: any; ca: string; managementUrl: string }) {
  const sub = cove.credentials.subscriptionId as string;
  const common = { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;
  const reg = await createRegistry(cove as any, "acr-rg", REGISTRY);
  const loginName = reg.loginServer.replace(/:\d+$/, "");
  const suffix = loginName.slice(REGISTRY.length + 1);
  const net = new NetworkManagementClient(credentialFor(cove as any), sub, common);
  const dns = new PrivateDnsManagementClient(credentialFor(cove as any), sub, common);
  await clients(cove as any).resources.resourceGroups.createOrUpdate("net-rg", { location: "westeurope" });
  const vnet = (name: string, prefix: string, subnet: string, subnetPrefix: string) =>
    net.virtualNetworks.beginCreateOrUpdateAndWait("net-rg", name, {
      location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
      subnets: [{ name: subnet, addressPrefix: subnetPrefix, privateEndpointNetworkPolicies: "Disabled" }],
    });
  const hub = await vnet("hub-vnet", "127.16.0.0/16", "pe-subnet", "127.16.1.0/24");
  const spoke = await vnet("client-vnet", "127.17.0.0/16", "clients", "127.17.1.0/24");
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", "hub-vnet", "hub-to-client", { remoteVirtualNetwork: { id: spoke.id }, allowVirtualNetworkAccess: true });
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", "client-vnet", "client-to-hub", { remoteVirtualNetwork: { id: hub.id }, allowVirtualNetworkAccess: true });
  await net.privateEndpoints.beginCreateOrUpdateAndWait("net-rg", "hub-acr-pe", {
    location: "westeurope", subnet: { id: `${hub.id}/subnets/pe-subnet` },
    privateLinkServiceConnections: [{ name: "hub-acr", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
  });
  const zoneName = `privatelink.${suffix}`;
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait("net-rg", zoneName, { location: "global" });
  await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait("net-rg", "hub-acr-pe", "default", {
    privateDnsZoneConfigs: [{ name: "privatelink", privateDnsZoneId: zone.id }],
  });
  await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait("net-rg", zoneName, "client-link", { location: "global", virtualNetwork: { id: spoke.id }, registrationEnabled: false });
  const record = await dns.recordSets.get("net-rg", zoneName, "A", REGISTRY);
  const ip = record.aRecords?.[0]?.ipv4Address;
  if (!ip) throw new Error("the zone group wrote no A record for the login server");
  return { loginName, privateName: `${REGISTRY}.${zoneName}`, ip };
}

interface DnsCounts { perThread: Record<string, number>; dropped: number; slipped: number }

/** From /metrics: answers per thread (did the kernel spread the load?) and responses RRL withheld. */
async function dnsCounts(cove: { credentials: any; ca: string; managementUrl: string }): Promise<DnsCounts> {
  const token = await managementToken(cove as any);
  const text = (await https(`${cove.managementUrl}/metrics`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } })).body.toString("utf8");
  const perThread: Record<string, number> = {};
  for (const m of text.matchAll(/^cove_dns_thread_queries_total\{thread="(\d+)"\} (\d+)/gm)) perThread[m[1]!] = Number(m[2]);
  const rrl = (action: string) => Number(new RegExp(`^cove_dns_rrl_total\\{action="${action}"\\} (\\d+)`, "m").exec(text)?.[1] ?? NaN);
  return { perThread, dropped: rrl("dropped"), slipped: rrl("slipped") };
}

/** A query for name A IN, id 0, RD set, without EDNS (as dnsperf sends it). */
function queryFor(name: string): Buffer {
  const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, "latin1")]);
  return Buffer.concat([Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

async function askOnce(port: number, msg: Buffer): Promise<Buffer> {
  const sock = createSocket("udp4");
  try {
    return await new Promise<Buffer>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("no answer")), 2000);
      sock.once("message", (m) => { clearTimeout(timer); ok(m); });
      sock.send(msg, port, "127.0.0.1");
    });
  } finally {
    sock.close();
  }
}

// The machine's ceiling for a DNS server written on Node's dgram (reference/baselines.md measures one
// too): a responder that copies the query id into a fixed answer (dnsmasq's own bytes) and sends it.
const FIXED_RESPONDER = `
import { createSocket } from "node:dgram";
const [port, hex] = process.argv.slice(1);
const template = Buffer.from(hex, "hex");
const sock = createSocket("udp4");
sock.on("message", (msg, r) => { const out = Buffer.from(template); out[0] = msg[0]; out[1] = msg[1]; sock.send(out, r.port, r.address); });
sock.bind(Number(port), "127.0.0.1", () => process.stdout.write("ready\\n"));
`;

async function fixedResponder(port: number, answer: Buffer): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", FIXED_RESPONDER, String(port), answer.toString("hex")], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((ok, fail) => {
    child.stdout!.once("data", () => ok());
    child.once("exit", (code) => fail(new Error(`fixed responder exited with ${code}`)));
  });
  return child;
}

/** `cove serve` as a child process (node flags are not allowed in NODE_OPTIONS, so not spawnCove). */
async function serveCove(dataDir: string, dnsPort: number, threads: number): Promise<{ child: ChildProcess; credentials: any }> {
  const mport = await freePort();
  const child = spawn(process.execPath, [
    ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
    "bin/cove.js", "serve", "--data-dir", dataDir, "--management-listen", `127.0.0.1:${mport}`, "--registry-port", String(await freePort()),
  ], { env: { ...process.env, COVE_LOG_LEVEL: "error", COVE_DNS_LISTEN: `127.0.0.1:${dnsPort}`, COVE_DNS_THREADS: String(threads) }, stdio: ["ignore", "inherit", "inherit"] });
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`cove serve exited with ${child.exitCode}`);
    try {
      const credentials = JSON.parse(await readFile(join(dataDir, "credentials.json"), "utf8"));
      const ca = await readFile(credentials.caCertPath, "utf8");
      // A restart on the same data dir reads the first start's credentials.json: name this start's port.
      const url = `https://127.0.0.1:${mport}`;
      if ((await https(`${url}/healthz`, { ca })).status === 200) return { child, credentials: { ...credentials, managementEndpoint: url, authorityHost: url } };
    } catch { /* not ready yet */ }
    await sleep(50);
  }
  child.kill("SIGKILL");
  throw new Error("cove serve did not become ready within 10 s");
}

interface Run { who: string; tp: Throughput; lat: Latency }

async function measure(who: string, t: Target, queries: string, pid: number): Promise<Run> {
  console.error(`dns-bench: ${who}: ${SECONDS} s saturating, then ${LATENCY_SECONDS} s at ${LATENCY_QPS} queries/s`);
  const tp = await throughput(t, queries, SECONDS, pid);
  const lat = await latency(t, queries, LATENCY_SECONDS, LATENCY_QPS);
  return { who, tp, lat };
}

interface CoveRun extends Run { threads: number; counts: DnsCounts }

async function main() {
  const work = await mkdtemp(join(tmpdir(), "cove-dns-bench-"));
  const children: ChildProcess[] = [];
  try {
    const coveDns = await freePort();
    let cove = await serveCove(join(work, "cove"), coveDns, THREADS[0]!);
    children.push(cove.child);
    const ca = await readFile(cove.credentials.caCertPath, "utf8");
    const mgmt = () => ({ credentials: cove.credentials, ca, managementUrl: cove.credentials.managementEndpoint });
    console.error("dns-bench: landing zone through the SDKs");
    const lz = await landingZone(mgmt());

    const masqPort = await freePort();
    const masq = spawn("dnsmasq", [
      "-k", "--no-resolv", "--no-hosts", "--pid-file=", `--port=${masqPort}`, "--listen-address=127.0.0.1", "--bind-interfaces",
      "--log-facility=-", `--host-record=${lz.privateName},${lz.ip}`, `--cname=${lz.loginName},${lz.privateName}`,
    ], { stdio: ["ignore", "ignore", "inherit"] });
    children.push(masq);

    // Both must give the same answer before anything is measured.
    const expected = [`${lz.privateName}.`, lz.ip];
    let masqAnswer: string[] = [];
    for (let i = 0; i < 50 && masqAnswer.length === 0; i++) {
      masqAnswer = await dig(masqPort, lz.loginName).catch(() => []);
      if (masqAnswer.length === 0) await sleep(100);
    }
    const fixedPort = await freePort();
    const fixedChild = await fixedResponder(fixedPort, await askOnce(masqPort, queryFor(lz.loginName)));
    children.push(fixedChild);
    for (const [who, got] of [["cove", await dig(coveDns, lz.loginName)], ["dnsmasq", masqAnswer], ["the fixed responder", await dig(fixedPort, lz.loginName)]] as const) {
      if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`${who} answers ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    }

    const queries = join(work, "queries.txt");
    await writeFile(queries, `${lz.loginName} A\n`);
    const at = (port: number): Target => ({ port, source: CLIENT_IP, clients: CLIENTS });
    const peerBefore = await measure("dnsmasq", at(masqPort), queries, masq.pid!);

    const coveRuns: CoveRun[] = [];
    let rrlCheck: { seconds: number; completed: number; sent: number; dropped: number; slipped: number } | undefined;
    for (const [i, threads] of THREADS.entries()) {
      if (i > 0) {
        const exited = new Promise((ok) => cove.child.once("exit", ok));
        cove.child.kill("SIGTERM");
        await exited;
        cove = await serveCove(join(work, "cove"), coveDns, threads);
        children.push(cove.child);
        const again = await dig(coveDns, lz.loginName);
        if (JSON.stringify(again) !== JSON.stringify(expected)) throw new Error(`cove with ${threads} threads answers ${JSON.stringify(again)}`);
      }
      const run = await measure(`Cove, dnsThreads ${threads}`, at(coveDns), queries, cove.child.pid!);
      await sleep(500); // the workers' counts arrive every 250 ms
      const counts = await dnsCounts(mgmt());
      if (counts.dropped !== 0 || counts.slipped !== 0) throw new Error(`RRL withheld answers to the VNet client: ${JSON.stringify(counts)}`);
      coveRuns.push({ ...run, threads, counts });
      if (i === 0) {
        // The limit is on: the same query from an address in no VNet, 2 s at full speed.
        const flood = await throughput({ port: coveDns, source: OUTSIDE_IP, clients: 1 }, queries, 2, cove.child.pid!);
        await sleep(500);
        const after = await dnsCounts(mgmt());
        rrlCheck = { seconds: 2, completed: flood.completed, sent: flood.sent, dropped: after.dropped, slipped: after.slipped };
        if (after.dropped === 0) throw new Error(`a flood from ${OUTSIDE_IP} was not limited: ${JSON.stringify(after)}`);
      }
    }
    const peerAfter = await measure("dnsmasq (again)", at(masqPort), queries, masq.pid!);
    const fixed = await measure("fixed-answer Node responder", at(fixedPort), queries, fixedChild.pid!);
    if (PROFILE_DIR) {
      cove.child.kill("SIGTERM");
      await new Promise((ok) => cove.child.once("exit", ok));
      console.error(`dns-bench: Cove's CPU profiles are in ${PROFILE_DIR}`);
    }
    const version = (await exec("dnsmasq", ["--version"])).stdout.split("\n")[0]!.replace(/ Copyright.*$/, "").trim();
    const dnsperfVersion = ((await exec("dnsperf", ["-h"]).catch((e) => e)).stdout as string ?? "").match(/Version\s+(\S+)/)?.[1] ?? "?";
    const peerQps = (peerBefore.tp.qps + peerAfter.tp.qps) / 2;
    const results = { coveRuns, peerBefore, peerAfter, fixed, peerQps, rrlCheck: rrlCheck!, node: process.version, dnsmasqVersion: version, dnsperfVersion, answer: expected };
    console.log(JSON.stringify(results, null, 2));
    await writeReport(results, lz.loginName);
    if (Math.max(...coveRuns.map((r) => r.tp.qps)) / peerQps < 1) process.exitCode = 1;
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await rm(work, { recursive: true, force: true });
  }
}

async function writeReport(r: { coveRuns: CoveRun[]; peerBefore: Run; peerAfter: Run; fixed: Run; peerQps: number; rrlCheck: { seconds: number; completed: number; sent: number; dropped: number; slipped: number }; node: string; dnsmasqVersion: string; dnsperfVersion: string }, name: string) {
  const f = (n: number, d = 0) => n.toFixed(d);
  const row = (who: string, x: Run, ratio?: number) =>
    `| ${who} | ${f(x.tp.qps)} | ${ratio === undefined ? "" : f(ratio, 2)} | ${f(x.tp.avgLatencyMs, 3)} ms | ${f(x.lat.p50Ms, 3)} / ${f(x.lat.p99Ms, 3)} ms | ` +
    `${f(x.tp.serverCores, 2)} | ${f(x.tp.dnsperfCores, 2)} | ${f(x.tp.machineBusyCores, 2)} of ${f(x.tp.machineCores, 1)} | ${x.tp.completed}/${x.tp.sent} (${x.tp.lost} lost) |`;
  const best = r.coveRuns.reduce((a, b) => (b.tp.qps > a.tp.qps ? b : a));
  const bestRatio = best.tp.qps / r.peerQps;
  const c = r.rrlCheck;
  await replaceSection("docs/benchmarks.md", "dns", [
    "## DNS",
    "",
    `Measured ${new Date().toISOString()} by \`node dist/bench/dns-bench.js\` (bench/dns-bench.ts): Cove (\`cove serve\`, Node ${r.node})`,
    `and ${r.dnsmasqVersion} **in the same run**, each loaded by dnsperf ${r.dnsperfVersion} for ${SECONDS} s with the same query file`,
    `(\`${name} A\`, ${CLIENTS} clients (\`-c ${CLIENTS}\`: ${CLIENTS} source ports), dnsperf's default 100 outstanding queries, UDP) from \`-a ${CLIENT_IP}\`, an address`,
    "of a client VNet linked to `privatelink.<suffix>` in a landing zone made through the SDKs, so Cove answers from",
    "the linked view (CNAME to the privatelink name, then the zone's A record). dnsmasq holds the same CNAME and A",
    "(`--host-record`, `--cname`), so both answers hold the same two records (TTLs differ). Servers and dnsperf share the machine's cores.",
    "Cove runs with its defaults, **response rate limiting on** (100 answers/s per /24 and kind), under which a client inside a",
    "modelled VNet is exempt (`dnsRateLimitVnets: exempt`, docs/dns.md). Checked in the run: no answer to the VNet client was",
    `withheld in any Cove run, and ${c.seconds} s of the same query from ${OUTSIDE_IP} (in no VNet) got ${c.completed} of ${c.sent} answered`,
    `(full or truncated), with \`cove_dns_rrl_total\` dropped ${c.dropped}, slipped ${c.slipped}.`,
    `Latency p50 / p99: a second dnsperf run of ${LATENCY_SECONDS} s at a fixed ${LATENCY_QPS} queries/s offered (\`-Q\`, \`-v\`), under every server's capacity.`,
    "Cores: CPU seconds per second of wall time over the saturating run, from /proc (the server process, all its threads; dnsperf; the whole machine).",
    "",
    "| server | queries/s | / dnsmasq | average latency (saturated) | p50 / p99 at the fixed rate | server cores | dnsperf cores | machine busy | completed/sent |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    row("dnsmasq (before Cove)", r.peerBefore),
    ...r.coveRuns.map((x) => row(`Cove, \`dnsThreads: ${x.threads}\`${x.threads === DEFAULT_THREADS ? " (default)" : ""}`, x, x.tp.qps / r.peerQps)),
    row("dnsmasq (after Cove)", r.peerAfter),
    row("fixed-answer Node `dgram` responder (Node's ceiling)", r.fixed, r.fixed.tp.qps / r.peerQps),
    "",
    `Ratio Cove / dnsmasq queries per second (dnsmasq: the mean of its two runs, ${f(r.peerQps)}): **${f(bestRatio, 2)}** at best, with`,
    `\`dnsThreads: ${best.threads}\` (target >= 1.0): ${bestRatio >= 1 ? "met" : "**missed**"}. Answers per thread (\`cove_dns_thread_queries_total\`):`,
    ...r.coveRuns.filter((x) => x.threads > 1).map((x) => `- ${x.threads} threads: ${Object.entries(x.counts.perThread).map(([t, n]) => `thread ${t} ${n}`).join(", ")}`),
  ]);
}

await main();
