// Client secrets: generated randomly, shown once, stored only as a salted hash.
//
// Why HMAC-SHA256 with a per-secret salt rather than scrypt: every secret Cove accepts is one it
// generated itself, 30 random bytes (240 bits), so guessing is infeasible whatever the hash speed,
// and a slow KDF would only make every Basic-auth registry request (docker, skopeo) slower.
// Comparison is constant-time.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface StoredSecretHash {
  alg: "hmac-sha256";
  /** base64url, 16 random bytes */
  salt: string;
  /** base64url HMAC-SHA256(key = salt, message = secret) */
  hash: string;
}

/** A new client secret: 40 characters of base64url (no characters that need quoting in a shell). */
export function newSecret(): string {
  return randomBytes(30).toString("base64url");
}

export function hashSecret(secret: string, salt: Buffer = randomBytes(16)): StoredSecretHash {
  return {
    alg: "hmac-sha256",
    salt: salt.toString("base64url"),
    hash: createHmac("sha256", salt).update(secret, "utf8").digest("base64url"),
  };
}

export function verifySecret(secret: string, stored: StoredSecretHash): boolean {
  if (stored?.alg !== "hmac-sha256" || typeof stored.salt !== "string" || typeof stored.hash !== "string") return false;
  const expected = Buffer.from(stored.hash, "base64url");
  const actual = createHmac("sha256", Buffer.from(stored.salt, "base64url")).update(secret, "utf8").digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Constant-time string equality (for plaintext values the control plane must keep, e.g. admin passwords). */
export function safeEqual(a: string, b: string): boolean {
  // Hash both first so the comparison takes the same time whatever the lengths.
  const ha = createHmac("sha256", "cove-compare").update(a, "utf8").digest();
  const hb = createHmac("sha256", "cove-compare").update(b, "utf8").digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
