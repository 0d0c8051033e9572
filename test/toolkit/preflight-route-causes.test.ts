// Preflight's endpoint and route causes, each made through the API and fixed by the printed commands:
// ENDPOINT_PENDING, ENDPOINT_REJECTED, ENDPOINT_DISCONNECTED, NO_ROUTE (no peering, and a one-sided
// one), and the tie the issue names: a peered VNet with an approved endpoint but no zone link is
// DNS_PUBLIC_ANSWER even with public access disabled, while a VNet with no private route is
// PUBLIC_ACCESS_DISABLED.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { harness, type Harness } from "./preflight-harness.js";

let h: Harness;
before(async () => { h = await harness(); });
after(async () => { await h?.cli.close(); });

async function base(name: string, n: number, manual = false) {
  const { lz } = h;
  const reg = await lz.registry(name);
  await lz.vnet(`${name}hub`, n);
  await lz.zone();
  await lz.link(`${name}hub`);
  await lz.endpoint(`${name}-pe`, `${name}hub`, reg, manual);
  await lz.zoneGroup(`${name}-pe`);
  return reg;
}

test("ENDPOINT_PENDING: a manual endpoint nobody approved; the fix approves it", async () => {
  await base("pfpending", 51, true);
  const r = await h.causeThenFix(["-n", "pfpending", "--from", "pfpendinghub/app"], "ENDPOINT_PENDING");
  assert.match(r.fix[0].cove, /^cove acr private-endpoint-connection approve -r pfpending -g rg-toolkit -n \S+ --description 'Approved for pfpendinghub'$/);
  assert.ok(r.steps.some((s: any) => (s.name === "connect" || s.name === "tls") && s.result === "failed"), `the private IP drops the connection: ${JSON.stringify(r.steps)}`);
});

test("ENDPOINT_REJECTED: the owner rejected the connection; the fix makes the endpoint anew", async () => {
  await base("pfrejected", 52);
  const conns = await h.cli.json("acr", "private-endpoint-connection", "list", "-r", "pfrejected");
  await h.cli.ok("acr", "private-endpoint-connection", "reject", "-r", "pfrejected", "-n", conns[0].name, "--description", "not this one");
  const r = await h.causeThenFix(["-n", "pfrejected", "--from", "pfrejectedhub/app"], "ENDPOINT_REJECTED");
  assert.match(r.fix[0].cove, /^cove network private-endpoint delete -g rg-toolkit -n pfrejected-pe$/);
});

test("ENDPOINT_DISCONNECTED: the connection was deleted on the registry side; the fix makes the endpoint anew", async () => {
  await base("pfdisconn", 53);
  const conns = await h.cli.json("acr", "private-endpoint-connection", "list", "-r", "pfdisconn");
  await h.cli.ok("acr", "private-endpoint-connection", "delete", "-r", "pfdisconn", "-n", conns[0].name);
  await h.causeThenFix(["-n", "pfdisconn", "--from", "pfdisconnhub/app"], "ENDPOINT_DISCONNECTED");
});

test("NO_ROUTE: a linked spoke that is not peered with the endpoint's VNet; the fix peers both sides", async () => {
  await base("pfnoroute", 54);
  await h.lz.vnet("pfnoroutespoke", 55);
  await h.lz.link("pfnoroutespoke");
  const r = await h.causeThenFix(["-n", "pfnoroute", "--from", "pfnoroutespoke/app"], "NO_ROUTE");
  assert.equal(r.fix.length, 2, "both sides of the peering are missing");
  assert.equal(r.evidence.peering, "none");
});

test("NO_ROUTE, one-sided: only the missing side of the peering is created", async () => {
  await base("pfoneside", 56);
  await h.lz.vnet("pfonesidespoke", 57);
  await h.lz.link("pfonesidespoke");
  await h.lz.peer("pfonesidespoke", "pfonesidehub");
  const r = await h.causeThenFix(["-n", "pfoneside", "--from", "pfonesidespoke/app"], "NO_ROUTE");
  assert.equal(r.fix.length, 1, JSON.stringify(r.fix));
  assert.match(r.fix[0].cove, /peering create -g rg-toolkit -n pfonesidehub-to-pfonesidespoke --vnet-name pfonesidehub/);
  assert.equal(r.evidence.peering, "one-sided");
});

test("the tie: a VNet that can route to an approved endpoint is meant to go private (DNS_PUBLIC_ANSWER, not PUBLIC_ACCESS_DISABLED); one that cannot is meant to go public", async () => {
  await base("pftie", 58);
  await h.cli.ok("acr", "update", "-n", "pftie", "--public-network-enabled", "false");
  await h.lz.vnet("pftiepeered", 59);
  await h.lz.peer("pftiehub", "pftiepeered");
  await h.lz.peer("pftiepeered", "pftiehub");
  await h.lz.vnet("pftieapart", 60);
  const peered = await h.preflight("-n", "pftie", "--from", "pftiepeered/app");
  assert.equal(peered.json.cause, "DNS_PUBLIC_ANSWER", "the public endpoint refuses it too, but its fix is the link");
  assert.equal(peered.json.modelled.cause, "DNS_PUBLIC_ANSWER");
  const apart = await h.preflight("-n", "pftie", "--from", "pftieapart/app");
  assert.equal(apart.json.cause, "PUBLIC_ACCESS_DISABLED");
  assert.equal(apart.json.modelled.cause, "PUBLIC_ACCESS_DISABLED");
  // The peered spoke's fix opens its private path, and only that: public access stays disabled.
  await h.runFixes(peered.json.fix);
  const fixed = await h.preflight("-n", "pftie", "--from", "pftiepeered/app");
  assert.equal(fixed.json.ok, true, JSON.stringify(fixed.json, null, 2));
  assert.equal((await h.cli.json("acr", "show", "-n", "pftie")).publicNetworkAccess, "Disabled");
});

test("a pending endpoint behind a missing link: DNS_PUBLIC_ANSWER, and the fix both links and approves", async () => {
  await base("pfboth", 61, true);
  await h.lz.vnet("pfbothspoke", 62);
  await h.lz.peer("pfbothhub", "pfbothspoke");
  await h.lz.peer("pfbothspoke", "pfbothhub");
  const r = await h.causeThenFix(["-n", "pfboth", "--from", "pfbothspoke/app"], "DNS_PUBLIC_ANSWER");
  assert.ok(r.fix.some((f: any) => / approve /.test(f.cove)), JSON.stringify(r.fix));
});
