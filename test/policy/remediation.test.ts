// Remediation on Cove, driven by @azure/arm-policyinsights 6 (remediations), @azure/arm-policy 7
// (assignments with a system-assigned identity) and @azure/arm-network (what got deployed), as a
// landing zone's platform team would: the DeployIfNotExists built-in "Configure Container
// registries with private endpoints" deploys the endpoint as the assignment's identity, and only
// with the role its rule names (without it: AuthorizationFailed on the deployment, nothing
// created); the private DNS built-in deploys the zone group; Modify re-sends the registry; the
// remediation's lifecycle (list, filter, cancel, delete) and its refusals are Azure's.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { PolicyClient } from "@azure/arm-policy";
import { PolicyInsightsClient, type Remediation, type RemediationDeployment } from "@azure/arm-policyinsights";
import { startCove, type TestCove } from "../support/cove.js";
import { assignRole, clients, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { landing, type Landing } from "../toolkit/landing.js";
import { refusal, all, armOptions } from "./support.js";

const DEF = (guid: string) => `/providers/Microsoft.Authorization/policyDefinitions/${guid}`;
const CONFIGURE_ENDPOINTS = "d85c6833-7d33-4cf5-a915-aaa2de84405f";
const CONFIGURE_ZONES = "e9585a95-5b8c-4d03-b193-dc7eb5ac4c32";
const DISABLE_PUBLIC = "a3701552-92ea-433e-9d17-33b7f1208fc9";
const ADMIN = "dc921057-6b28-4fbe-9b83-f7bec05db6c2";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";

let cove: TestCove;
let z: Landing;
let policy: PolicyClient;
let insights: PolicyInsightsClient;
let rgScope: string;
let registryId: string;
let subnetId: string;
const assignmentId = (name: string) => `${rgScope}/providers/Microsoft.Authorization/policyAssignments/${name}`;



/** Creates the remediation and polls it (as a user's script would) until it ends. */
async function remediate(name: string, assignment: string, extra: Partial<Remediation> = {}): Promise<{ r: Remediation; deployments: RemediationDeployment[] }> {
  const created = await insights.remediations.createOrUpdateAtResourceGroup(z.rg, name, { policyAssignmentId: assignmentId(assignment), ...extra });
  assert.equal(created.provisioningState, "Accepted");
  for (let i = 0; i < 200; i++) {
    const r = await insights.remediations.getAtResourceGroup(z.rg, name);
    if (["Succeeded", "Failed", "Canceled"].includes(r.provisioningState!)) {
      return { r, deployments: await all(insights.remediations.listDeploymentsAtResourceGroup(z.rg, name)) };
    }
    await sleep(50);
  }
  assert.fail(`remediation ${name} did not end within 10 s`);
}

const endpoints = async () => all(z.net.privateEndpoints.list(z.rg));
async function stateOf(resourceId: string, assignment: string): Promise<string | undefined> {
  const rows = await all(insights.policyStates.listQueryResultsForResource("latest", resourceId, { queryOptions: { filter: `policyAssignmentName eq '${assignment}'` } }));
  return rows[0]?.complianceState;
}

before(async () => {
  cove = await startCove();
  z = await landing(cove, "rg-remediate");
  const c = clients(cove);
  const common = armOptions(cove);
  policy = new PolicyClient(c.cred, z.sub, common);
  insights = new PolicyInsightsClient(c.cred, z.sub, common);
  rgScope = `/subscriptions/${z.sub}/resourceGroups/${z.rg}`;
  registryId = await z.registry("remacr1", "Premium");
  const vnet = await z.vnet("vnet-remediate", 62);
  subnetId = `${vnet}/subnets/pe`;
});
after(async () => cove?.stop());

test("DeployIfNotExists without the role its rule names: AuthorizationFailed on the deployment, nothing created", async () => {
  const a = await policy.policyAssignments.create(rgScope, "configure-endpoints", {
    displayName: "Registries get private endpoints", policyDefinitionId: DEF(CONFIGURE_ENDPOINTS), location: "westeurope",
    identity: { type: "SystemAssigned" }, parameters: { privateEndpointSubnetId: { value: subnetId } },
  });
  assert.equal(await stateOf(registryId, "configure-endpoints"), "NonCompliant");
  const { r, deployments } = await remediate("endpoints-no-role", "configure-endpoints");
  assert.equal(r.provisioningState, "Failed");
  assert.deepEqual(r.deploymentStatus, { totalDeployments: 1, successfulDeployments: 0, failedDeployments: 1 });
  assert.equal(deployments.length, 1);
  assert.equal(deployments[0]!.remediatedResourceId, registryId);
  assert.equal(deployments[0]!.status, "Failed");
  assert.equal(deployments[0]!.error?.code, "AuthorizationFailed");
  assert.match(deployments[0]!.error!.message!, new RegExp(`object id '${a.identity!.principalId}' does not have authorization to perform action 'Microsoft.Resources/deployments/write'`));
  assert.deepEqual(await endpoints(), [], "no endpoint was created");
  assert.equal(await stateOf(registryId, "configure-endpoints"), "NonCompliant");
});

test("an identity that may deploy but not write endpoints meets the endpoint route's own permission check", async () => {
  const a = await policy.policyAssignments.get(rgScope, "configure-endpoints");
  const guid = randomUUID();
  await clients(cove).authz.roleDefinitions.createOrUpdate(rgScope, guid, {
    roleName: "Deployer and reader", roleType: "CustomRole", assignableScopes: [rgScope],
    permissions: [{ actions: ["Microsoft.Resources/deployments/*", "*/read"], notActions: [], dataActions: [], notDataActions: [] }],
  } as any);
  await assignRole(cove, rgScope, a.identity!.principalId!, guid);
  const { r, deployments } = await remediate("endpoints-deployer", "configure-endpoints");
  assert.equal(r.provisioningState, "Failed");
  assert.equal(deployments[0]!.error?.code, "AuthorizationFailed");
  assert.match(deployments[0]!.error!.message!, /perform action 'Microsoft.Network\/privateEndpoints\/write' over scope '.*\/privateEndpoints\/pe-remacr1-/);
  assert.deepEqual(await endpoints(), [], "no endpoint was created");
});

test("DeployIfNotExists with the role: the private endpoint is deployed as the identity and the registry becomes Compliant", async () => {
  const a = await policy.policyAssignments.get(rgScope, "configure-endpoints");
  await assignRole(cove, rgScope, a.identity!.principalId!, CONTRIBUTOR);
  const { r, deployments } = await remediate("endpoints", "configure-endpoints");
  assert.equal(r.provisioningState, "Succeeded", JSON.stringify(deployments));
  assert.deepEqual(r.deploymentStatus, { totalDeployments: 1, successfulDeployments: 1, failedDeployments: 0 });
  assert.equal(deployments[0]!.status, "Succeeded");
  assert.match(deployments[0]!.deploymentId!, new RegExp(`^${rgScope}/providers/Microsoft.Resources/deployments/[0-9a-f-]{36}$`, "i"));
  assert.equal(deployments[0]!.resourceLocation, "westeurope");

  const pes = await endpoints();
  assert.equal(pes.length, 1);
  const pe = pes[0]!;
  assert.match(pe.name!, /^pe-remacr1-[a-z2-7]{13}$/, "named as the built-in's template names it");
  assert.equal(pe.location, "westeurope", "the VNet's location, read by reference() as the identity");
  assert.equal(pe.subnet?.id?.toLowerCase(), subnetId.toLowerCase());
  assert.equal(pe.privateLinkServiceConnections?.[0]?.privateLinkServiceId?.toLowerCase(), registryId.toLowerCase());
  assert.deepEqual(pe.privateLinkServiceConnections?.[0]?.groupIds, ["registry"]);
  const registry = await z.acr.registries.get(z.rg, "remacr1");
  assert.equal(registry.privateEndpointConnections?.[0]?.privateLinkServiceConnectionState?.status, "Approved");
  assert.equal(await stateOf(registryId, "configure-endpoints"), "Compliant");

  // The endpoint's PUT went through the front door as the identity, and is on the audit record as such.
  const token = await managementToken(cove);
  const log = (await https(`${cove.managementUrl}/cove/audit?kind=control-plane&limit=1000`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } })).json();
  const write = log.value.map((x: any) => x.event).find((e: any) => e.action === "Microsoft.Network/privateEndpoints/write" && e.resourceId.toLowerCase() === pe.id!.toLowerCase());
  assert.ok(write, "the deployment's write is audited");
  assert.equal(write.actor, a.identity!.principalId);
  assert.equal(write.status, 201);

  const again = await remediate("endpoints-again", "configure-endpoints");
  assert.deepEqual(again.r.deploymentStatus, { totalDeployments: 0, successfulDeployments: 0, failedDeployments: 0 }, "nothing left to remediate");
  assert.equal((await endpoints()).length, 1);
});

