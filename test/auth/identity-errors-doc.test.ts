// docs/errors.md's "Identity provider (token endpoint)" table and IDENTITY_ERRORS must agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { IDENTITY_ERRORS } from "../../src/identity/routes.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

test("docs/errors.md lists exactly the identity-provider catalogue", () => {
  const rows = new Map(tableUnder(readDoc("docs/errors.md"), "## Identity provider (token endpoint)").map((r) => [r.code!, `${r.status} ${r.message}`]));
  const want = new Map(Object.entries(IDENTITY_ERRORS).map(([code, e]) => [code, `${e.status} AADSTS${e.aadsts}: ${e.message}`]));
  assert.deepEqual(rows, want);
});
