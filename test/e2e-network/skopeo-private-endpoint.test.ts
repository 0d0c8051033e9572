// skopeo through a private endpoint (issue 4, Tests). skopeo cannot pick its source address, and
// Linux gives every connection to a 127.x destination the source 127.0.0.1; so the client's network is
// chosen by putting 127.0.0.1 itself in a VNet ("laptop-vnet" 127.0.0.0/24) peered with the hub, while
// a private /etc/hosts resolves the login server to the endpoint's login IP. Before the VNet exists,
// 127.0.0.1 is the internet and is dropped (proof the source address decides); after, skopeo pushes
// and pulls; the privatelink name used directly fails on the TLS name as in Azure/acr#425; once the
// connection is Rejected through the SDK the same pull fails on a cut connection ("reset" mode).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startCove, type TestCove } from "../support/cove.js";
import { ROLE, assignRole, clients, createServicePrincipal, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { createEndpoint, curl, landingZone, type Zone } from "../listeners/landing-zone.js";
import { skopeoFor, type Skopeo } from "./skopeo-client.js";

const LOGIN_IP = "127.16.1.4";
const DATA_IP = "127.16.1.5";
let cove: TestCove;
let zone: Zone;
let skopeo: Skopeo;
let creds: string;
let loginServer: string;
let hosts: Record<string, string>;

before(async () => {
  cove = await startCove({ privateEndpointDenyMode: "reset" });
  zone = await landingZone(cove, "privateacr");
  loginServer = `${zone.loginHost}:${cove.registryPort}`;
  // The endpoint turns the data endpoint on, so blob downloads are redirected there: its name
  // resolves to the endpoint's data member IP, as the privatelink zone's record does in Azure.
  hosts = { [zone.loginHost]: LOGIN_IP, [zone.dataHost]: DATA_IP };
  // The only way in is the endpoint: a registry answering on its public address too would hide a
  // wrong resolution.
  await clients(cove).acr.registries.update("net-rg", "privateacr", { publicNetworkAccess: "Disabled" } as any);
  const sp = await createServicePrincipal(cove, "skopeo-private");
  await assignRole(cove, zone.registryId, sp.objectId, ROLE.AcrPush);
  creds = `${sp.appId}:${sp.password}`;
  await createEndpoint(zone, "hub-pe");
  skopeo = await skopeoFor(cove);
});
after(async () => {
  await skopeo?.dispose();
  await cove?.stop();
});

const ref = () => `docker://${loginServer}/team/app:v1`;
// Go's words for the cut: `dial tcp 127.16.1.4:<port>: connect: connection reset by peer`,
// `read tcp 127.0.0.1:<port>->127.16.1.4:<port>: read: connection reset by peer`, or the same with
// `write` when the reset arrives while skopeo is still sending its ClientHello (seen in CI).
const CUT = new RegExp(`(dial|read|write) tcp (127\\.0\\.0\\.1:\\d+->)?${LOGIN_IP.replace(/\./g, "\\.")}:\\d+: .*connection reset by peer`);

test("127.0.0.1 in no VNet: skopeo's connection to the endpoint IP is cut, and the drop is audited for 127.0.0.1", async () => {
  const r = await skopeo.push(hosts, creds, ref());
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, CUT, r.stderr);
  const token = await managementToken(cove);
  const log = await https(`${cove.managementUrl}/cove/audit?limit=1000`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  const drops = log.json().value.map((e: any) => e.event).filter((e: any) => e.kind === "data-plane-denied" && e.reason === "endpoint-unreachable-from-network");
  assert.ok(drops.some((e: any) => e.clientIp === "127.0.0.1"), JSON.stringify(drops));
});

test("127.0.0.1 in a VNet peered with the hub: skopeo pushes and pulls through the endpoint IP", async () => {
  const laptop = await zone.net.virtualNetworks.beginCreateOrUpdateAndWait("net-rg", "laptop-vnet", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.0.0.0/24"] }, subnets: [{ name: "laptop", addressPrefix: "127.0.0.0/24" }],
  });
  const hubId = laptop.id!.replace(/laptop-vnet$/, "hub-vnet");
  await zone.net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", "hub-vnet", "hub-to-laptop", { remoteVirtualNetwork: { id: laptop.id }, allowVirtualNetworkAccess: true });
  await zone.net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", "laptop-vnet", "laptop-to-hub", { remoteVirtualNetwork: { id: hubId }, allowVirtualNetworkAccess: true });

  const push = await skopeo.push(hosts, creds, ref());
  assert.equal(push.code, 0, push.stderr);
  const inspect = await skopeo.inspect(hosts, creds, ref());
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal("sha256:" + createHash("sha256").update(inspect.stdout).digest("hex"), skopeo.digest);
  const back = join(skopeo.work, "pulled");
  const pull = await skopeo.run(hosts, ["copy", "--retry-times", "0", "--src-cert-dir", skopeo.certDir, "--src-creds", creds, ref(), `oci:${back}:v1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(JSON.parse(await readFile(join(back, "index.json"), "utf8")).manifests[0].digest, skopeo.digest);
  // The public address still refuses: the pull really went through the endpoint.
  const pub = await skopeo.inspect({ [zone.loginHost]: "127.0.0.1" }, creds, ref());
  assert.notEqual(pub.code, 0);
  assert.match(pub.stderr, /403 \(Forbidden\)/);
});

test("the privatelink name used directly fails on the TLS name, as Azure/acr#425 (curl exit 60, skopeo x509)", async () => {
  const privatelink = `privateacr.privatelink.${cove.suffix}`;
  const c = await curl(cove, { from: "127.0.0.1", host: privatelink, ip: LOGIN_IP, path: "/v2/" });
  assert.equal(c.code, 60, c.stderr);
  assert.match(c.stderr, /no alternative certificate subject name matches target host name/);
  const s = await skopeo.inspect({ [privatelink]: LOGIN_IP }, creds, `docker://${privatelink}:${cove.registryPort}/team/app:v1`);
  assert.notEqual(s.code, 0);
  // Word for word as Azure/acr#425: the wildcard, which names no registry (issue 7 item 5).
  assert.match(s.stderr, new RegExp(`x509: certificate is valid for \\*\\.${cove.suffix.replace(/\./g, "\\.")}, not ${privatelink.replace(/\./g, "\\.")}`), s.stderr);
  // The registry's own name at the same address and from the same client is fine.
  const ok = await curl(cove, { from: "127.0.0.1", host: zone.loginHost, ip: LOGIN_IP, path: "/v2/" });
  assert.equal(ok.status, 401, ok.stderr);
});

test("after the connection is Rejected (SDK) the same pull fails on a cut connection", async () => {
  const { acr } = clients(cove);
  const conns = [];
  for await (const c of acr.privateEndpointConnections.list("net-rg", "privateacr")) conns.push(c);
  assert.equal(conns.length, 1);
  await acr.privateEndpointConnections.beginCreateOrUpdateAndWait("net-rg", "privateacr", conns[0]!.name!, {
    privateLinkServiceConnectionState: { status: "Rejected", description: "cut-over rehearsal" },
  } as any);
  const started = Date.now();
  const r = await skopeo.inspect(hosts, creds, ref());
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, CUT, r.stderr);
  assert.ok(Date.now() - started < 10_000, "reset mode: no waiting for a timeout");
});
