// The CLI against a fake management endpoint (fake-management.ts), in-process through runCli:
// login (both ways), what is stored and with which mode, az-shaped output and --query, exit
// codes for service errors, and that --debug never shows a secret.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_AUTH, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from "../../src/cli/exit-codes.js";
import { cliHarness, type CliHarness } from "./capture.js";
import {
  ACCESS_TOKEN, ACR_PUSH_ID, ADMIN_PASSWORD, ADMIN_PASSWORD2, CLIENT_ID, CLIENT_SECRET, SUBSCRIPTION, TENANT,
  startFakeManagement, writeCredentials, type FakeManagement,
} from "./fake-management.js";

let fake: FakeManagement;
let cli: CliHarness;
const SECRETS = [CLIENT_SECRET, ACCESS_TOKEN, ADMIN_PASSWORD, ADMIN_PASSWORD2];

before(async () => {
  fake = await startFakeManagement();
  cli = cliHarness();
});
after(async () => {
  cli.cleanup();
  await fake.close();
});

function spLogin(secret: string) {
  return ["login", "--service-principal", "-u", CLIENT_ID, "-p", secret, "--tenant", TENANT, "--management-endpoint", fake.endpoint, "--ca-cert", fake.caPath];
}

test("a wrong secret is refused with exit 4 and nothing is stored", async () => {
  const r = await cli.run(...spLogin("wrong-secret"));
  assert.equal(r.code, EXIT_AUTH, r.stderr);
  assert.match(r.stderr, /^ERROR: Authentication failed: .*AADSTS7000215/m);
  assert.equal(existsSync(join(cli.configDir, "profile.json")), false);
  assert.deepEqual(readdirSync(cli.configDir), []);
});

test("without the CA the server is not trusted: exit 1 with a hint, nothing stored", async () => {
  const args = spLogin(CLIENT_SECRET).slice(0, -2);
  const r = await cli.run(...args);
  assert.equal(r.code, EXIT_ERROR, r.stderr);
  assert.match(r.stderr, /ERROR: TLS: .*--ca-cert/);
  assert.equal(existsSync(join(cli.configDir, "profile.json")), false);
});

test("login --service-principal stores a 0600 profile, finds the subscription, prints no secret", async () => {
  const r = await cli.run(...spLogin(CLIENT_SECRET));
  assert.equal(r.code, EXIT_OK, r.stderr);
  const accounts = JSON.parse(r.stdout);
  assert.equal(accounts[0].id, SUBSCRIPTION);
  assert.equal(accounts[0].tenantId, TENANT);
  assert.deepEqual(accounts[0].user, { name: CLIENT_ID, type: "servicePrincipal" });
  for (const s of SECRETS) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s));
  const file = join(cli.configDir, "profile.json");
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(cli.configDir).mode & 0o077, 0, "the config dir is private");
  assert.ok(fake.requests.some((q) => q.method === "GET" && q.url.startsWith("/subscriptions?api-version=")));

  const show = await cli.run("account", "show");
  assert.equal(show.code, EXIT_OK);
  assert.equal(JSON.parse(show.stdout).id, SUBSCRIPTION);
  assert.ok(!show.stdout.includes(CLIENT_SECRET));
});

