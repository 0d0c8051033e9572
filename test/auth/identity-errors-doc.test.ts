// docs/errors.md's "Identity provider (token endpoint)" table and IDENTITY_ERRORS must agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { IDENTITY_ERRORS } from "../../src/identity/routes.js";

test("docs/errors.md lists exactly the identity-provider catalogue", async () => {
  const text = await readFile(new URL("../../../docs/errors.md", import.meta.url), "utf8");
  const start = text.indexOf("## Identity provider (token endpoint)");
  assert.ok(start >= 0);
  const rest = text.slice(start + 1);
  const section = rest.slice(0, rest.indexOf("\n## ") < 0 ? undefined : rest.indexOf("\n## "));
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const m = /^\|\s*([a-z_]+)\s*\|\s*(\d{3})\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (m) rows.set(m[1]!, `${m[2]} ${m[3]}`);
  }
  const want = new Map(Object.entries(IDENTITY_ERRORS).map(([code, e]) => [code, `${e.status} AADSTS${e.aadsts}: ${e.message}`]));
  assert.deepEqual(rows, want);
});
