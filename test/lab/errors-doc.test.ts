// docs/errors.md's "Lab" table and LAB_ERRORS in src/lab/errors.ts must list the same (code, status,
// when) rows: this test fails the moment they drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LAB_ERRORS } from "../../src/lab/errors.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

test("docs/errors.md Lab table equals the lab's error catalogue", () => {
  const documented = tableUnder(readDoc("docs/errors.md"), "## Lab").map((r) => `${r.code} | ${r.status} | ${r.when}`).sort();
  const catalogued = Object.entries(LAB_ERRORS).map(([code, e]) => `${code} | ${e.status} | ${e.when}`).sort();
  assert.deepEqual(documented, catalogued);
});
