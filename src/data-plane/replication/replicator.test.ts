// The replicator over real embedded stores (a home FsBlobStore, region stores under the data dir,
// SQLite metadata): a replica added after the pushes gets all existing content, an index after its
// children; the region store verifies every copy (a home blob whose bytes no longer match its
// digest is never copied, and the replica says Failed); the status record is written only when it
// changed, at most once a second; a deleted replica's job stops.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { FsBlobStore } from "../../storage/fs-blob-store.js";
import { SqliteMetadataStore } from "../../storage/sqlite-metadata-store.js";
import { openRegionStores } from "../../storage/region-stores.js";
import type { ManifestRecord, MetadataStore } from "../../storage/types.js";
import type { RegistryView } from "../../domain/registry.js";
import { replicationSyncId, type ReplicaSyncStatus } from "../../domain/replication.js";
import { createReplicator } from "./replicator.js";
import { SyncStatusWriter } from "./sync-status-writer.js";

const KEY = "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/georeg";
const sha = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex");

function view(replicas: string[]): RegistryView {
  return {
    key: KEY, id: KEY, name: "georeg", location: "westeurope", sku: "Premium", loginServer: "georeg.cove.test",
    adminUserEnabled: false, anonymousPullEnabled: false, publicNetworkAccess: "Enabled", dataEndpointEnabled: true,
    replicas: replicas.map((location) => ({ location, regionEndpointEnabled: true })),
  };
}

async function fixture() {
  const dir = await mkdtemp(join(tmpdir(), "cove-replicator-"));
  const home = await FsBlobStore.open(dir);
  const meta = SqliteMetadataStore.open(join(dir, "cove.db"));
  const regions = openRegionStores(dir);
  let replicas: string[] = [];
  const writes: ReplicaSyncStatus[] = [];
  // Every status write, as the control plane would read it.
  const watched = new Proxy(meta, {
    get(t, p, r) {
      if (p === "putResource") return async (rec: { body: unknown }) => { writes.push(rec.body as ReplicaSyncStatus); return t.putResource(rec as never); };
      const v = Reflect.get(t, p, r);
      return typeof v === "function" ? v.bind(t) : v;
    },
  }) as MetadataStore;
  const replicator = createReplicator({ meta: watched, home, regions, registries: () => [view(replicas)], log: pino({ level: "silent" }), sweepMs: 3_600_000 });
  async function push(repo: string, tag: string, blobs: Buffer[], children: string[] = []): Promise<ManifestRecord> {
    for (const b of blobs) {
      const id = `up-${randomBytes(6).toString("hex")}`;
      await home.createUpload(id);
      await home.appendUpload(id, 0, Readable.from([b]));
      await home.commitUpload(id, sha(b));
      await meta.linkBlob(KEY, repo, sha(b), b.length);
    }
    const body = Buffer.from(JSON.stringify(children.length
      ? { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: children.map((digest) => ({ digest, size: 1, mediaType: "application/vnd.oci.image.manifest.v1+json" })) }
      : { schemaVersion: 2, config: { digest: sha(blobs[0]!), size: blobs[0]!.length }, layers: blobs.slice(1).map((b) => ({ digest: sha(b), size: b.length })) }));
    const rec: ManifestRecord = {
      registry: KEY, repository: repo, digest: sha(body), mediaType: "application/vnd.oci.image.manifest.v1+json", size: body.length, body,
      blobRefs: children.length ? [] : blobs.map(sha), manifestRefs: children, createdAt: new Date().toISOString(),
    };
    await meta.putManifest(rec, tag);
    replicator.notify(KEY);
    return rec;
  }
  const status = async (region: string) => (await meta.getResource(replicationSyncId(KEY, region)))?.body as ReplicaSyncStatus | undefined;
  return {
    dir, home, meta, regions, replicator, push, status, writes,
    setReplicas(r: string[]) { replicas = r; replicator.kick(); },
    async close() { await replicator.close(); await regions.close(); await meta.close(); await home.close(); await rm(dir, { recursive: true, force: true }); },
  };
}

