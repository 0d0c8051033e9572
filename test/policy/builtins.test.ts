// The nine built-in Container Registry definitions (issue 10 section 3): Azure's ids, names and
// parameters, every rule compiles, every effect value resolves, and a table per built-in of registry
// and private endpoint documents shaped as Cove's GET returns them (sub-resource members such as a
// registry's privateEndpointConnections carry their fields under `properties`), with the outcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_POLICY_DEFINITIONS, builtinDefinition } from "../../src/control-plane/policy/builtins.js";
import { compileRule, evaluateCondition, ruleEffect, effectOf, type CompiledRule } from "../../src/control-plane/policy/rules.js";

type Json = Record<string, unknown>;
const SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/landing";
const REG_ID = `${SUB}/providers/Microsoft.ContainerRegistry/registries/contosoacr`;
const PE_ID = `${SUB}/providers/Microsoft.Network/privateEndpoints/pe-contosoacr`;

const props = (d: Json) => d.properties as Json;
const byName = (name: string) => {
  const d = BUILTIN_POLICY_DEFINITIONS.find((x) => x.name === name);
  assert.ok(d, name);
  return d as Json;
};
const ruleOf = (name: string): CompiledRule => compileRule(props(byName(name)).policyRule);

function connection(status: string): Json {
  return {
    id: `${REG_ID}/privateEndpointConnections/contosoacr.${status.toLowerCase()}`,
    name: `contosoacr.${status.toLowerCase()}`,
    type: "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
    properties: { provisioningState: "Succeeded", privateEndpoint: { id: PE_ID }, privateLinkServiceConnectionState: { status, description: "", actionsRequired: "None" } },
  };
}

function registry(o: { sku?: string; pna?: string | null; admin?: boolean; anonymous?: boolean; defaultAction?: string | null; connections?: string[] } = {}): Json {
  const sku = o.sku ?? "Premium";
  const p: Json = {
    loginServer: "contosoacr.azurecr.io",
    provisioningState: "Succeeded",
    adminUserEnabled: o.admin ?? false,
    dataEndpointEnabled: false,
    privateEndpointConnections: (o.connections ?? []).map(connection),
    anonymousPullEnabled: o.anonymous ?? false,
  };
  if (o.pna !== null) p.publicNetworkAccess = o.pna ?? "Enabled";
  if (o.defaultAction !== null) p.networkRuleSet = { defaultAction: o.defaultAction ?? "Allow", ipRules: [] };
  return { id: REG_ID, name: "contosoacr", type: "Microsoft.ContainerRegistry/registries", location: "westeurope", sku: { name: sku, tier: sku }, properties: p };
}

function endpoint(o: { groupIds?: string[]; manual?: boolean } = {}): Json {
  const conn = {
    id: `${PE_ID}/privateLinkServiceConnections/pe-contosoacr`, name: "pe-contosoacr", type: "Microsoft.Network/privateEndpoints/privateLinkServiceConnections",
    properties: { provisioningState: "Succeeded", privateLinkServiceId: REG_ID, groupIds: o.groupIds ?? ["registry"], privateLinkServiceConnectionState: { status: "Approved" } },
  };
  return {
    id: PE_ID, name: "pe-contosoacr", type: "Microsoft.Network/privateEndpoints", location: "westeurope",
    properties: {
      provisioningState: "Succeeded", subnet: { id: `${SUB}/providers/Microsoft.Network/virtualNetworks/hub/subnets/endpoints` },
      privateLinkServiceConnections: o.manual ? [] : [conn], manualPrivateLinkServiceConnections: o.manual ? [conn] : [],
    },
  };
}

const EXPECTED: Array<[string, string, string, string[]]> = [
  ["bd560fc0-3c69-498a-ae9f-aa8eb7de0e13", "Container registries should have SKUs that support Private Links", "1.0.0", ["Audit", "Deny", "Disabled"]],
  ["e8eef0a8-67cf-4eb4-9386-14b0e78733d4", "Container registries should use private link", "1.0.1", ["Audit", "Disabled"]],
  ["0fdf0491-d080-4575-b627-ad0e843cba0f", "Public network access should be disabled for Container registries", "1.0.0", ["Audit", "Deny", "Disabled"]],
  ["d0793b48-0edc-4296-a390-4c75d1bdfd71", "Container registries should not allow unrestricted network access", "2.0.0", ["Audit", "Deny", "Disabled"]],
  ["dc921057-6b28-4fbe-9b83-f7bec05db6c2", "Container registries should have local admin account disabled.", "1.0.1", ["Audit", "Deny", "Disabled"]],
  ["9f2dea28-e834-476c-99c5-3507b4728395", "Container registries should have anonymous authentication disabled.", "1.0.0", ["Audit", "Deny", "Disabled"]],
  ["a3701552-92ea-433e-9d17-33b7f1208fc9", "Configure Container registries to disable public network access", "1.0.0", ["Modify", "Disabled"]],
  ["d85c6833-7d33-4cf5-a915-aaa2de84405f", "Configure Container registries with private endpoints", "1.0.0", ["DeployIfNotExists", "Disabled"]],
  ["e9585a95-5b8c-4d03-b193-dc7eb5ac4c32", "Configure Container registries to use private DNS zones", "1.0.1", ["DeployIfNotExists", "Disabled"]],
];

