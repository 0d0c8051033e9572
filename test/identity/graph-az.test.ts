// The real az (Debian's azure-cli 2.45, through `cove az` with its opt-in shim) against Cove's Graph
// subset: `ad sp create-for-rbac --role AcrPush --scopes <registry>` and what a user does next,
// each command as typed, each result checked where a user would check it (the password at the token
// endpoint, the role assignment's principal, what show and list print, the exit codes).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { azHarness, requireAz, type AzHarness } from "../az/support.js";
import { createRegistry } from "../support/arm.js";
import { tokenRequest } from "./graph-support.js";

let h: AzHarness;
let registry: string;

before(async () => {
  h = await azHarness();
  registry = (await createRegistry(h.cove, "graph-az-rg", "graphazreg")).id;
});
after(async () => { await h?.close(); });

/** `cove az --shim -- ARGS`: the whole run (the role commands need the shim with Debian's packages). */
const az = (...args: string[]) => h.az("--shim", "--", ...args);
const azJson = (...args: string[]) => h.json("--shim", "--", ...args);

test("az ad sp create-for-rbac --role AcrPush --scopes <registry>: a password that logs in, an assignment naming the service principal", async () => {
  requireAz();
  assert.equal((await h.az("setup", "--shim")).code, 0);
  const made = await azJson("ad", "sp", "create-for-rbac", "--role", "AcrPush", "--scopes", registry);
  assert.deepEqual(Object.keys(made).sort(), ["appId", "displayName", "password", "tenant"]);
  assert.equal(made.tenant, h.cove.credentials.tenantId);
  assert.match(made.displayName, /^azure-cli-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  assert.equal((await tokenRequest(h.cove, made.appId, made.password)).status, 200, "the password logs in");

  const sp = await azJson("ad", "sp", "show", "--id", made.appId, "--query", "{id:id,appId:appId,type:servicePrincipalType}");
  assert.deepEqual([sp.appId, sp.type], [made.appId, "Application"]);
  const roles = await azJson("role", "assignment", "list", "--scope", registry, "--query", "[].{role:roleDefinitionName,id:principalId,name:principalName}");
  assert.deepEqual(roles, [{ role: "AcrPush", id: sp.id, name: made.appId }]);

  // az role assignment create --assignee <appId>: resolved through servicePrincipalNames.
  const pull = await azJson("role", "assignment", "create", "--assignee", made.appId, "--role", "AcrPull", "--scope", registry);
  assert.deepEqual([pull.principalId, pull.principalType], [sp.id, "ServicePrincipal"]);

  // az ad app credential reset: the old password stops working, the new one works.
  const reset = await azJson("ad", "app", "credential", "reset", "--id", made.appId);
  assert.equal(reset.appId, made.appId);
  assert.notEqual(reset.password, made.password);
  assert.equal((await tokenRequest(h.cove, made.appId, made.password)).status, 401);
  assert.equal((await tokenRequest(h.cove, made.appId, reset.password)).status, 200);
  assert.deepEqual(await azJson("ad", "app", "credential", "list", "--id", made.appId, "--query", "length(@)"), 1);

  // az ad sp delete: gone for Graph (show is exit 3, az's not-found) and for the token endpoint.
  assert.equal((await az("ad", "sp", "delete", "--id", made.appId)).code, 0);
  const shown = await az("ad", "sp", "show", "--id", sp.id);
  assert.equal(shown.code, 3, shown.stderr);
  assert.match(shown.stderr, /does not exist or one of its queried reference-property objects are not present/);
  assert.equal((await tokenRequest(h.cove, made.appId, reset.password)).status, 400, "an unknown client now");
});

test("create-for-rbac --name twice reuses the application; unsupported az commands fail with Graph's message", async () => {
  requireAz();
  const first = await azJson("ad", "sp", "create-for-rbac", "-n", "payments-pipeline");
  const second = await azJson("ad", "sp", "create-for-rbac", "-n", "payments-pipeline");
  assert.equal(second.appId, first.appId);
  assert.equal((await tokenRequest(h.cove, first.appId, first.password)).status, 401, "az removed the first password");
  assert.equal((await tokenRequest(h.cove, first.appId, second.password)).status, 200);
  assert.deepEqual(await azJson("ad", "app", "list", "--display-name", "payments-pipeline", "--query", "[].appId"), [first.appId]);

  const cert = await az("ad", "sp", "create-for-rbac", "-n", "with-cert", "--create-cert");
  assert.equal(cert.code, 1);
  assert.match(cert.stderr, /certificate credentials are not supported/);
  const me = await az("ad", "signed-in-user", "show");
  assert.equal(me.code, 1);
  assert.match(me.stderr, /\/me request is only valid with delegated authentication flow/);
  const user = await az("role", "assignment", "create", "--assignee", "someone@example.org", "--role", "AcrPull", "--scope", registry);
  assert.equal(user.code, 1);
  assert.match(user.stderr, /Cannot find user or service principal in graph database for 'someone@example.org'/);
});