test("login --from-data-dir reads credentials.json", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "cove-cli-data-"));
  try {
    const missing = await cli.run("login", "--from-data-dir", dataDir);
    assert.equal(missing.code, EXIT_USAGE);
    assert.match(missing.stderr, /credentials\.json does not exist/);
    writeCredentials(dataDir, fake);
    const r = await cli.run("login", "--from-data-dir", dataDir, "-o", "tsv", "--query", "[0].id");
    assert.equal(r.code, EXIT_OK, r.stderr);
    assert.equal(r.stdout, `${SUBSCRIPTION}\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("login --from-data-dir of a container's data dir, seen from the host: the CA is found beside credentials.json", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "cove-cli-data-"));
  try {
    // credentials.json names the CA by its path inside the container, which the host does not have.
    writeCredentials(dataDir, fake, "/var/lib/cove-in-a-container/ca/ca.crt");
    const without = await cli.run("login", "--from-data-dir", dataDir);
    assert.notEqual(without.code, EXIT_OK, "no CA to trust: the TLS handshake fails");
    mkdirSync(join(dataDir, "ca"));
    copyFileSync(fake.caPath, join(dataDir, "ca", "ca.crt"));
    const r = await cli.run("login", "--from-data-dir", dataDir, "-o", "tsv", "--query", "[0].id");
    assert.equal(r.code, EXIT_OK, r.stderr);
    assert.equal(r.stdout, `${SUBSCRIPTION}\n`);
    // The tests after this one use the profile: log in again with the CA that outlives this data dir.
    writeCredentials(dataDir, fake);
    assert.equal((await cli.run("login", "--from-data-dir", dataDir)).code, EXIT_OK);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("group create and acr create/show print the SDK's flattened model; --query as az", async () => {
  let r = await cli.run("group", "create", "-n", "cove-rg", "-l", "East US");
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.equal(JSON.parse(r.stdout).location, "eastus");

  r = await cli.run("acr", "create", "-n", "myregistry", "-g", "cove-rg", "--sku", "premium", "--admin-enabled", "true");
  assert.equal(r.code, EXIT_OK, r.stderr);
  const put = fake.requests.filter((q) => q.method === "PUT" && /registries\/myregistry/.test(q.url)).pop()!;
  assert.deepEqual(JSON.parse(put.body).sku, { name: "Premium" });
  assert.equal(JSON.parse(put.body).location, "eastus", "location defaults to the group's");
  assert.equal(JSON.parse(put.body).properties.adminUserEnabled, true);

  // No -g: the group is found by listing, as az.
  r = await cli.run("acr", "show", "-n", "myregistry", "--query", "{sku:sku.name,loginServer:loginServer}");
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.equal(r.stdout, '{\n  "loginServer": "myregistry.cove.test",\n  "sku": "Premium"\n}\n');

  r = await cli.run("acr", "list", "-o", "table");
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.match(r.stdout.split("\n")[0], /^NAME\s+RESOURCE GROUP\s+LOCATION\s+SKU\s+LOGIN SERVER/);
  assert.match(r.stdout.split("\n")[2], /^myregistry\s+cove-rg\s+eastus\s+Premium\s+myregistry\.cove\.test/);
});

test("a missing registry exits 3 with the ARM code; with and without -g", async () => {
  let r = await cli.run("acr", "show", "-n", "nosuchregistry", "-g", "cove-rg");
  assert.equal(r.code, EXIT_NOT_FOUND, r.stderr);
  assert.match(r.stderr, /^ERROR: \(ResourceNotFound\) /);
  assert.equal(r.stdout, "");
  r = await cli.run("acr", "show", "-n", "nosuchregistry");
  assert.equal(r.code, EXIT_NOT_FOUND, r.stderr);
  assert.match(r.stderr, /could not be found in subscription/);
  r = await cli.run("group", "show", "-n", "nosuchgroup");
  assert.equal(r.code, EXIT_NOT_FOUND);
  assert.match(r.stderr, /\(ResourceGroupNotFound\)/);
});

test("--debug logs requests but never a secret, token or password", async () => {
  const r = await cli.run("acr", "credential", "show", "-n", "myregistry", "--debug");
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.match(r.stderr, /DEBUG: cove: Request: POST https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*\/listCredentials/);
  assert.match(r.stderr, /DEBUG: cove: Response: 200 /);
  for (const s of SECRETS) assert.ok(!r.stderr.includes(s), `stderr shows ${s}`);
  assert.deepEqual(JSON.parse(r.stdout).passwords.map((p: any) => p.value), [ADMIN_PASSWORD, ADMIN_PASSWORD2]);

  const login = await cli.run(...spLogin(CLIENT_SECRET), "--debug");
  assert.equal(login.code, EXIT_OK, login.stderr);
  assert.match(login.stderr, /oauth2\/v2\.0\/token/);
  for (const s of SECRETS) assert.ok(!login.stderr.includes(s), `stderr shows ${s}`);
});

test("ad sp create-for-rbac creates the principal and the AcrPush assignment on the scope", async () => {
  const scope = `/subscriptions/${SUBSCRIPTION}/resourceGroups/cove-rg/providers/Microsoft.ContainerRegistry/registries/myregistry`;
  const r = await cli.run("ad", "sp", "create-for-rbac", "--name", "ci-pusher", "--role", "AcrPush", "--scopes", scope);
  assert.equal(r.code, EXIT_OK, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ["appId", "displayName", "password", "tenant"]);
  const sp = fake.servicePrincipals.find((s) => s.displayName === "ci-pusher");
  assert.equal(out.appId, sp.appId);
  assert.equal(out.password, sp.password);
  assert.equal(out.tenant, TENANT);
  assert.ok(fake.requests.some((q) => q.url.includes("roleDefinitions") && decodeURIComponent(q.url).includes("$filter=roleName eq 'AcrPush'")));
  const a = fake.assignments.at(-1);
  assert.equal(a.properties.principalId, sp.objectId);
  assert.equal(a.properties.scope, scope);
  assert.match(a.properties.roleDefinitionId, new RegExp(`/roleDefinitions/${ACR_PUSH_ID}$`));
  assert.match(r.stderr, /WARNING: The output includes credentials/);

  const quiet = await cli.run("role", "assignment", "list", "--assignee", out.appId, "--only-show-errors", "-o", "tsv", "--query", "[].[roleDefinitionName,scope]");
  assert.equal(quiet.code, EXIT_OK, quiet.stderr);
  assert.equal(quiet.stdout, `AcrPush\t${scope}\n`);
  assert.equal(quiet.stderr, "");
});

test("an unknown role is refused before any principal is created", async () => {
  const before = fake.servicePrincipals.length;
  const r = await cli.run("ad", "sp", "create-for-rbac", "-n", "typo", "--role", "AcrPusher", "--scopes", `/subscriptions/${SUBSCRIPTION}`);
  assert.equal(r.code, EXIT_ERROR);
  assert.match(r.stderr, /ERROR: Role 'AcrPusher' doesn't exist/);
  assert.equal(fake.servicePrincipals.length, before);
});

test("role assignment create resolves --assignee by appId", async () => {
  const sp = fake.servicePrincipals.find((s) => s.displayName === "ci-pusher");
  const scope = `/subscriptions/${SUBSCRIPTION}/resourceGroups/cove-rg`;
  const r = await cli.run("role", "assignment", "create", "--assignee", sp.appId, "--role", "AcrPull", "--scope", scope);
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.equal(JSON.parse(r.stdout).principalId, sp.objectId);
  const unknown = await cli.run("role", "assignment", "create", "--assignee", "00000000-0000-0000-0000-000000000000", "--role", "AcrPull", "--scope", scope);
  assert.equal(unknown.code, EXIT_NOT_FOUND);
  assert.match(unknown.stderr, /Cannot find user or service principal/);
});

test("a stopped server gives exit 1 and says so", async () => {
  const other = await startFakeManagement();
  const h = cliHarness();
  try {
    const dataDir = mkdtempSync(join(h.configDir, "data-"));
    copyFileSync(other.caPath, join(dataDir, "ca.crt"));
    writeCredentials(dataDir, other, "ca.crt");
    assert.equal((await h.run("login", "--from-data-dir", dataDir)).code, EXIT_OK);
    await other.close();
    const r = await h.run("group", "list");
    assert.equal(r.code, EXIT_ERROR);
    assert.match(r.stderr, /ERROR: (Cannot reach https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)|TLS: )/);
  } finally {
    h.cleanup();
  }
});

test("logout removes the profile; then commands exit 4", async () => {
  assert.equal((await cli.run("logout")).code, EXIT_OK);
  assert.equal(existsSync(join(cli.configDir, "profile.json")), false);
  const r = await cli.run("group", "list");
  assert.equal(r.code, EXIT_AUTH);
  assert.match(r.stderr, /ERROR: Please run 'cove login'/);
});
