// The demo drives the real `cove` command (bin/cove.js, a child process, logged in to the demo's
// Cove with `cove login --from-data-dir` and a private config dir): `cove acr preflight` names each
// failure mode, and the fix commands it printed are then run exactly as printed (split into words as
// a POSIX shell would, no shell and no stand-in), so what the reader copies is what fixed it.
import { execFile } from "node:child_process";
import { join } from "node:path";

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(tool: string, args: string[]): string {
  return [tool, ...args].map(shellWord).join(" ");
}

/** The words of a printed command line (single quotes, as fixes are printed, and backslash escapes). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unbalanced quote in: ${line}`);
      cur = (cur ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (ch === "\\" && i + 1 < line.length) cur = (cur ?? "") + line[++i];
    else if (ch === " ") {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else cur = (cur ?? "") + ch;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Preflight extends Run {
  /** The `cove` fix commands preflight printed, in order. */
  fixes: string[];
}

export interface Cli {
  /** Runs `cove ARGS` quietly. */
  run(args: string[], env?: Record<string, string>): Promise<Run>;
  /** Prints `$ cove ...`, runs it, prints its exit code; throws unless it exits 0. */
  step(args: string[], env?: Record<string, string>): Promise<string>;
  /** Runs `cove acr preflight ARGS` and prints its plain output (steps, cause, evidence, fix), or with `verdictOnly` its verdict. */
  preflight(args: string[], opts?: { env?: Record<string, string>; verdictOnly?: boolean }): Promise<Preflight>;
  /** Runs printed fix lines as printed; returns each one's stdout. */
  runFixes(lines: string[], env?: Record<string, string>): Promise<string[]>;
}

const INDENT = "     ";

/** The lines under `fix:` of preflight's plain output, up to `az equivalent:`. */
export function printedFixes(stdout: string): string[] {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l === "  fix:");
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith("    ")) break;
    out.push(l.trim());
  }
  return out;
}

export async function loginCli(dataDir: string, log: (line: string) => void): Promise<Cli> {
  const base = { PATH: process.env.PATH ?? "", HOME: dataDir, COVE_CONFIG_DIR: join(dataDir, "cli-profile") };
  const run = (args: string[], env: Record<string, string> = {}) => new Promise<Run>((done) => {
    execFile(process.execPath, ["bin/cove.js", ...args], { env: { ...base, ...env }, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
  const login = await run(["login", "--from-data-dir", dataDir]);
  if (login.code !== 0) throw new Error(`cove login failed (${login.code}): ${login.stderr}`);
  const show = (text: string) => { for (const l of text.replace(/\n$/, "").split("\n")) if (l) log(INDENT + l); };
  const step = async (args: string[], env?: Record<string, string>, shown = commandLine("cove", args)) => {
    log(`   $ ${shown}`);
    const r = await run(args, env);
    log(`   -> exit ${r.code}`);
    if (r.code !== 0) throw new Error(`demo step failed: cove ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  return {
    run,
    step,
    async preflight(args, opts = {}) {
      const full = ["acr", "preflight", ...args];
      log(`   $ ${commandLine("cove", full)}`);
      const r = await run(full, opts.env);
      show(opts.verdictOnly ? r.stdout.split("\n").filter((l) => /^(PASSED|FAILED|WARNING)/.test(l)).join("\n") : r.stdout);
      if (r.stderr) show(r.stderr);
      log(`   -> exit ${r.code}`);
      return { ...r, fixes: printedFixes(r.stdout) };
    },
    async runFixes(lines, env) {
      const outs: string[] = [];
      for (const line of lines) {
        const words = shellWords(line);
        if (words[0] !== "cove") throw new Error(`not a cove command: ${line}`);
        outs.push(await step(words.slice(1), env, line));
      }
      return outs;
    },
  };
}
