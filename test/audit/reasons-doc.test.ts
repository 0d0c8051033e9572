// docs/audit.md's table of verify failure codes and src/audit/verify-reasons.ts list the same codes
// with the same sentences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AUDIT_VERIFY_REASONS } from "../../src/audit/verify-reasons.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

test("every verify failure code is documented with its meaning, and nothing else is", () => {
  const rows = tableUnder(readDoc("docs/audit.md"), "Failure reasons (`code`").map((r) => [r.code!, r.meaning!] as const);
  assert.equal(new Set(rows.map(([code]) => code)).size, rows.length, "each code once");
  assert.deepEqual(Object.fromEntries(rows), { ...AUDIT_VERIFY_REASONS });
});
