// --output and --query on sample objects, as az prints them.
import { test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { formatOutput } from "../../src/cli/output.js";
import { CliError } from "../../src/cli/errors.js";
import { EXIT_USAGE } from "../../src/cli/exit-codes.js";

const registry = {
  name: "myregistry",
  location: "eastus",
  sku: { name: "Premium", tier: "Premium" },
  loginServer: "myregistry.cove.test",
  adminUserEnabled: false,
  creationDate: new Date("2024-05-01T10:00:00Z"),
  publicNetworkAccess: "Enabled",
  networkRuleSet: undefined,
  zoneRedundancy: null,
};

test("json: keys sorted, 2-space indent, Dates as ISO text, undefined dropped", () => {
  const out = formatOutput(registry, "json");
  assert.equal(out.endsWith("}\n"), true);
  const lines = out.split("\n");
  assert.equal(lines[1], '  "adminUserEnabled": false,');
  assert.ok(out.includes('"creationDate": "2024-05-01T10:00:00.000Z"'));
  assert.ok(!out.includes("networkRuleSet"));
  assert.ok(out.includes('"zoneRedundancy": null'));
  assert.deepEqual(Object.keys(JSON.parse(out)), Object.keys(JSON.parse(out)).sort());
});

test("--query applies before output, as `az acr show --query {sku:sku.name,loginServer:loginServer}`", () => {
  assert.equal(formatOutput(registry, "json", { query: "{sku:sku.name,loginServer:loginServer}" }),
    '{\n  "loginServer": "myregistry.cove.test",\n  "sku": "Premium"\n}\n');
  assert.equal(formatOutput(registry, "tsv", { query: "loginServer" }), "myregistry.cove.test\n");
  assert.equal(formatOutput([registry, { ...registry, name: "other" }], "json", { query: "[].name" }), '[\n  "myregistry",\n  "other"\n]\n');
  assert.equal(formatOutput(registry, "json", { query: "nosuchkey" }), "null\n");
});

test("an invalid --query is a usage error", () => {
  assert.throws(() => formatOutput(registry, "json", { query: "[[" }), (e: unknown) => e instanceof CliError && e.exitCode === EXIT_USAGE && /--query/.test(e.message));
});

test("table: first-level scalars, capitalised headers, dashes, True/False", () => {
  const out = formatOutput([registry, { ...registry, name: "reg2", adminUserEnabled: true }], "table", { query: "[].{name:name,admin:adminUserEnabled,sku:sku.name}" });
  assert.equal(out, [
    "Name        Admin  Sku",
    "----------  -----  -------",
    "myregistry  False  Premium",
    "reg2        True   Premium",
    "",
  ].join("\n"));
  assert.equal(formatOutput(["a", "bb"], "table"), "Result\n------\na\nbb\n");
  assert.equal(formatOutput([], "table"), "");
});

test("table: a command's table view is used only without --query", () => {
  const table = (r: any) => ({ NAME: r.name, SKU: r.sku.name });
  assert.equal(formatOutput(registry, "table", { table }), "NAME        SKU\n----------  -------\nmyregistry  Premium\n");
  assert.match(formatOutput(registry, "table", { table, query: "{n:name}" }), /^N\s*\n/);
});

test("tsv: fields of a result object in sorted key order; a nested object is an empty cell, an array its length, null empty", () => {
  const out = formatOutput({ b: 2, a: "x", nested: { c: 1 }, list: [1, 2, 3], n: null, t: true }, "tsv");
  assert.equal(out, "x\t2\t3\t\t\tTrue\n");
  assert.equal(formatOutput([{ name: "a" }, { name: "b" }], "tsv"), "a\nb\n");
});

test("tsv and table keep a multiselect hash's field order, as az (knack runs the query with OrderedDict)", () => {
  const peering = { name: "hub-to-spoke", remoteVirtualNetwork: { id: "/x/spoke" }, peeringState: "Connected", allowVirtualNetworkAccess: true };
  const q = "{vnet:name,remote:remoteVirtualNetwork.id,state:peeringState}";
  assert.equal(formatOutput(peering, "tsv", { query: q }), "hub-to-spoke\t/x/spoke\tConnected\n");
  assert.equal(formatOutput([peering, { ...peering, name: "b" }], "tsv", { query: `[].${q}` }), "hub-to-spoke\t/x/spoke\tConnected\nb\t/x/spoke\tConnected\n");
  assert.match(formatOutput([peering], "table", { query: `[].${q}` }), /^Vnet\s+Remote\s+State\n/);
  // Objects passed through unchanged by the query are not query-built: sorted, as az.
  assert.equal(formatOutput({ wrap: { z: 1, a: 2 } }, "tsv", { query: "wrap" }), "2\t1\n");
  // Without a query or a table view, table columns are sorted (knack's should_sort_keys).
  assert.match(formatOutput({ z: 1, a: 2 }, "table"), /^A\s+Z\n/);
});

test("yaml round-trips, jsonc is coloured JSON, none prints nothing", () => {
  const y = formatOutput(registry, "yaml");
  assert.equal(YAML.parse(y).sku.name, "Premium");
  assert.ok(y.startsWith("adminUserEnabled: false\n"));
  const c = formatOutput({ a: "x:1", n: 2, b: true }, "jsonc");
  assert.ok(c.includes("\x1b["));
  assert.deepEqual(JSON.parse(c.replace(/\x1b\[\d+m/g, "")), { a: "x:1", b: true, n: 2 });
  assert.equal(formatOutput(registry, "none"), "");
});
