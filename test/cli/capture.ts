// In-process io for runCli: collects stdout and stderr as strings, with a private config dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/index.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  configDir: string;
  env: Record<string, string | undefined>;
  run(...argv: string[]): Promise<Run>;
  cleanup(): void;
}

export function cliHarness(): CliHarness {
  const configDir = mkdtempSync(join(tmpdir(), "cove-cli-config-"));
  const env = { COVE_CONFIG_DIR: configDir, HOME: configDir, PATH: process.env.PATH };
  return {
    configDir,
    env,
    async run(...argv) {
      let stdout = "";
      let stderr = "";
      const code = await runCli(argv, {
        stdout: { write: (s: string) => { stdout += s; return true; } },
        stderr: { write: (s: string) => { stderr += s; return true; } },
        env,
      });
      return { code, stdout, stderr };
    },
    cleanup() {
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
