// docs/errors.md's "DNS" table and the rcode catalogue in src/dns/rcodes.ts must list the same
// (name, code, when) rows: this test fails the moment they drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RCODES } from "../../src/dns/rcodes.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

test("docs/errors.md DNS table equals the rcode catalogue", () => {
  const documented = tableUnder(readDoc("docs/errors.md"), "## DNS").map((r) => `${r.name} | ${r.code} | ${r.when}`).sort();
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
