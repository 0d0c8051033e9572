// Issue 13's "approve a connection through B, and check that A enforces it and A's DNS answers it
// within 1 s", on three `cove serve` nodes sharing one PostgreSQL. On one host every node wants the
// same endpoint IP and registry port, so the first to bind holds it: node A starts alone and makes
// the private endpoint, B and C start after it (their bind fails, EADDRINUSE, and is retried at every
// change). The writes then go through B only, with a token A minted; what is measured is the time
// from B's answer to A acting on it: A's DNS answering the endpoint IP to a client of the VNet, and
// A's listener letting that client's held connection through.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { armCall, armOk, makeRegistry, managementTokenFrom, startNodes, type Cluster, type CoveNode } from "../support/nodes.js";
import { request, type Outcome } from "../listeners/landing-zone.js";

const NET_V = "api-version=2025-05-01";
const DNS_V = "api-version=2020-06-01";
const CLIENT = "127.114.2.10";
const OUTSIDER = "127.0.0.78";
const ENFORCED_WITHIN_MS = 1000;
let pg: TestPostgres;
let work: string;
let cluster: Cluster;
let a: CoveNode, b: CoveNode;
let token: string;

before(async () => {
  pg = await startPostgres();
  work = await mkdtemp(join(tmpdir(), "cove-scale-net-"));
  cluster = await startNodes({ workDir: work, env: { COVE_METADATA_URL: await pg.createDatabase("cove_scale_net") }, first: ["a"] });
  a = cluster.nodes[0]!;
  token = await managementTokenFrom(a, cluster.ca);
});

