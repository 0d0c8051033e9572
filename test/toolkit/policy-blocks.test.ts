// Preflight and the network report name the Azure Policy assignment that would refuse the fix they
// propose (issue 10 section 5), asked of the server with checkPolicyRestrictions. The landing zone:
// a Premium registry with public access off, the public-access built-in assigned with Deny (by
// @azure/arm-policy 7, as a platform team's script would). An internet client's fix would enable
// public access: it is marked blocked in JSON, text and JUnit, the report's row says so too, and the
// printed command is indeed refused with RequestDisallowedByPolicy when run. DoNotEnforce and an
// exemption lift the mark. The report asks once per distinct proposed change, not once per row.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolicyClient } from "@azure/arm-policy";
import { PolicyClient as ExemptionClient } from "@azure/arm-policy-5";
import { EXIT_CHECK_FAILED } from "../../src/cli/exit-codes.js";
import { proposedChanges } from "../../src/cli/toolkit/policy-changes.js";
import { emptyInventory } from "../../src/network-policy/reachability/inventory.js";
import { clients } from "../support/arm.js";
import { harness, type Harness } from "./preflight-harness.js";
import { shellWords } from "./landing.js";

const PUBLIC_ACCESS = "/providers/Microsoft.Authorization/policyDefinitions/0fdf0491-d080-4575-b627-ad0e843cba0f";
const PUBLIC_ACCESS_NAME = "Public network access should be disabled for Container registries";
const REG = "blockedacr";
const LAPTOP = "127.99.8.10";

let h: Harness;
let policy: PolicyClient;
let exemptions: ExemptionClient;
let rgScope: string;
let assignmentId: string;
let work: string;
const sentence = () => `blocked by policy assignment 'No public registries' (${assignmentId}), definition '${PUBLIC_ACCESS_NAME}'`;

