// Preflight's DNS and name causes, each made by a real misconfiguration through the API, then fixed
// by running the printed commands: DNS_PUBLIC_ANSWER, DNS_NXDOMAIN, DNS_WRONG_ADDRESS (the second
// region's zone group overwriting the shared zone's record), DNS_NO_DATA_RECORD, TLS_NAME_MISMATCH
// and SKU_UNSUPPORTED. Each case has its own registry and VNets; they share one privatelink zone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { harness, type Harness } from "./preflight-harness.js";
import { ZONE } from "./landing.js";

let h: Harness;
before(async () => { h = await harness(); });
after(async () => { await h?.cli.close(); });

/** A Premium registry with an approved endpoint in VNet `<p>hub` (127.n), its records written by a zone group, the zone linked to the hub. */
async function base(name: string, n: number) {
  const { lz } = h;
  const reg = await lz.registry(name);
  await lz.vnet(`${name}hub`, n);
  await lz.zone();
  await lz.link(`${name}hub`);
  const pe = await lz.endpoint(`${name}-pe`, `${name}hub`, reg);
  await lz.zoneGroup(`${name}-pe`);
  return { reg, pe };
}

test("DNS_PUBLIC_ANSWER: a peered spoke whose VNet is not linked to the zone; the fix links it", async () => {
  await base("pfpublic", 41);
  await h.lz.vnet("pfpublicspoke", 42);
  await h.lz.peer("pfpublichub", "pfpublicspoke");
  await h.lz.peer("pfpublicspoke", "pfpublichub");
  const r = await h.causeThenFix(["-n", "pfpublic", "--from", "pfpublicspoke/app"], "DNS_PUBLIC_ANSWER");
  assert.match(r.fix[0].cove, /^cove network private-dns link vnet create -g rg-toolkit -z privatelink\.cove\.test -n pfpublicspoke-link -v \/subscriptions\/.+\/virtualNetworks\/pfpublicspoke -e false$/);
  assert.match(r.evidence.answered, /public/);
});

test("DNS_NXDOMAIN: the login server's record removed from the linked zone; the fix adds it back", async () => {
  const { pe } = await base("pfnxdomain", 43);
  const before = await h.preflight("-n", "pfnxdomain", "--from", "pfnxdomainhub/app");
  assert.equal(before.json.ok, true, JSON.stringify(before.json));
  await h.cli.ok("network", "private-dns", "record-set", "a", "remove-record", "-g", "rg-toolkit", "-z", ZONE, "-n", "pfnxdomain", "-a", pe.registryIp || before.json.steps[0].detail.split(" -> ")[1]);
  const r = await h.causeThenFix(["-n", "pfnxdomain", "--from", "pfnxdomainhub/app"], "DNS_NXDOMAIN");
  assert.match(r.fix[0].cove, /record-set a add-record -g rg-toolkit -z privatelink\.cove\.test -n pfnxdomain -a 127\.43\.1\.\d+$/);
});

test("DNS_WRONG_ADDRESS: a second region's endpoint and zone group overwrite the shared record; the fix points it back", async () => {
  await base("pfwrong", 44);
  const reg = (await h.cli.json("acr", "show", "-n", "pfwrong")).id;
  await h.lz.vnet("pfwrongdr", 45, "northeurope");
  await h.lz.link("pfwrongdr");
  await h.lz.endpoint("pfwrong-dr-pe", "pfwrongdr", reg, false, "northeurope");
  await h.lz.zoneGroup("pfwrong-dr-pe");
  // The text a person reads names the record's history: who overwrote it, when, and whose address it replaced.
  const text = await h.cli.run("acr", "preflight", "-n", "pfwrong", "--from", "pfwronghub/app");
  assert.equal(text.code, 5, text.stderr);
  assert.match(text.stdout, /history: Record pfwrong in zone privatelink\.cove\.test was written by zone group default of endpoint pfwrong-dr-pe \(northeurope\) at \S+ \(127\.45\.1\.\d+\), overwriting zone group default of endpoint pfwrong-pe \(westeurope\)'s 127\.44\.1\.\d+ written at \S+\.$/m, text.stdout);
  assert.match(text.stdout, /^ {2}history of record pfwrong in zone privatelink\.cove\.test \(newest first\):\n {4}\S+ {2}written with 127\.45\.1\.\d+ by zone group default of endpoint pfwrong-dr-pe \(northeurope\), asked by \S+/m, text.stdout);
  const r = await h.causeThenFix(["-n", "pfwrong", "--from", "pfwronghub/app"], "DNS_WRONG_ADDRESS");
  assert.match(r.evidence.answered, /^127\.45\.1\./, "the record points at the second region's endpoint");
  assert.match(r.evidence.expected, /^127\.44\.1\./);
  const [last, first] = r.recordHistory.changes;
  assert.equal(r.recordHistory.changes.length, 2, JSON.stringify(r.recordHistory, null, 2));
  assert.deepEqual([last.writer.endpoint, last.writer.location, last.action], ["pfwrong-dr-pe", "northeurope", "write"]);
  assert.deepEqual([first.writer.endpoint, first.writer.location], ["pfwrong-pe", "westeurope"]);
  assert.deepEqual(last.addresses, [r.evidence.answered]);
  assert.deepEqual(first.addresses, [r.evidence.expected]);
  assert.ok(last.time >= first.time && last.seq > first.seq, "newest first");
  assert.ok(last.actorName || last.actor, "who asked");
});

test("DNS_NO_DATA_RECORD: the data endpoint's record removed; the login server still resolves; the fix adds it", async () => {
  await base("pfdata", 46);
  const shown = await h.cli.json("network", "private-dns", "record-set", "a", "show", "-g", "rg-toolkit", "-z", ZONE, "-n", "pfdata.westeurope.data");
  const ip = shown.aRecords[0].ipv4Address;
  await h.cli.ok("network", "private-dns", "record-set", "a", "remove-record", "-g", "rg-toolkit", "-z", ZONE, "-n", "pfdata.westeurope.data", "-a", ip);
  const r = await h.causeThenFix(["-n", "pfdata", "--from", "pfdatahub/app"], "DNS_NO_DATA_RECORD");
  assert.equal(r.evidence.expected, ip);
});

test("TLS_NAME_MISMATCH: the privatelink name used directly; the fix names the login server to use", async () => {
  await base("pftls", 47);
  const args = ["-n", "pftls", "--from", "pftlshub/app", "--login-server", "pftls.privatelink.cove.test"];
  const r = await h.preflight(...args);
  assert.equal(r.json.cause, "TLS_NAME_MISMATCH", JSON.stringify(r.json, null, 2));
  assert.equal(r.json.modelled.cause, "TLS_NAME_MISMATCH");
  assert.equal(r.code, 5);
  const [loginServer] = await h.runFixes(r.json.fix);
  const fixed = await h.preflight("-n", "pftls", "--from", "pftlshub/app", "--login-server", loginServer!.trim());
  assert.equal(fixed.json.ok, true, JSON.stringify(fixed.json, null, 2));
});

test("SKU_UNSUPPORTED: a Standard registry for a network set up for private access; the fix upgrades and adds an endpoint", async () => {
  await h.lz.registry("pfstandard", "Standard");
  await h.lz.vnet("pfstandardhub", 48);
  await h.lz.zone();
  await h.lz.link("pfstandardhub");
  const r = await h.causeThenFix(["-n", "pfstandard", "--from", "pfstandardhub/app"], "SKU_UNSUPPORTED");
  assert.match(r.fix[0].cove, /^cove acr update -n pfstandard -g rg-toolkit --sku Premium$/);
});
