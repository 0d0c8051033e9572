// Small helpers shared by the conformance suites (kept apart so each suite reads as its cases).
import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { Readable } from "node:stream";
import { isStorageError, type StorageErrorCode } from "../../src/domain/errors.js";

export function digestOf(bytes: Buffer, algorithm: "sha256" | "sha512" = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/** A readable that delivers `bytes` in chunks of `chunk` bytes, as a socket would. */
export function streamOf(bytes: Buffer, chunk = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts, { objectMode: false });
}

export async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/**
 * Asserts that `p` rejects with the storage error `code` (domain/errors.ts): drivers signal in the
 * store's words, never with a wire code, and the surfaces rely on the classes.
 */
export async function rejectsWith(p: Promise<unknown>, code: StorageErrorCode, what = ""): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isStorageError(e), `${what}: expected storage error ${code}, got ${String(e)}`);
    assert.equal(e.code, code, `${what}: expected ${code}, got ${e.code} (${e.message})`);
    return true;
  });
}

/** Deterministic pseudo-random bytes (so a test can name exactly what it expects back). */
export function bytesFor(seed: string, length: number): Buffer {
  // AES-CTR keystream: fast enough for tens of MiB, and a pure function of the seed.
  const key = createHash("sha256").update(seed).digest();
  return createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(length));
}
