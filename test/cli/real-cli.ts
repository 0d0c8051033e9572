// The real `cove` command (bin/cove.js, a child process) against a real Cove (startCove): a
// private config dir logged in with `cove login --from-data-dir`, so each test drives the CLI
// exactly as a user's shell does. Every run has a deadline, so a hung command fails the test.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startCove, type TestCove } from "../support/cove.js";

const BIN = resolve("bin/cove.js");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RealCli {
  cove: TestCove;
  env: Record<string, string | undefined>;
  run(...args: string[]): Promise<CliRun>;
  /** Runs and fails with the command's stderr unless it exits 0. */
  ok(...args: string[]): Promise<string>;
  json<T = any>(...args: string[]): Promise<T>;
  close(): Promise<void>;
}

export function runCove(args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

export async function realCli(): Promise<RealCli> {
  const cove = await startCove();
  const configDir = await mkdtemp(join(tmpdir(), "cove-cli-real-"));
  const env = { PATH: process.env.PATH, HOME: configDir, COVE_CONFIG_DIR: configDir };
  const run = (...args: string[]) => runCove(args, env);
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    if (r.code !== 0) throw new Error(`cove ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
    return r.stdout;
  };
  await ok("login", "--from-data-dir", cove.dataDir);
  return {
    cove,
    env,
    run,
    ok,
    json: async (...args) => JSON.parse(await ok(...args)),
    async close() {
      await cove.stop();
      await rm(configDir, { recursive: true, force: true });
    },
  };
}
