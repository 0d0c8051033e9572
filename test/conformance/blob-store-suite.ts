// The BlobStore conformance suite: every driver (filesystem now; Azure Blob later) runs these
// cases through its own runner, e.g. fs-blob-store.test.ts. Cases speak only the interface.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import type { BlobStore } from "../../src/storage/types.js";
import { bytesFor, collect, digestOf, rejectsWith, streamOf } from "./helpers.js";

export interface BlobStoreHarness {
  store: BlobStore;
  /** Closes the current store and removes its state. */
  cleanup: () => Promise<void>;
  /**
   * Close `store` and open a new instance over the same state (a restart); the suite then checks
   * that committed blobs and uploads survived. The suite assigns the result to `store`, and
   * cleanup must close whatever `store` is by then. Typed optional only so that a harness can be
   * built in steps; the suite fails without it.
   */
  reopen?: () => Promise<BlobStore>;
}

/** Hostile or malformed digests: none may reach storage, each is refused as DigestInvalid. */
export const HOSTILE_DIGESTS: readonly string[] = [
  "sha256:../../../../etc/passwd",
  `sha256:${"../".repeat(21)}a`,
  `sha256:..%2F..%2F${"a".repeat(58)}`,
  `sha256%3A${"a".repeat(64)}`,
  `sha256:${"A".repeat(64)}`,
  `sha256:${"a".repeat(63)}`,
  `sha256:${"a".repeat(65)}`,
  `sha512:${"a".repeat(64)}`,
  `sha256:${"a".repeat(62)}/x`,
  `sha256:${"a".repeat(63)}\0`,
  `md5:${"a".repeat(32)}`,
  `../sha256:${"a".repeat(64)}`,
  "sha256:",
  "",
];

/** Upload ids that name paths: refused, never resolved. */
export const HOSTILE_UPLOAD_IDS: readonly string[] = ["../escape-1234", "..", "a/b/c/d/e/f/g/h", "%2e%2e%2fescape", "..\\escape-1234", "", "x".repeat(4096)];

async function upload(store: BlobStore, bytes: Buffer, algorithm: "sha256" | "sha512" = "sha256"): Promise<string> {
  const id = randomUUID();
  await store.createUpload(id);
  await store.appendUpload(id, 0, streamOf(bytes));
  const digest = digestOf(bytes, algorithm);
  await store.commitUpload(id, digest);
  return digest;
}