test("the private DNS DeployIfNotExists deploys the zone group on the endpoint", async () => {
  const zoneId = await z.zone();
  const a = await policy.policyAssignments.create(rgScope, "configure-zones", {
    policyDefinitionId: DEF(CONFIGURE_ZONES), location: "westeurope", identity: { type: "SystemAssigned" }, parameters: { privateDnsZoneId: { value: zoneId } },
  });
  const pe = (await endpoints())[0]!;
  assert.equal(await stateOf(pe.id!, "configure-zones"), "NonCompliant");
  await assignRole(cove, rgScope, a.identity!.principalId!, NETWORK_CONTRIBUTOR);
  const { r, deployments } = await remediate("zones", "configure-zones");
  assert.equal(r.provisioningState, "Succeeded", JSON.stringify(deployments));
  assert.equal(deployments[0]!.remediatedResourceId, pe.id);
  const groups = await all(z.net.privateDnsZoneGroups.list(z.rg, pe.name!));
  assert.deepEqual(groups.map((g) => g.name), ["deployedByPolicy"]);
  assert.equal(groups[0]!.privateDnsZoneConfigs?.[0]?.name, "containerRegistry-privateDnsZone");
  assert.equal(groups[0]!.privateDnsZoneConfigs?.[0]?.privateDnsZoneId?.toLowerCase(), zoneId.toLowerCase());
  assert.equal(await stateOf(pe.id!, "configure-zones"), "Compliant");
});

