import { test } from "node:test";
import assert from "node:assert/strict";
import { DomainError } from "../domain/errors.js";
import { parseContentRange, parseRangeHeader } from "./range.js";

const invalid = (e: unknown) => e instanceof DomainError && e.code === "RANGE_INVALID";

test("Range against a 10-byte blob", () => {
  const table: [string | undefined, { start: number; end: number } | undefined][] = [
    [undefined, undefined],
    ["bytes=0-9", { start: 0, end: 9 }],
    ["bytes=0-0", { start: 0, end: 0 }],
    ["bytes=3-", { start: 3, end: 9 }],
    ["bytes=5-50", { start: 5, end: 9 }],
    ["bytes=-4", { start: 6, end: 9 }],
    ["bytes=-40", { start: 0, end: 9 }],
    ["2-", { start: 2, end: 9 }],
  ];
  for (const [h, want] of table) assert.deepEqual(parseRangeHeader(h, 10), want, String(h));
  for (const h of ["bytes=10-", "bytes=4-3", "bytes=-0", "bytes=-", "", "bytes=a-b", "bytes=0-1,3-4", "lines=0-1", "bytes=9999999999999999-"]) {
    assert.throws(() => parseRangeHeader(h, 10), invalid, h);
  }
  assert.throws(() => parseRangeHeader("bytes=0-", 0), invalid, "empty blob");
});

test("Content-Range on uploads: OCI form and RFC form", () => {
  assert.deepEqual(parseContentRange("0-9"), { start: 0, end: 9 });
  assert.deepEqual(parseContentRange("bytes 10-19/*"), { start: 10, end: 19 });
  assert.deepEqual(parseContentRange("bytes=10-19/100"), { start: 10, end: 19 });
  assert.equal(parseContentRange(undefined), undefined);
  for (const h of ["", "9-0", "-9", "0-", "a-b", "0-9/x", "bytes 0-9/10/10"]) assert.throws(() => parseContentRange(h), invalid, h);
});
