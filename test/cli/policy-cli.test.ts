// A user's session with `cove policy ...`: the real `cove` binary (a child process, logged in with
// `cove login --from-data-dir`) against a real Cove, as a platform team would rehearse a landing
// zone. It finds the built-ins by Azure's names, writes a custom definition (and sees a bad one
// refused with Azure's InvalidPolicyRule), assigns a built-in with Deny at a resource group and
// sees a registry refused, exempts the group until a time, reads the compliance states after a
// scan, and remediates a DeployIfNotExists assignment under its identity. Every flag error is a
// usage error (exit 2) with one `ERROR:` line and nothing changed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realCli, type CliRun, type RealCli } from "./real-cli.js";

/** Built-ins by Azure's ids (Azure/azure-policy). */
const PUBLIC_ACCESS = "0fdf0491-d080-4575-b627-ad0e843cba0f";
const PRIVATE_ENDPOINTS = "d85c6833-7d33-4cf5-a915-aaa2de84405f";

let cli: RealCli;
let work: string;
let SUB: string;
let RG: string;
let REGISTRY: string;

before(async () => {
  cli = await realCli();
  work = await mkdtemp(join(tmpdir(), "cove-policy-cli-"));
  SUB = `/subscriptions/${(await cli.json("account", "show")).id}`;
  RG = `${SUB}/resourceGroups/lz-rg`;
  await cli.ok("group", "create", "-n", "lz-rg", "-l", "westeurope", "-o", "none");
  REGISTRY = (await cli.json("acr", "create", "-n", "corpregistry", "-g", "lz-rg", "--sku", "Standard")).id;
});
after(async () => {
  await cli?.close();
  await rm(work, { recursive: true, force: true });
});

