// privateEndpointDenyMode "drop" (the default): a client outside the endpoint's networks connects,
// then waits for an answer that never comes, the `i/o timeout` of Azure; the held socket shows in
// /metrics, and an approval lets a waiting client through (as a retransmitted SYN would in Azure).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { freePort, startCove, type TestCove } from "../support/cove.js";
import { clients, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { HUB_CLIENT, LONE_CLIENT, createEndpoint, curl, landingZone, request, type Zone } from "./landing-zone.js";

let cove: TestCove;
let zone: Zone;

before(async () => {
  cove = await startCove({ dnsListen: `127.0.0.1:${await freePort()}` });
  zone = await landingZone(cove);
});
after(async () => { await cove?.stop(); });

test("drop mode: a refused client times out without a byte of answer; a Pending one gets through once approved", async () => {
  await createEndpoint(zone, "hub-pe");
  const r = await request({ ip: "127.16.1.4", port: cove.registryPort, from: LONE_CLIENT, host: zone.loginHost, ca: cove.ca, timeoutMs: 600 });
  assert.equal(r.kind, "timeout");
  const c = await curl(cove, { from: LONE_CLIENT, host: zone.loginHost, ip: "127.16.1.4", path: "/v2/", maxTime: 1 });
  assert.equal(c.code, 28, `curl: operation timed out (${c.stderr.trim()})`);

  // A client of a Pending endpoint waits; the approval lets its held connection through.
  await createEndpoint(zone, "pending-pe", true);
  const waiting = request({ ip: "127.16.1.6", port: cove.registryPort, from: HUB_CLIENT, host: zone.loginHost, ca: cove.ca, timeoutMs: 5000 });
  await new Promise((ok) => setTimeout(ok, 300));
  const token = await managementToken(cove);
  const metrics = await https(`${cove.managementUrl}/metrics`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.match(metrics.body.toString(), /^cove_held_connections [1-9]/m);
  assert.match(metrics.body.toString(), /^cove_network_denials_total\{reason="endpoint-not-approved",listener="private"\} [1-9]/m);
  assert.match(metrics.body.toString(), /^cove_network_denials_total\{reason="endpoint-unreachable-from-network",listener="private"\} [1-9]/m);
  const { acr } = clients(cove);
  const pending = [];
  for await (const x of acr.privateEndpointConnections.list("net-rg", "contosoacr")) if (x.privateLinkServiceConnectionState?.status === "Pending") pending.push(x);
  await acr.privateEndpointConnections.beginCreateOrUpdateAndWait("net-rg", "contosoacr", pending[0]!.name!, { privateLinkServiceConnectionState: { status: "Approved", description: "ok" } } as any);
  const got = await waiting;
  assert.equal(got.kind, "answer");
  assert.equal(got.kind === "answer" && got.status, 401);
  if (got.kind === "answer") got.socket.destroy();
});
