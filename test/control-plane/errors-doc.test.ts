// docs/errors.md's "ARM management API" table and the catalogue in src/control-plane/arm/errors.ts
// must list the same codes with the same status and message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARM_ERRORS, armError, armErrorResult } from "../../src/control-plane/arm/errors.js";
import { BlobNotFound, DomainError, StoreFull } from "../../src/domain/errors.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

function docRows(): Map<string, { status: number; message: string }> {
  const rows = new Map<string, { status: number; message: string }>();
  for (const r of tableUnder(readDoc("docs/errors.md"), "## ARM management API")) {
    assert.ok(!rows.has(r.code!), `duplicate row ${r.code}`);
    rows.set(r.code!, { status: Number(r.status), message: r.message! });
  }
  return rows;
}

test("every catalogue entry has a row in docs/errors.md with the same status and message", () => {
  const rows = docRows();
  for (const [code, entry] of Object.entries(ARM_ERRORS)) {
    const row = rows.get(code);
    assert.ok(row, `docs/errors.md lacks ${code}`);
    assert.equal(row.status, entry.status, `${code} status`);
    assert.equal(row.message, entry.message, `${code} message`);
  }
});

test("every row in docs/errors.md is a catalogue entry", () => {
  for (const code of docRows().keys()) assert.ok(Object.hasOwn(ARM_ERRORS, code), `${code} is documented but not catalogued`);
});

test("the mapper keeps catalogued codes and hides everything else", () => {
  const r = armErrorResult(armError("ResourceGroupNotFound", { name: "rg1" }));
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, { error: { code: "ResourceGroupNotFound", message: "Resource group 'rg1' could not be found." } });
  const t = armErrorResult(armError("InvalidRequestContent", { reason: "x" }, { target: "properties.a" }));
  assert.equal(t.body.error.target, "properties.a");
  for (const e of [new Error("secret path /etc/x"), new DomainError("BLOB_UNKNOWN", "blob unknown"), new BlobNotFound("sha256:secret")]) {
    const m = armErrorResult(e);
    assert.equal(m.status, 500);
    assert.equal(m.internal, true);
    assert.equal(m.body.error.code, "InternalServerError");
    assert.ok(!m.body.error.message.includes("secret"));
  }
});

test("a full disk under a store is 507 InsufficientStorage naming the store, not a logged 500", () => {
  const r = armErrorResult(new StoreFull("metadata store", "SQLITE_FULL at /secret/dir"));
  assert.equal(r.status, 507);
  assert.equal(r.internal, false);
  assert.equal(r.body.error.code, "InsufficientStorage");
  assert.match(r.body.error.message, /metadata store is full: nothing was changed/);
  assert.ok(!r.body.error.message.includes("secret"), "the store's reason stays out of the body");
});
