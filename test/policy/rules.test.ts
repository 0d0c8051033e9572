// Table tests of the policy rule language (issue 10 section 2), pure: every operator, the logical
// forms, array aliases outside and inside count, the template functions, effects, and the
// refusals at definition time (unsupported parts, hostile sizes), with evaluation bounded in time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileRule, evaluateCondition, ruleEffect, LIMITS, PolicyLanguageError } from "../../src/control-plane/policy/rules.js";

const REG = "Microsoft.ContainerRegistry/registries";
const A = (p: string) => `${REG}/${p}`;

const registry = {
  id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contosoacr",
  name: "contosoacr",
  type: REG,
  location: "westeurope",
  tags: { env: "prod", "cost center": "42" },
  sku: { name: "Standard", tier: "Standard" },
  properties: {
    publicNetworkAccess: "Enabled",
    adminUserEnabled: true,
    anonymousPullEnabled: false,
    networkRuleSet: { defaultAction: "Allow", ipRules: [{ action: "Allow", value: "203.0.113.0/24" }, { action: "Allow", value: "198.51.100.7" }] },
    privateEndpointConnections: [],
  },
};

function holds(condition: unknown, parameters: Record<string, unknown> = {}, doc: Record<string, unknown> = registry): boolean {
  return evaluateCondition(compileRule({ if: condition, then: { effect: "audit" } }).if, { doc, parameters });
}

test("every operator, on fields and values", () => {
  const cases: Array<[unknown, boolean]> = [
    [{ field: "type", equals: REG.toUpperCase() }, true],
    [{ field: "name", notEquals: "contosoacr" }, false],
    [{ field: A("sku.name"), in: ["Basic", "Standard"] }, true],
    [{ field: A("sku.name"), notIn: ["Premium"] }, true],
    [{ field: A("publicNetworkAccess"), exists: "true" }, true],
    [{ field: A("dataEndpointEnabled"), exists: false }, true],
    [{ field: "tags['cost center']", equals: "42" }, true],
    [{ field: "tags.env", like: "pr*" }, true],
    [{ field: "location", notLike: "east*" }, true],
    [{ field: "name", contains: "TOSO" }, true],
    [{ field: "name", notContains: "fabrikam" }, true],
    [{ field: A("adminUserEnabled"), equals: "true" }, true],
    [{ field: A("anonymousPullEnabled"), equals: false }, true],
    [{ value: 3, less: 4 }, true],
    [{ value: 4, lessOrEquals: 4 }, true],
    [{ value: 5, greater: 4 }, true],
    [{ value: 4, greaterOrEquals: 5 }, false],
    [{ value: "b", greater: "A" }, true],
    [{ field: A("networkRuleSet.ipRules"), contains: { action: "Allow", value: "198.51.100.7" } }, true],
  ];
  for (const [cond, want] of cases) assert.equal(holds(cond), want, JSON.stringify(cond));
});

test("allOf, anyOf, not", () => {
  assert.equal(holds({ allOf: [{ field: "type", equals: REG }, { field: A("publicNetworkAccess"), notEquals: "Disabled" }] }), true);
  assert.equal(holds({ anyOf: [{ field: "name", equals: "x" }, { field: "location", equals: "westeurope" }] }), true);
  assert.equal(holds({ not: { field: "location", equals: "westeurope" } }), false);
});

test("an array alias outside count holds when every member does; count with where counts the members", () => {
  assert.equal(holds({ field: A("networkRuleSet.ipRules[*].action"), equals: "Allow" }), true);
  assert.equal(holds({ field: A("networkRuleSet.ipRules[*].value"), like: "203.*" }), false, "one rule is 198.51.100.7");
  assert.equal(holds({ field: A("privateEndpointConnections[*].privateLinkServiceConnectionState.status"), equals: "Approved" }), true, "no members: vacuously true");
  assert.equal(holds({ count: { field: A("networkRuleSet.ipRules[*]") }, equals: 2 }), true);
  assert.equal(holds({ count: { field: A("networkRuleSet.ipRules[*]"), where: { field: A("networkRuleSet.ipRules[*].value"), like: "*/24" } }, equals: 1 }), true);
  assert.equal(holds({ count: { field: A("privateEndpointConnections[*]") }, greater: 0 }), false, "Container registries should use private link");
});

