// What one `cove` command is: its words, flags and a `run` that returns the value to print
// (house style: handlers return values; index.ts is the one adapter that formats and writes).
import type { Session, DebugLog } from "./session.js";
import type { TableTransform } from "./output.js";
import type { ExitCode } from "./exit-codes.js";

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  /** Where confirmations are read from; prompts are refused unless it is a TTY. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface OptionSpec {
  /** Commander flag syntax: "-n, --name <name>", "--admin-enabled [bool]", "--scopes <scope...>". */
  flags: string;
  description: string;
  required?: boolean;
  /** Throws commander's InvalidArgumentError on a malformed value (see flags.ts). */
  parse?: (value: string, previous?: unknown) => unknown;
  defaultValue?: unknown;
}

export interface ArgumentSpec {
  /** "<file>" */
  name: string;
  description: string;
}

export interface CommandContext {
  io: CliIo;
  env: Record<string, string | undefined>;
  /** The logged-in session; throws the "not logged in" error (exit 4) when there is no profile. */
  session(): Promise<Session>;
  debug: DebugLog;
  warn(message: string): void;
  /** True when `yes`, else asks "Are you sure ...?" on a TTY; refuses (usage error) without one, as az. */
  confirm(yes: boolean | undefined): Promise<boolean>;
}

export interface CommandSpec {
  /** The words after `cove`, e.g. "acr credential show". */
  name: string;
  summary: string;
  args?: ArgumentSpec[];
  options: OptionSpec[];
  table?: TableTransform;
  /** When false the global --output/--query flags are not offered (e.g. `serve`). */
  printsResult?: boolean;
  run(opts: Record<string, any>, ctx: CommandContext, args: string[]): Promise<unknown>;
  /** With printsResult false: the text printed for the value (index.ts writes it), e.g. preflight's report. */
  render?(value: any, opts: Record<string, any>): string;
  /** The exit code for a value the command returned (default 0): a check that ran and failed says so. */
  exitCode?(value: any): ExitCode;
}

/** Descriptions of the groups between `cove` and the verbs, for `--help`. */
export interface GroupSpec {
  name: string;
  summary: string;
}
