// Bad command lines: the built `cove` (bin/cove.js, a child process) exits 2 with a clear
// `ERROR:` line, prints nothing on stdout and writes nothing (no profile, no request).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT_AUTH, EXIT_OK, EXIT_USAGE } from "../../src/cli/exit-codes.js";
import { cliHarness } from "./capture.js";

const BIN = resolve("bin/cove.js");

function cove(args: string[]) {
  const configDir = mkdtempSync(join(tmpdir(), "cove-cli-flags-"));
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: configDir, COVE_CONFIG_DIR: configDir }, encoding: "utf8", timeout: 20_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, written: readdirSync(configDir) };
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

test("the built CLI: bad flags exit 2 with a clear message and leave nothing written", () => {
  const cases: [string[], RegExp][] = [
    [["serve", "--registry-port", "abc"], /^\s+registryPort \(flag\): must be a whole number, got "abc"$/m],
    [["serve", "--management-listen", "nowhere"], /managementListen \(flag\): must be IP:PORT/],
    [["acr", "show", "-n", "myregistry", "--bogus"], /^ERROR: unknown option '--bogus'/m],
    [["acr", "create", "-n", "myregistry", "-g", "rg"], /^ERROR: required option '--sku <sku>' not specified$/m],
    [["acr", "show", "-n", "x".repeat(5000)], /^ERROR: argument 'x{40}\.\.\.' is too long \(5000 characters; at most 4096\)\.$/m],
    [["login", "--service-principal", "-u", "app", "-p", "SECRET-VALUE", "--tenant", "t", "--management-endpoint", "http://127.0.0.1:8443"], /must use https/],
  ];
  for (const [args, message] of cases) {
    const r = cove(args);
    assert.equal(r.code, EXIT_USAGE, `${args.join(" ").slice(0, 80)}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
    assert.deepEqual(r.written, []);
    assert.ok(!r.stderr.includes("SECRET-VALUE"));
  }
  const help = cove(["acr", "--help"]);
  assert.equal(help.code, EXIT_OK);
  assert.match(help.stdout, /credential/);
});

test("in-process: every kind of usage error exits 2 before any login is needed", async () => {
  const h = cliHarness();
  try {
    const cases: string[][] = [
      ["serve", "--management-listen", "localhost"],
      ["serve", "--registry-port", "70000"],
      ["serve", "--public-address", "not-an-ip"],
      ["serve", "--login-server-suffix", "bad_suffix!"],
      ["serve", "--registry-port"],
      ["acr", "nosuchverb"],
      ["nosuchgroup"],
      ["acr", "create", "-n", "abc", "-g", "rg", "--sku", "Basic"],
      ["acr", "create", "-n", "my-registry", "-g", "rg", "--sku", "Basic"],
      ["acr", "create", "-n", "myregistry", "-g", "rg", "--sku", "Gold"],
      ["acr", "update", "-n", "myregistry", "--admin-enabled", "maybe"],
      ["acr", "update", "-n", "myregistry", "--default-action", "Block"],
      ["acr", "credential", "renew", "-n", "myregistry", "--password-name", "password3"],
      ["acr", "list", "extra-argument"],
      ["acr", "show", "-n", "myregistry", "-o", "xml"],
      ["acr", "show", "-n", "myregistry", "--query", "[?"],
      ["group", "create", "-n", "bad/name", "-l", "eastus"],
      ["group", "create", "-n", "rg"],
      ["group", "delete", "-n", "rg"],
      ["ad", "sp", "create-for-rbac", "-n", "x", "--role", "AcrPush"],
      ["role", "assignment", "create", "--assignee", "a", "--role", "AcrPull", "--scope", "not-a-scope"],
      ["role", "assignment", "delete"],
      ["login"],
      ["login", "--service-principal", "-u", "app"],
      ["login", "--from-data-dir", "/nonexistent-cove-dir"],
      ["config", "verify"],
      ["config", "verify", "a", "b"],
    ];
    for (const args of cases) {
      const r = await h.run(...args);
      assert.equal(r.code, EXIT_USAGE, `cove ${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^ERROR: \S/m, `cove ${args.join(" ")}`);
      assert.equal(r.stdout, "");
    }
    assert.deepEqual(readdirSync(h.configDir), []);
    // Well-formed but not logged in: the auth code, not the usage code.
    assert.equal((await h.run("acr", "list")).code, EXIT_AUTH);
  } finally {
    h.cleanup();
  }
});
