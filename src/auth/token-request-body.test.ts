import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { readForm } from "./token-request-body.js";

const FORM = { "content-type": "application/x-www-form-urlencoded;charset=utf-8" };
const body = (...chunks: (string | Buffer)[]) => Readable.from(chunks.map((c) => Buffer.from(c)));

test("reads a form body, including repeated fields", async () => {
  const r = await readForm(body("grant_type=password&scope=a%3Ab%3Apull", "&scope=registry:catalog:*"), FORM);
  assert.ok(r.ok);
  assert.equal(r.form.get("grant_type"), "password");
  assert.deepEqual(r.form.getAll("scope"), ["a:b:pull", "registry:catalog:*"]);
  const empty = await readForm(body(), {});
  assert.ok(empty.ok && [...empty.form.keys()].length === 0);
});

test("refuses oversized, mistyped and malformed bodies without destroying the stream", async () => {
  const declared = await readForm(body("a=1"), { ...FORM, "content-length": String(1 << 20) }, 1024);
  assert.deepEqual(declared, { ok: false, reason: "too_large" });
  // A client still sending: the stream never ends while we read.
  const stream = new PassThrough();
  stream.write("a=" + "x".repeat(800));
  stream.write("y".repeat(800));
  const streamed = await readForm(stream, FORM, 1024);
  assert.deepEqual(streamed, { ok: false, reason: "too_large" });
  assert.equal(stream.destroyed, false, "the rest is left for the pipeline to drain");
  assert.equal(stream.isPaused(), true);
  stream.destroy();
  assert.deepEqual(await readForm(body('{"a":1}'), { "content-type": "application/json" }), { ok: false, reason: "malformed" });
  assert.deepEqual(await readForm(body("a=1"), {}), { ok: false, reason: "malformed" });
  assert.deepEqual(await readForm(body(Buffer.from([0x61, 0x3d, 0xff, 0xfe])), FORM), { ok: false, reason: "malformed" });
  assert.deepEqual(await readForm(body("a=%zz"), FORM), { ok: false, reason: "malformed" });
});