/** A command that must fail: its exit code, one `ERROR:` line first, never a stack trace. */
async function fails(code: number, ...args: string[]): Promise<CliRun> {
  const r = await cli.run(...args);
  assert.equal(r.code, code, `cove ${args.join(" ")} exited ${r.code}, expected ${code}:\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^ERROR: /);
  assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|ReferenceError/);
  assert.equal(r.stdout, "");
  return r;
}

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

test("definition list shows the built-ins with Azure's ids, names and parameters; show takes a built-in's GUID", async () => {
  const list = await cli.json("policy", "definition", "list");
  const pna = list.find((d: any) => d.displayName === "Public network access should be disabled for Container registries");
  assert.ok(pna, "the built-in is listed");
  assert.equal(pna.id, `/providers/Microsoft.Authorization/policyDefinitions/${PUBLIC_ACCESS}`);
  assert.equal(pna.name, PUBLIC_ACCESS);
  assert.equal(pna.policyType, "BuiltIn");
  assert.deepEqual(pna.parameters.effect.allowedValues, ["Audit", "Deny", "Disabled"]);
  // The metadata as the service sent it: no SDK wrapper key.
  assert.equal(pna.parameters.effect.metadata.displayName, "Effect");
  assert.equal("additionalProperties" in pna.parameters.effect.metadata, false);

  const shown = await cli.json("policy", "definition", "show", "-n", PUBLIC_ACCESS);
  assert.equal(shown.displayName, pna.displayName);
  assert.deepEqual(shown.policyRule, pna.policyRule);

  const table = (await cli.ok("policy", "definition", "list", "-o", "table")).split("\n");
  assert.match(table[0], /^Description\s.*DisplayName\s.*Mode\s+Name\s+PolicyType\s/);
  assert.ok(table.some((l) => l.includes("Public network access should be disabled for Container registries") && l.includes("BuiltIn")));

  const missing = await fails(3, "policy", "definition", "show", "-n", "no-such-policy");
  assert.match(missing.stderr, /\(PolicyDefinitionNotFound\)/);
});

test("definition create from --rules (JSON, az's single-quoted shorthand, a file); a rule the service cannot compile is InvalidPolicyRule, nothing written", async () => {
  const paramsFile = join(work, "params.json");
  await writeFile(paramsFile, JSON.stringify({
    effect: { type: "String", defaultValue: "Audit", allowedValues: ["Audit", "Deny", "Disabled"], metadata: { displayName: "Effect", category: "Landing zone" } },
  }));
  const created = await cli.json("policy", "definition", "create", "-n", "no-admin-user", "--display-name", "Registries without the admin user",
    "--rules", "{ 'if': { 'allOf': [ { 'field': 'type', 'equals': 'Microsoft.ContainerRegistry/registries' }, { 'field': 'Microsoft.ContainerRegistry/registries/adminUserEnabled', 'equals': true } ] }, 'then': { 'effect': '[parameters(\\'effect\\')]' } }",
    "--params", paramsFile);
  assert.equal(created.id, `${SUB}/providers/Microsoft.Authorization/policyDefinitions/no-admin-user`);
  assert.equal(created.policyType, "Custom");
  assert.equal(created.mode, "Indexed", "az's default mode");
  assert.deepEqual(created.policyRule, {
    if: { allOf: [{ field: "type", equals: "Microsoft.ContainerRegistry/registries" }, { field: "Microsoft.ContainerRegistry/registries/adminUserEnabled", equals: true }] },
    then: { effect: "[parameters('effect')]" },
  });
  // A metadata key the SDK does not model is sent and printed all the same.
  assert.deepEqual(created.parameters.effect.metadata, { displayName: "Effect", category: "Landing zone" });
  assert.equal((await cli.json("policy", "definition", "show", "-n", "no-admin-user")).displayName, "Registries without the admin user");
  const customs = await cli.json("policy", "definition", "list", "--query", "[?policyType=='Custom'].name");
  assert.deepEqual(customs, ["no-admin-user"]);

  const rulesFile = join(work, "rule.json");
  await writeFile(rulesFile, JSON.stringify({ if: { field: "location", notIn: ["westeurope"] }, then: { effect: "audit" } }));
  const fromFile = await cli.json("policy", "definition", "create", "-n", "eu-only", "--rules", `@${rulesFile}`, "-m", "All");
  assert.deepEqual(fromFile.policyRule.if, { field: "location", notIn: ["westeurope"] });
  assert.equal(fromFile.mode, "All");

  const refused = await fails(1, "policy", "definition", "create", "-n", "bad-rule", "--rules", '{"if":{"field":"type","frobnicates":"x"},"then":{"effect":"audit"}}');
  assert.match(refused.stderr, /^ERROR: \(InvalidPolicyRule\) .*frobnicates/);
  assert.match(refused.stderr, /\nCode: InvalidPolicyRule\n/);
  await fails(3, "policy", "definition", "show", "-n", "bad-rule");

  const malformed = await fails(2, "policy", "definition", "create", "-n", "bad-json", "--rules", '{"if": {"field": "type",');
  assert.match(malformed.stderr, /^ERROR: argument --rules: the value is not valid JSON/);
  await fails(3, "policy", "definition", "show", "-n", "bad-json");
});

test("assignment create of a built-in with --params Deny at a resource group: the next registry is refused; list, show, delete", async () => {
  const created = await cli.json("policy", "assignment", "create", "-n", "pna-deny", "--display-name", "Public access off",
    "--policy", PUBLIC_ACCESS, "-g", "lz-rg", "--params", '{"effect":{"value":"Deny"}}');
  assert.equal(created.id, `${RG}/providers/Microsoft.Authorization/policyAssignments/pna-deny`);
  assert.equal(created.scope, RG);
  assert.equal(created.policyDefinitionId, `/providers/Microsoft.Authorization/policyDefinitions/${PUBLIC_ACCESS}`);
  assert.deepEqual(created.parameters, { effect: { value: "Deny" } });
  assert.equal(created.enforcementMode, "Default");

  // What the assignment is for: a registry with public access on is refused, with Azure's error.
  const denied = await fails(1, "acr", "create", "-n", "newregistry", "-g", "lz-rg", "--sku", "Premium");
  assert.match(denied.stderr, /^ERROR: \(RequestDisallowedByPolicy\) /);
  assert.ok(denied.stderr.includes(created.id), "the error names the assignment");
  await fails(3, "acr", "show", "-n", "newregistry", "-g", "lz-rg");

  // By id, at the subscription (the default scope), not enforced, with the group left out.
  const audit = await cli.json("policy", "assignment", "create", "-n", "pna-audit", "--policy", `/providers/Microsoft.Authorization/policyDefinitions/${PUBLIC_ACCESS}`,
    "-e", "DoNotEnforce", "--not-scopes", `${SUB}/resourceGroups/sandbox-rg`);
  assert.equal(audit.scope, SUB);
  assert.equal(audit.enforcementMode, "DoNotEnforce");
  assert.deepEqual(audit.notScopes, [`${SUB}/resourceGroups/sandbox-rg`]);
  // Without -n the name is generated as az does, and --policy takes a custom definition's name.
  const unnamed = await cli.json("policy", "assignment", "create", "--policy", "no-admin-user", "-g", "lz-rg");
  assert.match(unnamed.name, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(unnamed.policyDefinitionId, `${SUB}/providers/Microsoft.Authorization/policyDefinitions/no-admin-user`);

  const names = async (...args: string[]) => (await cli.json("policy", "assignment", "list", ...args, "--query", "[].name")).sort();
  assert.deepEqual(await names(), ["pna-audit"], "at the subscription itself");
  assert.deepEqual(await names("-g", "lz-rg"), [unnamed.name, "pna-deny"].sort());
  assert.deepEqual(await names("-g", "lz-rg", "-d"), [unnamed.name, "pna-audit", "pna-deny"].sort(), "and what applies from above");
  assert.deepEqual(await names("-d"), [unnamed.name, "pna-audit", "pna-deny"].sort(), "and what is below");
  assert.deepEqual(await names("--scope", REGISTRY), []);
  assert.deepEqual(await names("--scope", REGISTRY, "-d"), [unnamed.name, "pna-audit", "pna-deny"].sort());
  const table = (await cli.ok("policy", "assignment", "list", "-g", "lz-rg", "-o", "table")).split("\n");
  assert.match(table[0], /DisplayName\s+EnforcementMode\s+Id\s+Name\s+PolicyDefinitionId\s+Scope\s/);
  assert.ok(table.some((l) => l.includes("Public access off") && l.includes(`${RG} `)));

  assert.equal((await cli.json("policy", "assignment", "show", "-n", "pna-deny", "-g", "lz-rg")).displayName, "Public access off");
  assert.equal((await cli.json("policy", "assignment", "show", "-n", "pna-deny", "--scope", RG)).id, created.id);
  await fails(3, "policy", "assignment", "show", "-n", "pna-deny");

  for (const [name, scope] of [["pna-deny", ["-g", "lz-rg"]], ["pna-audit", []], [unnamed.name, ["-g", "lz-rg"]]] as const) {
    assert.equal(await cli.ok("policy", "assignment", "delete", "-n", name, ...scope), "", "delete prints nothing, as az");
  }
  await fails(3, "policy", "assignment", "show", "-n", "pna-deny", "-g", "lz-rg");
  assert.deepEqual(await names("-d"), []);
  // Nothing denies now.
  await cli.ok("acr", "create", "-n", "newregistry", "-g", "lz-rg", "--sku", "Premium", "-o", "none");
  await cli.ok("acr", "delete", "-n", "newregistry", "-g", "lz-rg", "--yes");
});

test("exemption create with --expires-on lifts the Deny for its scope; list, show, delete", async () => {
  const assignment = await cli.json("policy", "assignment", "create", "-n", "pna-deny", "--policy", PUBLIC_ACCESS, "-g", "lz-rg", "--params", '{"effect":{"value":"Deny"}}');
  await fails(1, "acr", "create", "-n", "waivedregistry", "-g", "lz-rg", "--sku", "Premium");

  const expires = inAnHour();
  // -a by name: found among the subscription's assignments.
  const exemption = await cli.json("policy", "exemption", "create", "-n", "migration-waiver", "-g", "lz-rg", "-a", "pna-deny",
    "-e", "Waiver", "--expires-on", expires, "--description", "Private endpoints land next sprint");
  assert.equal(exemption.id, `${RG}/providers/Microsoft.Authorization/policyExemptions/migration-waiver`);
  assert.equal(exemption.policyAssignmentId, assignment.id);
  assert.equal(exemption.exemptionCategory, "Waiver");
  assert.equal(exemption.expiresOn, expires.replace(/Z$/, "+00:00"), "az's time format");
  assert.equal(exemption.description, "Private endpoints land next sprint");

  await cli.ok("acr", "create", "-n", "waivedregistry", "-g", "lz-rg", "--sku", "Premium", "-o", "none");

  const names = async (...args: string[]) => cli.json("policy", "exemption", "list", ...args, "--query", "[].name");
  assert.deepEqual(await names("-g", "lz-rg"), ["migration-waiver"]);
  assert.deepEqual(await names(), [], "none at the subscription itself");
  assert.deepEqual(await names("-d"), ["migration-waiver"]);
  assert.equal((await cli.json("policy", "exemption", "show", "-n", "migration-waiver", "-g", "lz-rg")).expiresOn, exemption.expiresOn);
  const table = (await cli.ok("policy", "exemption", "list", "-g", "lz-rg", "-o", "table")).split("\n");
  assert.match(table[0], /Description\s+ExemptionCategory\s+ExpiresOn\s+Id\s+Name\s+PolicyAssignmentId\s/);

  assert.equal(await cli.ok("policy", "exemption", "delete", "-n", "migration-waiver", "-g", "lz-rg"), "");
  assert.deepEqual(await names("-d"), []);
  await fails(1, "acr", "update", "-n", "waivedregistry", "-g", "lz-rg", "--admin-enabled", "false");
  await fails(3, "policy", "exemption", "create", "-g", "lz-rg", "-a", "no-such-assignment", "-e", "Waiver");
  await cli.ok("policy", "assignment", "delete", "-n", "pna-deny", "-g", "lz-rg");
  await cli.ok("acr", "delete", "-n", "waivedregistry", "-g", "lz-rg", "--yes");
});

test("state list for a resource after trigger-scan, with the evaluated expressions and the reason; summarize; --no-wait", async () => {
  const assignment = await cli.json("policy", "assignment", "create", "-n", "pna-audit", "--policy", PUBLIC_ACCESS, "-g", "lz-rg");
  assert.equal(await cli.ok("policy", "state", "trigger-scan"), "", "the scan prints nothing, as az");

  const states = await cli.json("policy", "state", "list", "--resource", REGISTRY);
  const mine = states.filter((s: any) => s.policyAssignmentId?.toLowerCase() === assignment.id.toLowerCase());
  assert.equal(mine.length, 1, JSON.stringify(states));
  assert.equal(mine[0].resourceId.toLowerCase(), REGISTRY.toLowerCase());
  assert.equal(mine[0].complianceState, "NonCompliant", "a Standard registry has public access on");
  assert.equal(mine[0].isCompliant, false);
  assert.equal(mine[0].policyDefinitionAction.toLowerCase(), "audit");
  assert.ok(!Number.isNaN(Date.parse(mine[0].timestamp)));
  // Why, with --expand: the expressions evaluated on the registry, values as the service sent them.
  const expanded = await cli.json("policy", "state", "list", "--resource", REGISTRY, "--expand", "PolicyEvaluationDetails",
    "--query", `[?policyAssignmentName=='pna-audit'].policyEvaluationDetails | [0]`);
  const access = expanded.evaluatedExpressions.find((e: any) => e.expression === "Microsoft.ContainerRegistry/registries/publicNetworkAccess");
  assert.equal(access.expressionValue, "Enabled");
  assert.equal(access.targetValue, "Disabled");
  assert.equal(access.result, "True");
  assert.match(expanded.reason, /publicNetworkAccess.*Enabled/);

  // The same resource by name, as az builds its id; by assignment (with -g: the group's).
  const byName = await cli.json("policy", "state", "list", "--resource", "corpregistry", "-g", "lz-rg", "--namespace", "Microsoft.ContainerRegistry", "--resource-type", "registries");
  assert.deepEqual(byName.map((s: any) => s.policyAssignmentId), states.map((s: any) => s.policyAssignmentId));
  const byAssignment = await cli.json("policy", "state", "list", "-a", "pna-audit", "-g", "lz-rg", "--query", "[].resourceId");
  assert.deepEqual(byAssignment.map((id: string) => id.toLowerCase()), [REGISTRY.toLowerCase()]);
  const nonCompliant = await cli.json("policy", "state", "list", "-g", "lz-rg", "--filter", "complianceState eq 'NonCompliant'", "--query", "[].complianceState");
  assert.ok(nonCompliant.length >= 1 && nonCompliant.every((c: string) => c === "NonCompliant"));
  assert.equal((await cli.json("policy", "state", "list", "--top", "1")).length, 1);

  const summary = await cli.json("policy", "state", "summarize", "-g", "lz-rg");
  assert.ok(summary.results.nonCompliantResources >= 1, JSON.stringify(summary));
  const row = summary.policyAssignments.find((p: any) => p.policyAssignmentId?.toLowerCase() === assignment.id.toLowerCase());
  assert.equal(row.results.nonCompliantResources, 1);

  assert.equal(await cli.ok("policy", "state", "trigger-scan", "-g", "lz-rg", "--no-wait"), "");
  await cli.ok("policy", "assignment", "delete", "-n", "pna-audit", "-g", "lz-rg");
});

test("remediation of a DeployIfNotExists assignment (--mi-system-assigned --location, as az) deploys the missing private endpoint under its identity", async () => {
  await cli.ok("acr", "create", "-n", "premiumregistry", "-g", "lz-rg", "--sku", "Premium", "-o", "none");
  await cli.ok("network", "vnet", "create", "-g", "lz-rg", "-n", "hub", "--address-prefixes", "127.73.0.0/16", "--subnet-name", "pe", "--subnet-prefixes", "127.73.1.0/24", "-o", "none");
  const subnet = `${RG}/providers/Microsoft.Network/virtualNetworks/hub/subnets/pe`;
  const params = JSON.stringify({ privateEndpointSubnetId: { value: subnet } });

  await fails(2, "policy", "assignment", "create", "-n", "pe-dine", "--policy", PRIVATE_ENDPOINTS, "-g", "lz-rg", "--mi-system-assigned", "--params", params);
  const dine = await cli.json("policy", "assignment", "create", "-n", "pe-dine", "--policy", PRIVATE_ENDPOINTS, "-g", "lz-rg",
    "--mi-system-assigned", "-l", "westeurope", "--identity-scope", RG, "--params", params);
  assert.equal(dine.identity.type, "SystemAssigned");
  assert.match(dine.identity.principalId, /^[0-9a-f-]{36}$/);
  assert.equal(dine.location, "westeurope");
  // --identity-scope without --role: az grants Contributor there, what the definition's deployment needs.
  const roles = await cli.json("role", "assignment", "list", "--scope", RG, "--query", `[?principalId=='${dine.identity.principalId}'].roleDefinitionName`);
  assert.deepEqual(roles, ["Contributor"]);

  const remediation = await cli.json("policy", "remediation", "create", "-n", "pe-now", "-a", "pe-dine", "-g", "lz-rg", "--resource-discovery-mode", "ReEvaluateCompliance");
  assert.equal(remediation.id, `${RG}/providers/Microsoft.PolicyInsights/remediations/pe-now`);
  assert.equal(remediation.policyAssignmentId, dine.id, "-a by name, resolved to the assignment's id");
  assert.equal(remediation.resourceDiscoveryMode, "ReEvaluateCompliance");

  let shown: any;
  for (let i = 0; i < 40; i++) {
    shown = await cli.json("policy", "remediation", "show", "-n", "pe-now", "-g", "lz-rg");
    if (!["Accepted", "Evaluating", "Running"].includes(shown.provisioningState)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(shown.provisioningState, "Succeeded", JSON.stringify(shown));
  assert.deepEqual(shown.deploymentStatus, { totalDeployments: 1, successfulDeployments: 1, failedDeployments: 0 });
  const endpoints = await cli.json("network", "private-endpoint", "list", "-g", "lz-rg", "--query", "[].privateLinkServiceConnections[0].privateLinkServiceId");
  assert.deepEqual(endpoints.map((id: string) => id.toLowerCase()), [`${RG}/providers/Microsoft.ContainerRegistry/registries/premiumregistry`.toLowerCase()]);

  const listed = await cli.json("policy", "remediation", "list", "-g", "lz-rg", "--query", "[].{name:name,assignment:policyAssignmentId}");
  assert.deepEqual(listed, [{ name: "pe-now", assignment: dine.id }]);
  await fails(3, "policy", "remediation", "create", "-n", "x", "-a", "no-such-assignment");
});

test("every flag error is a usage error (exit 2) naming the flag, before anything is sent", async () => {
  const before = await cli.ok("policy", "assignment", "list", "-d");
  const cases: [string[], RegExp][] = [
    [["policy", "assignment", "create", "--policy", PUBLIC_ACCESS, "--params", "{effect: Deny"], /argument --params: the value is not valid JSON/],
    [["policy", "assignment", "create", "--policy", PUBLIC_ACCESS, "--params", '{"effect":"Deny"}'], /argument --params: parameter 'effect' needs the form/],
    [["policy", "assignment", "create", "--policy", PUBLIC_ACCESS, "--params", "effect.json"], /argument --params: expected a JSON object, or the path of a file/],
    [["policy", "assignment", "create", "--policy", PUBLIC_ACCESS, "-e", "Sometimes"], /--enforcement-mode.*Allowed values: Default, DoNotEnforce/],
    [["policy", "assignment", "create", "--policy", PUBLIC_ACCESS, "--scope", RG, "-g", "lz-rg"], /usage error: --scope SCOPE \| --resource-group NAME/],
    [["policy", "assignment", "create", "--policy", PUBLIC_ACCESS, "--not-scopes", "sandbox-rg"], /Invalid resource ID value in --not-scopes: 'sandbox-rg'/],
    [["policy", "assignment", "create", "-g", "lz-rg"], /usage error: --policy NAME_OR_ID/],
    [["policy", "assignment", "create", "--policy", PUBLIC_ACCESS, "--role", "Contributor"], /--location is required/],
    [["policy", "assignment", "create", "-n", "a/b", "--policy", PUBLIC_ACCESS], /-n, --name <name>' argument 'a\/b' is invalid/],
    [["policy", "assignment", "list", "--scope", "lz-rg"], /Invalid value in --scope: 'lz-rg'/],
    [["policy", "assignment", "list", "--frobnicate"], /unknown option '--frobnicate'/],
    [["policy", "definition", "create", "-n", "x", "--rules", "[1, 2]"], /argument --rules: expected a JSON object/],
    [["policy", "definition", "create", "-n", "x", "--rules", "{}", "--params", '{"effect": 1}'], /argument --params: parameter 'effect' must be an object/],
    [["policy", "definition", "create", "-n", "x", "--rules", "{}", "-m", "Sometimes"], /--mode.*Allowed values: All, Indexed/],
    [["policy", "definition", "create", "-n", "x"], /required option '--rules <json>' not specified/],
    [["policy", "exemption", "create", "-a", "pna-deny", "-e", "Forever"], /--exemption-category.*Allowed values: Waiver, Mitigated/],
    [["policy", "exemption", "create", "-a", "pna-deny", "-e", "Waiver", "--expires-on", "next week"], /--expires-on <datetime>' argument 'next week' is invalid/],
    [["policy", "state", "list", "--top", "0"], /--top <n>' argument '0' is invalid/],
    [["policy", "state", "list", "--resource", "corpregistry"], /--resource-group is required if --resource is not a resource ID/],
    [["policy", "state", "list", "--resource", "corpregistry", "-g", "lz-rg"], /--namespace is required/],
    [["policy", "state", "summarize", "--namespace", "Microsoft.ContainerRegistry"], /--namespace, --resource-type and --parent go with --resource/],
    [["policy", "state", "list", "-g", "lz-rg", "--expand", "PolicyEvaluationDetails"], /--expand goes with --resource/],
    [["policy", "state", "trigger-scan", "-g"], /-g, --resource-group <group>' argument missing/],
    [["policy", "remediation", "create", "-n", "r", "-a", "pe-dine", "--resource-discovery-mode", "Sometimes"], /Allowed values: ExistingNonCompliant, ReEvaluateCompliance/],
    [["policy", "remediation", "create", "-a", "pe-dine"], /required option '-n, --name <name>' not specified/],
  ];
  // Four at a time: each is a process of its own and none writes anything.
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(cases.slice(i, i + 4).map(async ([args, message]) => {
      const r = await fails(2, ...args);
      assert.match(r.stderr, message, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    }));
  }
  assert.equal(await cli.ok("policy", "assignment", "list", "-d"), before, "nothing was written");
});
