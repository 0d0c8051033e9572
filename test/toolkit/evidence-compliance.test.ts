// The evidence bundle's compliance section (issue 10 section 5), end to end: the real `cove`
// binary exports bundles of a Standard registry with public access on, after a landing zone's
// script (@azure/arm-policy 7, @azure/arm-policy-5 for the exemption) assigned the public-access
// built-in with Audit. The section names the assignment with its definition, the registry as
// non-compliant with the reason, and, once an exemption is added, the exemption with its expiry;
// `evidence diff` names the new exemption and the registry's change of state; verify passes, and
// fails naming the field when the section is edited. An assignment elsewhere stays out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolicyClient } from "@azure/arm-policy";
import { PolicyClient as ExemptionClient } from "@azure/arm-policy-5";
import { EXIT_CHECK_FAILED, EXIT_OK } from "../../src/cli/exit-codes.js";
import { canonicalJson } from "../../src/cli/toolkit/evidence/canonical.js";
import { POLICY_FACT_KINDS } from "../../src/cli/toolkit/evidence/diff.js";
import { realCli, type RealCli } from "../cli/real-cli.js";
import { clients } from "../support/arm.js";
import { landing, type Landing } from "./landing.js";

const PUBLIC_ACCESS = "/providers/Microsoft.Authorization/policyDefinitions/0fdf0491-d080-4575-b627-ad0e843cba0f";
const PUBLIC_ACCESS_NAME = "Public network access should be disabled for Container registries";
const ANONYMOUS = "/providers/Microsoft.Authorization/policyDefinitions/9f2dea28-e834-476c-99c5-3507b4728395";
const REG = "complianceacr";

let cli: RealCli;
let z: Landing;
let work: string;
let pub: string;
let registryId: string;
let assignmentId: string;
let first: any;
let second: any;

async function exportTo(name: string): Promise<{ dir: string; evidence: any; report: string }> {
  const dir = join(work, name);
  const r = await cli.run("acr", "evidence", "export", "-n", REG, "-g", z.rg, "--output-dir", dir, "--since", "1h");
  assert.equal(r.code, EXIT_OK, r.stderr);
  return { dir, evidence: JSON.parse(await readFile(join(dir, "evidence.json"), "utf8")), report: await readFile(join(dir, "report.md"), "utf8") };
}

