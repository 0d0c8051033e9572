// What `cove az` hands to az, seen from az's side: a stand-in `az` first on PATH prints its
// environment and arguments, so each choice is checked exactly. Every host but Cove's behind a
// closed local port (no DNS lookup for azure.microsoft.com or GitHub); ACC_CLOUD=1 for `acr
// check-health` alone; the shim first on the caller's PYTHONPATH; AZURE_CONFIG_DIR per lab host
// (COVE_LAB_HOST); the CA and telemetry off on every run; any exit code and a signal's 128 + N
// passed through; a set-up made for another endpoint counts as none. The real az runs in the
// other files of this folder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCove } from "../cli/real-cli.js";
import { startCove, type TestCove } from "../support/cove.js";

let cove: TestCove;
let dir: string;
let env: Record<string, string | undefined>;
const SHIM = resolve("src/cli/az/pyshim");

const FAKE_AZ = `#!/bin/sh
printf '%s\\n' "ACC_CLOUD=\${ACC_CLOUD-unset}" "PYTHONPATH=\${PYTHONPATH-unset}" "AZURE_CONFIG_DIR=$AZURE_CONFIG_DIR" \\
  "REQUESTS_CA_BUNDLE=$REQUESTS_CA_BUNDLE" "AZURE_CORE_COLLECT_TELEMETRY=$AZURE_CORE_COLLECT_TELEMETRY" \\
  "PROXIES=$HTTPS_PROXY $https_proxy $HTTP_PROXY $http_proxy \${ALL_PROXY-unset}" "NO_PROXY=$NO_PROXY $no_proxy" "ARGS=$*"
[ "$1" = "die" ] && kill -TERM $$
exit \${FAKE_EXIT:-0}
`;

before(async () => {
  cove = await startCove();
  dir = await mkdtemp(join(tmpdir(), "cove-az-env-"));
  await copyFile(join(cove.dataDir, "credentials.json"), join(dir, "credentials.json"));
  await mkdir(join(dir, "bin"));
  await writeFile(join(dir, "bin", "az"), FAKE_AZ);
  await chmod(join(dir, "bin", "az"), 0o755);
  env = { PATH: `${join(dir, "bin")}:${process.env.PATH}`, HOME: dir, COVE_DATA_DIR: dir };
});
after(async () => {
  await cove?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function seen(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; vars: Record<string, string>; stderr: string }> {
  const r = await runCove(["az", ...args], { ...env, ...extra });
  const lines = r.stdout.trim().split("\n");
  // The last run's lines (setup's own runs come first when it sets up).
  const vars = Object.fromEntries(lines.slice(-8).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  return { code: r.code, vars, stderr: r.stderr };
}

test("every run: its own AZURE_CONFIG_DIR, Cove's CA, telemetry off, no host but Cove's; ACC_CLOUD=1 for acr check-health only", async () => {
  // A proxy the caller set is replaced: az reaches Cove directly and nothing else at all.
  const show = await seen(["--", "acr", "show", "-n", "myreg"], { HTTPS_PROXY: "http://proxy.example:3128", ALL_PROXY: "socks5://proxy.example:1080", NO_PROXY: "microsoft.com" });
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stderr, /setting az up/);
  assert.deepEqual(show.vars, {
    ACC_CLOUD: "unset", PYTHONPATH: "unset", AZURE_CONFIG_DIR: join(dir, "az", "local"),
    REQUESTS_CA_BUNDLE: cove.credentials.caCertPath, AZURE_CORE_COLLECT_TELEMETRY: "false",
    PROXIES: "http://127.0.0.1:9 http://127.0.0.1:9 http://127.0.0.1:9 http://127.0.0.1:9 unset",
    NO_PROXY: "127.0.0.1,cove.test 127.0.0.1,cove.test", ARGS: "acr show -n myreg",
  });
  assert.equal((await seen(["--", "acr", "check-health", "-n", "myreg", "--yes"])).vars.ACC_CLOUD, "1");
  assert.equal((await seen(["--", "--only-show-errors", "acr", "check-health", "-n", "myreg"])).vars.ACC_CLOUD, "1");
  assert.equal((await seen(["--", "acr", "login", "-n", "check-health"])).vars.ACC_CLOUD, "unset");
  assert.equal((await seen(["--", "login", "--service-principal"])).vars.ACC_CLOUD, "unset");
});

test("--shim puts the shim first on the caller's PYTHONPATH; a lab host gets its own config dir; bad host names are refused", async () => {
  assert.equal((await seen(["--shim", "--", "network", "vnet", "list"])).vars.PYTHONPATH, SHIM);
  assert.equal((await seen(["--shim", "--", "network", "vnet", "list"], { PYTHONPATH: "/opt/mine" })).vars.PYTHONPATH, `${SHIM}:/opt/mine`);
  assert.equal((await seen(["--", "network", "vnet", "list"], { PYTHONPATH: "/opt/mine" })).vars.PYTHONPATH, "/opt/mine");

  const agent = await seen(["--", "acr", "list"], { COVE_LAB_HOST: "agent" });
  assert.equal(agent.vars.AZURE_CONFIG_DIR, join(dir, "az", "agent"));
  assert.match(agent.stderr, /setting az up .*az\/agent/); // a host of its own is set up apart
  const bad = await runCove(["az", "--", "acr", "list"], { ...env, COVE_LAB_HOST: "../escape" });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ERROR: COVE_LAB_HOST='\.\.\/escape' is not a lab host name\./m);
});

test("az's exit code is cove's, a signal's is 128 + N; a set-up for another endpoint is set up again", async () => {
  assert.equal((await seen(["--", "acr", "show"], { FAKE_EXIT: "7" })).code, 7);
  assert.equal((await seen(["--", "die"])).code, 143);

  const record = join(dir, "az", "local", "cove-az.json");
  const r = JSON.parse(await readFile(record, "utf8"));
  assert.equal(r.managementEndpoint, cove.managementUrl);
  assert.equal(JSON.stringify(r).includes(cove.credentials.clientSecret), false);
  await writeFile(record, JSON.stringify({ ...r, managementEndpoint: "https://198.19.255.254:8443" }));
  const again = await seen(["--", "acr", "list"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /setting az up for https:\/\/127\.0\.0\.1:\d+ first/);
  assert.equal(JSON.parse(await readFile(record, "utf8")).managementEndpoint, cove.managementUrl);
});
