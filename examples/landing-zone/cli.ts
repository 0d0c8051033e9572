// The demo's fixes are `cove` commands, printed with the real names filled in (each followed by
// its `az` equivalent) and then RUN with the real CLI (bin/cove.js, logged in to the demo's Cove
// with a private config dir), so what the reader copies is exactly what fixed the failure.
import { execFile } from "node:child_process";
import { join } from "node:path";

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(tool: string, args: string[]): string {
  return [tool, ...args].map(shellWord).join(" ");
}

export interface Cli {
  /** Prints `$ cove ...` and its az equivalent, runs it, prints the exit code; throws unless it succeeds. */
  fix(args: string[], az?: string[]): Promise<string>;
}

export async function loginCli(dataDir: string, log: (line: string) => void): Promise<Cli> {
  const env = { PATH: process.env.PATH, HOME: dataDir, COVE_CONFIG_DIR: join(dataDir, "cli-profile") };
  const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ["bin/cove.js", ...args], { env, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
  const login = await run(["login", "--from-data-dir", dataDir]);
  if (login.code !== 0) throw new Error(`cove login failed (${login.code}): ${login.stderr}`);
  return {
    async fix(args, az = args) {
      log(`     $ ${commandLine("cove", args)}`);
      log(`       az equivalent: ${commandLine("az", az)}`);
      const r = await run(args);
      log(`       -> exit ${r.code}`);
      if (r.code !== 0) throw new Error(`demo fix failed: cove ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    },
  };
}
