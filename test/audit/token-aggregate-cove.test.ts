// Section 7 of issue 9 end to end: a real Cove, a private endpoint in a hub VNet whose zone is
// linked there, and two clients that log in the way docker and the SDK do (GET /oauth2/token with
// Basic, POST /oauth2/exchange with an identity-provider token), each resolving the login server
// through Cove's DNS from its own address and connecting from it: a laptop on the internet comes
// by the public endpoint, a hub VM by the private endpoint. After a graceful stop (the flush on
// close) the log, read as an auditor reads it, holds ONE aggregate for the minute with the exact
// counts and both addresses with their paths, the refusals are one record each, and the chain
// verifies, on the server and with `cove audit verify` on the client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { freePorts, startAt } from "./restartable-cove.js";
import type { TestCove } from "../support/cove.js";
import { clients, credentialFor, managementToken } from "../support/arm.js";
import { basic, https } from "../support/http.js";
import { network } from "../network/network-support.js";
import { resolve } from "../../examples/landing-zone/client.js";
import { runCove } from "../cli/real-cli.js";

const LAPTOP = "127.99.0.10";
const HUB_VM = "127.20.1.50";
const RG = "agg-rg";
let dir: string;
let cove: TestCove;
let login: string;
let registryId: string;
let endpointId: string;
let endpointIp: string;
const ports = await freePorts();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "cove-token-agg-e2e-"));
  cove = await startAt(dir, ports);
  const admin = clients(cove);
  await admin.resources.resourceGroups.createOrUpdate(RG, { location: "westeurope" });
  const reg: any = await admin.acr.registries.create(RG, "aggacr", { location: "westeurope", sku: { name: "Premium" } } as any);
  registryId = reg.id;
  login = reg.loginServer;
  const net = network(cove);
  const hub = await net.virtualNetworks.beginCreateOrUpdateAndWait(RG, "hub-vnet", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.20.0.0/16"] },
    subnets: [{ name: "pe-subnet", addressPrefix: "127.20.1.0/24", privateEndpointNetworkPolicies: "Disabled" }],
  });
  const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "hub-pe", {
    location: "westeurope", subnet: { id: `${hub.id}/subnets/pe-subnet` },
    privateLinkServiceConnections: [{ name: "hub-conn", privateLinkServiceId: registryId, groupIds: ["registry"] }],
  });
  endpointId = pe.id!;
  const dns = new PrivateDnsManagementClient(credentialFor(cove), cove.credentials.subscriptionId, { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca } } as any);
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait(RG, `privatelink.${cove.suffix}`, { location: "global" });
  await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(RG, "hub-pe", "default", { privateDnsZoneConfigs: [{ name: "z", privateDnsZoneId: zone.id }] });
  await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(RG, zone.name!, "hub-link", { location: "global", virtualNetwork: { id: hub.id }, registrationEnabled: false });
});
after(async () => {
  await cove?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A request to the registry from `source`, to the address Cove's DNS gives that source. */
async function fromSource(source: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const [host, port] = cove.credentials.dnsAddress.split(":");
  const name = login.replace(/:\d+$/, "");
  const r = await resolve({ host: host!, port: Number(port) }, name, source);
  assert.ok(r.ip, `${source} resolves ${name}`);
  const res = await https(`https://${r.ip}:${cove.registryPort}${path}`, { ...o, ca: cove.ca, host: `${name}:${cove.registryPort}`, localAddress: source });
  return { ip: r.ip!, status: res.status, json: () => res.json() };
}

const owner = () => basic(cove.credentials.clientId, cove.credentials.clientSecret);
const tokenPath = () => `/oauth2/token?service=${login}&scope=repository:hello:pull`;

async function exchange(source: string) {
  const body = new URLSearchParams({ grant_type: "access_token", service: login, access_token: await managementToken(cove) }).toString();
  const r = await fromSource(source, "/oauth2/exchange", { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
  assert.equal(r.status, 200);
}

test("token issues from 2 addresses in one minute: one aggregate with exact counts and both paths; denials one row each; the chain verifies", async () => {
  // Stay inside one wall-clock minute: the aggregate is per minute.
  const into = new Date().getUTCSeconds();
  if (into > 40) await sleep((61 - into) * 1000);

  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const r = await fromSource(LAPTOP, tokenPath(), { headers: { authorization: owner() } });
    assert.equal(r.status, 200);
    seen.add(`laptop ${r.ip}`);
  }
  await exchange(LAPTOP);
  await exchange(LAPTOP);
  for (let i = 0; i < 4; i++) {
    const r = await fromSource(HUB_VM, tokenPath(), { headers: { authorization: owner() } });
    assert.equal(r.status, 200);
    endpointIp = r.ip;
    seen.add(`hub ${r.ip}`);
  }
  await exchange(HUB_VM);
  assert.equal(seen.size, 2, "each client uses one address");
  assert.notEqual(endpointIp, "127.0.0.1", "the hub VM reaches the endpoint's IP");
  // Two refusals from the laptop: a rejected bearer token is a denial, written by name.
  for (let i = 0; i < 2; i++) assert.equal((await fromSource(LAPTOP, "/v2/", { headers: { authorization: "Bearer junk" } })).status, 401);

  // Graceful stop writes the pending minute; the same data dir read again after a restart.
  await cove.stop();
  cove = await startAt(dir, ports);
  const token = await managementToken(cove);
  const read = async (query: string) => {
    const out: any[] = [];
    let path = `/cove/audit?limit=1000&${query}`;
    for (let i = 0; i < 50; i++) {
      const r = await https(`${cove.managementUrl}${path}`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200, r.body.toString());
      out.push(...r.json().value);
      if (!r.json().nextLink) break;
      path = new URL(r.json().nextLink).pathname + new URL(r.json().nextLink).search;
    }
    return out;
  };
  const aggregates = (await read("kind=registry.token-aggregate")).map((r) => r.event).filter((e) => e.registry.toLowerCase() === registryId.toLowerCase());
  assert.equal(aggregates.length, 1, JSON.stringify(aggregates));
  const a = aggregates[0];
  assert.match(a.principalId, /^[0-9a-f-]{36}$/, "the owner's service principal, by both doors");
  assert.equal(a.count, 13);
  assert.deepEqual(a.endpoints, { exchange: 3, token: 10 });
  assert.equal(a.flush, "close");
  const byIp = new Map(a.clients.map((c: any) => [c.clientIp, c]));
  assert.equal(byIp.size, 2);
  const laptop: any = byIp.get(LAPTOP);
  assert.deepEqual([laptop.path, laptop.count, laptop.exchange, laptop.token, laptop.endpointIp], ["public", 8, 2, 6, undefined]);
  const hub: any = byIp.get(HUB_VM);
  assert.deepEqual([hub.path, hub.count, hub.exchange, hub.token, hub.endpointIp, hub.endpointId], ["private", 5, 1, 4, endpointIp, endpointId.toLowerCase()]);
  const all = (await read("")).map((r) => r.event);
  assert.equal(all.filter((e) => e.kind === "registry.token" || e.type === "registry.token").length, 0, "no token issue is a row of its own");
  const denials = all.filter((e) => e.kind === "data-plane-denied" && e.clientIp === LAPTOP);
  assert.equal(denials.length, 2, "each denial is one record");
  assert.ok(all.some((e) => e.kind === "identity.token"), "logins stay exact");

  // The time filter: nothing of this test is older than an hour, nothing is in the future.
  assert.equal((await read(`since=${new Date(Date.now() - 3_600_000).toISOString()}`)).length, all.length);
  assert.equal((await read(`since=${new Date(Date.now() + 3_600_000).toISOString()}`)).length, 0);

  for (const bad of ["since=yesterday", "until=2026-13-01", "kind=registry.tokens", "kind="]) {
    const r = await https(`${cove.managementUrl}/cove/audit?${bad}`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 400, bad);
    assert.equal(r.json().error.code, "InvalidParameter", bad);
  }

  const verify = await https(`${cove.managementUrl}/cove/audit/verify`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(verify.json().ok, true, verify.body.toString());
  // And on the client, with the key the auditor saved, over the records it fetched.
  const cfg = await mkdtemp(join(tmpdir(), "cove-agg-cli-"));
  try {
    const env = { PATH: process.env.PATH, HOME: cfg, COVE_CONFIG_DIR: cfg };
    assert.equal((await runCove(["login", "--from-data-dir", dir], env)).code, 0);
    const checkpoints = await https(`${cove.managementUrl}/cove/audit/checkpoints`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
    const key = await https(`${cove.managementUrl}/cove/audit/public-key`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
    await writeFile(join(cfg, "cp.json"), JSON.stringify(checkpoints.json().value.at(-1)));
    await writeFile(join(cfg, "key.pem"), key.body);
    const r = await runCove(["audit", "verify", "--checkpoint", join(cfg, "cp.json"), "--public-key", join(cfg, "key.pem")], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).ok, true);
  } finally {
    await rm(cfg, { recursive: true, force: true });
  }
});

test("a read of the audit log writes the current minute's counts first: a pull a second ago is already there", async () => {
  // Not across a minute's end, where the window's own timer would write it.
  if (new Date().getUTCSeconds() > 57) await sleep(4000);
  const token = await managementToken(cove);
  const before = await https(`${cove.managementUrl}/cove/audit?limit=1000&kind=registry.token-aggregate`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  const known = before.json().value.length;
  assert.equal((await fromSource(LAPTOP, tokenPath(), { headers: { authorization: owner() } })).status, 200);
  const after = await https(`${cove.managementUrl}/cove/audit?limit=1000&kind=registry.token-aggregate`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  const fresh = after.json().value.slice(known).map((r: any) => r.event);
  assert.equal(fresh.length, 1, JSON.stringify(fresh));
  assert.equal(fresh[0].flush, "read");
  assert.equal(fresh[0].count, 1);
  assert.deepEqual(fresh[0].clients.map((c: any) => [c.clientIp, c.path]), [[LAPTOP, "public"]]);
});
