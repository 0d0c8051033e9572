// docs/errors.md's "ARM management API" table and the catalogue in src/control-plane/arm/errors.ts
// must list the same codes with the same status and message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { ARM_ERRORS, armError, armErrorResult } from "../../src/control-plane/arm/errors.js";
import { DomainError } from "../../src/domain/errors.js";

async function docRows(): Promise<Map<string, { status: number; message: string }>> {
  const text = await readFile(new URL("../../../docs/errors.md", import.meta.url), "utf8");
  const start = text.indexOf("## ARM management API");
  assert.ok(start >= 0, "docs/errors.md has an 'ARM management API' section");
  const rest = text.slice(start + 1);
  const end = rest.indexOf("\n## ");
  const section = end < 0 ? rest : rest.slice(0, end);
  const rows = new Map<string, { status: number; message: string }>();
  for (const line of section.split("\n")) {
    const m = /^\|\s*([A-Za-z]+)\s*\|\s*(\d{3})\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (!m) continue;
    assert.ok(!rows.has(m[1]!), `duplicate row ${m[1]}`);
    rows.set(m[1]!, { status: Number(m[2]), message: m[3]!.replace(/\\\|/g, "|") });
  }
  return rows;
}

test("every catalogue entry has a row in docs/errors.md with the same status and message", async () => {
  const rows = await docRows();
  for (const [code, entry] of Object.entries(ARM_ERRORS)) {
    const row = rows.get(code);
    assert.ok(row, `docs/errors.md lacks ${code}`);
    assert.equal(row.status, entry.status, `${code} status`);
    assert.equal(row.message, entry.message, `${code} message`);
  }
});

test("every row in docs/errors.md is a catalogue entry", async () => {
  for (const code of (await docRows()).keys()) assert.ok(Object.hasOwn(ARM_ERRORS, code), `${code} is documented but not catalogued`);
});

test("the mapper keeps catalogued codes and hides everything else", () => {
  const r = armErrorResult(armError("ResourceGroupNotFound", { name: "rg1" }));
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, { error: { code: "ResourceGroupNotFound", message: "Resource group 'rg1' could not be found." } });
  const t = armErrorResult(armError("InvalidRequestContent", { reason: "x" }, { target: "properties.a" }));
  assert.equal(t.body.error.target, "properties.a");
  for (const e of [new Error("secret path /etc/x"), new DomainError("BLOB_UNKNOWN", "blob unknown")]) {
    const m = armErrorResult(e);
    assert.equal(m.status, 500);
    assert.equal(m.internal, true);
    assert.equal(m.body.error.code, "InternalServerError");
    assert.ok(!m.body.error.message.includes("secret"));
  }
});
