// docs/errors.md ("CLI exit codes") and docs/cli.md ("Exit codes") must list exactly the exit
// codes the CLI uses, with the same names and meanings (src/cli/exit-codes.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EXIT_CODES } from "../../src/cli/exit-codes.js";

function tableUnder(file: string, heading: string): { code: number; name: string; meaning: string }[] {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `${file} has a "${heading}" section`);
  const end = text.indexOf("\n## ", start + heading.length + 2);
  const section = text.slice(start, end < 0 ? undefined : end);
  return section.split("\n")
    .filter((l) => /^\|\s*\d+\s*\|/.test(l))
    .map((l) => {
      const cells = l.split("|").slice(1, -1).map((c) => c.trim());
      return { code: Number(cells[0]), name: cells[1], meaning: cells[2] };
    });
}

const expected = EXIT_CODES.map((e) => ({ code: e.code, name: e.name, meaning: e.meaning }));

test("docs/errors.md lists the CLI's exit codes exactly", () => {
  assert.deepEqual(tableUnder("docs/errors.md", "## CLI exit codes"), expected);
});

test("docs/cli.md lists the CLI's exit codes exactly", () => {
  assert.deepEqual(tableUnder("docs/cli.md", "## Exit codes"), expected);
});

test("exit codes are distinct and 0 means success", () => {
  assert.equal(new Set(EXIT_CODES.map((e) => e.code)).size, EXIT_CODES.length);
  assert.equal(EXIT_CODES.find((e) => e.code === 0)?.name, "OK");
});
