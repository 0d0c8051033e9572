// The lab's only way into the kernel: iproute2's `ip`, run without a shell, each call bounded in
// time. Batches (`ip -batch -`) keep a host's dozen changes to one process: lab start-up for ten
// hosts stays well under the 5 s.
import { execFile, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { LabError } from "./errors.js";

const TIMEOUT_MS = 15_000;

function failure(args: string[], stderr: string, code: unknown): LabError {
  const first = stderr.trim().split("\n").slice(0, 3).join("; ");
  return new LabError("LabSetupFailed", `ip ${args.join(" ")} failed (${String(code)}): ${first || "no message"}`);
}

/** `ip [-n ns] ARGS`; resolves with stdout, rejects with LabSetupFailed naming the command and ip's message. */
export function ip(args: string[], ns?: string): Promise<string> {
  const full = ns ? ["-n", ns, ...args] : args;
  return new Promise((resolve, reject) => {
    execFile("ip", full, { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(failure(full, String(stderr), (err as NodeJS.ErrnoException).code ?? err.message));
      else resolve(String(stdout));
    });
  });
}

/** Several `ip` commands, one per line, in one process; stops at the first that fails. */
export function ipBatch(lines: string[], ns?: string): Promise<void> {
  if (lines.length === 0) return Promise.resolve();
  const full = [...(ns ? ["-n", ns] : []), "-batch", "-"];
  return new Promise((resolve, reject) => {
    const child = spawn("ip", full, { stdio: ["pipe", "ignore", "pipe"], timeout: TIMEOUT_MS });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => { if (stderr.length < 8192) stderr += d.toString(); });
    child.on("error", (e) => reject(failure(full, e.message, (e as NodeJS.ErrnoException).code)));
    child.on("close", (code) => (code === 0 ? resolve() : reject(failure(full, stderr + "\n" + lines.join(" | ").slice(0, 300), code))));
    child.stdin.end(lines.join("\n") + "\n");
  });
}

/** `ip -j ...` parsed; [] when ip prints nothing (an empty netns list prints nothing at all). */
export async function ipJson<T>(args: string[], ns?: string): Promise<T[]> {
  const out = (await ip(["-j", ...args], ns)).trim();
  return out ? (JSON.parse(out) as T[]) : [];
}

/** Writes a sysctl of the namespace this process is in (/proc/sys/net is per namespace). */
export async function setSysctl(path: string, value: string): Promise<void> {
  await writeFile(`/proc/sys/${path.replace(/\./g, "/")}`, value + "\n");
}

export async function readSysctl(path: string): Promise<string> {
  return (await readFile(`/proc/sys/${path.replace(/\./g, "/")}`, "utf8")).trim();
}

/** The lab creates namespaces and links: root only (or CAP_NET_ADMIN + CAP_SYS_ADMIN, which it does not probe). */
export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}