test("the nine built-ins carry Azure's ids, display names, versions, category and effect parameters", () => {
  assert.equal(BUILTIN_POLICY_DEFINITIONS.length, 9);
  for (const [name, displayName, version, effects] of EXPECTED) {
    const d = byName(name);
    assert.equal(d.id, `/providers/Microsoft.Authorization/policyDefinitions/${name}`);
    assert.equal(d.type, "Microsoft.Authorization/policyDefinitions");
    const p = props(d);
    assert.equal(p.displayName, displayName);
    assert.equal(p.policyType, "BuiltIn");
    assert.equal(p.mode, "Indexed");
    assert.ok(typeof p.description === "string" && p.description.length > 40, `${name} has Azure's description`);
    assert.deepEqual(p.metadata, { version, category: "Container Registry" });
    assert.equal(p.version, version);
    const effect = (p.parameters as Json).effect as Json;
    assert.deepEqual(effect.allowedValues, effects, name);
    assert.equal(effect.defaultValue, effects[0], name);
  }
  const required = (name: string) => Object.entries(props(byName(name)).parameters as Json).filter(([, v]) => !("defaultValue" in (v as Json))).map(([k]) => k);
  assert.deepEqual(required("d85c6833-7d33-4cf5-a915-aaa2de84405f"), ["privateEndpointSubnetId"]);
  assert.deepEqual(required("e9585a95-5b8c-4d03-b193-dc7eb5ac4c32"), ["privateDnsZoneId"]);
});

test("every built-in compiles, and its default and every allowed effect value resolve", () => {
  for (const d of BUILTIN_POLICY_DEFINITIONS) {
    const rule = ruleOf(String(d.name));
    const effect = (props(d).parameters as Json).effect as Json;
    assert.equal(ruleEffect(rule, { effect: effect.defaultValue }), effectOf(effect.defaultValue));
    for (const v of effect.allowedValues as string[]) assert.equal(ruleEffect(rule, { effect: v }), effectOf(v), `${String(d.name)} ${v}`);
  }
});

test("builtinDefinition finds by name or id, any case, and hands out a copy", () => {
  const a = builtinDefinition("BD560FC0-3C69-498A-AE9F-AA8EB7DE0E13")!;
  assert.equal(a.name, "bd560fc0-3c69-498a-ae9f-aa8eb7de0e13");
  assert.deepEqual(builtinDefinition("/providers/microsoft.authorization/policydefinitions/e9585a95-5b8c-4d03-b193-dc7eb5ac4c32")?.name, "e9585a95-5b8c-4d03-b193-dc7eb5ac4c32");
  assert.equal(builtinDefinition("not-a-builtin"), undefined);
  (props(a) as Json).displayName = "changed";
  assert.equal(props(builtinDefinition("bd560fc0-3c69-498a-ae9f-aa8eb7de0e13")!).displayName, "Container registries should have SKUs that support Private Links");
  assert.throws(() => { (props(BUILTIN_POLICY_DEFINITIONS[0] as Json) as Json).displayName = "x"; }, TypeError, "the shared bodies are frozen");
});

