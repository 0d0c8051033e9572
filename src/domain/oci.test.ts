import { test } from "node:test";
import assert from "node:assert/strict";
import { DomainError } from "./errors.js";
import { parseReference, validateRepositoryName, isTag } from "./oci.js";

const code = (c: string) => (e: unknown) => e instanceof DomainError && e.code === c;

test("repository names: the OCI v1.1 grammar", () => {
  const good = ["a", "library/hello", "a.b_c__d--e---f/g0", "x/y/z", "0", "a".repeat(255)];
  for (const n of good) assert.equal(validateRepositoryName(n), n);
  const bad = [
    "", "A", "library/Hello", "a..b", "a/../b", "..", "../a", "a/", "/a", "a//b", "-a", "a-", "_a", "a___b", "a.-b",
    "a b", "a\0b", "a%2fb", "a:b", "a".repeat(256),
  ];
  for (const n of bad) assert.throws(() => validateRepositoryName(n), code("NAME_INVALID"), JSON.stringify(n));
});

test("tags: at most 128 characters of [A-Za-z0-9_.-], not starting with . or -", () => {
  for (const t of ["latest", "v1.0.0", "_x", "A-b_c.d", "t".repeat(128)]) assert.ok(isTag(t), t);
  for (const t of ["", ".x", "-x", "a/b", "a:b", "t".repeat(129), "..", "a b"]) assert.ok(!isTag(t), t);
});

test("references: a tag, or (anything with ':') a digest", () => {
  assert.deepEqual(parseReference("v1"), { kind: "tag", tag: "v1" });
  const d = `sha256:${"b".repeat(64)}`;
  assert.deepEqual(parseReference(d), { kind: "digest", digest: d });
  assert.throws(() => parseReference("sha256:short"), code("DIGEST_INVALID"));
  assert.throws(() => parseReference("../x"), code("TAG_INVALID"));
});
