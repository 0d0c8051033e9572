// Runs a real client (skopeo, podman, a Node script) with extra /etc/hosts entries, without touching
// the machine's /etc/hosts: a private mount namespace in which a temporary hosts file is bind-mounted
// over /etc/hosts (util-linux unshare; as root, or through a user namespace otherwise).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runWithHosts(
  hosts: Record<string, string>,
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), "cove-hosts-"));
  const hostsFile = join(dir, "hosts");
  let base = "";
  try { base = await readFile("/etc/hosts", "utf8"); } catch { /* none */ }
  await writeFile(hostsFile, base + "\n" + Object.entries(hosts).map(([name, ip]) => `${ip} ${name}`).join("\n") + "\n");
  const unshareArgs = process.getuid?.() === 0 ? ["--mount"] : ["--user", "--map-root-user", "--mount"];
  const script = 'mount --bind "$0" /etc/hosts && exec "$@"';
  try {
    return await new Promise<RunResult>((ok, fail) => {
      const child = spawn("unshare", [...unshareArgs, "--", "sh", "-c", script, hostsFile, cmd, ...args], {
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
