// Listeners follow the state (issue 4, items 1-2): a private endpoint's two IPs answer within a second
// of its creation, only to clients in its VNet or a peered one, only while its connection is
// Approved, only for its own registry; a rejection or deletion cuts connected clients; deletion
// closes the listeners (connection refused). Real sockets, real source addresses, "reset" mode.
import { test, before, after } from "node:test";
import { createServer } from "node:net";
import assert from "node:assert/strict";
import { freePort, startCove, type TestCove } from "../support/cove.js";
import { clients } from "../support/arm.js";
import {
  HUB_CLIENT, INTERNET_CLIENT, LONE_CLIENT, SPOKE_CLIENT, closesWithin, createEndpoint, curl, landingZone, request, within, type Zone,
} from "./landing-zone.js";

let cove: TestCove;
let zone: Zone;
const LOGIN_IP = "127.16.1.4";
const DATA_IP = "127.16.1.5";

before(async () => {
  cove = await startCove({ privateEndpointDenyMode: "reset", dnsListen: `127.0.0.1:${await freePort()}` });
  zone = await landingZone(cove);
});
after(async () => { await cove?.stop(); });

const ask = (ip: string, from: string, host = zone.loginHost, path = "/v2/") =>
  request({ ip, port: cove.registryPort, from, host, ca: cove.ca, path });

test("an endpoint's two IPs listen within a second of its creation; VNet and peered VNet reach /v2/, others are reset", async () => {
  assert.equal((await ask(LOGIN_IP, HUB_CLIENT)).kind, "refused", "nothing listens before the endpoint exists");
  await createEndpoint(zone, "hub-pe");
  const created = Date.now();
  for (const ip of [LOGIN_IP, DATA_IP]) {
    const ms = await within(1000, async () => (await ask(ip, HUB_CLIENT)).kind === "answer");
    assert.ok(ms >= 0 && Date.now() - created < 1000, `${ip} answers within a second`);
  }
  // 401 is the registry's challenge: the network let the request through to authentication. The
  // data endpoint serves blob downloads only; any HTTP answer there means the network let it through.
  for (const [ip, host] of [[LOGIN_IP, zone.loginHost], [DATA_IP, zone.dataHost]]) {
    for (const from of [HUB_CLIENT, SPOKE_CLIENT]) {
      const r = await ask(ip, from, host);
      assert.equal(r.kind, "answer", `${from} -> ${ip}`);
      if (ip === LOGIN_IP) assert.equal(r.kind === "answer" && r.status, 401, `${from} -> ${ip}`);
      if (r.kind === "answer") r.socket.destroy();
    }
    for (const from of [LONE_CLIENT, INTERNET_CLIENT]) assert.equal((await ask(ip, from, host)).kind, "reset", `${from} -> ${ip} is dropped`);
  }
  // A real client: curl from the spoke, the name pinned to the endpoint IP.
  const c = await curl(cove, { from: SPOKE_CLIENT, host: zone.loginHost, ip: LOGIN_IP, path: "/v2/" });
  assert.equal(c.status, 401, c.stderr);
  const lone = await curl(cove, { from: LONE_CLIENT, host: zone.loginHost, ip: LOGIN_IP, path: "/v2/" });
  assert.equal(lone.status, 0);
  assert.notEqual(lone.code, 0);
  assert.match(lone.stderr, /reset|SSL_ERROR_SYSCALL|connect/i, "curl sees the connection reset, no HTTP answer");
});

test("another registry's Host on this endpoint IP is refused, and a forged X-Forwarded-For changes nothing", async () => {
  const { acr } = clients(cove);
  await acr.registries.create("net-rg", "otheracr", { location: "westeurope", sku: { name: "Premium" } } as any);
  const r = await request({ ip: LOGIN_IP, port: cove.registryPort, from: HUB_CLIENT, host: `otheracr.${cove.suffix}`, ca: cove.ca });
  assert.equal(r.kind, "answer");
  assert.equal(r.kind === "answer" && r.status, 403);
  assert.equal(r.kind === "answer" && JSON.parse(r.body).errors[0].code, "DENIED");
  const forged = await request({ ip: LOGIN_IP, port: cove.registryPort, from: LONE_CLIENT, host: zone.loginHost, ca: cove.ca, headers: { "X-Forwarded-For": HUB_CLIENT } });
  assert.equal(forged.kind, "reset", "the socket address decides, not the header");
});

