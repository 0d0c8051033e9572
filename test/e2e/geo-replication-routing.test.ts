// Replicas that hold the content, end to end with real clients (curl bound to each hub's client
// address, names resolved by Cove's DNS from that address): an image pushed in the home region is
// copied into the replica region's store, and a client whose endpoint and zone are in the replica
// region is sent to the replica's data endpoint, which serves the bytes from its own store. With
// the replica's store gone (its directory moved away: replication stops for real), a new image
// still pulls there, from home, never a 404, and catches up when the store is back. A replica
// taken out of routing (regionEndpointEnabled false) or deleted sends that client home.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCove, type TestCove } from "../support/cove.js";
import { HOME, REPLICA, NAME, dataHost, geoLanding, login, pullBlob, pushImage, resolve, synced, waitStatus, REPO, type Geo } from "./geo-replication-support.js";

let cove: TestCove;
let work: string;
let g: Geo;
let v1: Awaited<ReturnType<typeof pushImage>>;

before(async () => {
  // A sweep every second: a store that comes back is used within about a second.
  cove = await startCove({ replicationSweepSeconds: "1" });
  work = await mkdtemp(join(tmpdir(), "cove-geo-"));
  g = await geoLanding(cove, work, [161, 162]);
});
after(async () => {
  await cove?.stop();
  await rm(work, { recursive: true, force: true });
});

test("each hub's zone answers its own region's endpoint, for the login server and both data hosts", async () => {
  const homeLogin = await resolve(g, g.home.client, `${NAME}.${cove.suffix}`);
  const replicaLogin = await resolve(g, g.replica.client, `${NAME}.${cove.suffix}`);
  assert.match(homeLogin, /^127\.161\.1\./);
  assert.match(replicaLogin, /^127\.162\.1\./);
  for (const region of [HOME, REPLICA]) assert.match(await resolve(g, g.replica.client, dataHost(g, region)), /^127\.162\.1\./);
});

test("pushed in the home region, pulled in the replica's: the 307 names the replica's data host, whose own store serves the exact bytes", async () => {
  const t0 = Date.now();
  v1 = await pushImage(g, "v1");
  const s = await synced(g, t0);
  assert.equal(s.displayStatus, "Ready");
  assert.equal(s.sync.lagSeconds, 0);
  assert.ok(s.sync.lastSyncedAt, "lastSyncedAt after a manifest completed");
  const p = await pullBlob(g, g.replica, v1.layer);
  assert.equal(new URL(p.location).hostname, dataHost(g, REPLICA));
  assert.equal(p.status, 200);
  assert.equal(p.servedFrom, REPLICA);
  assert.equal(p.digest, v1.layer);
  // The home hub's client, meanwhile, is sent to the home data host, served from home.
  const h = await pullBlob(g, g.home, v1.layer);
  assert.equal(new URL(h.location).hostname, dataHost(g, HOME));
  assert.equal(h.servedFrom, HOME);
  assert.equal(h.digest, v1.layer);
});

test("with the replica's store gone, a new push still pulls in the replica region, from home; it catches up when the store is back", async () => {
  const regionDir = join(cove.dataDir, "regions", REPLICA);
  await rename(regionDir, regionDir + ".away");
  let v2: Awaited<ReturnType<typeof pushImage>>;
  try {
    v2 = await pushImage(g, "v2");
    const failed = await waitStatus(g, (s) => s.sync?.state === "Failed", "Failed");
    assert.equal(failed.displayStatus, "Failed");
    assert.equal(failed.sync.pendingManifests, 1);
    assert.equal(failed.sync.pendingBlobs, 2);
    assert.ok(failed.sync.pendingBytes >= v2.bytes.length);
    const p = await pullBlob(g, g.replica, v2.layer);
    assert.equal(new URL(p.location).hostname, dataHost(g, REPLICA));
    assert.equal(p.status, 200, p.body);
    assert.equal(p.servedFrom, HOME);
    assert.equal(p.digest, v2.layer);
    // Manifests come from the metadata store: the tag resolves in the replica region too.
    const m = await login(g, g.replica, "GET", `/v2/${REPO}/manifests/v2`, undefined, { accept: "application/vnd.oci.image.manifest.v1+json" });
    assert.equal(m.status, 200);
    assert.equal(m.headers["docker-content-digest"], v2.manifest);
  } finally {
    await rename(regionDir + ".away", regionDir);
  }
  // Back: the pending manifest completes by itself (the sweep), and the replica serves it.
  const t1 = Date.now();
  await synced(g, t1);
  const back = await pullBlob(g, g.replica, v2.layer);
  assert.equal(back.status, 200);
  assert.equal(back.servedFrom, REPLICA);
  assert.equal(back.digest, v2.layer);
});

test("regionEndpointEnabled false (PATCH through the API) sends the replica region's client to the home data host; true brings it back", async () => {
  await g.home.land.acr.replications.beginUpdateAndWait("geo-weu", NAME, REPLICA, { regionEndpointEnabled: false });
  const off = await pullBlob(g, g.replica, v1.layer);
  assert.equal(new URL(off.location).hostname, dataHost(g, HOME));
  assert.equal(off.status, 200);
  assert.equal(off.servedFrom, HOME);
  assert.equal(off.digest, v1.layer);
  await g.home.land.acr.replications.beginUpdateAndWait("geo-weu", NAME, REPLICA, { regionEndpointEnabled: true });
  const on = await pullBlob(g, g.replica, v1.layer);
  assert.equal(new URL(on.location).hostname, dataHost(g, REPLICA));
  assert.equal(on.servedFrom, REPLICA);
});

test("the replica deleted: its member and its data host's record leave the endpoint and the zone, and the replica region's client pulls from home", async () => {
  await g.home.land.acr.replications.beginDeleteAndWait("geo-weu", NAME, REPLICA);
  assert.equal(await resolve(g, g.replica.client, dataHost(g, REPLICA)), "");
  // The endpoint's NIC lost that member (its DNS configs list the names its addresses serve).
  const pe = await g.replica.land.net.privateEndpoints.get("geo-neu", g.replica.endpoint);
  assert.deepEqual(pe.customDnsConfigs!.map((c) => c.fqdn).sort(), [dataHost(g, HOME), `${NAME}.${cove.suffix}`].sort());
  const p = await pullBlob(g, g.replica, v1.layer);
  assert.equal(new URL(p.location).hostname, dataHost(g, HOME));
  assert.equal(p.status, 200);
  assert.equal(p.servedFrom, HOME);
  assert.equal(p.digest, v1.layer);
});
