// docs/errors.md's "OCI data plane" table and the catalogue in src/data-plane/errors.ts must
// list the same (code, status, message) rows, and its storage table must say what each storage
// error answers: this test fails the moment they drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OCI_ERRORS, STORAGE_TO_OCI } from "../../src/data-plane/errors.js";
import { STORAGE_ERROR_CODES } from "../../src/domain/errors.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

const doc = () => readDoc("docs/errors.md");

test("docs/errors.md OCI table equals the OCI error catalogue", () => {
  const documented = tableUnder(doc(), "## OCI data plane").map((r) => `${r.code} | ${r.status} | ${r.message}`).sort();
  const catalogued = Object.values(OCI_ERRORS).map((e) => `${e.code} | ${e.status} | ${e.message}`).sort();
  assert.deepEqual(documented, catalogued);
});

test("docs/errors.md storage table says what every storage error answers on the OCI wire, and nothing else", () => {
  const documented = tableUnder(doc(), "### Storage errors").map((r) => `${r["storage error"]} | ${r["OCI code"]} | ${r.status}`).sort();
  const mapped = Object.entries(STORAGE_TO_OCI).map(([k, key]) => `${k} | ${OCI_ERRORS[key].code} | ${OCI_ERRORS[key].status}`).sort();
  assert.deepEqual(documented, mapped);
  assert.deepEqual(Object.keys(STORAGE_TO_OCI).sort(), [...STORAGE_ERROR_CODES].sort());
});

test("every catalogue entry is an error status and codes follow the spec's spelling", () => {
  for (const [key, e] of Object.entries(OCI_ERRORS)) {
    assert.ok(e.status >= 400 && e.status < 600, key);
    assert.match(e.code, /^[A-Z_]+$/, key);
  }
});
