// `cove az setup` and `cove az -- ARGS` with the real az against a real Cove: the first run sets
// az up by itself, the exit code is az's, `setup --print` is a script a user pastes (and it works,
// and holds no secret), a second setup re-uses the config dir, a principal named with -u/-p, a
// wrong secret refused without being echoed, and the errors for bad command lines and a missing az.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runCove } from "../cli/real-cli.js";
import { azHarness, requireAz, type AzHarness } from "./support.js";

const run = promisify(execFile);
let h: AzHarness;
const configDir = () => join(h.cove.dataDir, "az", "local");

before(async () => { h = await azHarness(); });
after(async () => { await h?.close(); });

test("the first cove az sets az up by itself, then runs az with the caller's stdio and az's exit code", async () => {
  requireAz();
  const r = await h.az("--", "account", "show", "--query", "{cloud:environmentName,user:user.name,type:user.type,sub:id}");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^WARNING: cove az: setting az up for https:\/\/127\.0\.0\.1:\d+ first/m);
  assert.deepEqual(JSON.parse(r.stdout), { cloud: "Cove", user: h.cove.credentials.clientId, type: "servicePrincipal", sub: h.cove.credentials.subscriptionId });
  // Its own AZURE_CONFIG_DIR, private (az keeps the secret there); HOME's ~/.azure untouched.
  assert.equal((await stat(configDir())).mode & 0o777, 0o700);
  assert.equal(existsSync(join(h.env.HOME!, ".azure")), false);
  // No telemetry was queued or sent from it.
  assert.equal(existsSync(join(configDir(), "telemetry")), false);

  const missing = await h.az("--", "group", "show", "--name", "no-such-group");
  assert.equal(missing.code, 3, missing.stderr); // az's exit code for a missing resource
  assert.match(missing.stderr, /^ERROR: \(ResourceGroupNotFound\) /m);
  assert.doesNotMatch(missing.stderr, /setting az up/); // set up once
  const usage = await h.az("--", "group", "show", "--no-such-flag");
  assert.equal(usage.code, 2, usage.stderr);
});