test("Modify remediation re-sends each registry as the identity; a Standard one meets the provider's refusal", async () => {
  await z.registry("remacr2", "Premium");
  await z.registry("remacr3", "Standard");
  const a = await policy.policyAssignments.create(rgScope, "disable-public", {
    policyDefinitionId: DEF(DISABLE_PUBLIC), location: "westeurope", identity: { type: "SystemAssigned" },
  });
  await assignRole(cove, rgScope, a.identity!.principalId!, CONTRIBUTOR);
  const { r, deployments } = await remediate("public-off", "disable-public", { resourceDiscoveryMode: "ReEvaluateCompliance", parallelDeployments: 2 });
  assert.equal(r.provisioningState, "Failed");
  assert.deepEqual(r.deploymentStatus, { totalDeployments: 3, successfulDeployments: 2, failedDeployments: 1 });
  const byName = new Map(deployments.map((d) => [d.remediatedResourceId!.split("/").pop(), d]));
  assert.equal(byName.get("remacr3")?.status, "Failed");
  assert.equal(byName.get("remacr3")?.error?.code, "DisablingPublicNetworkAccessNotSupported");
  for (const name of ["remacr1", "remacr2"]) {
    assert.equal(byName.get(name)?.status, "Succeeded");
    assert.equal((await z.acr.registries.get(z.rg, name)).publicNetworkAccess, "Disabled");
  }
  assert.equal((await z.acr.registries.get(z.rg, "remacr3")).publicNetworkAccess, "Enabled");
});

test("remediations list, filter, cancel and delete as Azure's; what cannot be remediated is refused", async () => {
  const listed = await all(insights.remediations.listForResourceGroup(z.rg));
  assert.deepEqual(listed.map((r) => r.name).sort(), ["endpoints", "endpoints-again", "endpoints-deployer", "endpoints-no-role", "public-off", "zones"]);
  const filtered = await all(insights.remediations.listForResourceGroup(z.rg, { queryOptions: { filter: `PolicyAssignmentId eq '${assignmentId("configure-zones")}'` } }));
  assert.deepEqual(filtered.map((r) => r.name), ["zones"]);
  assert.equal((await all(insights.remediations.listForSubscription())).length, 6, "the subscription's list holds its groups' remediations");

  const ended = await refusal(insights.remediations.cancelAtResourceGroup(z.rg, "zones"));
  assert.equal(ended.code, "InvalidCancelRemediationRequest");
  await policy.policyAssignments.create(rgScope, "audit-admin", { policyDefinitionId: DEF(ADMIN), parameters: { effect: { value: "Audit" } } });
  const audit = await refusal(insights.remediations.createOrUpdateAtResourceGroup(z.rg, "nope", { policyAssignmentId: assignmentId("audit-admin") }));
  assert.equal(audit.code, "InvalidCreateRemediationRequest");
  assert.match(audit.message, /only DeployIfNotExists and Modify/);
  const missing = await refusal(insights.remediations.createOrUpdateAtResourceGroup(z.rg, "nope", { policyAssignmentId: assignmentId("no-such") }));
  assert.equal(missing.code, "PolicyAssignmentNotFound");

  const deleted = await insights.remediations.deleteAtResourceGroup(z.rg, "endpoints-no-role");
  assert.equal(deleted.name, "endpoints-no-role");
  const gone = await refusal(insights.remediations.getAtResourceGroup(z.rg, "endpoints-no-role"));
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.code, "RemediationNotFound");
  assert.equal((await refusal(all(insights.remediations.listDeploymentsAtResourceGroup(z.rg, "endpoints-no-role")))).code, "RemediationNotFound");

  // A remediation at the registry's own scope: its id is under the registry.
  const at = await insights.remediations.createOrUpdateAtResource(registryId, "one-registry", { policyAssignmentId: assignmentId("disable-public") });
  assert.equal(at.id, `${registryId}/providers/Microsoft.PolicyInsights/remediations/one-registry`);
  let r = at;
  for (let i = 0; i < 100 && !["Succeeded", "Failed"].includes(r.provisioningState!); i++) {
    await sleep(50);
    r = await insights.remediations.getAtResource(registryId, "one-registry");
  }
  assert.equal(r.provisioningState, "Succeeded");
  assert.deepEqual((await all(insights.remediations.listForResource(registryId))).map((x) => x.name), ["one-registry"]);
});