test("a replica added after the pushes gets every blob of the registry (a shared one once, an index among the manifests) and reports Synced", async () => {
  const f = await fixture();
  try {
    const layers = [randomBytes(100), randomBytes(70_000), randomBytes(5)];
    const a = await f.push("team/a", "v1", [layers[0]!, layers[1]!]);
    const b = await f.push("team/b", "v1", [layers[0]!, layers[2]!]);
    await f.push("team/a", "multi", [], [a.digest]);
    f.replicator.notify(KEY); // no replica yet: nothing happens
    await f.replicator.idle();
    assert.equal(f.writes.length, 0);

    f.setReplicas(["northeurope"]);
    await f.replicator.idle();
    const store = await f.regions.get("northeurope");
    for (const l of layers) assert.deepEqual(await store.stat(sha(l)), { digest: sha(l), size: l.length });
    const s = await f.status("northeurope");
    assert.equal(s?.state, "Synced");
    assert.deepEqual([s?.pendingManifests, s?.pendingBlobs, s?.pendingBytes, s?.oldestPendingSince], [0, 0, 0, undefined]);
    assert.ok(s?.lastSyncedAt);
    assert.ok(b.digest);

    // Nothing changed: another run writes nothing.
    const before = f.writes.length;
    f.replicator.notify(KEY);
    await f.replicator.idle();
    await sleep(1100);
    assert.equal(f.writes.length, before);
  } finally {
    await f.close();
  }
});

test("content pushed while no replicator ran (a restart) is copied when the next one starts", async () => {
  const f = await fixture();
  try {
    f.setReplicas(["northeurope"]);
    await f.replicator.idle();
    await f.replicator.close();
    const late = randomBytes(1000);
    await f.push("team/a", "late", [late]); // nobody hears this push
    const store = await f.regions.get("northeurope");
    assert.equal(await store.stat(sha(late)), undefined);
    const next = createReplicator({ meta: f.meta, home: f.home, regions: f.regions, registries: () => [view(["northeurope"])], log: pino({ level: "silent" }), sweepMs: 3_600_000 });
    try {
      await next.idle();
      assert.deepEqual(await store.stat(sha(late)), { digest: sha(late), size: late.length });
      assert.equal((await f.status("northeurope"))?.state, "Synced");
    } finally {
      await next.close();
    }
  } finally {
    await f.close();
  }
});

test("the region store verifies each copy: a home blob whose bytes no longer match is not copied, and the replica says Failed", async () => {
  const f = await fixture();
  try {
    const good = randomBytes(64);
    const bad = randomBytes(64);
    await f.push("team/a", "v1", [good, bad]);
    // The home file of `bad` rotted on disk.
    const hex = sha(bad).slice(7);
    await writeFile(join(f.dir, "blobs", "sha256", hex.slice(0, 2), hex), randomBytes(64));
    f.setReplicas(["northeurope"]);
    await f.replicator.idle();
    const store = await f.regions.get("northeurope");
    assert.equal(await store.stat(sha(bad)), undefined);
    const s = await f.status("northeurope");
    assert.equal(s?.state, "Failed");
    assert.equal(s?.pendingManifests, 1);
    assert.match(s?.message ?? "", /digest/i);
    // The replica deleted: its job stops and writes no more.
    f.setReplicas([]);
    const n = f.writes.length;
    await sleep(700);
    assert.equal(f.writes.length, n);
  } finally {
    await f.close();
  }
});

test("the status record: written at once, a change within the second held and written when it ends, an unchanged one never", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-sync-writer-"));
  const meta = SqliteMetadataStore.open(join(dir, "cove.db"));
  try {
    const w = new SyncStatusWriter(meta, KEY, "northeurope", Date.now, (e) => { throw e; });
    const read = async () => (await meta.getResource(replicationSyncId(KEY, "northeurope")))?.body as ReplicaSyncStatus | undefined;
    const base = { pendingBlobs: 0, pendingBytes: 0 };
    w.set({ ...base, state: "Syncing", pendingManifests: 2 });
    await w.settled();
    assert.equal((await read())?.pendingManifests, 2);
    w.set({ ...base, state: "Syncing", pendingManifests: 1 });
    w.set({ ...base, state: "Synced", pendingManifests: 0 });
    await sleep(300);
    assert.equal((await read())?.pendingManifests, 2, "held within the second");
    await sleep(900);
    await w.settled();
    const last = await read();
    assert.equal(last?.state, "Synced");
    const stamp = last?.updatedAt;
    w.set({ ...base, state: "Synced", pendingManifests: 0 });
    await sleep(50);
    await w.settled();
    assert.equal((await read())?.updatedAt, stamp, "unchanged: not written");
    await w.stop();
  } finally {
    await meta.close();
    await rm(dir, { recursive: true, force: true });
  }
});
