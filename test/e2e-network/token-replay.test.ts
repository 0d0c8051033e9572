// Hostile input: a registry access token obtained through registry A's private endpoint, the way
// @azure/container-registry gets one (identity-provider token -> POST /oauth2/exchange -> POST
// /oauth2/token, all on A's endpoint IP with Host A), replayed elsewhere. It is bound to A: with
// Host B on B's endpoint IP or on B's public endpoint it gets 401 even though the principal may pull
// from B; its refresh token gets no token from B; Host B on A's endpoint IP is refused by the network
// (403 DENIED); and on A's public endpoint once public access is Disabled the network decision comes
// before authentication: 403 DENIED naming the client, not a token check. Smuggling A's name past
// the firewall (absolute request target, a second Host header, X-Forwarded-Host) reaches B or nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { startCove, type TestCove } from "../support/cove.js";
import { ROLE, assignRole, clients, createServicePrincipal, credentialFor } from "../support/arm.js";
import { https, type HttpResult } from "../support/http.js";
import { SPOKE_CLIENT, createEndpoint, landingZone, type Zone } from "../listeners/landing-zone.js";

const A_IP = "127.16.1.4"; // alpha-pe's login member (.5 is its data member)
const B_IP = "127.16.1.6"; // beta-pe's login member
const INTERNET = "127.0.0.78";
let cove: TestCove;
let zone: Zone;
let hostA: string;
let hostB: string;
let accessToken: string;
let refreshToken: string;

before(async () => {
  cove = await startCove({ privateEndpointDenyMode: "reset" });
  zone = await landingZone(cove, "alphaacr");
  const beta: any = await clients(cove).acr.registries.create("net-rg", "betaacr", { location: "westeurope", sku: { name: "Premium" } } as any);
  hostA = `alphaacr.${cove.suffix}:${cove.registryPort}`;
  hostB = beta.loginServer;
  await createEndpoint(zone, "alpha-pe");
  await createEndpoint({ ...zone, registryId: beta.id }, "beta-pe");
  // The principal may pull from both registries: only the token's binding can refuse it on B.
  const sp = await createServicePrincipal(cove, "replayer");
  await assignRole(cove, zone.registryId, sp.objectId, ROLE.AcrPull);
  await assignRole(cove, beta.id, sp.objectId, ROLE.AcrPull);
  const aad = await credentialFor(cove, sp.appId, sp.password).getToken("https://management.azure.com/.default");

  const exchange = await form(A_IP, hostA, "/oauth2/exchange", { grant_type: "access_token", service: hostA, tenant: cove.credentials.tenantId, access_token: aad.token });
  assert.equal(exchange.status, 200, exchange.body.toString());
  refreshToken = exchange.json().refresh_token;
  const token = await form(A_IP, hostA, "/oauth2/token", { grant_type: "refresh_token", service: hostA, scope: "repository:team/app:pull", refresh_token: refreshToken });
  assert.equal(token.status, 200, token.body.toString());
  accessToken = token.json().access_token;
});
after(async () => { await cove?.stop(); });

/** A form POST from the peered spoke to `ip`, presenting `host` (SNI and Host). */
function form(ip: string, host: string, path: string, fields: Record<string, string>, from = SPOKE_CLIENT): Promise<HttpResult> {
  return https(`https://${ip}:${cove.registryPort}${path}`, {
    method: "POST", ca: cove.ca, host, localAddress: from,
    headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString(),
  });
}

function pull(ip: string, host: string, from = SPOKE_CLIENT): Promise<HttpResult> {
  return https(`https://${ip}:${cove.registryPort}/v2/team/app/manifests/v1`, {
    ca: cove.ca, host, localAddress: from, headers: { authorization: `Bearer ${accessToken}`, accept: "application/vnd.oci.image.manifest.v1+json" },
  });
}

test("the token works where it was issued: A's endpoint, Host A (404 for the missing tag, not 401)", async () => {
  const r = await pull(A_IP, hostA);
  assert.equal(r.status, 404, r.body.toString());
  assert.match(r.json().errors[0].code, /MANIFEST_UNKNOWN|NAME_UNKNOWN/);
});

