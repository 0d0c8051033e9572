// What the README walkthrough tests share: the block, extracted verbatim; a directory laid out like a
// checkout (bin/ and scripts/ of this repository, the data dir .cove of a running Cove); one run of
// the block with bash, in a private mount namespace (test/support/hosts.ts) so its /etc/hosts line
// stays private; and the checks a user would make afterwards.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { access, constants, readdir, readFile, stat } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../support/cove.js";
import { runWithHosts, type RunOptions } from "../support/hosts.js";

/** The bash block between the walkthrough markers of README.md, exactly as written. */
export async function walkthroughBlock(): Promise<string> {
  const readme = await readFile("README.md", "utf8");
  const m = /<!-- walkthrough:begin -->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme);
  assert.ok(m, "README.md has a walkthrough block");
  return m[1]!;
}

export interface Layout {
  /** Stands for the checkout: the block's working directory. */
  checkout: string;
  /** $HOME of the user pasting the block (the CLI profile goes under it). */
  home: string;
  /** $TMPDIR, so the block's `mktemp -d` lands where the test cleans up. */
  tmp: string;
}

export interface Rounds {
  code: number | null;
  /** Standard output of each round, in order. */
  rounds: string[];
  stdout: string;
  stderr: string;
  /** /etc/hosts as the rounds left it, inside their namespace. */
  hosts: string;
}

/**
 * Runs the block `count` times in ONE private mount namespace (so a later round sees the /etc/hosts
 * line of an earlier one, as a user pasting it again would), each with `bash -euo pipefail -c BLOCK`
 * so the first failing command fails the round; stops at the first failed round.
 */
export async function runBlock(block: string, layout: Layout, count: number, extra: Pick<RunOptions, "asUser" | "sudoers" | "hide"> = {}): Promise<Rounds> {
  const driver = 'n=$1; block=$2; i=1; while [ "$i" -le "$n" ]; do echo "@@round $i"; bash -euo pipefail -c "$block" || exit $?; i=$((i + 1)); done; '
    + 'echo "@@hosts"; cat /etc/hosts';
  const r = await runWithHosts({}, "sh", ["-c", driver, "sh", String(count), block], {
    cwd: layout.checkout,
    // The pasting user's HOME and TMPDIR; NODE_EXTRA_CA_CERTS empty so the CLI must use its profile's CA.
    env: { PATH: process.env.PATH, HOME: layout.home, TMPDIR: layout.tmp, NODE_EXTRA_CA_CERTS: "", LANG: "C.UTF-8" },
    timeoutMs: 240_000,
    ...extra,
  });
  const [, ...parts] = r.stdout.split(/^@@round \d+\n/m);
  const last = parts.length ? parts[parts.length - 1]!.split(/^@@hosts\n/m) : [""];
  if (parts.length) parts[parts.length - 1] = last[0]!;
  return { code: r.code, rounds: parts, stdout: r.stdout, stderr: r.stderr, hosts: last[1] ?? "" };
}

/**
 * What a normal user's copy of the project needs to run Cove and the walkthrough's scripts; src/ for
 * the networking page's files (src/web/client/), which are served as they are, with no build.
 */
const PROJECT_PARTS = ["package.json", "bin", "dist", "scripts", "node_modules", "src"];

/**
 * Lays this project out again under `dest`, for a normal user who may not be able to reach the
 * checkout itself (a CI clone under a mode-0700 directory, such as mktemp -d's). Hard links where the
 * file system allows (cheap, and the files are world-readable already), a copy otherwise.
 */
export async function projectCopy(dest: string): Promise<void> {
  const run = promisify(execFile);
  try {
    await run("cp", ["-al", ...PROJECT_PARTS, dest]);
  } catch {
    await run("cp", ["-a", ...PROJECT_PARTS, dest]);
  }
}

/** Runs `cove serve` from the project at `project` as `user` (a normal user's own Cove) and waits until /healthz answers. */
export async function spawnCoveAs(user: { uid: number; gid: number }, dataDir: string, home: string, project: string): Promise<{ child: ChildProcess; waitExit(): Promise<void> }> {
  const [mport, rport, dport] = [await freePort(), await freePort(), await freePort()];
  // The copy's own Node.js: the test runner's (process.execPath) lives in the checkout, which the user
  // may not be able to reach (a CI clone under a mode-0700 directory).
  const child = spawn(join(project, "node_modules", ".bin", "node"), ["bin/cove.js", "serve", "--data-dir", dataDir, "--management-listen", `127.0.0.1:${mport}`, "--registry-port", String(rport)], {
    uid: user.uid, gid: user.gid, cwd: project,
    env: { PATH: process.env.PATH, HOME: home, COVE_LOG_LEVEL: "warn", COVE_DNS_LISTEN: `127.0.0.1:${dport}` },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`cove serve exited with ${child.exitCode}`);
    try {
      const ca = await readFile(join(dataDir, "ca", "ca.crt"));
      const up = await new Promise<boolean>((ok) => {
        const req = httpsGet({ host: "127.0.0.1", port: mport, path: "/healthz", ca }, (res) => { res.resume(); ok(res.statusCode === 200); });
        req.on("error", () => ok(false));
      });
      if (up) return { child, waitExit: () => exited };
    } catch { /* not ready yet */ }
    await sleep(50);
  }
  child.kill("SIGKILL");
  throw new Error("cove serve did not become ready within 15 s");
}

/** The block says where it put the pulled image; the manifest and every layer must be there, whole. */
export async function assertPulled(stdout: string, tmp: string): Promise<string> {
  const m = /^pulled back into (\S+)$/m.exec(stdout);
  assert.ok(m, `the walkthrough says where the image went:\n${stdout}`);
  const dir = m[1]!;
  assert.ok(dir.startsWith(tmp + "/"), `${dir} is under $TMPDIR, not in the checkout`);
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
  assert.equal(manifest.layers.length, 2);
  for (const l of manifest.layers) {
    const s = await stat(join(dir, l.digest.slice("sha256:".length)));
    assert.equal(s.size, l.size);
  }
  return dir;
}

/** Every path under `dir` (not following symlinks), to tell whether a run left files behind. */
export async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      // The data dir is Cove's own (the server writes it all the time), not the walkthrough's.
      if (p === ".cove") continue;
      out.push(p);
      if (e.isDirectory()) await walk(p);
    }
  }
  await walk("");
  return out.sort();
}

/** Every file named `name` that PATH would find, first one first. */
export async function onPath(name: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
    try { await access(join(dir, name), constants.X_OK); out.push(join(dir, name)); } catch { /* not there */ }
  }
  return out;
}
