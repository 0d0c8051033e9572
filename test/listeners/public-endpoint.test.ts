// The public endpoint under the registry's firewall (issue 4, item 2), seen by curl from chosen
// source addresses: allowed, then Azure's exact 403 DENIED on every route once publicNetworkAccess is
// Disabled; IP rules let one address in and keep another out; forged X-Forwarded-For and Host headers
// change nothing. Then /metrics (item 6) shows the counters, and the audit log the reasons.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { freePort, startCove, type TestCove } from "../support/cove.js";
import { ROLE, assignRole, clients, createRegistry, createServicePrincipal, managementToken, credentialFor } from "../support/arm.js";
import { https } from "../support/http.js";
import { curl } from "./landing-zone.js";

let cove: TestCove;
let dnsPort: number;
let loginHost: string;
const ALLOWED = "127.0.0.21";
const OTHER = "127.0.0.22";
const denied = (ip: string) =>
  `{"errors":[{"code":"DENIED","message":"client with IP '${ip}' is not allowed access. Refer https://aka.ms/acr/firewall to grant access."}]}`;

before(async () => {
  dnsPort = await freePort();
  cove = await startCove({ privateEndpointDenyMode: "reset", dnsListen: `127.0.0.1:${dnsPort}` });
  loginHost = (await createRegistry(cove, "pub-rg", "publicacr")).loginServer.replace(/:\d+$/, "");
});
after(async () => { await cove?.stop(); });

const get = (from: string, path: string, extra: { method?: string; headers?: string[]; host?: string } = {}) =>
  curl(cove, { from, host: extra.host ?? loginHost, ip: "127.0.0.1", path, method: extra.method, headers: extra.headers });

test("public endpoint: allowed, then 403 DENIED with Azure's exact body on /v2/, /oauth2/token and a manifest", async () => {
  assert.equal((await get(ALLOWED, "/v2/")).status, 401, "allowed: the registry's own challenge");
  const { acr } = clients(cove);
  await acr.registries.update("pub-rg", "publicacr", { publicNetworkAccess: "Disabled" } as any);
  for (const [method, path] of [["GET", "/v2/"], ["POST", "/oauth2/token"], ["POST", "/oauth2/exchange"], ["GET", "/v2/hello/manifests/latest"], ["GET", "/acr/v1/_catalog"]]) {
    const r = await get(ALLOWED, path, { method });
    assert.equal(r.status, 403, `${method} ${path}`);
    assert.equal(r.body, denied(ALLOWED), `${method} ${path}`);
  }
  const head = await get(ALLOWED, "/v2/hello/manifests/latest", { method: "HEAD" });
  assert.equal(head.status, 403, "HEAD gets the status without a body");
});

test("IP rules let one source in and keep another out; forged X-Forwarded-For and Host headers change nothing", async () => {
  const { acr } = clients(cove);
  await acr.registries.update("pub-rg", "publicacr", {
    publicNetworkAccess: "Enabled",
    networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: `${ALLOWED}/32` }] },
  } as any);
  assert.equal((await get(ALLOWED, "/v2/")).status, 401);
  const other = await get(OTHER, "/v2/");
  assert.equal(other.status, 403);
  assert.equal(other.body, denied(OTHER));

  // No trusted proxies are configured: the header is the client's own words.
  const forged = await get(OTHER, "/v2/", { headers: [`X-Forwarded-For: ${ALLOWED}`, "X-Real-IP: 127.0.0.21", "Forwarded: for=127.0.0.21"] });
  assert.equal(forged.status, 403);
  assert.equal(forged.body, denied(OTHER), "the socket address is named, not the forged one");
  // The Host header picks the registry AND the rules: a spelling that names no registry reaches none.
  for (const host of [`${loginHost.toUpperCase()}`]) {
    const r = await get(OTHER, "/v2/", { host });
    assert.equal(r.status, 403, host);
  }
  const nowhere = await get(OTHER, "/v2/hello/manifests/latest", { headers: [`Host: localhost`] });
  assert.equal(nowhere.status, 404, "a Host naming no registry reaches no registry");
  assert.match(nowhere.body, /NAME_UNKNOWN/);
});

test("denials are audited with reason, rule and listener", async () => {
  const token = await managementToken(cove);
  const log = await https(`${cove.managementUrl}/cove/audit?limit=1000`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  const events = log.json().value.map((r: any) => r.event).filter((e: any) => e.kind === "data-plane-denied" && e.reason);
  const disabled = events.find((e: any) => e.reason === "public-network-access-disabled");
  assert.ok(disabled, JSON.stringify(events));
  assert.equal(disabled.rule, "publicNetworkAccess=Disabled");
  assert.equal(disabled.via, "public:127.0.0.1");
  assert.equal(disabled.clientIp, ALLOWED);
  assert.equal(disabled.status, 403);
  const byIp = events.find((e: any) => e.reason === "ip-not-allowed");
  assert.equal(byIp.clientIp, OTHER);
  assert.equal(byIp.path, "/v2/");
});

test("/metrics: Prometheus text with requests, denials, DNS queries and bytes; needs a reader of the subscription", async () => {
  // One DNS query from a real client, so the DNS counter has something to show.
  await new Promise<void>((ok) => execFile("dig", ["+time=2", "+tries=1", "-b", ALLOWED, "@127.0.0.1", "-p", String(dnsPort), loginHost, "A"], () => ok()));
  // A worker thread (dnsThreads defaults to 2) posts its counts every 250 ms (docs/dns.md).
  await new Promise((ok) => setTimeout(ok, 300));

  const anonymous = await https(`${cove.managementUrl}/metrics`, { ca: cove.ca });
  assert.equal(anonymous.status, 401);
  const nobody = await createServicePrincipal(cove, "no-roles");
  const nobodyToken = await managementToken(cove, credentialFor(cove, nobody.appId, nobody.password));
  const refused = await https(`${cove.managementUrl}/metrics`, { ca: cove.ca, headers: { authorization: `Bearer ${nobodyToken}` } });
  assert.equal(refused.status, 403);
  assert.equal(refused.json().error.code, "AuthorizationFailed");

  const reader = await createServicePrincipal(cove, "prometheus");
  await assignRole(cove, `/subscriptions/${cove.credentials.subscriptionId}`, reader.objectId, ROLE.Reader);
  const token = await managementToken(cove, credentialFor(cove, reader.appId, reader.password));
  const r = await https(`${cove.managementUrl}/metrics`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  const text = r.body.toString("utf8");
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  assert.ok(value(/^cove_network_denials_total\{reason="public-network-access-disabled",listener="public"\} (\d+)/m) >= 6, text);
  assert.ok(value(/^cove_network_denials_total\{reason="ip-not-allowed",listener="public"\} (\d+)/m) >= 3);
  assert.ok(value(/^cove_http_requests_total\{listener="public",status="403"\} (\d+)/m) >= 9);
  assert.ok(value(/^cove_http_requests_total\{listener="public",status="401"\} (\d+)/m) >= 2);
  assert.ok(value(/^cove_http_requests_total\{listener="management",status="200"\} (\d+)/m) >= 1);
  assert.ok(value(/^cove_http_received_bytes_total\{listener="public"\} (\d+)/m) > 1000);
  assert.ok(value(/^cove_http_sent_bytes_total\{listener="public"\} (\d+)/m) > 1000);
  assert.ok(value(/^cove_dns_queries_total\{view="[^"]*",rcode="NOERROR"\} (\d+)/m) >= 1, "the dig query is counted");
  assert.match(text, /^cove_process_cpu_user_seconds_total \d/m);
  assert.match(text, /^cove_private_endpoint_listeners 0$/m);
});
