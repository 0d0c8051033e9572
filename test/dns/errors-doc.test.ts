// docs/errors.md's "DNS" table and the rcode catalogue in src/dns/rcodes.ts must list the same
// (name, code, when) rows: this test fails the moment they drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { RCODES } from "../../src/dns/rcodes.js";

// Compiled to dist/test/dns/, so the repository root is three levels up.
const DOC = fileURLToPath(new URL("../../../docs/errors.md", import.meta.url));

test("docs/errors.md DNS table equals the rcode catalogue", async () => {
  const text = await readFile(DOC, "utf8");
  const start = text.indexOf("\n## DNS\n");
  assert.ok(start >= 0, "docs/errors.md has no '## DNS' section");
  const end = text.indexOf("\n## ", start + 1);
  const documented = text.slice(start, end < 0 ? undefined : end)
    .split("\n")
    .filter((l) => /^\|\s*[A-Z]+\s*\|\s*\d+\s*\|/.test(l))
    .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()).join(" | "))
    .sort();
  const catalogued = Object.values(RCODES).map((e) => `${e.name} | ${e.code} | ${e.when}`).sort();
  assert.deepEqual(documented, catalogued);
});

test("catalogue keys are the RFC names and codes are distinct", () => {
  const codes = new Set<number>();
  for (const [key, e] of Object.entries(RCODES)) {
    assert.equal(key, e.name);
    assert.ok(!codes.has(e.code), key);
    codes.add(e.code);
  }
});