after(async () => {
  await cluster?.stop();
  await pg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** One A query to the DNS server at `ip:port`, sent from `from`: the rcode and the A records. */
function resolveA(ip: string, port: number, from: string, name: string): Promise<{ rcode: string; ips: string[] }> {
  return new Promise((ok, fail) => {
    const s = dgram.createSocket("udp4");
    const timer = setTimeout(() => { s.close(); fail(new Error(`no DNS answer from ${ip}:${port} in 2 s`)); }, 2000);
    s.once("error", (e) => { clearTimeout(timer); s.close(); fail(e); });
    s.once("message", (m) => {
      clearTimeout(timer);
      s.close();
      const r = dnsPacket.decode(m) as { rcode?: string; answers?: { type: string; data: unknown }[] };
      ok({ rcode: r.rcode ?? "", ips: (r.answers ?? []).filter((x) => x.type === "A").map((x) => String(x.data)) });
    });
    s.bind({ address: from, port: 0 }, () => s.send(dnsPacket.encode({ type: "query", id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] }), port, ip));
  });
}

/** Polls `probe` every 10 ms for at most `ms`; the ms it took, or -1. Bounded in tries too. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < 1000 && performance.now() - start <= ms; i++) {
    if (await probe()) return Math.round(performance.now() - start);
    await new Promise((r) => setTimeout(r, 10));
  }
  return -1;
}

test("a connection approved through B is enforced by A's listener, and a zone group made through B is answered by A's DNS, within 1 s", async () => {
  const sub = `/subscriptions/${a.credentials.subscriptionId}`;
  const rg = `${sub}/resourceGroups/scale-net`;
  const reg = await makeRegistry(a, cluster.ca, token, "scale-net", "scalenetreg");
  const net = `${rg}/providers/Microsoft.Network`;
  await armOk(a, cluster.ca, token, "PUT", `${net}/virtualNetworks/hub?${NET_V}`, {
    location: "westeurope",
    properties: { addressSpace: { addressPrefixes: ["127.114.0.0/16"] }, subnets: [{ name: "pe", properties: { addressPrefix: "127.114.1.0/24" } }, { name: "agents", properties: { addressPrefix: "127.114.2.0/24" } }] },
  });
  const zone = `${net}/privateDnsZones/privatelink.cove.test`;
  await armOk(a, cluster.ca, token, "PUT", `${zone}?${DNS_V}`, { location: "global" });
  await armOk(a, cluster.ca, token, "PUT", `${zone}/virtualNetworkLinks/hub-link?${DNS_V}`, { location: "global", properties: { virtualNetwork: { id: `${net}/virtualNetworks/hub` }, registrationEnabled: false } });
  const pe = await armOk(a, cluster.ca, token, "PUT", `${net}/privateEndpoints/pe1?${NET_V}`, {
    location: "westeurope",
    properties: { subnet: { id: `${net}/virtualNetworks/hub/subnets/pe` }, manualPrivateLinkServiceConnections: [{ name: "c", properties: { privateLinkServiceId: reg.id, groupIds: ["registry"], requestMessage: "please" } }] },
  });
  const loginIp = pe.properties.customDnsConfigs.find((d: any) => d.fqdn === reg.host).ipAddresses[0] as string;
  const status = (node: CoveNode) => armOk(node, cluster.ca, token, "GET", `${net}/privateEndpoints/pe1?${NET_V}`)
    .then((x) => x.properties.listenerStatus.find((l: any) => l.ipAddress === loginIp));
  assert.equal((await status(a)).state, "Listening", "A holds the endpoint IP");

  await cluster.launch("b", "c");
  b = cluster.nodes[1]!;
  const other = await status(b);
  assert.equal(other.state, "Failed", "B finds the endpoint IP taken");
  assert.match(other.error, /EADDRINUSE/);
  // Before: A's DNS has no record for the client (the zone is linked, empty), and A holds the client's connection.
  assert.equal((await resolveA(a.ip, a.dnsPort, CLIENT, reg.host)).rcode, "NXDOMAIN");
  const probe = (from: string, timeoutMs: number): Promise<Outcome> => request({ ip: loginIp, port: cluster.registryPort, from, host: reg.host, ca: cluster.ca, timeoutMs });
  const held = probe(CLIENT, 10_000);
  let heldAnswered = false;
  let answeredAt = 0;
  void held.then(() => { heldAnswered = true; answeredAt = performance.now(); });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(heldAnswered, false, "a Pending connection's client is held without an answer");

  // The zone group, through B: A's DNS answers the endpoint IP.
  const group = await armCall(b, cluster.ca, token, "PUT", `${net}/privateEndpoints/pe1/privateDnsZoneGroups/default?${NET_V}`, {
    properties: { privateDnsZoneConfigs: [{ name: "registry", properties: { privateDnsZoneId: zone } }] },
  });
  assert.ok(group.status === 200 || group.status === 201, `zone group through B: ${group.status} ${group.body}`);
  const dnsMs = await within(ENFORCED_WITHIN_MS, async () => (await resolveA(a.ip, a.dnsPort, CLIENT, reg.host)).ips.includes(loginIp));
  console.log(`B's zone group answered by A's DNS after ${dnsMs} ms`);
  assert.ok(dnsMs >= 0, `A's DNS answers ${loginIp} within ${ENFORCED_WITHIN_MS} ms of B's answer`);

  // The approval, through B: A lets the held connection through.
  const conns = (await armOk(b, cluster.ca, token, "GET", `${reg.id}/privateEndpointConnections?api-version=2025-11-01`)).value as any[];
  assert.equal(conns.length, 1);
  const sentAt = performance.now();
  const approve = await armCall(b, cluster.ca, token, "PUT", `${reg.id}/privateEndpointConnections/${conns[0].name}?api-version=2025-11-01`, {
    properties: { privateLinkServiceConnectionState: { status: "Approved", description: "approved through B" } },
  });
  const approvedAt = performance.now();
  assert.equal(approve.status, 200, approve.body.toString());
  const outcome = await held;
  // The held connection may be let through before B has answered: then it took no time at all after it.
  const enforcedMs = Math.max(0, Math.round(answeredAt - approvedAt));
  console.log(`B's approval enforced by A's listener ${enforcedMs} ms after B's answer (${Math.round(answeredAt - sentAt)} ms after the PUT was sent, B answered in ${Math.round(approvedAt - sentAt)} ms)`);
  assert.equal(outcome.kind, "answer", `the held connection got through: ${outcome.kind}`);
  if (outcome.kind === "answer") { assert.equal(outcome.status, 401, "the registry's challenge"); outcome.socket.destroy(); }
  assert.ok(enforcedMs < ENFORCED_WITHIN_MS, `A enforces B's approval within ${ENFORCED_WITHIN_MS} ms (took ${enforcedMs})`);

  // A new connection of the client gets through at once; a client outside the VNet is still held.
  const fresh = await probe(CLIENT, 3000);
  assert.equal(fresh.kind === "answer" && fresh.status, 401);
  if (fresh.kind === "answer") fresh.socket.destroy();
  assert.equal((await probe(OUTSIDER, 1000)).kind, "timeout", "a client in no VNet is still dropped");
});
