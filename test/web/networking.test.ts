// The networking page on the seed's case study (seed.ts), in Debian's Chromium against a real Cove,
// read and driven the way a person does: by the controls' accessible names. The registry owner sees
// the case study, approves the Pending connection through the dialog (the page, then the SDK, say
// Approved), changes the firewall, selects a subnet in the topology; the network team sees approve
// disabled with the role it lacks; a change made with the real `cove` binary shows without a reload;
// the evidence the page downloads verifies with `cove acr evidence verify`. Every main view is kept
// as a screenshot (test-artifacts/web/) and checked with axe.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { realCli, type RealCli } from "../cli/real-cli.js";
import { BOOTSTRAP_DISPLAY_NAME } from "../../src/identity/bootstrap.js";
import { launchBrowser, assertAccessible, describedBy, screenshot, screenshotDownTo, tableRows, until, type TestBrowser, type WatchedPage } from "./browser.js";
import { openSignedIn, fillSignIn, goToHash, networkingHash } from "./portal.js";
import { seedCaseStudy, IP_RULES, REGISTRY, type CaseStudy } from "./seed.js";

let cli: RealCli;
let cs: CaseStudy;
let b: TestBrowser;
let owner: WatchedPage;
let page: Page;
let work: string;

before(async () => {
  cli = await realCli();
  cs = await seedCaseStudy(cli.cove);
  work = await mkdtemp(join(tmpdir(), "cove-web-networking-"));
  b = await launchBrowser();
  owner = await b.open();
  page = owner.page;
  await openSignedIn(page, cli.cove, `Signed in as ${BOOTSTRAP_DISPLAY_NAME}`);
});
after(async () => {
  await b?.close();
  await cli?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const section = (name: string) => page.getByRole("region", { name });
const connections = () => section("Private access").getByRole("table", { name: "Private endpoint connections" });
const connectionRow = async (pe: keyof CaseStudy["connection"]) => {
  const rows = await tableRows(connections());
  const row = rows.find((r) => r.Name === cs.connection[pe]);
  assert.ok(row, `no row for ${cs.connection[pe]} in ${JSON.stringify(rows)}`);
  return row;
};
const stateOf = async (pe: keyof CaseStudy["connection"]) => (await connectionRow(pe)).State;

test("Registries view: the registry with its SKU, login server, public access, connection counts and compliance", async () => {
  await page.getByRole("heading", { level: 1, name: "Registries" }).waitFor();
  const table = page.getByRole("table", { name: "Registries" });
  await table.getByRole("link", { name: REGISTRY }).waitFor();
  const reg = await cs.z.acr.registries.get(cs.rg, REGISTRY);
  const rows = await tableRows(table);
  assert.deepEqual(rows, [{
    Name: REGISTRY, SKU: "Premium", "Login server": reg.loginServer!, "Public access": "Enabled",
    "Private endpoints": "1 Approved, 1 Pending, 1 Rejected", "Policy compliance": "Not evaluated",
  }]);
  await screenshot(page, "registries");
  await assertAccessible(owner, "Registries");
  await table.getByRole("link", { name: REGISTRY }).click();
  await page.getByRole("heading", { level: 1, name: `${REGISTRY}: Networking` }).waitFor();
  assert.ok(page.url().endsWith(networkingHash(cs.registryId)), page.url());
});

test("Networking view: the case study's public access, connections with DNS status, topology and timeline", async () => {
  for (const name of ["Public access", "Private access", "Reachability", "Activity"]) {
    await section(name).getByRole("heading", { level: 2, name }).waitFor();
  }
  const pub = section("Public access");
  assert.equal(await pub.getByLabel("Public network access").inputValue(), "Enabled");
  assert.equal(await pub.getByLabel("Default action").inputValue(), "Deny");
  const rules = await tableRows(pub.getByRole("table", { name: "IP rules" }));
  assert.deepEqual(rules.map((r) => r["Address range"]), IP_RULES);
  for (const rule of IP_RULES) await pub.getByRole("button", { name: `Remove rule ${rule}` }).waitFor();
  await pub.getByRole("heading", { level: 3, name: "Readiness to disable public access" }).waitFor();
  await pub.getByText(/^(Ready: |Not ready: \d+ clients? would break)/).first().waitFor();

  await connections().getByRole("cell", { name: cs.connection["hub-pe"], exact: true }).waitFor();
  const hub = await connectionRow("hub-pe");
  const spoke = await connectionRow("spoke-pe");
  const legacy = await connectionRow("legacy-pe");
  assert.deepEqual([hub.State, spoke.State, legacy.State], ["Pending", "Approved", "Rejected"]);
  assert.match(hub["Private endpoint"]!, /hub-pe/);
  assert.match(hub["VNet / subnet"]!, /hub-vnet\s*\/\s*pe/);
  assert.match(hub["Private IPs"]!, /127\.16\.1\.4.*127\.16\.1\.5/);
  assert.match(spoke["VNet / subnet"]!, /spoke-vnet\s*\/\s*pe/);
  assert.equal(spoke.Description, "spoke build agents");
  assert.equal(legacy.Description, "superseded by spoke-pe");
  // The zone's records point at hub-pe (its zone group wrote last); the zone is linked to hub-vnet only.
  assert.match(hub.DNS!, /^OK/);
  assert.match(hub.DNS!, /privatelink\.cove\.test/);
  assert.match(hub.DNS!, /linked to hub-vnet/);
  assert.doesNotMatch(hub.DNS!, /linked to[^;]*spoke-vnet/);
  assert.match(spoke.DNS!, /^Problem/);

  const names = async (pe: keyof CaseStudy["connection"]) => (await connections().getByRole("row").filter({ hasText: cs.connection[pe] }).getByRole("button").evaluateAll((bs) => bs.map((x) => x.getAttribute("aria-label") ?? x.textContent ?? ""))).map((n) => n.split(" ")[0]);
  assert.ok((await names("hub-pe")).includes("Approve"), "Pending can be approved");
  assert.ok(!(await names("spoke-pe")).includes("Approve") && (await names("spoke-pe")).includes("Reject"), "Approved can be rejected, not approved again");
  assert.ok(!(await names("legacy-pe")).includes("Approve") && !(await names("legacy-pe")).includes("Reject"), "Rejected is final");

  const reach = section("Reachability");
  await reach.getByRole("figure", { name: "Topology" }).locator("svg").waitFor();
  const matrix = await tableRows(reach.getByRole("table", { name: "Reachability matrix" }));
  assert.ok(matrix.some((r) => /hub-vnet/.test(r.Network!) && r.Decision === "Denied"), JSON.stringify(matrix));
  assert.ok(matrix.every((r) => r.Decision === "Allowed" || r.Decision === "Denied"), JSON.stringify(matrix));

  const activity = section("Activity");
  await activity.getByLabel("Kind").waitFor();
  assert.equal(await activity.getByLabel("Kind").locator("option").first().innerText(), "All kinds");
  const timeline = await tableRows(activity.getByRole("table", { name: "Audit timeline" }));
  assert.ok(timeline.length > 0, "the seed's writes are in the timeline");

  await screenshot(page, "networking");
  // The README's picture (docs/images/networking-view.png is copied from it).
  await screenshotDownTo(page, section("Reachability"), "networking-view");
  await screenshot(section("Public access"), "public-access");
  await screenshot(section("Private access"), "private-access");
  await screenshot(section("Reachability"), "reachability");
  await screenshot(section("Activity"), "activity");
  await assertAccessible(owner, "Networking");
});

test("the network team (Network Contributor and Reader) sees approve and save disabled, with the role it lacks named", async () => {
  const team = await b.open();
  await fillSignIn(team.page, cli.cove, cs.networkTeam.appId, cs.networkTeam.password);
  await team.page.getByRole("banner").getByText("Signed in as network-team").waitFor({ timeout: 10_000 });
  await goToHash(team.page, networkingHash(cs.registryId));
  await team.page.getByRole("heading", { level: 1, name: `${REGISTRY}: Networking` }).waitFor({ timeout: 10_000 });
  const approve = team.page.getByRole("button", { name: `Approve ${cs.connection["hub-pe"]}` });
  await approve.waitFor();
  await until("approve disabled", () => approve.isDisabled());
  const described = await describedBy(team.page, `Approve ${cs.connection["hub-pe"]}`);
  assert.match(described, /Owner/);
  assert.match(described, /Microsoft\.ContainerRegistry\/registries\/privateEndpointConnectionsApproval\/action/);
  const save = team.page.getByRole("button", { name: "Save firewall changes" });
  assert.ok(await save.isDisabled());
  assert.match(await describedBy(team.page, "Save firewall changes"), /Microsoft\.ContainerRegistry\/registries\/write/);
  await screenshot(team.page, "networking-network-team");
  await assertAccessible(team, "Networking, as the network team");
  team.assertClean();
  await team.close();
});

test("approving the Pending connection: the dialog states the impact, Escape cancels, Confirm approves (page and SDK agree)", async () => {
  const name = cs.connection["hub-pe"];
  await page.getByRole("button", { name: `Approve ${name}` }).click();
  let dialog = page.getByRole("dialog", { name: `Approve ${name}?` });
  await dialog.waitFor();
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await stateOf("hub-pe"), "Pending");

  await page.getByRole("button", { name: `Approve ${name}` }).click();
  dialog = page.getByRole("dialog", { name: `Approve ${name}?` });
  await dialog.waitFor();
  const impact = dialog.getByRole("region", { name: "Impact" });
  await impact.getByText(/gain access/).waitFor({ timeout: 5000 });
  const said = await impact.innerText();
  assert.match(said, /These networks gain access: .*hub-vnet/s, said);
  assert.doesNotMatch(said, /spoke-vnet/, "the spoke resolves the public name (zone not linked there): approval gives it nothing");
  await dialog.getByLabel("Description").fill("approved for hub clients");
  await screenshot(dialog, "approve-dialog");
  await assertAccessible(owner, "the approve dialog");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await dialog.waitFor({ state: "hidden" });

  await until("the page shows hub-pe Approved", async () => (await stateOf("hub-pe")) === "Approved");
  await owner.announced(`Approved ${name}`);
  const got = await cs.z.acr.privateEndpointConnections.get(cs.rg, REGISTRY, name);
  assert.equal(got.privateLinkServiceConnectionState?.status, "Approved");
  assert.equal(got.privateLinkServiceConnectionState?.description, "approved for hub clients");
  const matrix = await until("the matrix shows hub-vnet allowed", async () => {
    const rows = await tableRows(section("Reachability").getByRole("table", { name: "Reachability matrix" }));
    return rows.some((r) => /hub-vnet/.test(r.Network!) && r.Decision === "Allowed") ? rows : undefined;
  });
  assert.ok(matrix.filter((r) => /spoke-vnet/.test(r.Network!)).every((r) => r.Decision === "Denied"));
});

test("changing the firewall: a new rule saved through the page is on the registry (SDK); an IPv6 rule is refused with ARM's error", async () => {
  const pub = section("Public access");
  await pub.getByLabel("New IP rule").fill("192.0.2.0/24");
  await pub.getByRole("button", { name: "Add rule" }).click();
  await pub.getByRole("button", { name: "Remove rule 192.0.2.0/24" }).waitFor();
  await pub.getByRole("button", { name: "Save firewall changes" }).click();
  await owner.announced("Firewall saved");
  const reg = await cs.z.acr.registries.get(cs.rg, REGISTRY);
  assert.deepEqual(reg.networkRuleSet?.ipRules?.map((r) => r.iPAddressOrRange), [...IP_RULES, "192.0.2.0/24"]);
  assert.equal(reg.networkRuleSet?.defaultAction, "Deny");
  assert.equal(reg.publicNetworkAccess, "Enabled");

  await pub.getByLabel("New IP rule").fill("2001:db8::/32");
  await pub.getByRole("button", { name: "Add rule" }).click();
  await pub.getByRole("button", { name: "Save firewall changes" }).click();
  const alert = page.getByRole("alert").filter({ hasText: /IPv4|IPV4/ });
  await alert.waitFor({ timeout: 5000 });
  assert.match(await alert.innerText(), /InvalidParameter/, "the ARM error's code is shown with its message");
  const after = await cs.z.acr.registries.get(cs.rg, REGISTRY);
  assert.equal(after.networkRuleSet?.ipRules?.length, 3, "nothing written");
  // The refused rule stays in the draft until it is removed and the draft saved again.
  await pub.getByRole("button", { name: "Remove rule 2001:db8::/32" }).click();
  await pub.getByRole("button", { name: "Save firewall changes" }).click();
  const saves = owner.announcements.filter((a) => a === "Firewall saved").length;
  await until("the alert gone after a good save", async () => (await page.getByRole("alert").count()) === 0);
  await until("a second Firewall saved", () => owner.announcements.filter((a) => a === "Firewall saved").length > saves);
});

test("selecting a subnet node in the topology (keyboard and click) selects its row in the matrix", async () => {
  const reach = section("Reachability");
  const node = reach.getByRole("button", { name: /^Subnet spoke-vnet\/app: / });
  await node.focus();
  await page.keyboard.press("Enter");
  const selected = async () => reach.getByRole("table", { name: "Reachability matrix" }).locator("tbody tr")
    .evaluateAll((trs) => trs.map((tr) => [(tr as HTMLTableRowElement).cells[0]!.textContent!.trim(), tr.getAttribute("aria-selected")]));
  await until("spoke-vnet/app selected", async () => (await selected()).some(([n, s]) => /spoke-vnet\s*\/\s*app/.test(n!) && s === "true"));
  let rows = await selected();
  assert.deepEqual(rows.filter(([, s]) => s === "true").length, 1, JSON.stringify(rows));
  assert.ok(rows.every(([, s]) => s === "true" || s === "false"), JSON.stringify(rows));

  await reach.getByRole("button", { name: /^Subnet hub-vnet\/app: / }).click();
  await until("hub-vnet/app selected", async () => (await selected()).some(([n, s]) => /hub-vnet\s*\/\s*app/.test(n!) && s === "true"));
  rows = await selected();
  assert.deepEqual(rows.filter(([, s]) => s === "true").map(([n]) => n!.replace(/\s+/g, "")), ["hub-vnet/app"]);
});

test("changes made with the real `cove` binary show on the open page within 2 s, without a reload", async () => {
  await page.evaluate(() => { (window as any).__sameDocument = true; });
  await cli.ok("acr", "private-endpoint-connection", "reject", "-n", cs.connection["spoke-pe"], "-r", REGISTRY, "-g", cs.rg, "--description", "cut off from the CLI");
  let t = Date.now();
  await until("spoke-pe Rejected on the page", async () => (await stateOf("spoke-pe")) === "Rejected", 2000, 50);
  const rejectMs = Date.now() - t;
  assert.equal((await connectionRow("spoke-pe")).Description, "cut off from the CLI");

  await cli.ok("acr", "network-rule", "add", "-n", REGISTRY, "-g", cs.rg, "--ip-address", "192.0.2.77");
  t = Date.now();
  const rules = section("Public access").getByRole("table", { name: "IP rules" });
  await until("the CLI's rule on the page", async () => (await tableRows(rules)).some((r) => r["Address range"] === "192.0.2.77"), 2000, 50);
  const ruleMs = Date.now() - t;
  await owner.announced("Updated");
  assert.equal(await page.evaluate(() => (window as any).__sameDocument), true, "no reload");
  process.stdout.write(`# live update: connection state ${rejectMs} ms, IP rule ${ruleMs} ms after the command exited\n`);
});

test("Activity: the timeline filters by kind and time; Export evidence downloads a bundle `cove acr evidence verify` accepts", async () => {
  const activity = section("Activity");
  const timeline = activity.getByRole("table", { name: "Audit timeline" });
  const kinds = await activity.getByLabel("Kind").locator("option").allInnerTexts();
  const kind = kinds.find((k) => k === "private-endpoint-connection");
  assert.ok(kind, JSON.stringify(kinds));
  await activity.getByLabel("Kind").selectOption(kind);
  const rows = await until("filtered by kind", async () => {
    const r = await tableRows(timeline);
    return r.length > 0 && r.every((x) => x.Kind === kind) ? r : undefined;
  });
  assert.ok(rows.some((r) => /Rejected/.test(r.Summary!)), JSON.stringify(rows));
  await activity.getByLabel("Since").fill("2099-01-01T00:00");
  await until("nothing since 2099", async () => (await tableRows(timeline)).every((r) => !r.Kind));
  await activity.getByLabel("Since").fill("");
  await activity.getByLabel("Kind").selectOption({ label: "All kinds" });

  const downloading = page.waitForEvent("download");
  await activity.getByRole("button", { name: "Export evidence" }).click();
  const download = await downloading;
  const file = download.suggestedFilename();
  assert.match(file, new RegExp(`^evidence-${REGISTRY}-\\d{8}T\\d{6}Z\\.tar$`));
  const saved = join(work, file);
  await download.saveAs(saved);
  await owner.announced(`Evidence downloaded: ${file}`);
  const verified = await cli.run("acr", "evidence", "verify", saved, "--public-key", join(cli.cove.dataDir, "keys", "evidence-signing.pub.pem"));
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  // The one refused request was the IPv6 rule's PATCH, on purpose.
  owner.assertClean([/status of 400 .*registries\/demoacr\?api-version/]);
});
