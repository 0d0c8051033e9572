// The seed's first case study, as a test (issue 10): a defence integrator with a Standard registry,
// public access on, the admin user and anonymous pull enabled. Every step is what its platform team
// would run, through Microsoft's SDKs (@azure/arm-policy, @azure/arm-policyinsights,
// @azure/arm-containerregistry, @azure/arm-authorization) against a real Cove, and the evidence is
// the real `cove` binary's bundle.
//   1. The built-ins assigned with Audit: the registry is non-compliant on each, with the reasons.
//   2. Premium, admin and anonymous pull off, the endpoint and its zone group deployed by remediation
//      of the two DeployIfNotExists built-ins, then public access off.
//   3. A scan: zero findings.
//   4. The public-access built-in switched to Deny: re-enabling public access is refused.
//   5. An exemption with a one-minute expiry: the change is allowed, refused again after the
//      expiry, and the evidence bundle shows the exemption.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolicyClient } from "@azure/arm-policy";
import { PolicyClient as ExemptionClient } from "@azure/arm-policy-5";
import { PolicyInsightsClient } from "@azure/arm-policyinsights";
import type { TestCove } from "../support/cove.js";
import { assignRole } from "../support/arm.js";
import { landing, type Landing } from "../toolkit/landing.js";
import { refusal, policyClients } from "./support.js";
import { realCli, type RealCli } from "../cli/real-cli.js";

const DEF = (guid: string) => `/providers/Microsoft.Authorization/policyDefinitions/${guid}`;
const AUDITS = {
  "sku-private-link": "bd560fc0-3c69-498a-ae9f-aa8eb7de0e13",
  "use-private-link": "e8eef0a8-67cf-4eb4-9386-14b0e78733d4",
  "public-access": "0fdf0491-d080-4575-b627-ad0e843cba0f",
  "unrestricted-network": "d0793b48-0edc-4296-a390-4c75d1bdfd71",
  "admin-account": "dc921057-6b28-4fbe-9b83-f7bec05db6c2",
  "anonymous-pull": "9f2dea28-e834-476c-99c5-3507b4728395",
};
const CONFIGURE_ENDPOINTS = "d85c6833-7d33-4cf5-a915-aaa2de84405f";
const CONFIGURE_ZONES = "e9585a95-5b8c-4d03-b193-dc7eb5ac4c32";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";
const ACR = "defenceacr";

let cove: TestCove;
let z: Landing;
let policy: PolicyClient;
let exemptions: ExemptionClient;
let insights: PolicyInsightsClient;
let cli: RealCli;
let rgScope: string;
let registryId: string;
let work: string;