test("a cancelled remediation stops before its next deployment and ends Canceled", async () => {
  const names = Array.from({ length: 15 }, (_, i) => `bulkacr${String(i).padStart(2, "0")}`);
  for (const n of names) await z.registry(n, "Premium", { publicNetworkAccess: "Disabled" });
  await policy.policyDefinitions.createOrUpdate("tag-owner", {
    policyType: "Custom", mode: "Indexed", displayName: "Registries carry an owner tag",
    policyRule: {
      if: { allOf: [{ field: "type", equals: "Microsoft.ContainerRegistry/registries" }, { field: "tags['owner']", notEquals: "platform" }] },
      then: {
        effect: "modify",
        details: {
          roleDefinitionIds: [`/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`],
          operations: [{ operation: "addOrReplace", field: "tags['owner']", value: "platform" }],
        },
      },
    },
  });
  const a = await policy.policyAssignments.create(rgScope, "tag-owner", {
    policyDefinitionId: `/subscriptions/${z.sub}/providers/Microsoft.Authorization/policyDefinitions/tag-owner`, location: "westeurope", identity: { type: "SystemAssigned" },
  });
  await assignRole(cove, rgScope, a.identity!.principalId!, CONTRIBUTOR);
  await insights.remediations.createOrUpdateAtResourceGroup(z.rg, "owner-tags", { policyAssignmentId: assignmentId("tag-owner"), parallelDeployments: 1 });
  const cancelling = await insights.remediations.cancelAtResourceGroup(z.rg, "owner-tags");
  assert.equal(cancelling.provisioningState, "Cancelling");
  let r = cancelling;
  for (let i = 0; i < 200 && r.provisioningState === "Cancelling"; i++) {
    await sleep(50);
    r = await insights.remediations.getAtResourceGroup(z.rg, "owner-tags");
  }
  assert.equal(r.provisioningState, "Canceled");
  const s = r.deploymentStatus!;
  assert.ok(s.totalDeployments! >= names.length, JSON.stringify(s));
  assert.ok(s.successfulDeployments! < s.totalDeployments!, `stopped early: ${JSON.stringify(s)}`);
  const tagged = (await all(z.acr.registries.listByResourceGroup(z.rg))).filter((x) => x.tags?.owner === "platform");
  assert.equal(tagged.length, s.successfulDeployments!, "each success is a tagged registry, nothing more");
  assert.equal((await all(insights.remediations.listDeploymentsAtResourceGroup(z.rg, "owner-tags"))).length, s.successfulDeployments! + s.failedDeployments!);
});

test("a template Cove's runner cannot run fails whole with InvalidTemplate, and deploys nothing", async () => {
  await policy.policyDefinitions.createOrUpdate("copy-loop-endpoints", {
    policyType: "Custom", mode: "Indexed", displayName: "Endpoints by a copy loop",
    policyRule: {
      if: { field: "type", equals: "Microsoft.ContainerRegistry/registries" },
      then: {
        effect: "deployIfNotExists",
        details: {
          type: "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
          roleDefinitionIds: [`/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`],
          deployment: {
            properties: {
              mode: "incremental",
              template: {
                $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", contentVersion: "1.0.0.0",
                resources: [{
                  type: "Microsoft.Network/privateEndpoints", apiVersion: "2020-07-01", name: "[concat('looped-pe', copyIndex())]",
                  location: "westeurope", copy: { name: "loop", count: 2 }, properties: {},
                }],
              },
            },
          },
        },
      },
    },
  });
  const a = await policy.policyAssignments.create(rgScope, "copy-loop", {
    policyDefinitionId: `/subscriptions/${z.sub}/providers/Microsoft.Authorization/policyDefinitions/copy-loop-endpoints`,
    location: "westeurope", identity: { type: "SystemAssigned" }, notScopes: [],
  });
  await assignRole(cove, rgScope, a.identity!.principalId!, CONTRIBUTOR);
  const before = (await endpoints()).length;
  const { r, deployments } = await remediate("copy-loop", "copy-loop", { filters: { locations: ["West Europe"] } });
  assert.equal(r.provisioningState, "Failed");
  assert.ok(deployments.length >= 1);
  for (const d of deployments) {
    assert.equal(d.error?.code, "InvalidTemplate");
    assert.match(d.error!.message!, /^Deployment template validation failed: '.*(copyIndex|copy).*'\.$/);
  }
  assert.equal((await endpoints()).length, before, "nothing deployed");
});
