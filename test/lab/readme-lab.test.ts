// README.md's "Run real clients in the lab" block, run exactly as written: extracted verbatim from
// between its markers and given to `bash -euo pipefail -c` as root (CI is), in a directory laid out
// like a checkout, with the pasting user's own HOME and TMPDIR. Nothing stands in for any command it
// uses: the real `cove serve --lab` it starts, the real `cove lab`, and dig, curl and podman on the
// lab's hosts. Afterwards what the README says the block shows must be in its output, and the
// machine must hold nothing of the lab, nor the temporary directory the block made.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { labLeftovers, removeLab } from "../../src/lab/core.js";
import { isRoot, releaseLock, takeLock } from "./support.js";

let base: string;
let locked = false;

async function labBlock(): Promise<string> {
  const readme = await readFile("README.md", "utf8");
  const m = /<!-- lab:begin -->\s*```bash\n([\s\S]*?)```\s*<!-- lab:end -->/.exec(readme);
  assert.ok(m, "README.md has the lab block between <!-- lab:begin --> and <!-- lab:end -->");
  return m[1]!;
}

function bash(block: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", block], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    // The block's background server shares its process group: a block that hangs, or fails before
    // it stops the server, is ended with the whole group, and the server then removes its lab.
    const endGroup = () => { try { process.kill(-child.pid!, "SIGTERM"); } catch { /* all gone */ } };
    const timer = setTimeout(endGroup, timeoutMs);
    child.once("close", (code) => { clearTimeout(timer); endGroup(); done({ code, stdout, stderr }); });
  });
}

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does): the block starts a lab");
  await takeLock();
  locked = true;
  if ((await labLeftovers()).length) await removeLab({ keepCore: false });
  base = await mkdtemp(join(tmpdir(), "cove-readme-lab-"));
});

after(async () => {
  // A server ended by the group's SIGTERM takes a moment to remove its lab; then sweep what is left.
  for (let i = 0; i < 100 && (await labLeftovers()).length; i++) await new Promise((r) => setTimeout(r, 200));
  if ((await labLeftovers()).length) await removeLab({ keepCore: false });
  if (base) await rm(base, { recursive: true, force: true });
  if (locked) await releaseLock();
});

test("the README's lab block runs as written, as root: the spoke's private path, the internet's public one, DENIED once public access is off, and nothing left", async () => {
  const block = await labBlock();
  const checkout = join(base, "checkout");
  const home = join(base, "home");
  const tmp = join(base, "tmp");
  for (const d of [checkout, home, tmp]) await mkdir(d);
  // The block runs in "this directory" and uses bin/ from it.
  await symlink(resolve("bin"), join(checkout, "bin"));

  const r = await bash(block, checkout, { PATH: process.env.PATH, HOME: home, TMPDIR: tmp, LANG: "C.UTF-8" }, 240_000);
  assert.equal(r.code, 0, `the block failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  // lab up's table: the declared host in the spoke, and the lab's own internet host.
  assert.match(out, /^app\s+198\.18\.17\.254$/m, out);
  assert.match(out, /^internet\s+198\.19\.255\.1$/m, out);
  // dig on the spoke, then on the internet: the private answer, then the public one, as the README says.
  assert.ok(out.includes("labreg.privatelink.cove.test.\n198.18.1.4\nlabreg.privatelink.cove.test.\n198.19.255.254\n"), out);
  assert.match(out, /^401 from the spoke$/m);
  assert.match(out, /Successfully tagged labreg\.cove\.test\/hello:v1/);
  assert.match(out, /^Untagged: labreg\.cove\.test\/hello:v1$/m, "the spoke removed its copy before pulling it back");
  const denied = JSON.stringify({ errors: [{ code: "DENIED", message: "client with IP '198.19.255.1' is not allowed access. Refer https://aka.ms/acr/firewall to grant access." }] });
  assert.ok(out.includes(`${denied} 403 on the internet\n`), out);
  // The pull after the switch: podman prints the image id last.
  assert.match(out.trimEnd().split("\n").pop()!, /^[0-9a-f]{64}$/, out);

  assert.deepEqual(await labLeftovers(), [], "stopping the lab's Cove removed every namespace, link and /etc/netns entry");
  assert.deepEqual(await readdir(tmp), [], "the block removed its temporary directory");
  assert.deepEqual(await readdir(checkout), ["bin"], "the checkout gained no files");
});