test("replayed with Host B on B's endpoint IP and on B's public endpoint: 401 with B's challenge", async () => {
  for (const [ip, from] of [[B_IP, SPOKE_CLIENT], ["127.0.0.1", INTERNET]] as const) {
    const r = await pull(ip, hostB, from);
    assert.equal(r.status, 401, `${ip}: ${r.body}`);
    assert.equal(r.json().errors[0].code, "UNAUTHORIZED", ip);
    assert.match(String(r.headers["www-authenticate"]), new RegExp(`^Bearer realm="https://${hostB}/oauth2/token",service="${hostB}"`), ip);
  }
  // A's refresh token buys nothing from B either.
  const t = await form(B_IP, hostB, "/oauth2/token", { grant_type: "refresh_token", service: hostB, scope: "repository:team/app:pull", refresh_token: refreshToken });
  assert.equal(t.status, 401, t.body.toString());
  assert.equal(t.json().access_token, undefined);
});

test("sent to the other registry's endpoint IP (Host B on A's, Host A on B's): the network refuses it (403 DENIED), before any token check", async () => {
  for (const [ip, host] of [[A_IP, hostB], [B_IP, hostA]] as const) {
    const r = await pull(ip, host);
    assert.equal(r.status, 403, `${host} on ${ip}: ${r.body}`);
    assert.equal(r.json().errors[0].code, "DENIED", `${host} on ${ip}`);
  }
});

test("replayed on A's public endpoint after public access is Disabled: 403 DENIED naming the client, not 401", async () => {
  const before = await pull("127.0.0.1", hostA, INTERNET);
  assert.equal(before.status, 404, "while public access is Enabled the token is good on the public endpoint too");
  await clients(cove).acr.registries.update("net-rg", "alphaacr", { publicNetworkAccess: "Disabled" } as any);
  const r = await pull("127.0.0.1", hostA, INTERNET);
  assert.equal(r.status, 403);
  assert.equal(r.body.toString(), `{"errors":[{"code":"DENIED","message":"client with IP '${INTERNET}' is not allowed access. Refer https://aka.ms/acr/firewall to grant access."}]}`);
  // A forged token gets the same answer: authentication never ran.
  const forged = await https(`https://127.0.0.1:${cove.registryPort}/v2/team/app/manifests/v1`, { ca: cove.ca, host: hostA, localAddress: INTERNET, headers: { authorization: "Bearer not.a.token" } });
  assert.equal(forged.status, 403);
  assert.equal(forged.body.toString(), r.body.toString());
  // Through A's endpoint the same token still works.
  assert.equal((await pull(A_IP, hostA)).status, 404);
});

/** One raw HTTP/1.1 request over TLS from the internet to the public endpoint: status line and body. */
function raw(head: string[]): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const socket = connect({ host: "127.0.0.1", port: cove.registryPort, servername: hostB.replace(/:\d+$/, ""), ca: cove.ca, localAddress: INTERNET } as any);
    let text = "";
    socket.on("secureConnect", () => socket.write([...head, `Authorization: Bearer ${accessToken}`, "Connection: close", "", ""].join("\r\n")));
    socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
    socket.on("end", () => ok({ status: Number(text.slice(9, 12)), text }));
    socket.on("error", fail);
  });
}

test("A's name smuggled past A's firewall beside Host B (request target, second Host, X-Forwarded-Host) is never served as A", async () => {
  // A's public access is Disabled (previous test); B's is Enabled. A's token proves A would answer 404.
  const path = "/v2/team/app/manifests/v1";
  const absolute = await raw([`GET https://${hostA}${path} HTTP/1.1`, `Host: ${hostB}`]);
  assert.equal(absolute.status, 404, absolute.text);
  assert.match(absolute.text, /"code":"UNSUPPORTED"/, "an absolute request target is not part of the registry API");
  for (const extra of [`Host: ${hostA}`, `X-Forwarded-Host: ${hostA}`, `X-Original-Host: ${hostA}`]) {
    const r = await raw([`GET ${path} HTTP/1.1`, `Host: ${hostB}`, extra]);
    assert.equal(r.status, 401, `${extra}: ${r.text}`);
    assert.ok(r.text.includes(`realm="https://${hostB}/oauth2/token"`), `${extra}: B's challenge, A's token is not B's`);
  }
  // The same headers in the other order name A: the firewall answers.
  const reversed = await raw([`GET ${path} HTTP/1.1`, `Host: ${hostA}`, `Host: ${hostB}`]);
  assert.equal(reversed.status, 403, reversed.text);
  assert.match(reversed.text, /"code":"DENIED"/);
});
