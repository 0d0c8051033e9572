// The toolkit against "any ARM endpoint": `cove login --default-credential` signs in with
// @azure/identity's DefaultAzureCredential (here its environment credential: AZURE_CLIENT_ID,
// AZURE_CLIENT_SECRET, AZURE_TENANT_ID, as a pipeline sets them), stores no secret, and preflight and
// the report then run unchanged. Only loopback is used: the environment credential succeeds first,
// so the chain never reaches the managed-identity probe; `--cloud`'s Azure endpoints are not called.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realCli, runCove, type RealCli } from "../cli/real-cli.js";

let cli: RealCli;
let cfg: string;
let env: Record<string, string | undefined>;
before(async () => {
  cli = await realCli();
  await cli.ok("group", "create", "-n", "rg-dc", "-l", "westeurope");
  await cli.ok("acr", "create", "-n", "dcreg", "-g", "rg-dc", "--sku", "Premium");
  cfg = await mkdtemp(join(tmpdir(), "cove-dc-"));
  const c = cli.cove.credentials;
  env = { PATH: process.env.PATH, HOME: cfg, COVE_CONFIG_DIR: cfg, AZURE_CLIENT_ID: c.clientId, AZURE_CLIENT_SECRET: c.clientSecret, AZURE_TENANT_ID: c.tenantId };
});
after(async () => {
  await cli?.close();
  await rm(cfg, { recursive: true, force: true });
});

test("--default-credential: signed in through DefaultAzureCredential, no secret stored; preflight and the report run as with a secret", async () => {
  const c = cli.cove.credentials;
  const login = await runCove(["login", "--default-credential", "--management-endpoint", c.managementEndpoint, "--tenant", c.tenantId, "--ca-cert", c.caCertPath], env);
  assert.equal(login.code, 0, login.stderr);
  const profile = await readFile(join(cfg, "profile.json"), "utf8");
  assert.doesNotMatch(profile, new RegExp(c.clientSecret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "the secret stays in the environment");
  assert.equal(JSON.parse(profile).credential, "default");
  const account = JSON.parse((await runCove(["account", "show"], env)).stdout);
  assert.deepEqual(account.user, { name: "DefaultAzureCredential", type: "credential" });
  assert.equal(account.id, c.subscriptionId, "the first subscription the endpoint lists");

  // Cove's DNS, as a client in a linked network would be told (this profile was not made from a data dir).
  const dns = cli.cove.credentials.dnsAddress;
  const pre = await runCove(["acr", "preflight", "-n", "dcreg", "--source-address", "127.99.6.6", "--dns-server", dns, "--json"], env);
  assert.equal(pre.code, 0, pre.stdout + pre.stderr);
  const r = JSON.parse(pre.stdout);
  assert.equal(r.ok, true);
  assert.match(r.identity, new RegExp(c.clientId), "the identity is the one the token names");
  assert.ok(r.steps.some((s: any) => s.name === "token" && s.result === "ok"));

  const report = await runCove(["acr", "network-report", "-n", "dcreg"], env);
  assert.equal(report.code, 0, report.stderr);
  assert.equal(JSON.parse(report.stdout).at(-1).vnet, "internet");
});

test("login's cloud flags: bad combinations and unknown clouds are usage errors, and nothing is stored", async () => {
  const c = cli.cove.credentials;
  const other = await mkdtemp(join(tmpdir(), "cove-dc-bad-"));
  const e = { ...env, HOME: other, COVE_CONFIG_DIR: other };
  try {
    const cases: Array<[string[], RegExp]> = [
      [["--cloud", "MarsCloud", "--default-credential"], /Allowed values: AzureCloud, AzureChinaCloud, AzureUSGovernment/],
      [["--default-credential"], /--default-credential needs --cloud NAME or --management-endpoint URL/],
      [["--default-credential", "-u", "x", "--management-endpoint", c.managementEndpoint], /cannot be combined/],
      [["--service-principal", "-u", "x", "-p", "y"], /required for --service-principal: --tenant, --management-endpoint \(or --cloud\)/],
    ];
    for (const [args, message] of cases) {
      const r = await runCove(["login", ...args], e);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal((await runCove(["account", "show"], e)).code, 4, "not logged in");
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});
