// The template runner of DeployIfNotExists remediation (deployments.ts, template-functions.ts),
// pure: a fake target records the requests a deployment sends. Template functions, dependsOn
// order, nested deployments in inner and outer scope, the built-in endpoint template as Azure
// writes it, and the templates refused whole before any request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deploy, DeploymentError, type DeploymentTarget } from "../../src/control-plane/policy/deployments.js";
import { evaluateTemplateExpr, parseTemplateValue, type TemplateContext } from "../../src/control-plane/policy/template-functions.js";
import { builtinDefinition } from "../../src/control-plane/policy/builtins.js";

const SUB = "00000000-0000-0000-0000-000000000001";
const RG = `/subscriptions/${SUB}/resourceGroups/rg`;
type Json = Record<string, any>;

function target(resources: Record<string, Json> = {}, denied: string[] = []) {
  const sent: string[] = [];
  const bodies: Json[] = [];
  const t: DeploymentTarget = {
    subscriptionId: SUB, tenantId: "t", resourceGroup: "rg",
    readGroup: async () => ({ id: RG, name: "rg", location: "northeurope" }),
    async send(method, id, apiVersion, body) {
      sent.push(`${method} ${id} ${apiVersion}`);
      if (body) bodies.push(body);
      if (method === "GET") return resources[id] ? { status: 200, body: resources[id] } : { status: 404, body: { error: { code: "ResourceNotFound", message: `no ${id}` } } };
      return { status: 201, body };
    },
    async demand(action) {
      if (denied.includes(action)) throw new DeploymentError("AuthorizationFailed", `may not ${action}`);
    },
    apiVersionFor: () => "2024-03-01",
  };
  return { t, sent, bodies };
}

const ctx: TemplateContext = {
  parameter: (n) => ({ name: "Contoso-Registry", list: ["a", "b", "c"] } as Json)[n],
  variable: async () => undefined,
  deployment: () => ({ name: "dep1" }),
  subscription: () => ({ subscriptionId: SUB }),
  resourceGroup: async () => ({ name: "rg", location: "northeurope" }),
  reference: async () => ({}),
  resourceId: (args) => args.join("|"),
};
const ev = async (e: string) => evaluateTemplateExpr(parseTemplateValue(e), ctx);