test("rejecting the connection cuts a connected client; new connections are dropped; approving again lets them in", async () => {
  const open = await ask(LOGIN_IP, SPOKE_CLIENT);
  assert.equal(open.kind, "answer");
  const { acr } = clients(cove);
  const [conn] = await collect(acr.privateEndpointConnections.list("net-rg", "contosoacr"));
  const cut = open.kind === "answer" ? closesWithin(open.socket, 1000) : Promise.resolve(false);
  await acr.privateEndpointConnections.beginCreateOrUpdateAndWait("net-rg", "contosoacr", conn.name!, { privateLinkServiceConnectionState: { status: "Rejected", description: "no" } } as any);
  assert.equal(await cut, true, "the open connection is cut within a second");
  assert.equal((await ask(LOGIN_IP, SPOKE_CLIENT)).kind, "reset");
  assert.equal((await ask(DATA_IP, HUB_CLIENT, zone.dataHost)).kind, "reset");
});

test("a Pending endpoint drops everyone until it is approved", async () => {
  const pe = await createEndpoint(zone, "pending-pe", true);
  const nicName = pe.networkInterfaces![0].id!.split("/").pop()!;
  const nic = await zone.net.networkInterfaces.get("net-rg", nicName);
  const ips = nic.ipConfigurations!.map((c) => c.privateIPAddress!);
  assert.equal(ips.length, 2);
  for (const ip of ips) assert.equal((await ask(ip, HUB_CLIENT)).kind, "reset", `${ip} while Pending`);
  const { acr } = clients(cove);
  const conns = await collect(acr.privateEndpointConnections.list("net-rg", "contosoacr"));
  const pending = conns.find((c) => c.privateLinkServiceConnectionState?.status === "Pending")!;
  await acr.privateEndpointConnections.beginCreateOrUpdateAndWait("net-rg", "contosoacr", pending.name!, { privateLinkServiceConnectionState: { status: "Approved", description: "ok" } } as any);
  for (const ip of ips) {
    const r = await ask(ip, HUB_CLIENT);
    assert.equal(r.kind === "answer" && r.status, 401, `${ip} once Approved`);
    if (r.kind === "answer") r.socket.destroy();
  }
});

test("deleting an endpoint cuts its connected clients and closes both listeners within a second", async () => {
  const nic = (await collect(zone.net.networkInterfaces.list("net-rg"))).find((n) => n.name!.startsWith("pending-pe"))!;
  const ips = nic.ipConfigurations!.map((c) => c.privateIPAddress!);
  const open = await ask(ips[0]!, SPOKE_CLIENT);
  assert.equal(open.kind, "answer");
  const cut = open.kind === "answer" ? closesWithin(open.socket, 1000) : Promise.resolve(false);
  await zone.net.privateEndpoints.beginDeleteAndWait("net-rg", "pending-pe");
  const deleted = Date.now();
  assert.equal(await cut, true, "the connected client is cut");
  for (const ip of ips) {
    const ms = await within(1000, async () => (await ask(ip, HUB_CLIENT)).kind === "refused");
    assert.ok(ms >= 0 && Date.now() - deleted < 1000, `${ip}: connection refused within a second`);
  }
});

test("an endpoint IP that cannot be bound is logged and retried at the next change, never fatal", async () => {
  // Another process holds the address the next endpoint will get (lowest free first: .6, .7 again).
  const blocker = createServer((s) => s.destroy());
  await new Promise<void>((ok) => blocker.listen(cove.registryPort, "127.16.1.6", ok));
  try {
    await createEndpoint(zone, "busy-pe");
    const data = await ask("127.16.1.7", HUB_CLIENT);
    assert.equal(data.kind === "answer" && data.status, 401, "the other IP of the endpoint serves");
    if (data.kind === "answer") data.socket.destroy();
    assert.equal((await ask("127.16.1.6", HUB_CLIENT)).kind, "reset", "the blocker, not Cove, answers there");
  } finally {
    await new Promise<void>((ok) => blocker.close(() => ok()));
  }
  // Any management write is a change: the address is bound now.
  await zone.net.virtualNetworks.beginCreateOrUpdateAndWait("net-rg", "another-vnet", { location: "westeurope", addressSpace: { addressPrefixes: ["127.20.0.0/16"] } });
  const r = await ask("127.16.1.6", HUB_CLIENT);
  assert.equal(r.kind === "answer" && r.status, 401);
  if (r.kind === "answer") r.socket.destroy();
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