test("parameters(), field() and concat(); the effect from a parameter", () => {
  assert.equal(holds({ field: A("sku.name"), in: "[parameters('allowed')]" }, { allowed: ["Premium"] }), false);
  assert.equal(holds({ value: "[concat(field('name'), '-', parameters('suffix'))]", equals: "contosoacr-pe" }, { suffix: "pe" }), true);
  assert.equal(holds({ value: "[[literal]", equals: "[[literal]" }), true, "[[ escapes a literal bracket on both sides");
  assert.equal(holds({ field: "name", equals: "[[contosoacr]" }), false, "an escaped operand is the text [contosoacr], not an expression");
  const rule = compileRule({ if: { field: "type", equals: REG }, then: { effect: "[parameters('effect')]" } });
  assert.equal(ruleEffect(rule, { effect: "DENY" }), "deny");
  assert.throws(() => ruleEffect(rule, { effect: "Explode" }), /effect 'Explode' is not supported/);
  assert.throws(() => ruleEffect(rule, {}), /parameter 'effect' is not defined/);
  for (const e of ["Audit", "Deny", "Disabled", "Modify", "AuditIfNotExists", "DeployIfNotExists"]) {
    assert.equal(ruleEffect(compileRule({ if: { field: "type", equals: REG }, then: { effect: e } }), {}).toLowerCase(), e.toLowerCase());
  }
});

test("unsupported parts are refused when the definition is written, never ignored", () => {
  const refused: Array<[unknown, RegExp]> = [
    [{ if: { field: A("notAnAlias"), equals: 1 }, then: { effect: "audit" } }, /field '.*notAnAlias' is not a supported alias/],
    [{ if: { field: "name", matchInsensitively: "x" }, then: { effect: "audit" } }, /'matchInsensitively', which is not supported/],
    [{ if: { field: "name", equals: "a", notEquals: "b" }, then: { effect: "audit" } }, /exactly one operator/],
    [{ if: { field: "name", equals: "[resourceGroup().name]" }, then: { effect: "audit" } }, /template function 'resourceGroup' is not supported/],
    [{ if: { count: { value: [1, 2] }, equals: 2 }, then: { effect: "audit" } }, /value count is not supported/],
    [{ if: { count: { field: A("sku.name") }, equals: 1 }, then: { effect: "audit" } }, /array alias ending in \[\*\]/],
    [{ if: { field: "name", equals: "x" }, then: { effect: "append" } }, /effect 'append' is not supported/],
    [{ if: { field: "name", in: "x" }, then: { effect: "audit" } }, /'in' takes an array/],
    [{ if: { allOf: [] }, then: { effect: "audit" } }, /non-empty array/],
    [{ if: { field: "name", equals: "x" } }, /'then' with an 'effect'/],
  ];
  for (const [rule, message] of refused) assert.throws(() => compileRule(rule), (e: unknown) => e instanceof PolicyLanguageError && message.test((e as Error).message), JSON.stringify(rule));
});