before(async () => {
  h = await harness();
  work = await mkdtemp(join(tmpdir(), "cove-policy-blocks-"));
  const c = clients(h.cli.cove);
  const common = { endpoint: h.cli.cove.managementUrl, tlsOptions: { ca: h.cli.cove.ca }, retryOptions: { maxRetries: 0 } } as any;
  policy = new PolicyClient(c.cred, h.lz.sub, common);
  exemptions = new ExemptionClient(c.cred, h.lz.sub, common);
  rgScope = `/subscriptions/${h.lz.sub}/resourceGroups/${h.lz.rg}`;
  await h.lz.registry(REG, "Premium", { publicNetworkAccess: "Disabled" });
  assignmentId = (await policy.policyAssignments.create(rgScope, "deny-public", {
    displayName: "No public registries", policyDefinitionId: PUBLIC_ACCESS, parameters: { effect: { value: "Deny" } },
  })).id!;
});
after(async () => {
  await h?.cli.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test("preflight --json: the fix that would enable public access is marked blocked by the Deny assignment, and it is refused when run", async () => {
  const r = await h.preflight("-n", REG, "--source-address", LAPTOP);
  assert.equal(r.code, EXIT_CHECK_FAILED, r.stderr);
  assert.equal(r.json.cause, "PUBLIC_ACCESS_DISABLED");
  const [update, rule] = r.json.fix;
  assert.match(update.cove, /^cove acr update -n blockedacr -g \S+ --public-network-enabled true --default-action Deny$/);
  assert.equal(update.blocked, sentence());
  assert.deepEqual(update.blockedBy, [{ assignmentId, assignment: "No public registries", definitionId: PUBLIC_ACCESS, definition: PUBLIC_ACCESS_NAME }]);
  // The IP rule comes after the update: the registry it would leave still has public access on.
  assert.match(rule.cove, /^cove acr network-rule add /);
  assert.equal(rule.blocked, sentence());
  assert.equal(r.json.policyCheck, undefined, "the check was made");
  // The mark is true: the printed command is refused by the server.
  const run = await h.cli.run(...shellWords(update.cove).slice(1));
  assert.equal(run.code, 1);
  assert.match(run.stderr, /RequestDisallowedByPolicy/);
});

test("preflight's text and JUnit say the same under the fix", async () => {
  const junitFile = join(work, "preflight.xml");
  const r = await h.cli.run("acr", "preflight", "-n", REG, "--source-address", LAPTOP, "--junit", junitFile);
  assert.equal(r.code, EXIT_CHECK_FAILED, r.stderr);
  const lines = r.stdout.split("\n");
  const at = lines.findIndex((l) => /^ {4}cove acr update -n blockedacr /.test(l));
  assert.ok(at > 0, r.stdout);
  assert.equal(lines[at + 1], `      ${sentence()}`);
  const xml = await readFile(junitFile, "utf8");
  assert.ok(xml.includes(`--default-action Deny (${sentence().replace(/'/g, "&apos;")})`), xml);
});

test("the network report marks the rows whose fix is blocked, asking once per distinct change", async () => {
  await h.lz.vnet("polvnet1", 61);
  await h.lz.vnet("polvnet2", 62);
  const r = await h.cli.run("acr", "network-report", "-n", REG, "--debug");
  assert.equal(r.code, 0, r.stderr);
  const rows: any[] = JSON.parse(r.stdout);
  const internet = rows.find((x) => x.vnet === "internet");
  assert.equal(internet.reason, "PUBLIC_ACCESS_DISABLED");
  assert.deepEqual(internet.policy, [sentence()]);
  assert.equal(internet.fix[0].blocked, sentence());
  const blocked = rows.filter((x) => x.reason === "PUBLIC_ACCESS_DISABLED");
  assert.ok(blocked.length >= 5 && blocked.every((x) => x.policy?.[0] === sentence()), JSON.stringify(rows.map((x) => [x.vnet, x.subnet, x.reason])));
  // Every such row proposes the same `acr update` and its own IP rule: one call for the update, one per rule.
  const calls = r.stderr.split("\n").filter((l) => /^DEBUG: (cove: )?Request: POST \S+\/checkPolicyRestrictions\b/.test(l)).length;
  assert.equal(calls, 1 + blocked.length, r.stderr);
  const table = await h.cli.ok("acr", "network-report", "-n", REG, "-o", "table");
  assert.match(table.split("\n")[0]!, /\bPolicy$/);
  assert.ok(table.includes("blocked by policy assignment 'No public registries'"), table);
});

test("no mark when the assignment is DoNotEnforce, nor when the registry is exempt", async () => {
  await policy.policyAssignments.create(rgScope, "deny-public", {
    displayName: "No public registries", policyDefinitionId: PUBLIC_ACCESS, parameters: { effect: { value: "Deny" } }, enforcementMode: "DoNotEnforce",
  });
  const relaxed = await h.preflight("-n", REG, "--source-address", LAPTOP);
  assert.equal(relaxed.json.cause, "PUBLIC_ACCESS_DISABLED");
  assert.ok(relaxed.json.fix.every((f: any) => f.blocked === undefined && f.blockedBy === undefined), JSON.stringify(relaxed.json.fix));

  await policy.policyAssignments.create(rgScope, "deny-public", {
    displayName: "No public registries", policyDefinitionId: PUBLIC_ACCESS, parameters: { effect: { value: "Deny" } }, enforcementMode: "Default",
  });
  assert.equal((await h.preflight("-n", REG, "--source-address", LAPTOP)).json.fix[0].blocked, sentence(), "enforced again");
  const registryId = `${rgScope}/providers/Microsoft.ContainerRegistry/registries/${REG}`;
  await exemptions.policyExemptions.createOrUpdate(registryId, "laptop-window", {
    policyAssignmentId: assignmentId, exemptionCategory: "Waiver", expiresOn: new Date(Date.now() + 3600_000),
  });
  const exempt = await h.preflight("-n", REG, "--source-address", LAPTOP);
  assert.ok(exempt.json.fix.every((f: any) => f.blocked === undefined), JSON.stringify(exempt.json.fix));
});

test("the resources a fix would leave: each command builds on the ones before it", () => {
  const sub = "00000000-0000-0000-0000-000000000001";
  const reg = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r1`;
  const inv = emptyInventory();
  inv.registries.push({ id: reg, name: "r1", type: "Microsoft.ContainerRegistry/registries", sku: { name: "Premium" }, properties: { publicNetworkAccess: "Disabled", networkRuleSet: { defaultAction: "Deny", ipRules: [] } } });
  inv.virtualNetworks.push({ id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1`, location: "northeurope" });
  const fix = [
    "cove acr update -n r1 -g rg --public-network-enabled true --default-action Deny",
    "cove acr network-rule add -n r1 -g rg --ip-address 127.99.8.10",
    `cove network private-endpoint create -g rg -n r1-pe --subnet /subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1/subnets/pe --private-connection-resource-id ${reg} --group-id registry --connection-name r1-c`,
    "cove role assignment create --assignee x --role AcrPull --scope /s",
  ].map((cove) => ({ cove, az: cove.replace(/^cove/, "az") }));
  const changes = proposedChanges(inv, sub, fix);
  assert.deepEqual(changes.map((c) => c.fixIndex), [0, 1, 2], "a role assignment proposes no resource a policy refuses here");
  assert.deepEqual([changes[0]!.content.properties.publicNetworkAccess, changes[0]!.content.properties.networkRuleSet.ipRules], ["Enabled", []]);
  assert.deepEqual([changes[1]!.content.properties.publicNetworkAccess, changes[1]!.content.properties.networkRuleSet.ipRules], ["Enabled", [{ action: "Allow", value: "127.99.8.10" }]]);
  assert.equal(inv.registries[0]!.properties.publicNetworkAccess, "Disabled", "the inventory is not changed");
  const pe = changes[2]!.content;
  assert.deepEqual([pe.type, pe.location, pe.properties.privateLinkServiceConnections[0].properties.privateLinkServiceId, changes[2]!.group], ["Microsoft.Network/privateEndpoints", "northeurope", reg, "rg"]);
});