export function blobStoreSuite(name: string, make: () => Promise<BlobStoreHarness>): void {
  /** Runs `fn` against a fresh store; `h.store` may change when the case reopens. */
  function withStore(fn: (h: BlobStoreHarness) => Promise<void>): () => Promise<void> {
    return async () => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    };
  }

  describe(`BlobStore conformance: ${name}`, () => {
    it("round-trips a blob uploaded in one append, and forgets the upload", withStore(async ({ store }) => {
      const bytes = bytesFor("round-trip", 300_000);
      const id = randomUUID();
      await store.createUpload(id);
      assert.equal(await store.uploadSize(id), 0);
      assert.equal(await store.appendUpload(id, 0, streamOf(bytes)), bytes.length);
      assert.equal(await store.uploadSize(id), bytes.length);
      const digest = digestOf(bytes);
      assert.deepEqual(await store.commitUpload(id, digest), { digest, size: bytes.length });
      assert.deepEqual(await store.stat(digest), { digest, size: bytes.length });
      assert.deepEqual(await collect(await store.read(digest)), bytes);
      assert.equal(await store.uploadSize(id), undefined);
      await rejectsWith(store.appendUpload(id, bytes.length, streamOf(Buffer.from("x"))), "UploadNotFound");
    }));

    it("stores the empty blob", withStore(async ({ store }) => {
      const digest = await upload(store, Buffer.alloc(0));
      assert.deepEqual(await store.stat(digest), { digest, size: 0 });
      assert.equal((await collect(await store.read(digest))).length, 0);
    }));

    it("appends chunk after chunk at the reported offsets and refuses a chunk that does not follow on", withStore(async ({ store }) => {
      const bytes = bytesFor("chunks", 1_000_003);
      const id = randomUUID();
      await store.createUpload(id);
      let offset = 0;
      for (const size of [1, 65_536, 400_000, 534_466]) {
        offset = await store.appendUpload(id, offset, streamOf(bytes.subarray(offset, offset + size)));
      }
      assert.equal(offset, bytes.length);
      // Behind, ahead and negative offsets: refused, and the upload is left exactly as it was.
      for (const bad of [0, offset - 1, offset + 1, -1]) {
        await rejectsWith(store.appendUpload(id, bad, streamOf(Buffer.from("zz"))), "UploadOffsetMismatch", `offset ${bad}`);
        assert.equal(await store.uploadSize(id), offset);
      }
      const digest = digestOf(bytes);
      await store.commitUpload(id, digest);
      assert.deepEqual(await collect(await store.read(digest)), bytes);
    }));

    it("lets only one of two appends at the same offset through", withStore(async ({ store }) => {
      const id = randomUUID();
      await store.createUpload(id);
      const a = bytesFor("a", 200_000);
      const b = bytesFor("b", 100_000);
      const results = await Promise.allSettled([store.appendUpload(id, 0, streamOf(a)), store.appendUpload(id, 0, streamOf(b))]);
      const ok = results.filter((r) => r.status === "fulfilled");
      assert.equal(ok.length, 1);
      const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.equal(rejected.reason.code, "UploadOffsetMismatch");
      const winner = results[0].status === "fulfilled" ? a : b;
      assert.equal(await store.uploadSize(id), winner.length);
      await store.commitUpload(id, digestOf(winner));
    }));

    it("reads byte ranges, inclusive at both ends, and refuses ranges outside the blob", withStore(async ({ store }) => {
      const bytes = bytesFor("ranges", 1_000_000);
      const digest = await upload(store, bytes);
      for (const [start, end] of [[0, 0], [0, 999_999], [1, 1], [999_999, 999_999], [262_143, 262_145], [12_345, 700_001]]) {
        assert.deepEqual(await collect(await store.read(digest, { start, end })), bytes.subarray(start, end + 1), `${start}-${end}`);
      }
      for (const [start, end] of [[0, 1_000_000], [5, 4], [-1, 3], [1_000_000, 1_000_000], [0.5, 3]]) {
        await rejectsWith(store.read(digest, { start, end }), "BlobRangeInvalid", `${start}-${end}`);
      }
    }));

    it("refuses a digest that does not match, keeps nothing in place, and keeps the upload for a retry", withStore(async ({ store }) => {
      const bytes = bytesFor("mismatch", 123_457);
      const wrong = digestOf(bytesFor("something else", 10));
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, streamOf(bytes));
      await rejectsWith(store.commitUpload(id, wrong), "DigestMismatch");
      const good512 = digestOf(bytes, "sha512");
      const bad512 = good512.slice(0, -1) + (good512.endsWith("0") ? "1" : "0");
      await rejectsWith(store.commitUpload(id, bad512), "DigestMismatch");
      assert.equal(await store.stat(wrong), undefined);
      assert.equal(await store.stat(digestOf(bytes)), undefined);
      await rejectsWith(store.read(wrong), "BlobNotFound");
      assert.equal(await store.uploadSize(id), bytes.length);
      // The client can still fix it: append the missing tail and commit the right digest.
      const more = bytesFor("tail", 10);
      await store.appendUpload(id, bytes.length, streamOf(more));
      const all = Buffer.concat([bytes, more]);
      await store.commitUpload(id, digestOf(all));
      assert.deepEqual(await collect(await store.read(digestOf(all))), all);
    }));

    it("supports sha512 digests", withStore(async ({ store }) => {
      const bytes = bytesFor("sha512", 77_777);
      const digest = await upload(store, bytes, "sha512");
      assert.match(digest, /^sha512:[0-9a-f]{128}$/);
      assert.deepEqual(await store.stat(digest), { digest, size: bytes.length });
      assert.deepEqual(await collect(await store.read(digest, { start: 100, end: 199 })), bytes.subarray(100, 200));
      assert.equal(await store.stat(digestOf(bytes)), undefined, "the sha256 name of the same bytes is a different blob");
    }));

    it("commits idempotently when the blob already exists", withStore(async ({ store }) => {
      const bytes = bytesFor("twice", 50_000);
      const d1 = await upload(store, bytes);
      const d2 = await upload(store, bytes);
      assert.equal(d1, d2);
      assert.deepEqual(await collect(await store.read(d1)), bytes);
    }));

    it("answers absent blobs and uploads with the storage errors", withStore(async ({ store }) => {
      const absent = digestOf(Buffer.from("never uploaded"));
      assert.equal(await store.stat(absent), undefined);
      await rejectsWith(store.read(absent), "BlobNotFound");
      await store.remove(absent);
      const id = randomUUID();
      assert.equal(await store.uploadSize(id), undefined);
      await rejectsWith(store.appendUpload(id, 0, streamOf(Buffer.from("x"))), "UploadNotFound");
      await rejectsWith(store.commitUpload(id, absent), "UploadNotFound");
      await store.cancelUpload(id);
    }));

    it("removes a blob", withStore(async ({ store }) => {
      const digest = await upload(store, bytesFor("remove", 1000));
      await store.remove(digest);
      assert.equal(await store.stat(digest), undefined);
      await rejectsWith(store.read(digest), "BlobNotFound");
    }));

    it("cancels an upload and drops its bytes", withStore(async ({ store }) => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, streamOf(bytesFor("cancel", 5000)));
      await store.cancelUpload(id);
      assert.equal(await store.uploadSize(id), undefined);
      await rejectsWith(store.appendUpload(id, 0, streamOf(Buffer.from("x"))), "UploadNotFound");
      assert.ok(!(await store.listStaleUploads(Date.now() + 60_000)).includes(id));
    }));

    it("refuses a chunk over maxBytes and rolls the upload back to where it was", withStore(async ({ store }) => {
      const id = randomUUID();
      await store.createUpload(id);
      const head = bytesFor("head", 1000);
      await store.appendUpload(id, 0, streamOf(head));
      const source = streamOf(bytesFor("too big", 300_000), 16_384);
      await rejectsWith(store.appendUpload(id, head.length, source, 100_000), "UploadChunkTooLarge");
      assert.equal(await store.uploadSize(id), head.length);
      // Exactly maxBytes is allowed.
      const tail = bytesFor("tail", 100_000);
      assert.equal(await store.appendUpload(id, head.length, streamOf(tail), 100_000), head.length + 100_000);
      const all = Buffer.concat([head, tail]);
      await store.commitUpload(id, digestOf(all));
      assert.deepEqual(await collect(await store.read(digestOf(all))), all);
    }));

    it("rolls back a chunk whose source stream fails mid-append, leaving the upload resumable", withStore(async ({ store }) => {
      const bytes = bytesFor("broken", 600_000);
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, streamOf(bytes.subarray(0, 100_000)));
      let sent = 100_000;
      const source = new Readable({
        read() {
          if (sent >= 400_000) {
            this.destroy(new Error("client went away"));
            return;
          }
          this.push(bytes.subarray(sent, sent + 50_000));
          sent += 50_000;
        },
      });
      await assert.rejects(store.appendUpload(id, 100_000, source), /client went away/);
      assert.equal(await store.uploadSize(id), 100_000);
      await store.appendUpload(id, 100_000, streamOf(bytes.subarray(100_000)));
      await store.commitUpload(id, digestOf(bytes));
      assert.deepEqual(await collect(await store.read(digestOf(bytes))), bytes);
    }));

    it("streams a large upload in many small chunks", withStore(async ({ store }) => {
      const bytes = bytesFor("large", 24 * 1024 * 1024 + 7);
      const id = randomUUID();
      await store.createUpload(id);
      assert.equal(await store.appendUpload(id, 0, streamOf(bytes, 16 * 1024)), bytes.length);
      const digest = digestOf(bytes);
      await store.commitUpload(id, digest);
      assert.deepEqual(await collect(await store.read(digest, { start: bytes.length - 10, end: bytes.length - 1 })), bytes.subarray(-10));
      assert.equal(digestOf(await collect(await store.read(digest))), digest);
    }));

    it("refuses hostile and malformed digests everywhere", withStore(async ({ store }) => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, streamOf(Buffer.from("content")));
      for (const d of HOSTILE_DIGESTS) {
        const what = JSON.stringify(d);
        assert.equal(await store.stat(d), undefined, what);
        await rejectsWith(store.read(d), "DigestInvalid", what);
        await rejectsWith(store.remove(d), "DigestInvalid", what);
        await rejectsWith(store.commitUpload(id, d), "DigestInvalid", what);
      }
      assert.equal(await store.uploadSize(id), 7, "the upload survives every refused commit");
    }));

    it("refuses hostile upload ids everywhere", withStore(async ({ store }) => {
      for (const id of HOSTILE_UPLOAD_IDS) {
        const what = JSON.stringify(id.slice(0, 40));
        await rejectsWith(store.createUpload(id), "UploadIdInvalid", what);
        assert.equal(await store.uploadSize(id), undefined, what);
        await rejectsWith(store.appendUpload(id, 0, streamOf(Buffer.from("x"))), "UploadNotFound", what);
        await rejectsWith(store.commitUpload(id, digestOf(Buffer.from("x"))), "UploadNotFound", what);
        await store.cancelUpload(id);
      }
      assert.deepEqual(await store.listStaleUploads(Date.now() + 60_000), []);
    }));

    it("refuses to create an upload whose id is taken, and leaves its bytes alone", withStore(async ({ store }) => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, streamOf(Buffer.from("kept")));
      await rejectsWith(store.createUpload(id), "UploadExists");
      assert.equal(await store.uploadSize(id), 4);
    }));

    it("lists uploads last written before a time", withStore(async ({ store }) => {
      const a = randomUUID();
      const b = randomUUID();
      await store.createUpload(a);
      await store.createUpload(b);
      await store.appendUpload(b, 0, streamOf(Buffer.from("bytes")));
      const committed = randomUUID();
      await store.createUpload(committed);
      await store.commitUpload(committed, digestOf(Buffer.alloc(0)));
      assert.deepEqual((await store.listStaleUploads(Date.now() + 60_000)).sort(), [a, b].sort());
      assert.deepEqual(await store.listStaleUploads(Date.now() - 60_000), []);
    }));

    it("is durable across close and reopen", withStore(async (h) => {
      assert.ok(h.reopen, "a driver's harness must offer reopen(): durability is part of the contract");
      const bytes = bytesFor("reopen", 400_000);
      const digest = await upload(h.store, bytes);
      const id = randomUUID();
      await h.store.createUpload(id);
      const partial = bytesFor("partial", 200_000);
      await h.store.appendUpload(id, 0, streamOf(partial.subarray(0, 150_000)));
      const store = (h.store = await h.reopen());
      assert.deepEqual(await collect(await store.read(digest)), bytes);
      assert.equal(await store.uploadSize(id), 150_000);
      await store.appendUpload(id, 150_000, streamOf(partial.subarray(150_000)));
      await rejectsWith(store.commitUpload(id, digestOf(bytes)), "DigestMismatch");
      await store.commitUpload(id, digestOf(partial));
      assert.deepEqual(await collect(await store.read(digestOf(partial))), partial);
    }));
  });
}
