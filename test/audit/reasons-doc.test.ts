// docs/audit.md's table of verify failure codes and src/audit/verify-reasons.ts list the same codes
// with the same sentences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { AUDIT_VERIFY_REASONS } from "../../src/audit/verify-reasons.js";

test("every verify failure code is documented with its meaning, and nothing else is", async () => {
  const text = await readFile(new URL("../../../docs/audit.md", import.meta.url), "utf8");
  const start = text.indexOf("Failure reasons (`code`");
  assert.ok(start >= 0, "docs/audit.md has the failure reasons table");
  const rows = new Map<string, string>();
  for (const line of text.slice(start).split("\n")) {
    const m = /^\|\s*([a-z][a-z-]+)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (m && m[1] !== "code") rows.set(m[1]!, m[2]!);
  }
  assert.deepEqual(Object.fromEntries(rows), { ...AUDIT_VERIFY_REASONS });
});
