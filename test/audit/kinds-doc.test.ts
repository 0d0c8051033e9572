// docs/audit.md's table of event kinds and src/audit/event.ts's union list the same kinds with the
// same fields, in both directions. The compiler already holds AUDIT_KINDS and AUDIT_FIELDS to the
// AuditEvent type; this holds the document to them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AUDIT_FIELDS, AUDIT_KINDS } from "../../src/audit/event.js";
import { codeSpans, readDoc, tableUnder } from "../support/doc-table.js";

/** A cell that holds only code spans separated by commas: the names in them. */
function names(cell: string, what: string): string[] {
  const spans = codeSpans(cell).map((s) => s.text);
  assert.ok(spans.length > 0 && cell === spans.map((n) => `\`${n}\``).join(", "), `${what}: only \`names\`, separated by commas: ${cell}`);
  return spans;
}

test("every audit event kind is documented with its fields, and nothing else is", () => {
  const rows = tableUnder(readDoc("docs/audit.md"), "## Event kinds", "docs/audit.md");
  assert.ok(rows.length > 0, "the table has rows");
  // The helper holds every row to the header's cells, so the header says what a row has.
  assert.deepEqual(Object.keys(rows[0]!), ["kind", "when it is written", "fields"]);
  const documented = rows.map((row) => {
    const [kind] = names(row.kind!, "the kind cell");
    assert.ok(row["when it is written"]!.length > 0, `${kind}: say when it is written`);
    return [kind!, names(row.fields!, `${kind}'s fields`)] as const;
  });
  const kinds = documented.map(([k]) => k);
  assert.equal(new Set(kinds).size, kinds.length, "each kind once");
  assert.deepEqual(kinds, [...AUDIT_KINDS], "the same kinds, in the order of AUDIT_KINDS");
  for (const [kind, fields] of documented) {
    assert.deepEqual([...fields].sort(), [...AUDIT_FIELDS[kind as keyof typeof AUDIT_FIELDS]].sort(), `${kind}: the documented fields are the type's`);
  }
});
