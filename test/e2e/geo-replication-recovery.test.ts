// The recovery drill (docs/operations.md, "Recovery drill: the home region's store offline"), with
// real clients: the home region's blob store is made unreadable for real (its blobs/ directory
// moved away: CI runs as root, so permissions would not stop a read), while one manifest is still
// waiting to be replicated. Pulls the replica holds keep working through the replica's endpoint;
// everything else is the catalogued 503 with Retry-After, never a 404, pushes included; and when
// the directory is back nothing is lost: the pending manifest completes by itself and every blob
// pulls from both regions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { startCove, type TestCove } from "../support/cove.js";
import { HOME, REPLICA, REPO, dataHost, geoLanding, login, pullBlob, pushImage, synced, waitStatus, type Geo } from "./geo-replication-support.js";

let cove: TestCove;
let work: string;
let g: Geo;

before(async () => {
  cove = await startCove({ replicationSweepSeconds: "1" });
  work = await mkdtemp(join(tmpdir(), "cove-geo-drill-"));
  g = await geoLanding(cove, work, [163, 164]);
});
after(async () => {
  await cove?.stop();
  await rm(work, { recursive: true, force: true });
});

test("the home store offline: the replica serves what it holds, the rest is a 503 with Retry-After, and nothing is lost when it returns", async () => {
  const t0 = Date.now();
  const v1 = await pushImage(g, "v1");
  await synced(g, t0);

  // v2 is pushed while the replica's store is away, so it is still pending when home goes down.
  const regionDir = join(cove.dataDir, "regions", REPLICA);
  const homeBlobs = join(cove.dataDir, "blobs");
  await rename(regionDir, regionDir + ".away");
  const v2 = await pushImage(g, "v2");
  await waitStatus(g, (s) => s.sync?.state === "Failed" && s.sync.pendingManifests === 1, "Failed with v2 pending");
  await rename(homeBlobs, homeBlobs + ".offline");
  await rename(regionDir + ".away", regionDir);
  try {
    // The replicator now reaches the replica but cannot read home: it says so, v2 still pending.
    const down = await waitStatus(g, (s) => /blobs directory is missing/.test(s.message), "failing on the home store");
    assert.equal(down.displayStatus, "Failed");
    assert.equal(down.sync.pendingManifests, 1);
    assert.ok(down.sync.lagSeconds > 0);

    // What the replica holds pulls through the replica's endpoint (the manifest from the metadata store).
    const m = await login(g, g.replica, "GET", `/v2/${REPO}/manifests/v1`, undefined, { accept: "application/vnd.oci.image.manifest.v1+json" });
    assert.equal(m.status, 200);
    assert.equal(m.headers["docker-content-digest"], v1.manifest);
    const served = await pullBlob(g, g.replica, v1.layer);
    assert.equal(new URL(served.location).hostname, dataHost(g, REPLICA));
    assert.equal(served.status, 200);
    assert.equal(served.servedFrom, REPLICA);
    assert.equal(served.digest, v1.layer);

    // The home region's clients, and what the replica does not hold yet: 503, retry later, not 404.
    for (const [region, digest] of [[g.home, v1.layer], [g.replica, v2.layer]] as const) {
      const p = await pullBlob(g, region, digest);
      assert.equal(p.status, 503, `${region.location} ${digest}: ${p.status} ${p.body}`);
      assert.equal(p.retryAfter, "5");
      assert.equal(JSON.parse(p.body).errors[0].code, "UNAVAILABLE");
    }

    // A push fails with the same catalogued error.
    const layer = randomBytes(4096);
    const digest = "sha256:" + createHash("sha256").update(layer).digest("hex");
    const push = await login(g, g.home, "POST", `/v2/${REPO}/blobs/uploads/?digest=${digest}`, layer, { "content-type": "application/octet-stream" });
    assert.equal(push.status, 503, push.body.toString());
    assert.equal(push.headers["retry-after"], "5");
    assert.equal(push.json().errors[0].code, "UNAVAILABLE");
  } finally {
    await rename(homeBlobs + ".offline", homeBlobs);
  }

  // Back: the pending manifest completes by itself, and every blob pulls from both regions.
  const t1 = Date.now();
  await synced(g, t1);
  for (const v of [v1, v2]) {
    const r = await pullBlob(g, g.replica, v.layer);
    assert.equal(r.servedFrom, REPLICA);
    assert.equal(r.digest, v.layer);
    const h = await pullBlob(g, g.home, v.layer);
    assert.equal(h.servedFrom, HOME);
    assert.equal(h.digest, v.layer);
  }
  const t2 = Date.now();
  const v3 = await pushImage(g, "v3");
  await synced(g, t2);
  assert.equal((await pullBlob(g, g.replica, v3.layer)).servedFrom, REPLICA);
});
