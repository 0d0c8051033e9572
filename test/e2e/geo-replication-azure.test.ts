// Replica regions on the Azure Blob Storage driver (Azurite): the replica's store is the container
// `<blobContainer>-<region>` of the same account, created when first used; an image pushed in the
// home region is copied there (the blob is in that container, read back through the Storage SDK),
// and the replica region's client is served from it. Runs in the second lane (it waits on Azurite).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { startCove, type TestCove } from "../support/cove.js";
import { startAzurite, type TestAzurite } from "../support/azurite.js";
import { REPLICA, dataHost, geoLanding, pullBlob, pushImage, synced, type Geo } from "./geo-replication-support.js";

let azurite: TestAzurite;
let cove: TestCove;
let work: string;
let g: Geo;

before(async () => {
  azurite = await startAzurite();
  cove = await startCove({ blobConnectionString: azurite.connectionString, blobContainer: "geo", replicationSweepSeconds: "1" });
  work = await mkdtemp(join(tmpdir(), "cove-geo-azure-"));
  g = await geoLanding(cove, work, [165, 166]);
});
after(async () => {
  await cove?.stop();
  await azurite?.stop();
  await rm(work, { recursive: true, force: true });
});

test("the replica's store is the container geo-northeurope: the pushed layer is copied there, and the replica region is served from it", async () => {
  const t0 = Date.now();
  const v1 = await pushImage(g, "v1", 1024 * 1024);
  await synced(g, t0);
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const containers: string[] = [];
  for await (const c of service.listContainers()) containers.push(c.name);
  assert.deepEqual(containers.sort(), ["geo", "geo-northeurope"]);
  const copied = await service.getContainerClient("geo-northeurope").getBlobClient(`blobs/sha256/${v1.layer.slice(7)}`).downloadToBuffer();
  assert.equal("sha256:" + createHash("sha256").update(copied).digest("hex"), v1.layer);
  const p = await pullBlob(g, g.replica, v1.layer);
  assert.equal(new URL(p.location).hostname, dataHost(g, REPLICA));
  assert.equal(p.status, 200);
  assert.equal(p.servedFrom, REPLICA);
  assert.equal(p.digest, v1.layer);
});
