// The store's change feed (storage/types.ts ChangeFeed), on the driver of the day: one signal per
// committed resource write, with a version that only grows; none for registry content, uploads or
// audit appends, none for a delete that deleted nothing. A new driver must pass the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { putRegistry, registryId, tempStore } from "./store.js";

test("putResource and deleteResource signal once each, after the commit, with a growing version", async () => {
  const s = await tempStore();
  try {
    const seen: Array<{ version: number; visible: boolean }> = [];
    const stop = s.meta.changes.onCommitted((version) => {
      // After the commit: a read made from inside the listener already sees the write.
      void s.meta.getResource(registryId("feedacr1")).then((r) => seen.push({ version, visible: r !== undefined }));
    });
    const start = s.meta.changes.version;
    await putRegistry(s.meta, "feedacr1");
    await putRegistry(s.meta, "feedacr1", { adminUserEnabled: true });
    await s.meta.putResource({ id: `${registryId("feedacr1")}/adminCredentials`, type: "Cove.Internal/adminCredentials", body: {} });
    assert.equal(s.meta.changes.version, start + 3);
    // One recursive delete of a registry and its child: one commit, one signal.
    assert.equal(await s.meta.deleteResource(registryId("feedacr1"), true), true);
    assert.equal(s.meta.changes.version, start + 4);
    await new Promise((ok) => setImmediate(ok));
    assert.deepEqual(seen.map((x) => x.version), [start + 1, start + 2, start + 3, start + 4]);
    assert.deepEqual(seen.slice(0, 3).map((x) => x.visible), [true, true, true]);
    stop();
    await putRegistry(s.meta, "feedacr2");
    await new Promise((ok) => setImmediate(ok));
    assert.equal(seen.length, 4, "unsubscribed");
    assert.equal(s.meta.changes.version, start + 5, "the version counts on without listeners");
  } finally {
    await s.close();
  }
});

test("no signal for what no view is built from: registry content, uploads, audit appends, a delete of nothing", async () => {
  const s = await tempStore();
  try {
    await putRegistry(s.meta, "feedacr3");
    let signals = 0;
    s.meta.changes.onCommitted(() => { signals++; });
    const version = s.meta.changes.version;
    const reg = registryId("feedacr3").toLowerCase();
    const digest = "sha256:" + "c".repeat(64);
    await s.meta.linkBlob(reg, "repo", digest, 3);
    await s.meta.putManifest({
      registry: reg, repository: "repo", digest: "sha256:" + "d".repeat(64), mediaType: "application/vnd.oci.image.manifest.v1+json", size: 2,
      body: Buffer.from("{}"), blobRefs: [digest], manifestRefs: [], createdAt: new Date().toISOString(),
    }, "v1");
    await s.meta.deleteTag(reg, "repo", "v1");
    await s.meta.createUpload({ id: "upload-0001", registry: reg, repository: "repo", createdAt: new Date().toISOString(), expiresAt: Date.now() + 60_000 });
    await s.meta.deleteUpload("upload-0001");
    await s.meta.appendAudit({ kind: "test", action: "nothing" });
    await s.meta.deleteRepository(reg, "repo");
    await s.meta.deleteRegistryContent(reg);
    assert.equal(await s.meta.deleteResource(registryId("nosuchacr"), true), false);
    assert.equal(signals, 0);
    assert.equal(s.meta.changes.version, version);
  } finally {
    await s.close();
  }
});

test("a listener that throws neither fails the write nor keeps the other listeners from hearing it", async () => {
  const s = await tempStore();
  try {
    let heard = 0;
    s.meta.changes.onCommitted(() => { throw new Error("listener bug"); });
    s.meta.changes.onCommitted(() => { heard++; });
    await putRegistry(s.meta, "feedacr4");
    assert.equal(heard, 1);
    assert.ok(await s.meta.getResource(registryId("feedacr4")));
  } finally {
    await s.close();
  }
});
