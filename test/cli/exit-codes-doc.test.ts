// docs/errors.md ("CLI exit codes") and docs/cli.md ("Exit codes") must list exactly the exit
// codes the CLI uses, with the same names and meanings (src/cli/exit-codes.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXIT_CODES } from "../../src/cli/exit-codes.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

function exitCodesIn(file: string, heading: string): { code: number; name: string; meaning: string }[] {
  return tableUnder(readDoc(file), heading, file).map((r) => ({ code: Number(r.code), name: r.name!, meaning: r.meaning! }));
}

const expected = EXIT_CODES.map((e) => ({ code: e.code, name: e.name, meaning: e.meaning }));

test("docs/errors.md lists the CLI's exit codes exactly", () => {
  assert.deepEqual(exitCodesIn("docs/errors.md", "## CLI exit codes"), expected);
});

test("docs/cli.md lists the CLI's exit codes exactly", () => {
  assert.deepEqual(exitCodesIn("docs/cli.md", "## Exit codes"), expected);
});

test("exit codes are distinct and 0 means success", () => {
  assert.equal(new Set(EXIT_CODES.map((e) => e.code)).size, EXIT_CODES.length);
  assert.equal(EXIT_CODES.find((e) => e.code === 0)?.name, "OK");
});
