// The README walkthrough as a normal user: Cove started by that user (`nobody` here) in a directory
// the user owns, then the block pasted verbatim by the same user, whose one root step goes through the
// machine's real sudo. The sudo rule (NOPASSWD for exactly `tee -a /etc/hosts`) exists only inside
// the test's private mount namespace, bind-mounted over /etc/sudoers.d there; the machine's sudoers
// and /etc/hosts never change. Run twice, as a user pasting it again would; the checkout gains no files.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chown, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { have } from "../support/hosts.js";
import { assertPulled, listing, onPath, projectCopy, runBlock, spawnCoveAs, walkthroughBlock, type Layout } from "./readme-block.js";

// nobody/nogroup: present on every Debian system, owns nothing, has no password.
const USER = { name: "nobody", uid: 65534, gid: 65534 };
const skip = (process.getuid?.() !== 0 && "needs root to start a normal user's session in a private mount namespace")
  || (!(await have("sudo")) && "sudo is not installed (run npm test as root to install it)")
  || (!(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)");
let base: string;
let layout: Layout;
let cove: { child: ChildProcess; waitExit(): Promise<void> } | undefined;

before(async () => {
  if (skip) return;
  base = await mkdtemp(join(tmpdir(), "cove-readme-sudo-"));
  layout = { checkout: join(base, "checkout"), home: join(base, "home"), tmp: join(base, "tmp") };
  const project = join(base, "project");
  for (const d of [...Object.values(layout), project]) await mkdir(d);
  // The user runs the project from a place it can reach: this checkout's own path may pass through
  // a directory only root may enter (CI clones into one).
  await projectCopy(project);
  await symlink(join(project, "bin"), join(layout.checkout, "bin"));
  await symlink(join(project, "scripts"), join(layout.checkout, "scripts"));
  for (const p of [base, ...Object.values(layout)]) await chown(p, USER.uid, USER.gid);
  cove = await spawnCoveAs(USER, join(layout.checkout, ".cove"), layout.home, project);
});

after(async () => {
  if (cove) { cove.child.kill("SIGTERM"); await cove.waitExit(); }
  if (base) await rm(base, { recursive: true, force: true });
});

test("the README walkthrough runs verbatim as a normal user with a real sudo, twice", { skip }, async () => {
  const block = await walkthroughBlock();
  const before = await listing(layout.checkout);
  // sudoers rules name commands by full path: the tee the block's PATH finds.
  const tee = (await onPath("tee"))[0];
  assert.ok(tee, "tee is on PATH");
  const r = await runBlock(block, layout, 2, {
    asUser: USER,
    sudoers: `${USER.name} ALL=(root) NOPASSWD: ${tee} -a /etc/hosts\n`,
  });
  assert.equal(r.code, 0, `walkthrough failed (round ${r.rounds.length}):\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.rounds.length, 2);
  await assertPulled(r.rounds[0]!, layout.tmp);
  await assertPulled(r.rounds[1]!, layout.tmp);
  // /etc/hosts is root's, mode 0644: the line is there only because sudo ran tee as root, once.
  assert.equal(r.hosts.split("\n").filter((l) => /^127\.0\.0\.1 demoreg\.cove\.test$/.test(l)).length, 1, r.hosts);
  assert.deepEqual(await listing(layout.checkout), before, "the walkthrough leaves no files in the checkout");
  assert.doesNotMatch(await readFile("/etc/hosts", "utf8"), /demoreg\./, "the machine's /etc/hosts is untouched");
});
