import { test } from "node:test";
import assert from "node:assert/strict";
import { hashSecret, newSecret, safeEqual, verifySecret } from "./secrets.js";

test("a secret verifies against its own salted hash only", () => {
  const s = newSecret();
  assert.match(s, /^[A-Za-z0-9_-]{40}$/);
  assert.notEqual(newSecret(), s);
  const h = hashSecret(s);
  assert.equal(h.alg, "hmac-sha256");
  assert.ok(!JSON.stringify(h).includes(s), "the stored hash never contains the secret");
  assert.equal(verifySecret(s, h), true);
  assert.equal(verifySecret(s + "x", h), false);
  assert.equal(verifySecret("", h), false);
  // Same secret, new salt: a different hash (no rainbow tables across principals).
  assert.notEqual(hashSecret(s).hash, h.hash);
  assert.equal(verifySecret(s, { ...h, hash: hashSecret("other").hash }), false);
  assert.equal(verifySecret(s, { ...h, alg: "md5" } as any), false);
  assert.equal(verifySecret(s, undefined as any), false);
});

test("safeEqual compares whole strings", () => {
  assert.equal(safeEqual("abc", "abc"), true);
  assert.equal(safeEqual("abc", "abd"), false);
  assert.equal(safeEqual("abc", "abcd"), false);
  assert.equal(safeEqual("", ""), true);
});
