// CI proves the README: the walkthrough block is extracted verbatim and run with bash as root, as on a
// fresh machine where root has no sudo (this machine's sudo is made unusable inside the test's mount
// namespace; nothing stands in for any command the README uses), against a freshly started
// `cove serve`. The namespace keeps its /etc/hosts line private. The block runs twice against the same
// Cove and data dir, as a user pasting it again would, and the directory it runs in (laid out like a
// checkout) must gain no files. The normal-user variant with a real sudo: readme-walkthrough-sudo.test.ts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, spawnCove, type SpawnedCove } from "../support/cove.js";
import { have } from "../support/hosts.js";
import { assertPulled, listing, onPath, runBlock, walkthroughBlock, type Layout } from "./readme-block.js";

const skip = (process.getuid?.() !== 0 && "needs root (the walkthrough runs as root here, in a private mount namespace)")
  || (!(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)");
let base: string;
let layout: Layout;
let cove: SpawnedCove | undefined;

before(async () => {
  if (skip) return;
  base = await mkdtemp(join(tmpdir(), "cove-readme-"));
  layout = { checkout: join(base, "checkout"), home: join(base, "home"), tmp: join(base, "tmp") };
  for (const d of Object.values(layout)) await mkdir(d);
  await symlink(resolve("bin"), join(layout.checkout, "bin"));
  await symlink(resolve("scripts"), join(layout.checkout, "scripts"));
  cove = await spawnCove(join(layout.checkout, ".cove"), await freePort(), await freePort());
});

after(async () => {
  if (cove) { cove.child.kill("SIGTERM"); await cove.waitExit(); }
  if (base) await rm(base, { recursive: true, force: true });
});

test("the README walkthrough runs verbatim as root without sudo, twice, and leaves the checkout as it was", { skip }, async () => {
  const block = await walkthroughBlock();
  const before = await listing(layout.checkout);
  const r = await runBlock(block, layout, 2, { hide: await onPath("sudo") });
  assert.equal(r.code, 0, `walkthrough failed (round ${r.rounds.length}):\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.rounds.length, 2);
  const pulled = [await assertPulled(r.rounds[0]!, layout.tmp), await assertPulled(r.rounds[1]!, layout.tmp)];
  assert.notEqual(pulled[0], pulled[1], "each run uses a new temporary directory");
  // The second run found the first run's /etc/hosts line and added none.
  assert.equal(r.hosts.split("\n").filter((l) => /^127\.0\.0\.1 demoreg\.cove\.test$/.test(l)).length, 1, r.hosts);
  assert.deepEqual(await listing(layout.checkout), before, "the walkthrough leaves no files in the checkout");
  assert.doesNotMatch(await readFile("/etc/hosts", "utf8"), /demoreg\./, "the machine's /etc/hosts is untouched");
});
