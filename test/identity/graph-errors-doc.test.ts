// docs/errors.md's "Microsoft Graph subset" table and GRAPH_ERRORS must agree, both ways.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GRAPH_ERRORS } from "../../src/identity/graph/errors.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

test("docs/errors.md lists exactly the Graph subset's catalogue", () => {
  const rows = new Map(tableUnder(readDoc("docs/errors.md"), "## Microsoft Graph subset").map((r) => [r.case!, `${r.code} ${r.status} ${r.message}`]));
  const want = new Map(Object.entries(GRAPH_ERRORS).map(([k, e]) => [k, `${e.code} ${e.status} ${e.message}`]));
  assert.deepEqual(rows, want);
});
