// Runs the BlobStore conformance suite against the filesystem driver, plus the checks only a
// filesystem driver can make: nothing written outside its root, no temporary files left behind.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { FsBlobStore } from "../../src/storage/fs-blob-store.js";
import { blobStoreSuite, HOSTILE_DIGESTS, HOSTILE_UPLOAD_IDS, type BlobStoreHarness } from "./blob-store-suite.js";
import { bytesFor, digestOf, streamOf } from "./helpers.js";

async function makeFs(): Promise<BlobStoreHarness & { dir: string; root: string }> {
  const dir = await mkdtemp(join(tmpdir(), "cove-fs-blob-"));
  const root = join(dir, "data");
  const h = {
    dir,
    root,
    store: await FsBlobStore.open(root),
    cleanup: async () => {
      await h.store.close();
      await rm(dir, { recursive: true, force: true });
    },
    reopen: async () => {
      await h.store.close();
      return FsBlobStore.open(root);
    },
  } as BlobStoreHarness & { dir: string; root: string };
  return h;
}

async function tree(dir: string, base = dir, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await tree(p, base, out);
    else out.push(relative(base, p));
  }
  return out.sort();
}

blobStoreSuite("filesystem", makeFs);

describe("FsBlobStore on disk", () => {
  it("writes nothing outside its root, whatever digests and upload ids it is sent", async () => {
    const h = await makeFs();
    try {
      const id = randomUUID();
      await h.store.createUpload(id);
      for (const d of HOSTILE_DIGESTS) {
        await h.store.stat(d);
        await h.store.read(d).catch(() => undefined);
        await h.store.remove(d).catch(() => undefined);
        await h.store.commitUpload(id, d).catch(() => undefined);
      }
      for (const bad of HOSTILE_UPLOAD_IDS) {
        await h.store.createUpload(bad).catch(() => undefined);
        await h.store.appendUpload(bad, 0, streamOf(Buffer.from("x"))).catch(() => undefined);
        await h.store.cancelUpload(bad);
      }
      assert.deepEqual(await readdir(h.dir), ["data"]);
      assert.deepEqual(await tree(h.root), [`uploads/${id}`]);
    } finally {
      await h.cleanup();
    }
  });

  it("keeps committed blobs at blobs/<alg>/<2 hex>/<hex> and leaves no upload file behind", async () => {
    const h = await makeFs();
    try {
      const bytes = bytesFor("layout", 1234);
      for (const alg of ["sha256", "sha512"] as const) {
        const id = randomUUID();
        await h.store.createUpload(id);
        await h.store.appendUpload(id, 0, streamOf(bytes));
        await h.store.commitUpload(id, digestOf(bytes, alg));
      }
      const hex256 = digestOf(bytes).slice(7);
      const hex512 = digestOf(bytes, "sha512").slice(7);
      assert.deepEqual(await tree(h.root), [`blobs/sha256/${hex256.slice(0, 2)}/${hex256}`, `blobs/sha512/${hex512.slice(0, 2)}/${hex512}`]);
    } finally {
      await h.cleanup();
    }
  });
});
