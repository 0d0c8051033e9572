// The real `cove` command against a real Cove (issue 7 items 16, 17, 18 and `cove --version`):
// create-for-rbac run twice with one name, tsv/table columns in the query's order, inherited role
// assignments. Credentials are proved where a user proves them: a registry login with Basic on
// /v2/ and the identity provider's token endpoint, over real HTTPS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { basic, https } from "../support/http.js";
import { realCli, runCove, type RealCli } from "./real-cli.js";

let cli: RealCli;
let registryId: string;
let loginServer: string;

before(async () => {
  cli = await realCli();
  await cli.ok("group", "create", "-n", "rg-cli", "-l", "westeurope");
  const reg = await cli.json("acr", "create", "-n", "clireg1", "-g", "rg-cli", "--sku", "Basic");
  registryId = reg.id;
  loginServer = reg.loginServer;
});
after(async () => { await cli?.close(); });

async function v2Status(appId: string, password: string): Promise<number> {
  const r = await https(`https://127.0.0.1:${cli.cove.registryPort}/v2/`, { ca: cli.cove.ca, host: loginServer, headers: { authorization: basic(appId, password) } });
  return r.status;
}

async function tokenStatus(appId: string, password: string): Promise<number> {
  const c = cli.cove.credentials;
  const body = new URLSearchParams({ grant_type: "client_credentials", client_id: appId, client_secret: password, scope: `${c.managementEndpoint}/.default` }).toString();
  const r = await https(`${c.managementEndpoint}/${c.tenantId}/oauth2/v2.0/token`, { ca: cli.cove.ca, method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
  return r.status;
}

test("create-for-rbac twice with one name: same appId, a new working password, the old one reset, one role assignment", async () => {
  const args = ["ad", "sp", "create-for-rbac", "-n", "ci-pusher", "--role", "AcrPush", "--scopes", registryId];
  const first = await cli.run(...args);
  assert.equal(first.code, 0, first.stderr);
  const one = JSON.parse(first.stdout);
  assert.equal(await v2Status(one.appId, one.password), 200, "the first password logs in to the registry");

  const second = await cli.run(...args);
  assert.equal(second.code, 0, second.stderr);
  const two = JSON.parse(second.stdout);
  assert.equal(two.appId, one.appId);
  assert.equal(two.displayName, "ci-pusher");
  assert.equal(typeof two.password, "string");
  assert.notEqual(two.password, one.password);
  assert.match(second.stderr, /^WARNING: Found an existing application instance: \(id\) [0-9a-f-]+\. We will patch it\.$/m);
  assert.match(second.stderr, /Role assignment already exists\./);

  assert.equal(await v2Status(two.appId, two.password), 200, "the new password logs in to the registry");
  assert.equal(await tokenStatus(two.appId, two.password), 200, "the new password gets a token");
  // az deletes the application's passwords before adding the new one: the old secret is reset.
  assert.equal(await v2Status(one.appId, one.password), 401, "the old password no longer works");
  assert.equal(await tokenStatus(one.appId, one.password), 401);

  const assignments = await cli.json("role", "assignment", "list", "--assignee", two.appId, "--all");
  assert.equal(assignments.length, 1, JSON.stringify(assignments));
  assert.equal(assignments[0].roleDefinitionName, "AcrPush");
  assert.equal(assignments[0].scope.toLowerCase(), registryId.toLowerCase());
  const sps = await cli.json("ad", "sp", "list", "--display-name", "ci-pusher");
  assert.equal(sps.length, 1);
  assert.equal(sps[0].passwordCredentials.length, 1, "one secret left");
});

test("--output tsv and table keep the query's field order, for one object and for a list", async () => {
  const one = await cli.run("acr", "show", "-n", "clireg1", "--query", "{sku:sku.name,name:name,server:loginServer}", "-o", "tsv");
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, `Basic\tclireg1\t${loginServer}\n`);
  await cli.ok("acr", "create", "-n", "clireg2", "-g", "rg-cli", "--sku", "Premium");
  const list = await cli.run("acr", "list", "-g", "rg-cli", "--query", "sort_by([], &name)[].{sku:sku.name,name:name,admin:adminUserEnabled}", "-o", "tsv");
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, "Basic\tclireg1\tFalse\nPremium\tclireg2\tFalse\n");
  const table = await cli.ok("acr", "list", "-g", "rg-cli", "--query", "sort_by([], &name)[].{sku:sku.name,name:name}", "-o", "table");
  assert.deepEqual(table.split("\n").map((l) => l.split(/\s+/).filter(Boolean)).filter((c) => c.length), [
    ["Sku", "Name"], ["-------", "-------"], ["Basic", "clireg1"], ["Premium", "clireg2"],
  ]);
});

test("role assignment list --scope <registry>: only the registry's own without --include-inherited, the subscription's too with it; the table names principals", async () => {
  const sub = `/subscriptions/${cli.cove.credentials.subscriptionId}`;
  const reg = await cli.json("acr", "create", "-n", "clireg3", "-g", "rg-cli", "--sku", "Basic");
  const reader = await cli.json("ad", "sp", "create-for-rbac", "-n", "sub-reader");
  const puller = await cli.json("ad", "sp", "create-for-rbac", "-n", "reg-puller");
  const readerSp = (await cli.json("ad", "sp", "list", "--display-name", "sub-reader"))[0];
  const pullerSp = (await cli.json("ad", "sp", "list", "--display-name", "reg-puller"))[0];
  await cli.ok("role", "assignment", "create", "--assignee", reader.appId, "--role", "Reader", "--scope", sub);
  await cli.ok("role", "assignment", "create", "--assignee", puller.appId, "--role", "AcrPull", "--scope", reg.id);

  const own = await cli.json("role", "assignment", "list", "--scope", reg.id);
  assert.deepEqual(own.map((a: any) => a.principalId), [pullerSp.objectId]);

  const all = await cli.json("role", "assignment", "list", "--scope", reg.id, "--include-inherited");
  const holders = all.map((a: any) => `${a.principalDisplayName}:${a.roleDefinitionName}:${a.scope.toLowerCase()}`);
  assert.ok(holders.includes(`reg-puller:AcrPull:${reg.id.toLowerCase()}`), holders.join("\n"));
  assert.ok(holders.includes(`sub-reader:Reader:${sub.toLowerCase()}`), holders.join("\n"));
  assert.ok(holders.includes(`cove-bootstrap:Owner:${sub.toLowerCase()}`), "the bootstrap Owner at the subscription applies too");
  for (const a of all) assert.ok(reg.id.toLowerCase().startsWith(a.scope.toLowerCase()), `${a.scope} is the registry or one of its parents`);
  assert.ok(!all.some((a: any) => a.scope.toLowerCase().includes("/registries/clireg1")), "a sibling registry's assignment is not inherited");

  const table = await cli.ok("role", "assignment", "list", "--scope", reg.id, "--include-inherited", "-o", "table");
  assert.match(table, /^Principal\s+PrincipalId\s+Role\s+Scope$/m);
  assert.match(table, new RegExp(`^sub-reader\\s+${readerSp.objectId}\\s+Reader\\s+${sub}$`, "m"));
  assert.match(table, new RegExp(`^reg-puller\\s+${pullerSp.objectId}\\s+AcrPull\\s+`, "m"));
});

test("cove --version prints package.json's version and the Node.js it runs on, and exits 0", async () => {
  const pkg = JSON.parse(await readFile("package.json", "utf8"));
  const r = await runCove(["--version"], cli.env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `cove ${pkg.version}\nNode.js ${process.version}\n`);
});