test("hostile definitions: deep nesting and huge lists are refused; a count over a huge array is bounded in time", () => {
  let deep: unknown = { field: "name", equals: "x" };
  for (let i = 0; i <= LIMITS.depth; i++) deep = { not: deep };
  assert.throws(() => compileRule({ if: deep, then: { effect: "audit" } }), /nests deeper than 32/);
  assert.throws(() => compileRule({ if: { field: "name", in: Array.from({ length: LIMITS.inList + 1 }, (_, i) => `n${i}`) }, then: { effect: "audit" } }), /more than 10000 values/);
  const wide = { anyOf: Array.from({ length: LIMITS.nodes + 1 }, () => ({ field: "name", equals: "x" })) };
  assert.throws(() => compileRule({ if: wide, then: { effect: "audit" } }), /more than 1000 conditions/);
  assert.throws(() => compileRule({ if: { field: "name", equals: `[concat(${"concat(".repeat(20)}'x'${")".repeat(20)})]` }, then: { effect: "audit" } }), /calls nest deeper than 16/);

  // A document with 300,000 IP rules (far beyond Azure's 200) and a count whose where runs per member:
  // the step budget stops it with an error instead of running on.
  const flood = { ...registry, properties: { ...registry.properties, networkRuleSet: { defaultAction: "Deny", ipRules: Array.from({ length: 300_000 }, (_, i) => ({ action: "Allow", value: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` })) } } };
  const rule = compileRule({ if: { count: { field: A("networkRuleSet.ipRules[*]"), where: { field: A("networkRuleSet.ipRules[*].value"), like: "10.*" } }, greater: 0 }, then: { effect: "audit" } });
  const started = Date.now();
  assert.throws(() => evaluateCondition(rule.if, { doc: flood, parameters: {} }), /more than 200000 steps/);
  assert.ok(Date.now() - started < 2000, `bounded: ${Date.now() - started} ms`);
});

test("every operator also answers false, on absent fields too", () => {
  const cases: Array<[unknown, boolean]> = [
    [{ field: "type", equals: "Microsoft.Network/privateEndpoints" }, false],
    [{ field: "name", notEquals: "CONTOSOACR" }, false],
    [{ field: A("sku.name"), in: ["Premium"] }, false],
    [{ field: A("sku.name"), notIn: ["basic", "standard"] }, false],
    [{ field: A("publicNetworkAccess"), exists: false }, false],
    [{ field: A("dataEndpointEnabled"), exists: "true" }, false],
    [{ field: "name", contains: "fabrikam" }, false],
    [{ field: "name", notContains: "acr" }, false],
    [{ field: "tags.env", like: "dev*" }, false],
    [{ field: "location", notLike: "west*" }, false],
    [{ value: 4, less: 4 }, false],
    [{ value: 5, lessOrEquals: 4 }, false],
    [{ value: 4, greater: 4 }, false],
    [{ value: 3, greaterOrEquals: 4 }, false],
    [{ field: A("dataEndpointEnabled"), equals: "x" }, false],
    [{ field: A("dataEndpointEnabled"), notEquals: "x" }, true],
    [{ field: A("dataEndpointEnabled"), less: 5 }, false],
    [{ field: A("networkRuleSet.ipRules[*].value"), in: ["203.0.113.0/24"] }, false],
    [{ field: A("networkRuleSet.ipRules[*].value"), notIn: ["10.0.0.1"] }, true],
  ];
  for (const [cond, want] of cases) assert.equal(holds(cond), want, JSON.stringify(cond));
});

test("condition keys are read case-insensitively, as Azure (its own built-ins write 'anyof')", () => {
  assert.equal(holds({ anyof: [{ field: "name", equals: "x" }, { FIELD: "location", Equals: "westeurope" }] }), true);
  assert.equal(holds({ ALLOF: [{ field: "type", equals: REG }, { NOT: { field: "name", notequals: "contosoacr" } }] }), true);
  assert.equal(holds({ Count: { Field: A("networkRuleSet.ipRules[*]"), Where: { field: A("networkRuleSet.ipRules[*].action"), equals: "Allow" } }, Equals: 2 }), true);
  assert.throws(() => compileRule({ if: { field: "name", EQUALS: "a", equals: "b" }, then: { effect: "audit" } }), /names 'equals' more than once/);
});

test("every effect name, any case, literal or from a parameter", () => {
  const rule = compileRule({ if: { field: "type", equals: REG }, then: { effect: "[parameters('effect')]" } });
  const names: Array<[string, string]> = [
    ["AUDIT", "audit"], ["deny", "deny"], ["DisAbled", "disabled"], ["modify", "modify"],
    ["auditifnotexists", "auditIfNotExists"], ["DEPLOYIFNOTEXISTS", "deployIfNotExists"],
  ];
  for (const [given, canonical] of names) {
    assert.equal(ruleEffect(rule, { Effect: given }), canonical, "parameter names are case-insensitive too");
    assert.equal(ruleEffect(compileRule({ if: { field: "type", equals: REG }, then: { effect: given } }), {}), canonical);
  }
  for (const e of ["append", "denyAction", "manual", "mutate", "addToNetworkGroup"]) {
    assert.throws(() => compileRule({ if: { field: "type", equals: REG }, then: { effect: e } }), /is not supported/, e);
  }
});

test("at the limits: a 10,000-value 'in' list and a count over 300,000 members without where stay fast (measured)", () => {
  const list = Array.from({ length: LIMITS.inList }, (_, i) => `name${i}`);
  const inRule = compileRule({ if: { field: "name", in: [...list.slice(1), "contosoacr"] }, then: { effect: "audit" } });
  let started = performance.now();
  for (let i = 0; i < 100; i++) assert.equal(evaluateCondition(inRule.if, { doc: registry, parameters: {} }), true);
  const inMs = performance.now() - started;
  assert.ok(inMs < 2000, `100 evaluations over a 10,000-value list took ${inMs.toFixed(0)} ms`);

  const flood = { ...registry, properties: { ...registry.properties, networkRuleSet: { defaultAction: "Deny", ipRules: Array.from({ length: 300_000 }, () => ({ action: "Allow", value: "10.0.0.1" })) } } };
  const countRule = compileRule({ if: { count: { field: A("networkRuleSet.ipRules[*]") }, greater: 200 }, then: { effect: "audit" } });
  started = performance.now();
  assert.equal(evaluateCondition(countRule.if, { doc: flood, parameters: {} }), true);
  const countMs = performance.now() - started;
  assert.ok(countMs < 1000, `a count over 300,000 members took ${countMs.toFixed(0)} ms`);
});
