// docs/errors.md's "Networking page" table and WEB_ERRORS in src/web/errors.ts must list the same
// (code, status, when) rows: this test fails the moment they drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WEB_ERRORS } from "../../src/web/errors.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

test("docs/errors.md Networking page table equals the page's error catalogue", () => {
  const documented = tableUnder(readDoc("docs/errors.md"), "## Networking page").map((r) => `${r.code} | ${r.status} | ${r.when}`).sort();
  const catalogued = Object.entries(WEB_ERRORS).map(([code, e]) => `${code} | ${e.status} | ${e.when}`).sort();
  assert.deepEqual(documented, catalogued);
});
