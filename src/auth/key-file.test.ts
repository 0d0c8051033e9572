import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateKey } from "./key-file.js";

test("a key is made once (0600), reused, agreed on by concurrent starts, and a short one is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-key-"));
  try {
    const path = join(dir, "keys", "k.key");
    const keys = await Promise.all([loadOrCreateKey(path), loadOrCreateKey(path), loadOrCreateKey(path)]);
    assert.equal(keys[0].length, 32);
    assert.ok(keys.every((k) => k.equals(keys[0])), "concurrent starts agree on one key");
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.ok((await loadOrCreateKey(path)).equals(keys[0]), "reused after a restart");
    await writeFile(join(dir, "short.key"), Buffer.alloc(8));
    await assert.rejects(loadOrCreateKey(join(dir, "short.key")), /fewer than the 32 required/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
