// Region stores and the embedded store's missing-root rule: a replica region's store opens under
// <dataDir>/regions/<region>/, only for Azure region names; its Azure container is named beside the
// home one, within Azure's rule or refused with the reason. An FsBlobStore whose blobs/ or uploads/
// directory is gone (moved, unmounted) reports StoreUnavailable, never "no such blob", and does not
// recreate the directory behind the operator's back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { access, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { FsBlobStore } from "./fs-blob-store.js";
import { openRegionStores, regionBlobOptions } from "./region-stores.js";

const sha = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex");
const unavailable = (e: unknown) => (e as { code?: string }).code === "StoreUnavailable";

test("a region store lives in <dataDir>/regions/<region>/; anything but a region name is refused before it becomes a path", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-regions-"));
  const regions = openRegionStores(dir);
  try {
    const s = await regions.get("northeurope");
    assert.equal(await regions.get("northeurope"), s, "kept open");
    assert.equal(regions.peek("northeurope"), s);
    assert.equal(regions.peek("eastus2"), undefined);
    await access(join(dir, "regions", "northeurope", "blobs", "sha256"));
    for (const bad of ["../x", "North", "a", "north-europe", ""]) await assert.rejects(regions.get(bad), unavailable);
  } finally {
    await regions.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("Azure: the region's container is <container>-<region>, by connection string or by URL; a name over 63 characters is refused with the reason", () => {
  assert.deepEqual(regionBlobOptions({ connectionString: "cs", container: "cove" }, "northeurope"), { connectionString: "cs", container: "cove-northeurope" });
  assert.deepEqual(regionBlobOptions({ containerUrl: "https://acct.blob.core.windows.net/cove" }, "eastus2"), { containerUrl: "https://acct.blob.core.windows.net/cove-eastus2" });
  assert.deepEqual(regionBlobOptions({ containerUrl: "http://127.0.0.1:10000/devstoreaccount1/cove/" }, "eastus2"), { containerUrl: "http://127.0.0.1:10000/devstoreaccount1/cove-eastus2/" });
  assert.throws(() => regionBlobOptions({ connectionString: "cs", container: "c".repeat(50) }, "southeastasia"), (e: Error) => unavailable(e) && /63/.test(e.message) && /shorter blobContainer/.test(e.message));
});

test("FsBlobStore with its blobs/ moved away: StoreUnavailable for stat, read and commit, blobs/ not recreated; with uploads/ gone too, for createUpload; all well once back", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-offline-"));
  const s = await FsBlobStore.open(dir);
  try {
    const bytes = Buffer.from("hello, replica");
    await s.createUpload("upload-1");
    await s.appendUpload("upload-1", 0, Readable.from([bytes]));
    await s.commitUpload("upload-1", sha(bytes));
    await rename(join(dir, "blobs"), join(dir, "blobs.away"));
    await assert.rejects(s.stat(sha(bytes)), unavailable);
    await assert.rejects(s.read(sha(bytes)), unavailable);
    await s.createUpload("upload-2");
    const other = Buffer.from("pushed during the outage");
    await s.appendUpload("upload-2", 0, Readable.from([other]));
    await assert.rejects(s.commitUpload("upload-2", sha(other)), unavailable);
    await assert.rejects(access(join(dir, "blobs")), "blobs/ must not be recreated");
    await rename(join(dir, "uploads"), join(dir, "uploads.away"));
    await assert.rejects(s.createUpload("upload-3"), unavailable);
    await assert.rejects(s.appendUpload("upload-2", other.length, Readable.from([other])), unavailable);
    await rename(join(dir, "uploads.away"), join(dir, "uploads"));
    await rename(join(dir, "blobs.away"), join(dir, "blobs"));
    assert.deepEqual(await s.stat(sha(bytes)), { digest: sha(bytes), size: bytes.length });
    // The upload kept through the outage commits now.
    assert.deepEqual(await s.commitUpload("upload-2", sha(other)), { digest: sha(other), size: other.length });
    // A blob that is really absent is still just absent.
    assert.equal(await s.stat(sha(Buffer.from("never pushed"))), undefined);
  } finally {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  }
});
