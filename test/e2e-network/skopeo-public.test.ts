// skopeo from 127.0.0.1 against the public endpoint under the registry's firewall (issue 4, Tests):
// it pushes and inspects while public access is Enabled; once publicNetworkAccess is Disabled through
// the SDK the same commands fail on the 403 and the audit log names 127.0.0.1 with the reason; an IP
// rule for 127.0.0.1 (public access Enabled, defaultAction Deny) lets it in again, a rule for another
// address keeps it out. skopeo 1.9 (containers/image 5.23) reports a refused ping as "invalid status
// code from registry 403 (Forbidden)" without reading the body, so the DENIED text is asserted on
// curl's answer from the same source address instead.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startCove, type TestCove } from "../support/cove.js";
import { ROLE, assignRole, clients, createRegistry, createServicePrincipal, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { curl } from "../listeners/landing-zone.js";
import { skopeoFor, type Skopeo } from "./skopeo-client.js";

const GROUP = "skopeo-fw-rg";
const NAME = "firewallacr";
const DENIED_BODY =
  `{"errors":[{"code":"DENIED","message":"client with IP '127.0.0.1' is not allowed access. Refer https://aka.ms/acr/firewall to grant access."}]}`;
let cove: TestCove;
let skopeo: Skopeo;
let hosts: Record<string, string>;
let loginServer: string;
let ref: string;
let creds: string;

before(async () => {
  cove = await startCove({ privateEndpointDenyMode: "reset" });
  const reg = await createRegistry(cove, GROUP, NAME);
  loginServer = reg.loginServer;
  hosts = { [reg.loginServer.replace(/:\d+$/, "")]: "127.0.0.1" };
  ref = `docker://${reg.loginServer}/team/app:v1`;
  const sp = await createServicePrincipal(cove, "skopeo-fw");
  await assignRole(cove, reg.id, sp.objectId, ROLE.AcrPush);
  creds = `${sp.appId}:${sp.password}`;
  skopeo = await skopeoFor(cove);
});
after(async () => {
  await skopeo?.dispose();
  await cove?.stop();
});

const update = (props: Record<string, unknown>) => clients(cove).acr.registries.update(GROUP, NAME, props as any);

async function assertAllowed(what: string): Promise<void> {
  const r = await skopeo.inspect(hosts, creds, ref);
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  assert.equal("sha256:" + createHash("sha256").update(r.stdout).digest("hex"), skopeo.digest, what);
}

/** skopeo's inspect and copy both fail on the refused ping; curl from the same address gets Azure's body. */
async function assertDenied(what: string): Promise<void> {
  const refused = `pinging container registry ${loginServer}: invalid status code from registry 403 (Forbidden)`;
  const inspect = await skopeo.inspect(hosts, creds, ref);
  assert.notEqual(inspect.code, 0, what);
  assert.ok(inspect.stderr.includes(refused), `${what}, inspect: ${inspect.stderr}`);
  const push = await skopeo.push(hosts, creds, ref);
  assert.notEqual(push.code, 0, what);
  assert.ok(push.stderr.includes(refused), `${what}, copy: ${push.stderr}`);
  const c = await curl(cove, { from: "127.0.0.1", host: loginServer.replace(/:\d+$/, ""), ip: "127.0.0.1", path: "/v2/" });
  assert.equal(c.status, 403, what);
  assert.equal(c.body, DENIED_BODY, what);
}

/** Denials of skopeo's own requests (only skopeo asks for /v1/_ping) in the audit log. */
async function skopeoDenials(): Promise<any[]> {
  const token = await managementToken(cove);
  const log = await https(`${cove.managementUrl}/cove/audit?limit=1000`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(log.status, 200);
  return log.json().value.map((r: any) => r.event).filter((e: any) => e.kind === "data-plane-denied" && e.path === "/v1/_ping");
}

test("public access Enabled: skopeo pushes an image and reads it back", async () => {
  const push = await skopeo.push(hosts, creds, ref);
  assert.equal(push.code, 0, push.stderr);
  await assertAllowed("Enabled");
});

test("publicNetworkAccess Disabled (SDK PATCH): skopeo fails on the 403, curl from 127.0.0.1 gets DENIED, the audit names 127.0.0.1", async () => {
  const updated = await update({ publicNetworkAccess: "Disabled" });
  assert.equal(updated.publicNetworkAccess, "Disabled");
  await assertDenied("Disabled");
  const audited = await skopeoDenials();
  assert.ok(audited.length >= 1, "skopeo's refused requests are audited");
  assert.equal(audited[0].clientIp, "127.0.0.1", "the socket's address: skopeo connected from 127.0.0.1");
  assert.equal(audited[0].reason, "public-network-access-disabled");
  assert.equal(audited[0].status, 403);
});

test("an IP rule for 127.0.0.1 lets skopeo in again; a rule for another address keeps it out", async () => {
  await update({ publicNetworkAccess: "Enabled", networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: "127.0.0.1" }] } });
  await assertAllowed("rule for 127.0.0.1");
  await update({ networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: "127.0.0.64/26" }] } });
  await assertDenied("rule for 127.0.0.64/26 only");
  assert.ok((await skopeoDenials()).some((e) => e.reason === "ip-not-allowed" && e.clientIp === "127.0.0.1"), "audited as ip-not-allowed");
  // A range that contains 127.0.0.1 is as good as the address itself.
  await update({ networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", iPAddressOrRange: "127.0.0.0/30" }] } });
  await assertAllowed("rule for 127.0.0.0/30");
});
