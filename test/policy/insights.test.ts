// Microsoft.PolicyInsights on Cove, driven by @azure/arm-policyinsights 6 as a platform team's
// scripts would (assignments through @azure/arm-policy 7, exemptions through arm-policy 5.1):
// policy states at every scope the SDK queries (subscription, group, resource, assignment,
// definition) with filters, ordering, selection and summaries; what a caller may read; a bad
// $filter refused by name; triggerEvaluation followed by the SDK's poller, re-judging an exemption
// that expired; checkPolicyRestrictions naming the Deny a body would meet, with nothing written.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { PolicyClient } from "@azure/arm-policy";
import { PolicyClient as ExemptionClient } from "@azure/arm-policy-5";
import { PolicyInsightsClient, type PolicyState } from "@azure/arm-policyinsights";
import { startCove, type TestCove } from "../support/cove.js";
import { ROLE, assignRole, clients, createServicePrincipal, credentialFor, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { landing, type Landing } from "../toolkit/landing.js";
import { refusal, all, armOptions } from "./support.js";

const DEF = (guid: string) => `/providers/Microsoft.Authorization/policyDefinitions/${guid}`;
const ADMIN = "dc921057-6b28-4fbe-9b83-f7bec05db6c2";
const PUBLIC = "0fdf0491-d080-4575-b627-ad0e843cba0f";
const REG = "Microsoft.ContainerRegistry/registries";

let cove: TestCove;
let z: Landing;
let policy: PolicyClient;
let exemptions: ExemptionClient;
let insights: PolicyInsightsClient;
let rgScope: string;
let openAcr: string;
let closedAcr: string;
const common = () => armOptions(cove);
const assignment = (name: string) => `${rgScope}/providers/Microsoft.Authorization/policyAssignments/${name}`;



const states = (queryOptions: Record<string, unknown> = {}) => all(insights.policyStates.listQueryResultsForSubscription("latest", z.sub, { queryOptions }));
const key = (s: PolicyState) => `${s.resourceId!.split("/").pop()} ${s.policyAssignmentName} ${s.complianceState}`;

before(async () => {
  cove = await startCove();
  z = await landing(cove, "rg-insights");
  const c = clients(cove);
  policy = new PolicyClient(c.cred, z.sub, common());
  exemptions = new ExemptionClient(c.cred, z.sub, common());
  insights = new PolicyInsightsClient(c.cred, z.sub, common());
  rgScope = `/subscriptions/${z.sub}/resourceGroups/${z.rg}`;
  openAcr = await z.registry("insopenacr", "Standard", { adminUserEnabled: true });
  closedAcr = await z.registry("insclosedacr", "Premium", { adminUserEnabled: false, publicNetworkAccess: "Disabled" });
  await policy.policyAssignments.create(rgScope, "no-admin", { displayName: "No admin user", policyDefinitionId: DEF(ADMIN), parameters: { effect: { value: "Audit" } } });
  await policy.policyAssignments.create(rgScope, "no-public", { displayName: "No public access", policyDefinitionId: DEF(PUBLIC), parameters: { effect: { value: "Audit" } } });
});
after(async () => cove?.stop());

test("after the assignments, the states of each registry under each assignment, with Azure's fields", async () => {
  const rows = await states();
  assert.deepEqual(rows.map(key).sort(), [
    "insclosedacr no-admin Compliant", "insclosedacr no-public Compliant", "insopenacr no-admin NonCompliant", "insopenacr no-public NonCompliant",
  ]);
  const s = rows.find((r) => r.resourceId === openAcr.toLowerCase() && r.policyAssignmentName === "no-admin")!;
  assert.ok(s, "ids come back lower-cased, as Azure's");
  assert.equal(s.isCompliant, false);
  assert.equal(s.policyAssignmentId, assignment("no-admin").toLowerCase());
  assert.equal(s.policyDefinitionId, DEF(ADMIN).toLowerCase());
  assert.equal(s.policyDefinitionName, ADMIN);
  assert.equal(s.policyDefinitionAction, "audit");
  assert.equal(s.policyAssignmentScope, rgScope.toLowerCase());
  assert.equal(s.policyAssignmentParameters, JSON.stringify({ effect: { value: "Audit" } }));
  assert.equal(s.resourceType, REG);
  assert.equal(s.resourceGroup, "rg-insights");
  assert.equal(s.resourceLocation, "westeurope");
  assert.equal(s.subscriptionId, z.sub);
  assert.equal(s.policyDefinitionVersion, "1.0.1");
  assert.ok(s.timestamp instanceof Date && Date.now() - s.timestamp.getTime() < 60_000, "evaluated just now");
  assert.equal(s.policyEvaluationDetails, undefined, "details only with $expand, as Azure");
});

test("one resource's states with $expand=PolicyEvaluationDetails say why; group, assignment and definition scopes", async () => {
  const mine = await all(insights.policyStates.listQueryResultsForResource("latest", openAcr, { queryOptions: { expand: "PolicyEvaluationDetails" } }));
  assert.deepEqual(mine.map(key).sort(), ["insopenacr no-admin NonCompliant", "insopenacr no-public NonCompliant"]);
  const admin = mine.find((r) => r.policyAssignmentName === "no-admin")!;
  const details = admin.policyEvaluationDetails as { reason?: string; evaluatedExpressions?: { path?: string; result?: string }[] };
  assert.match(details.reason ?? "", /adminUserEnabled/);
  assert.ok(details.evaluatedExpressions?.some((e) => e.path === "properties.adminUserEnabled" && e.result === "True"), JSON.stringify(details));

  assert.equal((await all(insights.policyStates.listQueryResultsForResourceGroup("latest", z.sub, z.rg))).length, 4);
  assert.equal((await all(insights.policyStates.listQueryResultsForResourceGroup("default", z.sub, z.rg))).length, 4, "default = latest: Cove keeps the latest state");
  const byAssignment = await all(insights.policyStates.listQueryResultsForResourceGroupLevelPolicyAssignment("latest", z.sub, z.rg, "no-admin"));
  assert.deepEqual(byAssignment.map(key).sort(), ["insclosedacr no-admin Compliant", "insopenacr no-admin NonCompliant"]);
  const byDefinition = await all(insights.policyStates.listQueryResultsForPolicyDefinition("latest", z.sub, PUBLIC));
  assert.deepEqual(byDefinition.map(key).sort(), ["insclosedacr no-public Compliant", "insopenacr no-public NonCompliant"]);
});

test("$filter, $orderby, $top and $select as az and the SDK send them", async () => {
  assert.deepEqual((await states({ filter: "complianceState eq 'NonCompliant'" })).map(key).sort(), ["insopenacr no-admin NonCompliant", "insopenacr no-public NonCompliant"]);
  const one = await states({ filter: `IsCompliant eq false and PolicyAssignmentId eq '${assignment("no-public").toUpperCase()}'` });
  assert.deepEqual(one.map(key), ["insopenacr no-public NonCompliant"], "field names and values compared without case");
  assert.equal((await states({ filter: `resourceType eq '${REG}' and (resourceGroup eq 'RG-INSIGHTS' or resourceGroup eq 'other')` })).length, 4);
  assert.equal((await states({ filter: "not (policyDefinitionAction eq 'audit')" })).length, 0);
  const first = await states({ orderBy: "resourceId asc, policyAssignmentName desc", top: 1 });
  assert.deepEqual(first.map(key), ["insclosedacr no-public Compliant"]);
  const slim = await states({ select: "resourceId, complianceState", filter: "isCompliant eq false" });
  assert.equal(slim.length, 2);
  assert.equal(slim[0]!.resourceId, openAcr.toLowerCase());
  assert.equal(slim[0]!.policyAssignmentId, undefined, "$select keeps only the columns named");
});

test("a $filter Cove cannot read is refused with InvalidQueryParameterValue, not ignored", async () => {
  for (const filter of ["complianceState gt 'NonCompliant'", "colour eq 'red'", "complianceState eq 'NonCompliant' and", "substringof('acr', resourceId)"]) {
    const err = await refusal(states({ filter }));
    assert.equal(err.statusCode, 400, filter);
    assert.equal(err.code, "InvalidQueryParameterValue", filter);
    assert.match(err.message, /\$filter/, filter);
  }
  assert.equal((await refusal(states({ orderBy: "colour" }))).code, "InvalidQueryParameterValue");
  assert.equal((await refusal(states({ apply: "groupby((resourceId))" }))).code, "InvalidQueryParameterValue");
});

test("summarize: non-compliant resources and policies, per assignment, as Azure's SummarizeResults", async () => {
  const s = (await insights.policyStates.summarizeForSubscription("latest", z.sub)).value![0]!;
  assert.equal(s.results!.nonCompliantResources, 1);
  assert.equal(s.results!.nonCompliantPolicies, 2);
  assert.deepEqual(s.results!.resourceDetails, [{ complianceState: "compliant", count: 1 }, { complianceState: "noncompliant", count: 1 }]);
  assert.deepEqual(s.policyAssignments!.map((a) => [a.policyAssignmentId, a.results!.nonCompliantResources]).sort(), [
    [assignment("no-admin").toLowerCase(), 1], [assignment("no-public").toLowerCase(), 1],
  ]);
  const def = s.policyAssignments![0]!.policyDefinitions![0]!;
  assert.equal(def.effect, "audit");
  assert.match(s.policyAssignments![0]!.results!.queryResultsUri!, /queryResults\?api-version=2024-10-01&.*IsCompliant%20eq%20false/);
  const filtered = (await insights.policyStates.summarizeForResourceGroup("latest", z.sub, z.rg, { queryOptions: { filter: `policyAssignmentName eq 'no-admin'` } })).value![0]!;
  assert.deepEqual(filtered.policyAssignments!.map((a) => a.policyAssignmentId), [assignment("no-admin").toLowerCase()]);
});

test("a caller sees the states of the resources it may read, no more", async () => {
  const sp = await createServicePrincipal(cove, "insights-reader");
  const reader = new PolicyInsightsClient(credentialFor(cove, sp.appId, sp.password), z.sub, common());
  const read = () => all(reader.policyStates.listQueryResultsForSubscription("latest", z.sub));
  await clients(cove).resources.resourceGroups.createOrUpdate("rg-elsewhere", { location: "westeurope" });
  await assignRole(cove, `/subscriptions/${z.sub}/resourceGroups/rg-elsewhere`, sp.objectId, ROLE.Reader);
  assert.deepEqual(await read(), [], "a Reader of another group sees none of these states");
  await assignRole(cove, closedAcr, sp.objectId, ROLE.Reader);
  assert.deepEqual((await read()).map(key).sort(), ["insclosedacr no-admin Compliant", "insclosedacr no-public Compliant"]);
  await assignRole(cove, rgScope, sp.objectId, ROLE.Reader);
  assert.equal((await read()).length, 4);
  const trigger = await refusal(reader.policyStates.beginTriggerResourceGroupEvaluationAndWait(z.sub, z.rg));
  assert.equal(trigger.code, "AuthorizationFailed", "a Reader may not trigger a scan");
});

test("a group's Owner triggers the group's scan and follows it to the end; others cannot read its operation", async () => {
  const sp = await createServicePrincipal(cove, "insights-group-owner");
  await assignRole(cove, rgScope, sp.objectId, ROLE.Owner);
  const own = new PolicyInsightsClient(credentialFor(cove, sp.appId, sp.password), z.sub, common());
  await own.policyStates.beginTriggerResourceGroupEvaluationAndWait(z.sub, z.rg, { updateIntervalInMs: 50 } as never);
  // The operation's Location is at the subscription, where this principal holds nothing: it may still follow its own scan.
  const token = await managementToken(cove, credentialFor(cove, sp.appId, sp.password));
  const r = await https(`${cove.managementUrl}${rgScope}/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2024-10-01`, {
    method: "POST", ca: cove.ca, headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.status, 202);
  const location = String(r.headers.location).replace(/^https:\/\/[^/]+/, cove.managementUrl);
  const stranger = await createServicePrincipal(cove, "insights-stranger");
  const strangerToken = await managementToken(cove, credentialFor(cove, stranger.appId, stranger.password));
  assert.equal((await https(location, { ca: cove.ca, headers: { authorization: `Bearer ${strangerToken}` } })).status, 404);
  let poll = await https(location, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  for (let i = 0; poll.status === 202 && i < 50; i++) {
    await sleep(50);
    poll = await https(location, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  }
  assert.equal(poll.status, 200);
});

test("triggerEvaluation: 202 and a Location the SDK's poller follows; an exemption that expired is judged again", async () => {
  await exemptions.policyExemptions.createOrUpdate(openAcr, "admin-waiver", {
    policyAssignmentId: assignment("no-admin"), exemptionCategory: "Waiver", expiresOn: new Date(Date.now() + 2000),
  });
  const exempt = async () => (await all(insights.policyStates.listQueryResultsForResource("latest", openAcr, { queryOptions: { filter: "policyAssignmentName eq 'no-admin'" } })))[0]!;
  const during = await exempt();
  assert.equal(during.complianceState, "Exempt");
  assert.equal(during.isCompliant, true, "an exempt resource counts as compliant");
  await sleep(2500);
  assert.equal((await exempt()).complianceState, "Exempt", "states are recorded, not recomputed on read: still Exempt before a scan");

  // The wire, as Azure answers it: 202, no body, a Location on asyncOperationResults, then 200 {"status":"Succeeded"}.
  const token = await managementToken(cove);
  const r = await https(`${cove.managementUrl}${rgScope}/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2024-10-01`, {
    method: "POST", ca: cove.ca, headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.status, 202);
  assert.equal(r.body.length, 0);
  const location = String(r.headers.location);
  assert.match(location, new RegExp(`/subscriptions/${z.sub}/providers/Microsoft.PolicyInsights/asyncOperationResults/[0-9a-f-]{36}\\?api-version=2024-10-01$`));
  let poll = await https(location.replace(/^https:\/\/[^/]+/, cove.managementUrl), { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  for (let i = 0; poll.status === 202 && i < 50; i++) {
    await sleep(50);
    poll = await https(location.replace(/^https:\/\/[^/]+/, cove.managementUrl), { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  }
  assert.equal(poll.status, 200);
  assert.deepEqual(poll.json(), { status: "Succeeded" });
  assert.equal((await exempt()).complianceState, "NonCompliant", "the scan judged the expired exemption");

  // And through the SDK's long-running operation, at the subscription.
  await exemptions.policyExemptions.createOrUpdate(openAcr, "admin-waiver", {
    policyAssignmentId: assignment("no-admin"), exemptionCategory: "Mitigated", expiresOn: new Date(Date.now() + 1500),
  });
  assert.equal((await exempt()).complianceState, "Exempt");
  await sleep(2000);
  await insights.policyStates.beginTriggerSubscriptionEvaluationAndWait(z.sub, { updateIntervalInMs: 50 } as never);
  assert.equal((await exempt()).complianceState, "NonCompliant");
  const unknown = await https(`${cove.managementUrl}/subscriptions/${z.sub}/providers/Microsoft.PolicyInsights/asyncOperationResults/00000000-0000-0000-0000-000000000000?api-version=2024-10-01`, {
    ca: cove.ca, headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(unknown.status, 404);
});

test("checkPolicyRestrictions names the Deny assignment a registry body would meet, and writes nothing", async () => {
  const rg = "rg-restricted";
  await clients(cove).resources.resourceGroups.createOrUpdate(rg, { location: "westeurope" });
  const scope = `/subscriptions/${z.sub}/resourceGroups/${rg}`;
  await policy.policyAssignments.create(scope, "deny-public", { displayName: "Deny public registries", policyDefinitionId: DEF(PUBLIC), parameters: { effect: { value: "Deny" } } });
  const body = (publicNetworkAccess: string) => ({
    resourceDetails: {
      resourceContent: { type: REG, name: "wouldbeacr", location: "westeurope", sku: { name: "Premium" }, properties: { publicNetworkAccess } },
      apiVersion: "2023-07-01",
    },
    pendingFields: [{ field: `${REG}/publicNetworkAccess`, values: ["Enabled", "Disabled"] }],
  });
  const r = await insights.policyRestrictions.checkAtResourceGroupScope(rg, body("Enabled"));
  const evaluations = r.contentEvaluationResult!.policyEvaluations!;
  assert.equal(evaluations.length, 1);
  assert.equal(evaluations[0]!.policyInfo!.policyAssignmentId, `${scope}/providers/Microsoft.Authorization/policyAssignments/deny-public`);
  assert.equal(evaluations[0]!.policyInfo!.policyDefinitionId, DEF(PUBLIC));
  assert.equal(evaluations[0]!.evaluationResult, "NonCompliant");
  assert.equal(evaluations[0]!.effectDetails!.policyEffect, "Deny");
  assert.ok(evaluations[0]!.evaluationDetails!.evaluatedExpressions!.some((e) => e.path === "properties.publicNetworkAccess" && e.operator === "notEquals"));
  assert.deepEqual(r.fieldRestrictions!.map((f) => [f.field, f.restrictions!.map((x) => [x.result, x.values, x.policy!.policyAssignmentId])]), [
    [`${REG}/publicNetworkAccess`, [["Deny", ["Enabled"], `${scope}/providers/Microsoft.Authorization/policyAssignments/deny-public`]]],
  ]);
  const fine = await insights.policyRestrictions.checkAtResourceGroupScope(rg, body("Disabled"));
  assert.deepEqual(fine.contentEvaluationResult!.policyEvaluations, []);
  // The Audit assignments of rg-insights show only when asked for, and only there.
  const audited = await insights.policyRestrictions.checkAtResourceGroupScope(z.rg, { ...body("Enabled"), includeAuditEffect: true });
  assert.deepEqual(audited.contentEvaluationResult!.policyEvaluations!.map((e) => [e.policyInfo!.policyAssignmentId, e.effectDetails!.policyEffect]), [
    [assignment("no-public"), "Audit"],
  ]);
  assert.deepEqual((await insights.policyRestrictions.checkAtResourceGroupScope(z.rg, body("Enabled"))).contentEvaluationResult!.policyEvaluations, []);
  assert.equal((await refusal(z.acr.registries.get(rg, "wouldbeacr"))).statusCode, 404, "nothing was written");
  const bad = await refusal(insights.policyRestrictions.checkAtSubscriptionScope({ resourceDetails: { resourceContent: { name: "x" } } }));
  assert.equal(bad.code, "InvalidRequestContent");
});
