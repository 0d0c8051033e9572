// Enforcement on Cove's own ARM API (issue 10 section 4), driven by @azure/arm-policy as a landing
// zone's scripts would: Deny refuses a write with Azure's 403 and changes nothing (even a write that
// would have touched several resources), DoNotEnforce and exemptions let it through, Modify
// rewrites the request (and meets DisablingPublicNetworkAccessNotSupported on a Standard registry),
// and definitions and assignments that Cove cannot honour are refused with Azure's errors.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { PolicyClient } from "@azure/arm-policy";
import { PolicyClient as ExemptionClient } from "@azure/arm-policy-5";
import type { PolicyInsightsClient } from "@azure/arm-policyinsights";
import { startCove, type TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { landing, type Landing } from "../toolkit/landing.js";
import { refusal, policyClients } from "./support.js";

const PUBLIC_ACCESS = "/providers/Microsoft.Authorization/policyDefinitions/0fdf0491-d080-4575-b627-ad0e843cba0f";
const DISABLE_PUBLIC = "/providers/Microsoft.Authorization/policyDefinitions/a3701552-92ea-433e-9d17-33b7f1208fc9";

let cove: TestCove;
let z: Landing;
let policy: PolicyClient;
let exemptions: ExemptionClient;
let insights: PolicyInsightsClient;
let rgScope: string;

async function policyEvents(): Promise<any[]> {
  const token = await managementToken(cove);
  const r = await https(`${cove.managementUrl}/cove/audit?kind=policy.effect&limit=1000`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  return r.json().value.map((x: any) => x.event);
}


before(async () => {
  cove = await startCove();
  z = await landing(cove, "rg-policy");
  ({ policy, exemptions, insights } = policyClients(cove));
  rgScope = `/subscriptions/${z.sub}/resourceGroups/${z.rg}`;
});
after(async () => cove?.stop());

test("Deny refuses the write with RequestDisallowedByPolicy, naming assignment and definition, and nothing is created", async () => {
  await policy.policyAssignments.create(rgScope, "deny-public", {
    displayName: "No public registries", policyDefinitionId: PUBLIC_ACCESS, parameters: { effect: { value: "Deny" } },
  });
  const err = await refusal(z.registry("publicacr1", "Premium"));
  assert.equal(err.statusCode, 403);
  assert.equal(err.code, "RequestDisallowedByPolicy");
  assert.match(err.message, /Resource 'publicacr1' was disallowed by policy\. Policy identifiers: '\[\{"policyAssignment":\{"name":"No public registries","id":"[^"]+\/policyAssignments\/deny-public"\},"policyDefinition":\{"name":"Public network access should be disabled for Container registries","id":"\/providers\/Microsoft.Authorization\/policyDefinitions\/0fdf0491/);
  const denied = (await policyEvents()).find((e) => e.outcome === "denied" && /publicacr1$/.test(e.resourceId));
  assert.equal(denied?.effect, "deny", "the denial is audited with the assignment");
  const missing = await refusal(z.acr.registries.get(z.rg, "publicacr1"));
  assert.equal(missing.statusCode, 404, "a denied create stores nothing");
  // The same registry with public access off is allowed.
  await z.registry("privateacr1", "Premium", { publicNetworkAccess: "Disabled" });
  const r = await z.acr.registries.get(z.rg, "privateacr1");
  assert.equal(r.publicNetworkAccess, "Disabled");
  // Re-enabling is refused, and the stored registry keeps its setting.
  const again = await refusal(z.acr.registries.beginUpdateAndWait(z.rg, "privateacr1", { publicNetworkAccess: "Enabled" }));
  assert.equal(again.code, "RequestDisallowedByPolicy");
  assert.equal((await z.acr.registries.get(z.rg, "privateacr1")).publicNetworkAccess, "Disabled");
});

test("an exemption lifts the Deny for its scope; DoNotEnforce evaluates without denying", async () => {
  const assignmentId = `${rgScope}/providers/Microsoft.Authorization/policyAssignments/deny-public`;
  await exemptions.policyExemptions.createOrUpdate(rgScope, "migration-window", {
    policyAssignmentId: assignmentId, exemptionCategory: "Waiver", description: "until the build agents move",
    expiresOn: new Date(Date.now() + 3600_000),
  });
  await z.registry("publicacr2", "Premium");
  const let_through = (await policyEvents()).find((e) => e.outcome === "not-enforced" && /publicacr2$/.test(e.resourceId));
  assert.ok(let_through, "the exemption's use is audited");
  assert.match(let_through.exemptionId, /\/policyExemptions\/migration-window$/);
  assert.match(let_through.policyAssignmentId, /\/deny-public$/);
  await exemptions.policyExemptions.delete(rgScope, "migration-window");
  assert.equal((await refusal(z.registry("publicacr3", "Premium"))).code, "RequestDisallowedByPolicy");
  await policy.policyAssignments.create(rgScope, "deny-public", {
    displayName: "No public registries", policyDefinitionId: PUBLIC_ACCESS, parameters: { effect: { value: "Deny" } }, enforcementMode: "DoNotEnforce",
  });
  await z.registry("publicacr3", "Premium");
  // Evaluated all the same: the registry is NonCompliant under the assignment, and the let-through is audited.
  const states = [];
  for await (const st of insights.policyStates.listQueryResultsForResource("latest", `${rgScope}/providers/Microsoft.ContainerRegistry/registries/publicacr3`)) states.push(st);
  assert.deepEqual(states.map((st) => [st.policyAssignmentName, st.complianceState]), [["deny-public", "NonCompliant"]]);
  const unenforced = (await policyEvents()).find((e) => e.outcome === "not-enforced" && /publicacr3$/.test(e.resourceId));
  assert.ok(unenforced && unenforced.exemptionId === undefined, "DoNotEnforce's let-through is audited, with no exemption named");
  await policy.policyAssignments.delete(rgScope, "deny-public");
});

test("a denied private endpoint leaves nothing behind: no endpoint, no NIC, no connection on the registry", async () => {
  await z.vnet("vnet-deny", 40);
  const registryId = await z.registry("sideacr", "Premium");
  await policy.policyDefinitions.createOrUpdate("no-endpoints-in-vnet-deny", {
    displayName: "No private endpoints in vnet-deny", mode: "All",
    policyRule: {
      if: { allOf: [{ field: "type", equals: "Microsoft.Network/privateEndpoints" }, { field: "Microsoft.Network/privateEndpoints/subnet.id", like: "*/virtualNetworks/vnet-deny/subnets/*" }] },
      then: { effect: "deny" },
    },
  });
  await policy.policyAssignments.create(rgScope, "deny-endpoints", { policyDefinitionId: `/subscriptions/${z.sub}/providers/Microsoft.Authorization/policyDefinitions/no-endpoints-in-vnet-deny` });
  const err = await refusal(z.endpoint("pe-denied", "vnet-deny", registryId));
  assert.equal(err.code, "RequestDisallowedByPolicy");
  const endpoints = [];
  for await (const e of z.net.privateEndpoints.list(z.rg)) endpoints.push(e.name);
  assert.deepEqual(endpoints, []);
  const nics = [];
  for await (const n of z.net.networkInterfaces.list(z.rg)) nics.push(n.name);
  assert.deepEqual(nics, [], "the endpoint's NIC was not kept");
  const conns = [];
  for await (const c of z.acr.privateEndpointConnections.list(z.rg, "sideacr")) conns.push(c.name);
  assert.deepEqual(conns, [], "the registry gained no connection");
  await policy.policyAssignments.delete(rgScope, "deny-endpoints");
  // As ARM: Deny judges the request's own resource. A NIC the provider creates for an endpoint is no
  // request of the client's, so a Deny on NICs does not block the endpoint.
  await policy.policyDefinitions.createOrUpdate("no-nics", {
    mode: "All", policyRule: { if: { field: "type", equals: "Microsoft.Network/networkInterfaces" }, then: { effect: "deny" } },
  });
  await policy.policyAssignments.create(rgScope, "deny-nics", { policyDefinitionId: `/subscriptions/${z.sub}/providers/Microsoft.Authorization/policyDefinitions/no-nics` });
  await z.endpoint("pe-allowed", "vnet-deny", registryId);
  await policy.policyAssignments.delete(rgScope, "deny-nics");
});

test("Modify rewrites the request before it is stored; on a Standard registry it meets DisablingPublicNetworkAccessNotSupported", async () => {
  const noIdentity = await refusal(policy.policyAssignments.create(rgScope, "force-private", { policyDefinitionId: DISABLE_PUBLIC }));
  assert.equal(noIdentity.code, "ResourceIdentityRequired");
  const a = await policy.policyAssignments.create(rgScope, "force-private", {
    policyDefinitionId: DISABLE_PUBLIC, location: "westeurope", identity: { type: "SystemAssigned" },
  });
  assert.match(a.identity?.principalId ?? "", /^[0-9a-f-]{36}$/);
  // A managed identity: nobody can be given a secret for it, nor delete it apart from its assignment.
  const token = await managementToken(cove);
  const sp = `${cove.managementUrl}/cove/identity/servicePrincipals/${a.identity!.principalId}`;
  const secret = await https(`${sp}/secrets`, { method: "POST", ca: cove.ca, headers: { authorization: `Bearer ${token}` }, body: {} });
  assert.equal(secret.status, 400, secret.body.toString());
  assert.match(secret.json().error.message, /managed identity; it holds no secrets/);
  assert.equal((await https(sp, { method: "DELETE", ca: cove.ca, headers: { authorization: `Bearer ${token}` } })).status, 400);
  assert.equal((await https(sp, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } })).json().managedIdentity, true);
  await z.registry("modifiedacr", "Premium");
  assert.equal((await z.acr.registries.get(z.rg, "modifiedacr")).publicNetworkAccess, "Disabled", "Modify forced public access off");
  const modified = (await policyEvents()).find((e) => e.outcome === "modified" && /modifiedacr$/.test(e.resourceId));
  assert.deepEqual(modified?.operations, [{ operation: "addOrReplace", field: "Microsoft.ContainerRegistry/registries/publicNetworkAccess", value: "Disabled" }]);
  const std = await refusal(z.registry("standardacr", "Standard"));
  assert.equal(std.code, "DisablingPublicNetworkAccessNotSupported");
  assert.equal((await refusal(z.acr.registries.get(z.rg, "standardacr"))).statusCode, 404);
  await policy.policyAssignments.delete(rgScope, "force-private");
});

test("definitions and assignments Cove cannot honour are refused with Azure's errors", async () => {
  const alias = await refusal(policy.policyDefinitions.createOrUpdate("bad-alias", {
    policyRule: { if: { field: "Microsoft.ContainerRegistry/registries/noSuchProperty", equals: "x" }, then: { effect: "audit" } },
  }));
  assert.equal(alias.code, "InvalidPolicyAlias");
  assert.match(alias.message, /'Microsoft.ContainerRegistry\/registries\/noSuchProperty'/);
  const op = await refusal(policy.policyDefinitions.createOrUpdate("bad-op", {
    policyRule: { if: { field: "type", matchInsensitively: "x" }, then: { effect: "audit" } },
  }));
  assert.equal(op.code, "InvalidPolicyRule");
  const param = await refusal(policy.policyDefinitions.createOrUpdate("bad-param", {
    policyRule: { if: { field: "type", equals: "[parameters('t')]" }, then: { effect: "audit" } },
  }));
  assert.equal(param.code, "InvalidPolicyParameters");
  // A DeployIfNotExists template's own parameters('x') are the template's: the definition need not declare them.
  await policy.policyDefinitions.createOrUpdate("dine-own-params", {
    mode: "Indexed",
    policyRule: {
      if: { field: "type", equals: "Microsoft.ContainerRegistry/registries" },
      then: {
        effect: "deployIfNotExists",
        details: {
          type: "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
          roleDefinitionIds: ["/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"],
          deployment: { properties: { mode: "incremental", parameters: { inner: { value: "[field('name')]" } }, template: {
            $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", contentVersion: "1.0.0.0",
            parameters: { inner: { type: "string" } }, resources: [], outputs: { n: { type: "string", value: "[parameters('inner')]" } },
          } } },
        },
      },
    },
  });
  const value = await refusal(policy.policyAssignments.create(rgScope, "bad-value", { policyDefinitionId: PUBLIC_ACCESS, parameters: { effect: { value: "deny" } } }));
  assert.equal(value.code, "PolicyParameterValueNotAllowed");
  const undef = await refusal(policy.policyAssignments.create(rgScope, "bad-undef", { policyDefinitionId: PUBLIC_ACCESS, parameters: { colour: { value: "x" } } }));
  assert.equal(undef.code, "UndefinedPolicyParameter");
  const missing = await refusal(policy.policyAssignments.create(rgScope, "bad-def", { policyDefinitionId: "/providers/Microsoft.Authorization/policyDefinitions/00000000-0000-0000-0000-000000000000" }));
  assert.equal(missing.code, "PolicyDefinitionNotFound");
  const builtin = await policy.policyDefinitions.getBuiltIn("0fdf0491-d080-4575-b627-ad0e843cba0f");
  assert.equal(builtin.displayName, "Public network access should be disabled for Container registries");
  assert.equal(builtin.policyType, "BuiltIn");
});

test("hostile definitions are refused at the door, whole: deep nesting, a huge in list, a thousand and one conditions", async () => {
  let deep: unknown = { field: "type", equals: "x" };
  for (let i = 0; i < 40; i++) deep = { not: deep };
  const nested = await refusal(policy.policyDefinitions.createOrUpdate("hostile-deep", { policyRule: { if: deep, then: { effect: "audit" } } }));
  assert.equal(nested.code, "InvalidPolicyRule");
  assert.match(nested.message, /nests deeper than 32/);
  const list = Array.from({ length: 10_001 }, (_, i) => `v${i}`);
  const huge = await refusal(policy.policyDefinitions.createOrUpdate("hostile-in", { policyRule: { if: { field: "name", in: list }, then: { effect: "audit" } } }));
  assert.equal(huge.code, "InvalidPolicyRule");
  assert.match(huge.message, /more than 10000 values/);
  const many = await refusal(policy.policyDefinitions.createOrUpdate("hostile-wide", {
    policyRule: { if: { anyOf: Array.from({ length: 1001 }, (_, i) => ({ field: "name", equals: `n${i}` })) }, then: { effect: "audit" } },
  }));
  assert.equal(many.code, "InvalidPolicyRule");
  for (const name of ["hostile-deep", "hostile-in", "hostile-wide"]) {
    assert.equal((await refusal(policy.policyDefinitions.get(name))).code, "PolicyDefinitionNotFound", `${name} was not stored`);
  }
});

test("lists filter as az and the SDKs send them: at the scope, at and below it, at and above it", async () => {
  const regScope = `${rgScope}/providers/Microsoft.ContainerRegistry/registries/privateacr1`;
  await policy.policyAssignments.create(`/subscriptions/${z.sub}`, "sub-audit", { policyDefinitionId: PUBLIC_ACCESS });
  await policy.policyAssignments.create(rgScope, "rg-audit", { policyDefinitionId: PUBLIC_ACCESS });
  await policy.policyAssignments.create(regScope, "reg-audit", { policyDefinitionId: PUBLIC_ACCESS });
  const names = async (filter?: string) => {
    const out: string[] = [];
    for await (const a of policy.policyAssignments.listForResourceGroup(z.rg, filter ? { filter } : {})) if (/-audit$/.test(a.name!)) out.push(a.name!);
    return out.sort();
  };
  assert.deepEqual(await names(), ["reg-audit", "rg-audit", "sub-audit"]);
  assert.deepEqual(await names("atScope()"), ["rg-audit", "sub-audit"]);
  assert.deepEqual(await names("atExactScope()"), ["rg-audit"]);
  assert.deepEqual(await names("atScopeAndBelow()"), ["reg-audit", "rg-audit"]);
  await exemptions.policyExemptions.createOrUpdate(regScope, "reg-waiver", { policyAssignmentId: `${rgScope}/providers/Microsoft.Authorization/policyAssignments/rg-audit`, exemptionCategory: "Mitigated" });
  const ex = async (filter: string) => {
    const out: string[] = [];
    for await (const e of exemptions.policyExemptions.listForResourceGroup(z.rg, { filter })) out.push(e.name!);
    return out;
  };
  assert.deepEqual(await ex("atScopeAndBelow()"), ["reg-waiver"]);
  assert.deepEqual(await ex("atExactScope()"), []);
  const bad = await refusal(ex("colour eq 'blue'"));
  assert.equal(bad.code, "InvalidParameter");
  for (const [scope, name] of [[`/subscriptions/${z.sub}`, "sub-audit"], [rgScope, "rg-audit"], [regScope, "reg-audit"]] as const) await policy.policyAssignments.delete(scope, name);
});
