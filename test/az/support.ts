// What the az tests share: the real `cove` binary running the real az (Debian's azure-cli 2.45)
// against a real Cove (startCove, loopback mode), every run through `cove az --data-dir D`.
// Only commands whose requests go to the management endpoint's IP literal run here: a command
// that resolves a login server name (check-health, acr login, acr repository list) would ask the
// machine's resolver, so those run from a lab host (test/az/lab.test.ts).
import assert from "node:assert/strict";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCove, type CliRun } from "../cli/real-cli.js";
import { startCove, type TestCove } from "../support/cove.js";

/** az is slow to start (about 1 s, 2-3 s for a network command): a generous deadline per run. */
const AZ_TIMEOUT_MS = 90_000;

export function azPath(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    try {
      accessSync(join(dir, "az"), constants.X_OK);
      return join(dir, "az");
    } catch { /* next */ }
  }
  return undefined;
}

/** Fails (never skips) when az is missing: CI is root and scripts/install-test-tools.sh installs it. */
export function requireAz(): void {
  if (!azPath()) {
    assert.fail("az is not installed: these tests drive the real Azure CLI. As root: apt-get install azure-cli (Debian's 2.45), or run `bash scripts/install-test-tools.sh`.");
  }
}

export interface AzHarness {
  cove: TestCove;
  env: Record<string, string | undefined>;
  /** `cove az --data-dir <cove's> ...args` */
  az(...args: string[]): Promise<CliRun>;
  /** `cove az --data-dir D [--shim] -- ARGS` that must exit 0; its stdout parsed as JSON when any. */
  json<T = any>(...args: string[]): Promise<T>;
  close(): Promise<void>;
}

export async function azHarness(): Promise<AzHarness> {
  const cove = await startCove();
  const home = await mkdtemp(join(tmpdir(), "cove-az-home-"));
  // A HOME of its own: az must never read or write the machine's ~/.azure.
  const env = { PATH: process.env.PATH, HOME: home, COVE_CONFIG_DIR: home, LANG: "C.UTF-8" };
  const az = (...args: string[]) => runCove(["az", "--data-dir", cove.dataDir, ...args], env, AZ_TIMEOUT_MS);
  return {
    cove,
    env,
    az,
    async json(...args) {
      const r = await az(...args);
      assert.equal(r.code, 0, `cove az ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
      return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
    },
    async close() {
      await cove.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