// [built-in, document, does the `if` hold?]
const TABLE: Array<[string, string, Json, boolean]> = [
  ["bd560fc0-3c69-498a-ae9f-aa8eb7de0e13", "Basic", registry({ sku: "Basic" }), true],
  ["bd560fc0-3c69-498a-ae9f-aa8eb7de0e13", "Standard", registry({ sku: "Standard" }), true],
  ["bd560fc0-3c69-498a-ae9f-aa8eb7de0e13", "Premium", registry({ sku: "Premium" }), false],
  ["bd560fc0-3c69-498a-ae9f-aa8eb7de0e13", "an endpoint is not a registry", endpoint(), false],
  ["e8eef0a8-67cf-4eb4-9386-14b0e78733d4", "no connection", registry(), true],
  ["e8eef0a8-67cf-4eb4-9386-14b0e78733d4", "a pending connection only", registry({ connections: ["Pending"] }), true],
  ["e8eef0a8-67cf-4eb4-9386-14b0e78733d4", "an approved connection", registry({ connections: ["Approved"] }), false],
  ["e8eef0a8-67cf-4eb4-9386-14b0e78733d4", "rejected and approved", registry({ connections: ["Rejected", "Approved"] }), false],
  ["0fdf0491-d080-4575-b627-ad0e843cba0f", "public access on", registry({ pna: "Enabled" }), true],
  ["0fdf0491-d080-4575-b627-ad0e843cba0f", "public access off", registry({ pna: "Disabled" }), false],
  ["0fdf0491-d080-4575-b627-ad0e843cba0f", "publicNetworkAccess absent", registry({ pna: null }), true],
  ["d0793b48-0edc-4296-a390-4c75d1bdfd71", "Allow and Enabled", registry({ defaultAction: "Allow", pna: "Enabled" }), true],
  ["d0793b48-0edc-4296-a390-4c75d1bdfd71", "no networkRuleSet, no publicNetworkAccess", registry({ defaultAction: null, pna: null }), true],
  ["d0793b48-0edc-4296-a390-4c75d1bdfd71", "Deny with public access on", registry({ defaultAction: "Deny", pna: "Enabled" }), false],
  ["d0793b48-0edc-4296-a390-4c75d1bdfd71", "Allow with public access off", registry({ defaultAction: "Allow", pna: "Disabled" }), false],
  ["dc921057-6b28-4fbe-9b83-f7bec05db6c2", "admin user on", registry({ admin: true }), true],
  ["dc921057-6b28-4fbe-9b83-f7bec05db6c2", "admin user off", registry({ admin: false }), false],
  ["9f2dea28-e834-476c-99c5-3507b4728395", "anonymous pull on", registry({ anonymous: true }), true],
  ["9f2dea28-e834-476c-99c5-3507b4728395", "anonymous pull off", registry({ anonymous: false }), false],
  ["a3701552-92ea-433e-9d17-33b7f1208fc9", "public access on", registry({ pna: "Enabled" }), true],
  ["a3701552-92ea-433e-9d17-33b7f1208fc9", "public access off", registry({ pna: "Disabled" }), false],
  ["d85c6833-7d33-4cf5-a915-aaa2de84405f", "Premium", registry({ sku: "Premium" }), true],
  ["d85c6833-7d33-4cf5-a915-aaa2de84405f", "Standard has no private link", registry({ sku: "Standard" }), false],
  ["e9585a95-5b8c-4d03-b193-dc7eb5ac4c32", "an endpoint to a registry", endpoint(), true],
  ["e9585a95-5b8c-4d03-b193-dc7eb5ac4c32", "an endpoint to a blob account", endpoint({ groupIds: ["blob"] }), false],
  ["e9585a95-5b8c-4d03-b193-dc7eb5ac4c32", "manual approval only: privateLinkServiceConnections is empty", endpoint({ manual: true }), false],
  ["e9585a95-5b8c-4d03-b193-dc7eb5ac4c32", "a registry is not an endpoint", registry(), false],
];

test("each built-in's rule, over registry and endpoint documents as Cove returns them", () => {
  for (const [name, what, doc, want] of TABLE) {
    assert.equal(evaluateCondition(ruleOf(name).if, { doc, parameters: {} }), want, `${name}: ${what}`);
  }
});

test("Audit and Deny: the assignment's effect value decides what a match does", () => {
  for (const name of ["bd560fc0-3c69-498a-ae9f-aa8eb7de0e13", "0fdf0491-d080-4575-b627-ad0e843cba0f", "d0793b48-0edc-4296-a390-4c75d1bdfd71", "dc921057-6b28-4fbe-9b83-f7bec05db6c2", "9f2dea28-e834-476c-99c5-3507b4728395"]) {
    const rule = ruleOf(name);
    assert.equal(ruleEffect(rule, { effect: "Audit" }), "audit");
    assert.equal(ruleEffect(rule, { effect: "Deny" }), "deny");
    assert.equal(ruleEffect(rule, { effect: "Disabled" }), "disabled");
  }
  assert.equal(ruleEffect(ruleOf("e8eef0a8-67cf-4eb4-9386-14b0e78733d4"), { effect: "Audit" }), "audit");
});