test("setup --print: a script a user pastes into a shell; it works, and it never holds the secret", async () => {
  requireAz();
  // A data dir of its own (the same Cove), so the script starts from nothing: cloud register.
  const other = await mkdtemp(join(tmpdir(), "cove-az-print-"));
  try {
    await copyFile(join(h.cove.dataDir, "credentials.json"), join(other, "credentials.json"));
    const printed = await runCove(["az", "setup", "--print", "--data-dir", other], h.env);
    assert.equal(printed.code, 0, printed.stderr);
    const script = printed.stdout;
    assert.equal(script.includes(h.cove.credentials.clientSecret), false, "the secret is printed");
    const dir = join(other, "az", "local");
    assert.match(script, new RegExp(`^export AZURE_CONFIG_DIR=${dir.replace(/[.]/g, "\\.")}$`, "m"));
    assert.match(script, new RegExp(`^export REQUESTS_CA_BUNDLE=${h.cove.credentials.caCertPath.replace(/[.]/g, "\\.")}$`, "m"));
    assert.match(script, /^# export PYTHONPATH=\S+\/src\/cli\/az\/pyshim\$\{PYTHONPATH:\+:\$PYTHONPATH\}$/m); // opt-in: commented
    assert.match(script, /^az config set core\.collect_telemetry=false /m);
    assert.match(script, /^export HTTPS_PROXY=http:\/\/127\.0\.0\.1:9 /m);
    assert.match(script, /^export NO_PROXY=127\.0\.0\.1,cove\.test no_proxy=127\.0\.0\.1,cove\.test$/m);
    assert.match(script, new RegExp(`^az login --service-principal -u ${h.cove.credentials.clientId} --password="\\$\\(python3 .*credentials\\.json\\)" --tenant ${h.cove.credentials.tenantId} `, "m"));
    assert.equal(existsSync(dir), false, "--print changed something");

    await run("bash", ["-e", "-c", script], { env: h.env, timeout: 60_000 });
    const { stdout } = await run("bash", ["-c", `${script.split("\n").filter((l) => l.startsWith("export ")).join("\n")}\naz account show --query "{cloud:environmentName,user:user.name}" -o json`], { env: h.env, timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), { cloud: "Cove", user: h.cove.credentials.clientId });
    // The cloud the script registered carries the endpoints cove az needs (az-cli.md 3.1).
    const clouds = await readFile(join(dir, "clouds.config"), "utf8");
    assert.match(clouds, /^endpoint_active_directory = https:\/\/127\.0\.0\.1:\d+\/adfs$/m);
    assert.match(clouds, /^endpoint_microsoft_graph_resource_id = https:\/\/127\.0\.0\.1:\d+\/$/m);
    assert.match(clouds, /^suffix_acr_login_server_endpoint = \.cove\.test$/m);

    const shim = await runCove(["az", "setup", "--print", "--shim", "--data-dir", other], h.env);
    assert.match(shim.stdout, /^export PYTHONPATH=\S+\/src\/cli\/az\/pyshim\$\{PYTHONPATH:\+:\$PYTHONPATH\}$/m);
    const named = await runCove(["az", "setup", "--print", "--data-dir", other, "-u", "00000000-0000-0000-0000-00000000abcd", "-p", "s3cret-value"], h.env);
    assert.equal(named.code, 0, named.stderr);
    assert.equal(named.stdout.includes("s3cret-value"), false, "the -p secret is printed");
    assert.match(named.stdout, /^az login --service-principal -u 00000000-0000-0000-0000-00000000abcd --password="\$COVE_AZ_PASSWORD" /m);
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

test("setup again re-uses the config dir and the cloud; -u/-p logs az in as another principal; a wrong secret is exit 4 and not echoed", async () => {
  requireAz();
  const first = await h.az("setup");
  assert.equal(first.code, 0, first.stderr);
  const record = JSON.parse(first.stdout);
  assert.equal(record.azureConfigDir, configDir());
  assert.equal(record.cloud, "Cove");
  assert.equal(record.loginServerSuffix, h.cove.suffix);
  assert.equal(record.shim, false);
  assert.equal(first.stdout.includes(h.cove.credentials.clientSecret), false);
  const clouds = await readFile(join(configDir(), "clouds.config"), "utf8");
  assert.equal(clouds.split("\n").filter((l) => l.trim() === "[Cove]").length, 1);

  // A second service principal, a Reader of the subscription, made with az (the role assignment needs the shim); az is then logged in as it.
  const sp = await h.json("--shim", "--", "ad", "sp", "create-for-rbac", "--name", "az-reader", "--role", "Reader", "--scopes", `/subscriptions/${h.cove.credentials.subscriptionId}`);
  const as = await h.az("setup", "-u", sp.appId, "-p", sp.password);
  assert.equal(as.code, 0, as.stderr);
  assert.equal(JSON.parse(as.stdout).user.name, sp.appId);
  assert.equal((await h.json("--", "account", "show", "--query", "user.name")), sp.appId);
  const denied = await h.az("--", "group", "create", "--name", "reader-rg", "--location", "westeurope");
  assert.equal(denied.code, 1, denied.stderr);
  assert.match(denied.stderr, /\(AuthorizationFailed\)/);

  // Cove's secrets may begin with '-': it must reach az as the password, not as a flag (az's exit 2).
  const wrong = await h.az("setup", "-u", sp.appId, "-p", "-not-the-secret-0123");
  assert.equal(wrong.code, 4, wrong.stderr);
  assert.match(wrong.stderr, /^ERROR: cove az setup: az login --service-principal -u \S+ failed \(exit 1\):/m);
  assert.match(wrong.stderr, /AADSTS7000215/);
  assert.equal(wrong.stderr.includes("-not-the-secret-0123"), false);

  const back = await h.az("setup");
  assert.equal(back.code, 0, back.stderr);
  assert.equal((await h.json("--", "account", "show", "--query", "user.name")), h.cove.credentials.clientId);
});

test("bad command lines are exit 2 before az starts; without az on PATH the error names the package", async () => {
  for (const argv of [[], ["--print", "--", "acr", "list"], ["setup", "extra"], ["setup", "-u", "someone"]]) {
    const r = await h.az(...argv);
    assert.equal(r.code, 2, `cove az ${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^ERROR: /);
  }
  const noData = await runCove(["az", "--data-dir", "/nonexistent/cove", "--", "acr", "list"], h.env);
  assert.equal(noData.code, 2);
  assert.match(noData.stderr, /credentials\.json does not exist/);
  const noAz = await runCove(["az", "--data-dir", h.cove.dataDir, "--", "acr", "list"], { ...h.env, PATH: "/nonexistent" });
  assert.equal(noAz.code, 1);
  assert.match(noAz.stderr, /^ERROR: The Azure CLI \(az\) was not found on PATH\. Install Debian's package: apt-get install azure-cli /m);
});