before(async () => {
  cli = await realCli();
  cove = cli.cove;
  z = await landing(cove, "rg-defence");
  ({ policy, exemptions, insights } = policyClients(cove));
  rgScope = `/subscriptions/${z.sub}/resourceGroups/${z.rg}`;
  registryId = await z.registry(ACR, "Standard", { adminUserEnabled: true, anonymousPullEnabled: true });
  work = await mkdtemp(join(tmpdir(), "cove-case-study-"));
});
after(async () => {
  await cli?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The registry's states, with the evaluation details as the service sent them (the SDK's model drops `reason`). */
async function registryStates(): Promise<Map<string, { complianceState?: string; reason?: string }>> {
  const out = new Map<string, { complianceState?: string; reason?: string }>();
  const onResponse = (raw: { bodyAsText?: string | null }) => {
    for (const s of JSON.parse(raw.bodyAsText ?? "{}").value ?? []) {
      out.set(String(s.policyAssignmentName), { complianceState: s.complianceState, reason: s.policyEvaluationDetails?.reason });
    }
  };
  for await (const _ of insights.policyStates.listQueryResultsForResource("latest", registryId, { queryOptions: { expand: "PolicyEvaluationDetails" }, onResponse } as never)) void _;
  return out;
}

async function remediate(name: string, assignment: string): Promise<void> {
  await insights.remediations.createOrUpdateAtResourceGroup(z.rg, name, { policyAssignmentId: `${rgScope}/providers/Microsoft.Authorization/policyAssignments/${assignment}` });
  for (let i = 0; i < 100; i++) {
    const r = await insights.remediations.getAtResourceGroup(z.rg, name);
    if (r.provisioningState === "Succeeded") return;
    assert.notEqual(r.provisioningState, "Failed", `remediation ${name} failed: ${JSON.stringify(r.deploymentStatus)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail(`remediation ${name} did not finish in 10 s`);
}


test("1. the built-ins with Audit: the Standard registry is non-compliant on each, with the reasons", async () => {
  for (const [name, guid] of Object.entries(AUDITS)) {
    await policy.policyAssignments.create(rgScope, name, { displayName: name, policyDefinitionId: DEF(guid), parameters: guid === AUDITS["use-private-link"] ? {} : { effect: { value: "Audit" } } });
  }
  const states = await registryStates();
  for (const name of Object.keys(AUDITS)) {
    assert.equal(states.get(name)?.complianceState, "NonCompliant", `${name}: ${JSON.stringify(states.get(name))}`);
    assert.ok(states.get(name)?.reason, `${name} says why`);
  }
  assert.match(states.get("public-access")!.reason!, /publicNetworkAccess/);
  assert.match(states.get("sku-private-link")!.reason!, /sku\.name/);
});

test("2. Premium, local auth off, endpoint and zone group by remediation, public access off", async () => {
  await z.acr.registries.beginUpdateAndWait(z.rg, ACR, { sku: { name: "Premium" }, adminUserEnabled: false, anonymousPullEnabled: false });
  await z.vnet("vnet-defence", 61);
  const zoneId = await z.zone();
  await z.link("vnet-defence");
  const endpoints = await policy.policyAssignments.create(rgScope, "configure-endpoints", {
    policyDefinitionId: DEF(CONFIGURE_ENDPOINTS), location: "westeurope", identity: { type: "SystemAssigned" },
    parameters: { privateEndpointSubnetId: { value: `${rgScope}/providers/Microsoft.Network/virtualNetworks/vnet-defence/subnets/pe` } },
  });
  const zones = await policy.policyAssignments.create(rgScope, "configure-zones", {
    policyDefinitionId: DEF(CONFIGURE_ZONES), location: "westeurope", identity: { type: "SystemAssigned" },
    parameters: { privateDnsZoneId: { value: zoneId } },
  });
  // As `az policy assignment create --mi-system-assigned --role ... --identity-scope` does: the identities get their roles.
  await assignRole(cove, rgScope, endpoints.identity!.principalId!, CONTRIBUTOR);
  await assignRole(cove, rgScope, zones.identity!.principalId!, NETWORK_CONTRIBUTOR);
  await remediate("endpoints-now", "configure-endpoints");
  const pes = [];
  for await (const e of z.net.privateEndpoints.list(z.rg)) pes.push(e);
  assert.equal(pes.length, 1, "the remediation deployed one private endpoint");
  assert.equal(pes[0]!.privateLinkServiceConnections?.[0]?.privateLinkServiceId?.toLowerCase(), registryId.toLowerCase());
  await remediate("zones-now", "configure-zones");
  const groups = [];
  for await (const g of z.net.privateDnsZoneGroups.list(z.rg, pes[0]!.name!)) groups.push(g);
  assert.equal(groups.length, 1, "the remediation deployed the zone group");
  assert.equal(groups[0]!.privateDnsZoneConfigs?.[0]?.privateDnsZoneId?.toLowerCase(), zoneId.toLowerCase());
  await z.acr.registries.beginUpdateAndWait(z.rg, ACR, { publicNetworkAccess: "Disabled" });
});

test("3. a scan: zero findings", async () => {
  await insights.policyStates.beginTriggerResourceGroupEvaluationAndWait(z.sub, z.rg, { updateIntervalInMs: 100 } as never);
  const findings = [];
  for await (const s of insights.policyStates.listQueryResultsForResourceGroup("latest", z.sub, z.rg, { queryOptions: { filter: "complianceState eq 'NonCompliant'" } })) findings.push(`${s.resourceId} ${s.policyAssignmentName}`);
  assert.deepEqual(findings, []);
  const summary = await insights.policyStates.summarizeForResourceGroup("latest", z.sub, z.rg);
  assert.equal(summary.value?.[0]?.results?.nonCompliantResources, 0);
});

test("4. public access under Deny: re-enabling it is refused", async () => {
  await policy.policyAssignments.create(rgScope, "public-access", { displayName: "public-access", policyDefinitionId: DEF(AUDITS["public-access"]), parameters: { effect: { value: "Deny" } } });
  const err = await refusal(z.acr.registries.beginUpdateAndWait(z.rg, ACR, { publicNetworkAccess: "Enabled" }));
  assert.equal(err.code, "RequestDisallowedByPolicy");
  assert.match(err.message, /public-access/);
  assert.equal((await z.acr.registries.get(z.rg, ACR)).publicNetworkAccess, "Disabled");
});

test("5. a one-minute exemption: allowed, refused again after the expiry, and in the evidence", async () => {
  const expiresOn = new Date(Date.now() + 60_000);
  await exemptions.policyExemptions.createOrUpdate(registryId, "vendor-pull-window", {
    policyAssignmentId: `${rgScope}/providers/Microsoft.Authorization/policyAssignments/public-access`,
    exemptionCategory: "Waiver", description: "the vendor's appliance pulls once over the internet", expiresOn,
  });
  await z.acr.registries.beginUpdateAndWait(z.rg, ACR, { publicNetworkAccess: "Enabled" });
  await z.acr.registries.beginUpdateAndWait(z.rg, ACR, { publicNetworkAccess: "Disabled" });
  const bundle = join(work, "bundle");
  const r = await cli.run("acr", "evidence", "export", "-n", ACR, "--output-dir", bundle);
  assert.equal(r.code, 0, r.stderr);
  const { compliance } = JSON.parse(await readFile(join(bundle, "evidence.json"), "utf8"));
  assert.equal(compliance.status, "known");
  const ex = (compliance.exemptions as any[]).find((e) => /vendor-pull-window$/.test(e.id));
  assert.ok(ex, "the bundle lists the exemption");
  assert.equal(ex.category, "Waiver");
  assert.equal(Date.parse(ex.expiresOn), expiresOn.getTime());
  assert.equal(ex.expired, false);
  assert.match(await readFile(join(bundle, "report.md"), "utf8"), /vendor-pull-window/, "the bundle's report names it too");
  const wait = expiresOn.getTime() - Date.now() + 500;
  if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
  const err = await refusal(z.acr.registries.beginUpdateAndWait(z.rg, ACR, { publicNetworkAccess: "Enabled" }));
  assert.equal(err.code, "RequestDisallowedByPolicy");
});
