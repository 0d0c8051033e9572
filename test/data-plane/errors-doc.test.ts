// docs/errors.md's "OCI data plane" table and the catalogue in src/data-plane/errors.ts must
// list the same (code, status, message) rows: this test fails the moment they drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { OCI_ERRORS } from "../../src/data-plane/errors.js";

// Compiled to dist/test/data-plane/, so the repository root is three levels up.
const DOC = fileURLToPath(new URL("../../../docs/errors.md", import.meta.url));

async function documentedRows(): Promise<string[]> {
  const text = await readFile(DOC, "utf8");
  const start = text.indexOf("\n## OCI data plane");
  assert.ok(start >= 0, "docs/errors.md has no '## OCI data plane' section");
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return section
    .split("\n")
    .filter((l) => /^\|\s*[A-Z_]+\s*\|/.test(l))
    .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()).join(" | "));
}

test("docs/errors.md OCI table equals the OCI error catalogue", async () => {
  const documented = (await documentedRows()).sort();
  const catalogued = Object.values(OCI_ERRORS).map((e) => `${e.code} | ${e.status} | ${e.message}`).sort();
  assert.deepEqual(documented, catalogued);
});

test("every catalogue entry is an error status and codes follow the spec's spelling", () => {
  for (const [key, e] of Object.entries(OCI_ERRORS)) {
    assert.ok(e.status >= 400 && e.status < 600, key);
    assert.match(e.code, /^[A-Z_]+$/, key);
  }
});
