// Cove runs on the Node.js that `npm install` brings (the `node` package), not on the machine's.
// npm scripts find it first on PATH; bin/cove.js started by any older node starts it itself, with
// the same arguments, stdio, exit status and signals. These tests run bin/cove.js with the node a
// login shell finds outside npm (the machine's), as a user typing `./bin/cove.js` or `cove` would.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../support/cove.js";

const BIN = resolve("bin/cove.js");
const PKG = JSON.parse(readFileSync("package.json", "utf8"));
const REQUIRED = Number(/(\d+)/.exec(PKG.engines.node)![1]);
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

/** The node a shell finds without npm's PATH, and its major version (undefined when there is none). */
function machineNode(): { path: string; major: number } | undefined {
  try {
    const path = execFileSync("sh", ["-c", "command -v node"], { env: { PATH: SYSTEM_PATH }, encoding: "utf8" }).trim();
    const version = execFileSync(path, ["--version"], { encoding: "utf8" }).trim();
    return { path, major: Number(version.slice(1).split(".")[0]) };
  } catch {
    return undefined;
  }
}

const machine = machineNode();
const old = machine !== undefined && machine.major < REQUIRED;
const skip = old ? false : `the machine's node (${machine?.path ?? "none"}) is not older than ${REQUIRED}: nothing to start instead`;
const cleanEnv = (extra: Record<string, string> = {}) => ({ PATH: SYSTEM_PATH, HOME: tmpdir(), ...extra });

test("the tests run on the project's Node.js, the version package.json pins", () => {
  assert.equal(process.version, `v${PKG.dependencies.node}`);
  assert.ok(Number(process.versions.node.split(".")[0]) >= REQUIRED, `${process.version} satisfies engines.node ${PKG.engines.node}`);
});

test("bin/cove.js started by the machine's older node runs on the project's Node.js", { skip }, () => {
  const r = spawnSync(machine!.path, [BIN, "--version"], { env: cleanEnv(), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `cove ${PKG.version}\nNode.js ${process.version}\n`);
});

test("`cove` on PATH through a symlink (as `npm link` makes) finds the project's Node.js from the link's target", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "cove-link-"));
  try {
    symlinkSync(BIN, join(dir, "cove"));
    const r = spawnSync("cove", ["--version"], { env: cleanEnv({ PATH: `${dir}:${SYSTEM_PATH}` }), encoding: "utf8", cwd: tmpdir() });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Node\\.js ${process.version.replace(/\./g, "\\.")}$`, "m"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the exit status and output of a failing command come through unchanged", { skip }, () => {
  const direct = spawnSync(process.execPath, [BIN, "no-such-command"], { env: cleanEnv(), encoding: "utf8" });
  const viaOld = spawnSync(machine!.path, [BIN, "no-such-command"], { env: cleanEnv(), encoding: "utf8" });
  assert.equal(direct.status, 2, direct.stderr);
  assert.deepEqual({ status: viaOld.status, stdout: viaOld.stdout, stderr: viaOld.stderr }, { status: direct.status, stdout: direct.stdout, stderr: direct.stderr });
});

test("without the project's Node.js installed, bin/cove.js says to run npm install", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "cove-no-node-"));
  try {
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "scripts"));
    copyFileSync(BIN, join(dir, "bin", "cove.js"));
    copyFileSync("scripts/project-node.js", join(dir, "scripts", "project-node.js"));
    copyFileSync("package.json", join(dir, "package.json"));
    const r = spawnSync(machine!.path, [join(dir, "bin", "cove.js"), "--version"], { env: cleanEnv(), encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`^ERROR: cove needs Node\\.js ${REQUIRED} or newer, .*not installed\\. Run \`npm install\` in ${dir}\\.\\n$`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a started child that would have to start another one stops instead of looping", { skip }, () => {
  const r = spawnSync(machine!.path, [BIN, "--version"], { env: cleanEnv({ COVE_RUNTIME_REEXEC: "1" }), encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^ERROR: cove needs Node\.js \d+ or newer, but the project's Node\.js .* is v\d+.*Run `npm install`/);
});

/**
 * `cove serve` through the machine's node; resolves once /healthz answers. A port found free can be
 * taken before Cove binds it (freePort's ports are ephemeral ones, which every outgoing connection
 * also draws from): as startCove does, try again with new ports, at most three times.
 */
async function serveViaMachineNode(dataDir: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await serveOnce(dataDir);
    } catch (err) {
      if (!/\bEADDRINUSE\b/.test(String((err as Error).message)) || attempt >= 3) throw err;
    }
  }
}

async function serveOnce(dataDir: string) {
  const mport = await freePort();
  const args = [BIN, "serve", "--data-dir", dataDir, "--management-listen", `127.0.0.1:${mport}`, "--registry-port", String(await freePort())];
  const wrapper = spawn(machine!.path, args, {
    env: cleanEnv({ COVE_LOG_LEVEL: "info", COVE_DNS_LISTEN: `127.0.0.1:${await freePort()}` }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  wrapper.stdout.on("data", (c) => (out += c));
  wrapper.stderr.on("data", (c) => (out += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => wrapper.once("exit", (code, signal) => ok({ code, signal })));
  const healthy = async () => {
    const ca = readFileSync(join(dataDir, "ca", "ca.crt"));
    return new Promise<boolean>((ok) => {
      get({ host: "127.0.0.1", port: mport, path: "/healthz", ca }, (res) => { res.resume(); ok(res.statusCode === 200); }).on("error", () => ok(false));
    });
  };
  for (let i = 0; i < 300; i++) {
    if (wrapper.exitCode !== null) throw new Error(`cove serve exited with ${wrapper.exitCode}: ${out}`);
    if (existsSync(join(dataDir, "credentials.json")) && (await healthy())) break;
    await sleep(50);
  }
  // The process that serves is the wrapper's only child, started on the project's node.
  const child = Number(readFileSync(`/proc/${wrapper.pid}/task/${wrapper.pid}/children`, "utf8").trim());
  assert.equal(readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0")[0], process.execPath);
  return { wrapper, child, exited, healthy, output: () => out };
}

test("SIGTERM to bin/cove.js reaches `cove serve`, which stops cleanly; the caller sees its exit status", { skip, timeout: 30_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "cove-runtime-serve-"));
  try {
    const s = await serveViaMachineNode(dataDir);
    s.wrapper.kill("SIGTERM");
    assert.deepEqual(await s.exited, { code: 0, signal: null }, s.output());
    assert.match(s.output(), /"msg":"stopped"/);
    assert.equal(await s.healthy(), false, "the server no longer answers");
    assert.equal(existsSync(`/proc/${s.child}`), false, "the serving process is gone");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("when `cove serve` dies of a signal, bin/cove.js dies of the same signal", { skip, timeout: 30_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "cove-runtime-kill-"));
  try {
    const s = await serveViaMachineNode(dataDir);
    process.kill(s.child, "SIGKILL");
    assert.deepEqual(await s.exited, { code: null, signal: "SIGKILL" });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