test("Modify: forces publicNetworkAccess to Disabled with Contributor, audit on conflict", () => {
  const rule = ruleOf("a3701552-92ea-433e-9d17-33b7f1208fc9");
  assert.equal(ruleEffect(rule, { effect: "Modify" }), "modify");
  const details = rule.details as Json;
  assert.equal(details.conflictEffect, "audit");
  assert.deepEqual(details.roleDefinitionIds, ["/providers/microsoft.authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"]);
  assert.deepEqual(details.operations, [{ operation: "addOrReplace", field: "Microsoft.ContainerRegistry/registries/publicNetworkAccess", value: "Disabled" }]);
});

test("DeployIfNotExists for endpoints: an approved connection satisfies the existence condition, a pending one does not", () => {
  const details = ruleOf("d85c6833-7d33-4cf5-a915-aaa2de84405f").details as Json;
  assert.equal(details.type, "Microsoft.ContainerRegistry/registries/privateEndpointConnections");
  assert.deepEqual(details.roleDefinitionIds, ["/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"]);
  const existence = compileRule({ if: details.existenceCondition, then: { effect: "audit" } }).if;
  assert.equal(evaluateCondition(existence, { doc: connection("Approved"), parameters: {} }), true);
  assert.equal(evaluateCondition(existence, { doc: connection("Pending"), parameters: {} }), false);
  const deployment = (details.deployment as Json).properties as Json;
  assert.deepEqual(deployment.parameters, { name: { value: "[field('name')]" }, serviceId: { value: "[field('id')]" }, privateEndpointSubnetId: { value: "[parameters('privateEndpointSubnetId')]" } });
  const outer = deployment.template as Json;
  assert.match(String((outer.variables as Json).privateEndpointName), /^\[concat\('pe-',substring\(parameters\('name'\),0,min\(length\(parameters\('name'\)\),50\)\),'-',uniquestring\(deployment\(\)\.name\)\)\]$/);
  const nested = (outer.resources as Json[])[0]!;
  assert.equal(nested.type, "Microsoft.Resources/deployments");
  const inner = ((nested.properties as Json).template as Json).resources as Json[];
  const pe = inner[0]!;
  assert.equal(pe.type, "Microsoft.Network/privateEndpoints");
  assert.deepEqual(((pe.properties as Json).privateLinkServiceConnections as Json[])[0]!.properties, { privateLinkServiceId: "[parameters('serviceId')]", groupIds: ["registry"], requestMessage: "autoapprove" });
});

test("DeployIfNotExists for DNS zones: any zone group satisfies it; the template names it deployedByPolicy", () => {
  const details = ruleOf("e9585a95-5b8c-4d03-b193-dc7eb5ac4c32").details as Json;
  assert.equal(details.type, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups");
  assert.equal(details.existenceCondition, undefined);
  assert.deepEqual(details.roleDefinitionIds, ["/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7"]);
  const deployment = (details.deployment as Json).properties as Json;
  const group = ((deployment.template as Json).resources as Json[])[0]!;
  assert.equal(group.name, "[concat(parameters('privateEndpointName'), '/deployedByPolicy')]");
  assert.deepEqual((group.properties as Json).privateDnsZoneConfigs, [{ name: "containerRegistry-privateDnsZone", properties: { privateDnsZoneId: "[parameters('privateDnsZoneId')]" } }]);
  assert.deepEqual(deployment.parameters, { privateDnsZoneId: { value: "[parameters('privateDnsZoneId')]" }, privateEndpointName: { value: "[field('name')]" }, location: { value: "[field('location')]" } });
});

test("an alias below a sub-resource array reads the member's properties, outside count too", () => {
  const rule = compileRule({ if: { field: "Microsoft.Network/privateEndpoints/privateLinkServiceConnections[*].privateLinkServiceId", equals: REG_ID }, then: { effect: "audit" } });
  assert.equal(evaluateCondition(rule.if, { doc: endpoint(), parameters: {} }), true);
  const other = endpoint();
  (((other.properties as Json).privateLinkServiceConnections as Json[])[0]!.properties as Json).privateLinkServiceId = `${SUB}/providers/Microsoft.ContainerRegistry/registries/other`;
  assert.equal(evaluateCondition(rule.if, { doc: other, parameters: {} }), false);
});