test("template functions, as ARM evaluates them", async () => {
  const cases: Array<[string, unknown]> = [
    ["[concat('pe-', toLower(parameters('name')))]", "pe-contoso-registry"],
    ["[substring(parameters('name'), 0, min(length(parameters('name')), 7))]", "Contoso"],
    ["[first(take(split('/a/b/subnets/pe', '/subnets'), 1))]", "/a/b"],
    ["[last(split('x/y/z', '/'))]", "z"],
    ["[format('{0}-{1}', 'a', 3)]", "a-3"],
    ["[resourceGroup().location]", "northeurope"],
    ["[subscription().subscriptionId]", SUB],
    ["[if(equals(length(parameters('list')), 3), 'three', 'other')]", "three"],
    ["[parameters('list')[1]]", "b"],
    ["[[literal]", "[literal]"],
    ["[empty('')]", true],
    ["[contains(parameters('list'), 'c')]", true],
  ];
  for (const [e, want] of cases) assert.deepEqual(await ev(e), want, e);
  const u = await ev("[uniqueString('dep1')]");
  assert.match(String(u), /^[a-z2-7]{13}$/);
  assert.equal(await ev("[uniqueString('dep1')]"), u, "deterministic");
  assert.notEqual(await ev("[uniqueString('dep2')]"), u);
  assert.match(String(await ev("[guid('a', 'b')]")), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  await assert.rejects(ev("[copyIndex()]"), /'copyIndex' is not supported/);
  await assert.rejects(ev("[substring('abc', 2, 5)]"), /do not fit/);
});

test("resources go out in dependsOn order, child names become child ids, location is left off child resources", async () => {
  const { t, sent, bodies } = target();
  const ids = await deploy({
    parameters: { prefix: { type: "string", defaultValue: "[concat('p', '1')]" } },
    variables: { vnet: "[concat(parameters('prefix'), '-vnet')]" },
    resources: [
      { type: "Microsoft.Network/virtualNetworks/subnets", apiVersion: "2020-07-01", name: "[concat(variables('vnet'), '/s1')]", location: "westeurope",
        dependsOn: ["[resourceId('Microsoft.Network/virtualNetworks', variables('vnet'))]"], properties: { addressPrefix: "127.9.1.0/24" } },
      { type: "Microsoft.Network/virtualNetworks", apiVersion: "2020-07-01", name: "[variables('vnet')]", location: "westeurope", tags: {}, properties: {} },
      { type: "Microsoft.Network/virtualNetworks", apiVersion: "2020-07-01", name: "skipped", condition: "[equals(1, 2)]", properties: {} },
    ],
  }, {}, "d", t);
  assert.deepEqual(sent, [
    `PUT ${RG}/providers/Microsoft.Network/virtualNetworks/p1-vnet 2020-07-01`,
    `PUT ${RG}/providers/Microsoft.Network/virtualNetworks/p1-vnet/subnets/s1 2020-07-01`,
  ]);
  assert.deepEqual(ids, sent.map((s) => s.split(" ")[1]));
  assert.deepEqual(bodies, [{ location: "westeurope", tags: {}, properties: {} }, { properties: { addressPrefix: "127.9.1.0/24" } }]);
});

test("the built-in endpoint template, as Azure writes it: the nested inner-scope deployment reads the VNet's location", async () => {
  const dine = builtinDefinition("d85c6833-7d33-4cf5-a915-aaa2de84405f")!;
  const template = (dine.properties as Json).policyRule.then.details.deployment.properties.template;
  const vnet = `${RG}/providers/Microsoft.Network/virtualNetworks/hub`;
  const { t, sent, bodies } = target({ [vnet]: { id: vnet, location: "swedencentral", properties: {} } });
  const registry = `${RG}/providers/Microsoft.ContainerRegistry/registries/contosoacr`;
  await deploy(template, { name: { value: "contosoacr" }, serviceId: { value: registry }, privateEndpointSubnetId: { value: `${vnet}/subnets/pe` } }, "outer-name", t);
  assert.equal(sent[0], `GET ${vnet} 2020-07-01`);
  assert.match(sent[1]!, new RegExp(`^PUT ${RG}/providers/Microsoft.Network/privateEndpoints/pe-contosoacr-[a-z2-7]{13} 2020-07-01$`));
  assert.equal(sent.length, 2);
  const pe = bodies[0]!;
  assert.equal(pe.location, "swedencentral");
  assert.equal(pe.properties.subnet.id, `${vnet}/subnets/pe`);
  assert.equal(pe.properties.privateLinkServiceConnections[0].properties.privateLinkServiceId, registry);
  assert.equal(pe.properties.privateLinkServiceConnections[0].name, sent[1]!.split(" ")[1]!.split("/").pop(), "deployment().name inside is the nested deployment's");
});

test("refused whole before any request: unsupported features, unknown names, cycles, missing parameters; permission first", async () => {
  const bad: Array<[Json, Json, RegExp]> = [
    [{ resources: [{ type: "Microsoft.Network/virtualNetworks", name: "v", copy: { count: 2 } }] }, {}, /uses 'copy'/],
    [{ resources: [{ type: "Microsoft.Resources/deployments", name: "n", properties: { templateLink: { uri: "https://x" } } }] }, {}, /templateLink/],
    [{ resources: [{ type: "Microsoft.Network/virtualNetworks", name: "[listKeys('x')]" }] }, {}, /'listKeys' is not supported/],
    [{ resources: [{ type: "Microsoft.Network/virtualNetworks", name: "a", dependsOn: ["b"] }] }, {}, /'b' is not defined in the template/],
    [{ resources: [
      { type: "Microsoft.Network/virtualNetworks", name: "a", dependsOn: ["b"] },
      { type: "Microsoft.Network/virtualNetworks", name: "b", dependsOn: ["a"] },
    ] }, {}, /Circular dependency/],
    [{ parameters: { p: { type: "string" } }, resources: [] }, {}, /template parameter 'p' is not provided/],
    [{ parameters: { p: { type: "string", allowedValues: ["x"] } }, resources: [] }, { p: { value: "y" } }, /not part of the allowed value/],
    [{ resources: [] }, { q: { value: 1 } }, /'q' is given but not declared/],
    [{ resources: [{ type: "Microsoft.Network/virtualNetworks/subnets", name: "only-one" }] }, {}, /does not fit its type/],
  ];
  for (const [template, params, why] of bad) {
    const { t, sent } = target();
    await assert.rejects(deploy(template, params, "d", t), (e: DeploymentError) => e.code === "InvalidTemplate" && why.test(e.message) && /^Deployment template validation failed: '/.test(e.message), JSON.stringify(template));
    assert.deepEqual(sent, [], `nothing sent for ${JSON.stringify(template)}`);
  }
  const { t, sent } = target({}, ["Microsoft.Resources/deployments/write"]);
  await assert.rejects(deploy({ resources: [{ type: "Microsoft.Network/virtualNetworks", name: "v" }] }, {}, "d", t), (e: DeploymentError) => e.code === "AuthorizationFailed");
  assert.deepEqual(sent, []);
  const failing = target();
  await assert.rejects(
    deploy({ resources: [{ type: "Microsoft.Network/virtualNetworks", name: "v", properties: { x: "[reference('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/none').location]" } }] }, {}, "d", failing.t),
    (e: DeploymentError) => e.code === "ResourceNotFound",
    "a failing request's own error is the deployment's",
  );
});
