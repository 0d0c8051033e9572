import { test } from "node:test";
import assert from "node:assert/strict";
import { DomainError } from "./errors.js";
import { digestOf, isDigest, parseDigest } from "./digest.js";

const H64 = "a".repeat(64);
const H128 = "0".repeat(128);

test("accepts sha256 and sha512 in canonical form", () => {
  assert.deepEqual(parseDigest(`sha256:${H64}`), { algorithm: "sha256", encoded: H64, digest: `sha256:${H64}` });
  assert.equal(parseDigest(`sha512:${H128}`).algorithm, "sha512");
});

test("refuses everything else with DIGEST_INVALID", () => {
  const bad = [
    "", "sha256", `sha256:${H64.slice(1)}`, `sha256:${H64}0`, `sha256:${H64.toUpperCase()}`, `SHA256:${H64}`,
    `sha512:${H64}`, `md5:${"0".repeat(32)}`, `sha256:../../${H64.slice(6)}`, `sha256:${H64}/..`, `sha256:${H64}\0`,
    `sha256 :${H64}`, `sha256:${H64.slice(2)}%2F`, "..", `sha256+b64:${H64}`, "a".repeat(300),
  ];
  for (const v of bad) {
    assert.throws(() => parseDigest(v), (e: unknown) => e instanceof DomainError && e.code === "DIGEST_INVALID", JSON.stringify(v));
    assert.equal(isDigest(v), false);
  }
});

test("digestOf hashes with the named algorithm", () => {
  assert.equal(digestOf(Buffer.from("")), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.match(digestOf(Buffer.from("x"), "sha512"), /^sha512:[0-9a-f]{128}$/);
});
