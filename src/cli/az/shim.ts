// Where the opt-in compatibility shim lives: pyshim/sitecustomize.py beside this file's source,
// read from the repository at run time (tsc does not copy .py files into dist/; a clone has it
// after `npm install` as it has every source file). What it mends is in that file and docs/az.md.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "../errors.js";
import { EXIT_ERROR } from "../exit-codes.js";

/** dist/src/cli/az/shim.js -> <package root>/src/cli/az/pyshim */
const SHIM_DIR = fileURLToPath(new URL("../../../../src/cli/az/pyshim", import.meta.url));

export function shimDir(): string {
  if (!existsSync(join(SHIM_DIR, "sitecustomize.py"))) {
    throw new CliError(`The compatibility shim ${join(SHIM_DIR, "sitecustomize.py")} is missing: this cove install is incomplete (reinstall it, or run without --shim).`, EXIT_ERROR);
  }
  return SHIM_DIR;
}