before(async () => {
  cli = await realCli();
  z = await landing(cli.cove, "rg-compliance");
  work = await mkdtemp(join(tmpdir(), "cove-evidence-compliance-"));
  pub = join(cli.env.COVE_CONFIG_DIR!, "evidence", "signing-key.pub.pem");
  const c = clients(cli.cove);
  const common = { endpoint: cli.cove.managementUrl, tlsOptions: { ca: cli.cove.ca }, retryOptions: { maxRetries: 0 } } as any;
  const policy = new PolicyClient(c.cred, z.sub, common);
  const exemptions = new ExemptionClient(c.cred, z.sub, common);
  const rgScope = `/subscriptions/${z.sub}/resourceGroups/${z.rg}`;

  registryId = await z.registry(REG, "Standard");
  // An assignment in another group holds nothing of this bundle's: it must stay out of it.
  await c.resources.resourceGroups.createOrUpdate("rg-elsewhere", { location: "westeurope" });
  await policy.policyAssignments.create(`/subscriptions/${z.sub}/resourceGroups/rg-elsewhere`, "elsewhere", {
    displayName: "Somebody else's registries", policyDefinitionId: ANONYMOUS, parameters: { effect: { value: "Audit" } },
  });
  const made = await policy.policyAssignments.create(rgScope, "audit-public", {
    displayName: "Registries without public access", policyDefinitionId: PUBLIC_ACCESS, parameters: { effect: { value: "Audit" } },
  });
  assignmentId = made.id!;
  first = await exportTo("before");

  await exemptions.policyExemptions.createOrUpdate(registryId, "build-agents", {
    policyAssignmentId: assignmentId, exemptionCategory: "Waiver", displayName: "Build agents still pull publicly",
    description: "until the agents move into the hub", expiresOn: new Date(Date.now() + 3600_000),
  });
  second = await exportTo("after");
});
after(async () => {
  await cli?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test("the section lists the assignment with its definition, and the registry non-compliant with the reason", () => {
  const c = first.evidence.compliance;
  assert.equal(c.status, "known", JSON.stringify(c));
  assert.deepEqual(c.assignments.map((a: any) => a.name), ["audit-public"], "only assignments at scopes holding the registry");
  const a = c.assignments[0];
  assert.deepEqual(
    [a.id, a.displayName, a.definitionId, a.definitionName, a.scope, a.notScopes, a.enforcementMode, a.parameters],
    [assignmentId, "Registries without public access", PUBLIC_ACCESS, PUBLIC_ACCESS_NAME, `/subscriptions/${z.sub}/resourceGroups/${z.rg}`, [], "Default", { effect: "Audit" }],
  );
  const mine = c.nonCompliant.filter((s: any) => s.resourceId.toLowerCase() === registryId.toLowerCase());
  assert.equal(mine.length, 1, JSON.stringify(c.nonCompliant));
  assert.equal(mine[0].assignment, "Registries without public access");
  assert.equal(mine[0].definition, PUBLIC_ACCESS_NAME);
  assert.equal(mine[0].complianceState, "NonCompliant");
  assert.match(mine[0].reason, /publicNetworkAccess/i, "the reason names the field that decided");
  assert.ok(!Number.isNaN(Date.parse(mine[0].timestamp)), mine[0].timestamp);
  assert.deepEqual([c.exempt, c.exemptions], [[], []]);
  assert.match(first.report, /## Azure Policy/);
  assert.ok(first.report.includes(`| ${registryId} | Registries without public access | ${PUBLIC_ACCESS_NAME} |`), "the report names the non-compliant registry");
});

test("after the exemption: it is listed with its category, scope, assignment and expiry, and the registry is Exempt", () => {
  const c = second.evidence.compliance;
  assert.equal(c.exemptions.length, 1);
  const x = c.exemptions[0];
  assert.deepEqual([x.name, x.displayName, x.category, x.scope.toLowerCase(), x.assignmentId.toLowerCase(), x.assignment, x.expired],
    ["build-agents", "Build agents still pull publicly", "Waiver", registryId.toLowerCase(), assignmentId.toLowerCase(), "Registries without public access", false]);
  assert.ok(Date.parse(x.expiresOn) > Date.parse(second.evidence.createdAt), x.expiresOn);
  assert.equal(c.nonCompliant.filter((s: any) => s.resourceId.toLowerCase() === registryId.toLowerCase()).length, 0);
  assert.deepEqual(c.exempt.map((s: any) => [s.resourceId.toLowerCase(), s.complianceState]), [[registryId.toLowerCase(), "Exempt"]]);
  assert.match(second.report, /\| Build agents still pull publicly \(build-agents\) \| Waiver \| [^|]+ \| Registries without public access \| \d{4}-\d\d-\d\dT[^|]+ \| no \|/);
});

test("evidence diff names the new exemption and the registry's change of state under the assignment", async () => {
  const r = await cli.run("acr", "evidence", "diff", first.dir, second.dir, "--public-key", pub);
  assert.equal(r.code, EXIT_OK, r.stderr);
  const changes: { fact: string; change: string }[] = JSON.parse(r.stdout);
  const policy = changes.filter((c) => (POLICY_FACT_KINDS as readonly string[]).includes(c.fact));
  const exemption = policy.find((c) => c.fact === "exemption");
  assert.match(exemption?.change ?? "", /^exemption 'Build agents still pull publicly' \(Waiver\) added on \S+complianceacr for assignment 'Registries without public access', expires \d{4}-/i, JSON.stringify(policy));
  const state = policy.find((c) => c.fact === "compliance");
  assert.equal(state?.change, `resource ${REG} (${second.evidence.compliance.exempt[0].resourceId}): NonCompliant -> Exempt under assignment 'Registries without public access'`);
  assert.equal(policy.length, 2, `nothing else of the policy changed: ${JSON.stringify(policy)}`);
  // And backwards: the exemption removed, the registry NonCompliant again, with its reason.
  const back = JSON.parse((await cli.run("acr", "evidence", "diff", second.dir, first.dir, "--public-key", pub)).stdout) as typeof changes;
  assert.ok(back.some((c) => c.fact === "exemption" && /^exemption 'Build agents still pull publicly' removed/.test(c.change)), JSON.stringify(back));
  assert.ok(back.some((c) => c.fact === "compliance" && / Exempt -> NonCompliant under assignment 'Registries without public access' \(.*publicNetworkAccess/i.test(c.change)), JSON.stringify(back));
});

test("verify passes, and fails naming the field when the compliance section is edited", async () => {
  const ok = await cli.run("acr", "evidence", "verify", second.dir, "--public-key", pub);
  assert.equal(ok.code, EXIT_OK, ok.stderr);
  const edited = join(work, "edited");
  await cp(second.dir, edited, { recursive: true });
  const e = JSON.parse(await readFile(join(edited, "evidence.json"), "utf8"));
  e.compliance.exemptions[0].category = "Mitigated";
  await writeFile(join(edited, "evidence.json"), canonicalJson(e));
  const r = await cli.run("acr", "evidence", "verify", edited, "--public-key", pub);
  assert.equal(r.code, EXIT_CHECK_FAILED, r.stderr);
  assert.match(r.stderr, /Evidence verification failed \(digest-mismatch\): evidence\.json changed: the first changed field is compliance\.exemptions\[0\]\.category \(changed\)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});
