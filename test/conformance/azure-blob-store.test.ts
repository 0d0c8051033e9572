// Runs the BlobStore conformance suite, unchanged, against the Azure Blob Storage driver on
// Azurite (started here, on loopback), plus what only a networked driver must show: an upload
// begun through one instance continues and commits through another (two nodes, one container),
// a digest mismatch leaves nothing under the digest's name, and a store that stops answering is
// StoreUnavailable, not a crash.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { AzureBlobStore } from "../../src/storage/azure-blob-store.js";
import { startAzurite, type TestAzurite } from "../support/azurite.js";
import { blobStoreSuite, type BlobStoreHarness } from "./blob-store-suite.js";
import { bytesFor, collect, digestOf, rejectsWith, streamOf } from "./helpers.js";

let azurite: Promise<TestAzurite> | undefined;
const emulator = () => (azurite ??= startAzurite());
after(async () => { if (azurite) await (await azurite).stop(); });

/** A fresh container per case: cases share one Azurite but never each other's names. */
async function makeAzure(): Promise<BlobStoreHarness & { container: string; open: () => Promise<AzureBlobStore> }> {
  const { connectionString } = await emulator();
  const container = `cove-${randomUUID().slice(0, 8)}`;
  const open = () => AzureBlobStore.open({ connectionString, container });
  const h = {
    container,
    open,
    store: await open(),
    cleanup: async () => {
      await h.store.close();
      await BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container).deleteIfExists();
    },
    reopen: async () => {
      await h.store.close();
      return open();
    },
  } as BlobStoreHarness & { container: string; open: () => Promise<AzureBlobStore> };
  return h;
}

/** Every blob name in the container: what a reader of the storage account would see. */
async function names(container: string): Promise<string[]> {
  const { connectionString } = await emulator();
  const out: string[] = [];
  for await (const b of BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container).listBlobsFlat()) out.push(b.name);
  return out.sort();
}

blobStoreSuite("Azure Blob Storage (Azurite)", makeAzure);

describe("AzureBlobStore across instances", () => {
  it("continues an upload begun on one instance through a second and commits it there", async () => {
    const h = await makeAzure();
    const b = await h.open();
    try {
      const bytes = bytesFor("two nodes", 9 * 1024 * 1024 + 3);
      const id = randomUUID();
      await h.store.createUpload(id);
      const first = 5 * 1024 * 1024 + 1;
      assert.equal(await h.store.appendUpload(id, 0, streamOf(bytes.subarray(0, first))), first);
      assert.equal(await b.uploadSize(id), first, "the second instance sees the first's bytes");
      await rejectsWith(b.appendUpload(id, 0, streamOf(Buffer.from("late"))), "UploadOffsetMismatch");
      assert.equal(await b.appendUpload(id, first, streamOf(bytes.subarray(first))), bytes.length);
      // The first instance's running hash is stale now: it must notice and hash what is stored.
      await rejectsWith(h.store.commitUpload(id, digestOf(bytes.subarray(0, first))), "DigestMismatch");
      const digest = digestOf(bytes);
      assert.deepEqual(await h.store.commitUpload(id, digest), { digest, size: bytes.length });
      assert.deepEqual(await collect(await b.read(digest)), bytes);
      assert.equal(await b.uploadSize(id), undefined);
      const hex = digest.slice(7);
      assert.deepEqual(await names(h.container), [`blobs/sha256/${hex}`]);
    } finally {
      await b.close();
      await h.cleanup();
    }
  });

  it("lets one of two instances' appends at the same offset through, and the upload stays whole", async () => {
    const h = await makeAzure();
    const b = await h.open();
    try {
      const id = randomUUID();
      await h.store.createUpload(id);
      const x = bytesFor("x", 6 * 1024 * 1024);
      const y = bytesFor("y", 5 * 1024 * 1024);
      const results = await Promise.allSettled([h.store.appendUpload(id, 0, streamOf(x)), b.appendUpload(id, 0, streamOf(y))]);
      const won = results.filter((r) => r.status === "fulfilled");
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status === "rejected" ? String(r.reason) : r.value)));
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.equal(lost.reason.code, "UploadOffsetMismatch");
      const winner = results[0]!.status === "fulfilled" ? x : y;
      assert.equal(await b.uploadSize(id), winner.length);
      await b.commitUpload(id, digestOf(winner));
      assert.equal(digestOf(await collect(await h.store.read(digestOf(winner)))), digestOf(winner));
    } finally {
      await b.close();
      await h.cleanup();
    }
  });

  it("leaves nothing under the digest's name when the digest does not match", async () => {
    const h = await makeAzure();
    try {
      const bytes = bytesFor("wrong", 4 * 1024 * 1024 + 10);
      const claimed = digestOf(bytesFor("claimed", 10));
      const id = randomUUID();
      await h.store.createUpload(id);
      await h.store.appendUpload(id, 0, streamOf(bytes));
      await rejectsWith(h.store.commitUpload(id, claimed), "DigestMismatch");
      const other = await h.open();
      await rejectsWith(other.commitUpload(id, claimed), "DigestMismatch", "a second instance hashes the stored bytes too");
      await other.close();
      assert.deepEqual(await names(h.container), [`uploads/${id}`]);
    } finally {
      await h.cleanup();
    }
  });
});

describe("AzureBlobStore when the store stops answering", () => {
  it("answers StoreUnavailable without the account key, and serves again once the store is back", async () => {
    const own = await startAzurite();
    const store = await AzureBlobStore.open({ connectionString: own.connectionString, container: "cove" });
    try {
      const bytes = bytesFor("outage", 100_000);
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, streamOf(bytes.subarray(0, 50_000)));
      // A clean stop: Azurite itself loses its last writes to kill -9 (test/support/azurite.ts), Azure does not.
      await own.halt();
      const started = Date.now();
      const calls = [
        () => store.stat(digestOf(bytes)),
        () => store.read(digestOf(bytes)),
        () => store.uploadSize(id),
        () => store.appendUpload(id, 50_000, streamOf(bytes.subarray(50_000))),
        () => store.commitUpload(id, digestOf(bytes)),
        () => store.listStaleUploads(Date.now()),
      ];
      for (const call of calls) {
        const p: Promise<unknown> = call();
        await rejectsWith(p, "StoreUnavailable", String(call));
        await p.catch((e: Error) => assert.doesNotMatch(JSON.stringify({ m: e.message, d: (e as { detail?: unknown }).detail }), /AccountKey|Eby8vdM02x|127\.0\.0\.1/));
      }
      assert.ok(Date.now() - started < 15_000, "a store that is down answers within seconds, not minutes");
      await own.restart();
      assert.equal(await store.uploadSize(id), 50_000, "nothing acknowledged was lost");
      await store.appendUpload(id, 50_000, streamOf(bytes.subarray(50_000)));
      await store.commitUpload(id, digestOf(bytes));
      assert.deepEqual(await collect(await store.read(digestOf(bytes))), bytes);
    } finally {
      await store.close();
      await own.stop();
    }
  });
});
