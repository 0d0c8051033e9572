// CI proves the README: the walkthrough block is extracted verbatim and run with bash against a
// freshly started `cove serve`, in a private mount namespace so its /etc/hosts edit stays private.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, symlink, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, spawnCove, type SpawnedCove } from "../support/cove.js";
import { runWithHosts, have } from "../support/hosts.js";

const skip = !(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)";
let work: string;
let cove: SpawnedCove | undefined;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), "cove-readme-"));
  await symlink(resolve("bin"), join(work, "bin"));
  await symlink(resolve("scripts"), join(work, "scripts"));
  cove = await spawnCove(join(work, ".cove"), await freePort(), await freePort());
});

after(async () => {
  if (cove) { cove.child.kill("SIGTERM"); await cove.waitExit(); }
  if (work) await rm(work, { recursive: true, force: true });
});

test("the README walkthrough runs verbatim against a fresh Cove", { skip }, async () => {
  const readme = await readFile("README.md", "utf8");
  const m = /<!-- walkthrough:begin -->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme);
  assert.ok(m, "README.md has a walkthrough block");
  const block = m[1];
  // The walkthrough's one privileged step appends to /etc/hosts with sudo; inside the test's mount
  // namespace the test is already root over a private copy of that file.
  const prelude = 'sudo() { "$@"; }\n';
  const r = await runWithHosts({}, "bash", ["-euo", "pipefail", "-c", prelude + block], {
    cwd: work,
    env: { HOME: work, COVE_CONFIG_DIR: join(work, ".cove-cli"), NODE_EXTRA_CA_CERTS: "" },
    timeoutMs: 240_000,
  });
  assert.equal(r.code, 0, `walkthrough failed:\n${r.stdout}\n${r.stderr}`);
  // The image came back: skopeo wrote the manifest and the layers into dir:pulled-hello.
  const manifest = JSON.parse(await readFile(join(work, "pulled-hello", "manifest.json"), "utf8"));
  assert.equal(manifest.layers.length, 2);
  for (const l of manifest.layers) {
    const s = await stat(join(work, "pulled-hello", l.digest.slice("sha256:".length)));
    assert.equal(s.size, l.size);
  }
});
