// Runs a real client (skopeo, podman, a Node script, the README's walkthrough) with extra /etc/hosts
// entries, without touching the machine's /etc/hosts: a private mount namespace in which a temporary
// hosts file is bind-mounted over /etc/hosts (util-linux unshare; as root, or through a user
// namespace otherwise).
//
// As root it can also run the command as an unprivileged user (`asUser`, through setpriv) with a
// sudoers drop-in (`sudoers`) bind-mounted over /etc/sudoers.d inside the same namespace: that user
// then meets a real sudo with exactly that rule, and the machine's own sudoers never change.
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
  /** Run as this user (needs root); the mounts are made first, as root. */
  asUser?: { uid: number; gid: number };
  /** A sudoers rule file that, inside the namespace only, replaces /etc/sudoers.d (needs root). */
  sudoers?: string;
  /**
   * Files that, inside the namespace only, are made unusable (/dev/null mounted over them), e.g. the
   * machine's sudo, to run as on a fresh machine that has none (needs root).
   */
  hide?: string[];
}

// $1 hosts file, $2 sudoers dir or "", $3 files to hide, newline-separated, then the command
// (perhaps behind setpriv). A failed mount stops the run before the command starts.
const SCRIPT = 'hosts=$1; sudoers=$2; hide=$3; shift 3; mount --bind "$hosts" /etc/hosts || exit 125; '
  + 'if [ -n "$sudoers" ]; then mount --bind "$sudoers" /etc/sudoers.d || exit 125; fi; '
  + 'printf "%s\\n" "$hide" | while IFS= read -r f; do [ -z "$f" ] || mount --bind /dev/null "$f" || exit 125; done || exit 125; '
  + 'exec "$@"';

export async function runWithHosts(hosts: Record<string, string>, cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const root = process.getuid?.() === 0;
  if ((opts.asUser || opts.sudoers || opts.hide) && !root) throw new Error("runWithHosts: asUser, sudoers and hide need root");
  const dir = await mkdtemp(join(tmpdir(), "cove-hosts-"));
  const hostsFile = join(dir, "hosts");
  let base = "";
  try { base = await readFile("/etc/hosts", "utf8"); } catch { /* none */ }
  await writeFile(hostsFile, base + "\n" + Object.entries(hosts).map(([name, ip]) => `${ip} ${name}`).join("\n") + "\n");
  await chmod(hostsFile, 0o644);
  let sudoersDir = "";
  if (opts.sudoers !== undefined) {
    // sudo reads only root-owned files that nobody else may write.
    sudoersDir = join(dir, "sudoers.d");
    await mkdir(sudoersDir, { mode: 0o755 });
    await writeFile(join(sudoersDir, "cove-test"), opts.sudoers, { mode: 0o440 });
  }
  const unshareArgs = root ? ["--mount"] : ["--user", "--map-root-user", "--mount"];
  const drop = opts.asUser ? ["setpriv", `--reuid=${opts.asUser.uid}`, `--regid=${opts.asUser.gid}`, "--clear-groups", "--"] : [];
  try {
    return await new Promise<RunResult>((ok, fail) => {
      const child = spawn("unshare", [...unshareArgs, "--", "sh", "-c", SCRIPT, "sh", hostsFile, sudoersDir, (opts.hide ?? []).join("\n"), ...drop, cmd, ...args], {
        env: { ...process.env, ...(opts.env ?? {}) },
        cwd: opts.cwd,
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
      child.on("error", (e) => { clearTimeout(timer); fail(e); });
      child.on("close", (code) => { clearTimeout(timer); ok({ code, stdout, stderr }); });
      child.stdin.end(opts.input ?? "");
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when `cmd` is on PATH. */
export async function have(cmd: string): Promise<boolean> {
  return new Promise((ok) => {
    const c = spawn("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    c.on("close", (code) => ok(code === 0));
    c.on("error", () => ok(false));
  });
}
