// docs/errors.md ("Evidence bundle verification") lists exactly the codes evidence verify fails
// with, and the same meanings (src/cli/toolkit/evidence/verify.ts VERIFY_FAILURES).
import { test } from "node:test";
import assert from "node:assert/strict";
import { VERIFY_FAILURES } from "../../src/cli/toolkit/evidence/verify.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

test("docs/errors.md lists evidence verification's failure codes exactly", () => {
  const rows = tableUnder(readDoc("docs/errors.md"), "## Evidence bundle verification", "docs/errors.md").map((r) => [r.code, r.meaning]);
  assert.deepEqual(rows, Object.entries(VERIFY_FAILURES));
});
