// Which region a blob download is sent to and served from, decided in process over real embedded
// stores (the socket-level flows are in geo-replication-routing.test.ts): only the socket's private
// endpoint picks a replica (its region must be an ENABLED replica of this registry), public clients
// go home unless replicationPublicRegion names an enabled replica, and no header moves anyone. A
// replica's data host serves its own copy when it has one, home's otherwise, and says which.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pino } from "pino";
import { createDataPlane } from "../../src/data-plane/index.js";
import { openRegionStores } from "../../src/storage/region-stores.js";
import type { RegistryView } from "../../src/domain/registry.js";
import { openHarness, pushBlob, REGISTRY } from "../data-plane/harness.js";
import { allowAllAuth } from "../data-plane/allow-all-auth.js";
import { callPlane, follow } from "../data-endpoint/harness.js";
import { fakeContext } from "../support/context.js";

const NAME = "library/hello";
const GEO: RegistryView = {
  ...REGISTRY, dataEndpointEnabled: true,
  replicas: [{ location: "northeurope", regionEndpointEnabled: true }, { location: "eastus", regionEndpointEnabled: false }],
};
// Private endpoint IPs and their regions, as the state view's network snapshot has them.
const ENDPOINTS: Record<string, string> = { "127.171.1.4": "northeurope", "127.172.1.4": "eastus", "127.173.1.4": "westus", "127.174.1.4": "westeurope" };

async function geoPlane(publicRegion?: string) {
  const h = await openHarness();
  const regions = openRegionStores(h.dir);
  const plane = createDataPlane({
    meta: h.meta, blobs: h.blobs, regions, auth: allowAllAuth(), log: pino({ level: "silent" }), dataEndpointKey: randomBytes(32),
    endpointRegion: (ip) => ENDPOINTS[ip], publicRegion,
  });
  /** The login server's 307 for a client on `address` (a private endpoint IP, or the public endpoint), with extra headers. */
  async function redirectHost(digest: string, address: string, headers: Record<string, string> = {}): Promise<string> {
    const via = address in ENDPOINTS ? "private" : "public";
    const ctx = fakeContext({ method: "GET", url: `/v2/${NAME}/blobs/${digest}`, headers: { host: "myreg.cove.test:8444", ...headers }, listener: { kind: "registry", address, port: 8444, via } });
    const r = await plane.handle(ctx, GEO);
    assert.equal(r.status, 307);
    return new URL(String(r.headers!.Location)).hostname;
  }
  return { h, regions, plane, redirectHost, close: async () => { await regions.close(); await h.close(); } };
}

const host = (region: string) => `myreg.${region}.data.cove.test`;

test("the socket's private endpoint picks the region, only an enabled replica's; public clients go home; headers move nobody", async () => {
  const g = await geoPlane();
  try {
    const digest = await pushBlob(g.h, NAME, "layer");
    assert.equal(await g.redirectHost(digest, "127.171.1.4"), host("northeurope"));
    assert.equal(await g.redirectHost(digest, "127.172.1.4"), host("westeurope"), "eastus is a replica with regionEndpointEnabled false");
    assert.equal(await g.redirectHost(digest, "127.173.1.4"), host("westeurope"), "westus is no replica of this registry");
    assert.equal(await g.redirectHost(digest, "127.174.1.4"), host("westeurope"));
    assert.equal(await g.redirectHost(digest, "127.0.0.1"), host("westeurope"));
    // Whatever a client writes in its headers, the region is the socket's.
    const spoof = { "x-forwarded-for": "127.171.1.4", "x-ms-region": "northeurope", "x-cove-region": "northeurope" };
    assert.equal(await g.redirectHost(digest, "127.0.0.1", spoof), host("westeurope"));
    assert.equal(await g.redirectHost(digest, "127.174.1.4", spoof), host("westeurope"));
  } finally {
    await g.close();
  }
});

test("replicationPublicRegion sends public clients to that replica when it is enabled, and home when it is not one", async () => {
  for (const [publicRegion, want] of [["northeurope", "northeurope"], ["eastus", "westeurope"], ["westus", "westeurope"]] as const) {
    const g = await geoPlane(publicRegion);
    try {
      const digest = await pushBlob(g.h, NAME, "layer");
      assert.equal(await g.redirectHost(digest, "127.0.0.1"), host(want), publicRegion);
      assert.equal(await g.redirectHost(digest, "127.174.1.4"), host("westeurope"), "a private client is never moved by it");
    } finally {
      await g.close();
    }
  }
});

test("a replica's data host serves its own copy when it has one, home's otherwise, and says which; the home data host always home's", async () => {
  const g = await geoPlane();
  try {
    const bytes = Buffer.from("replicated bytes");
    const digest = await pushBlob(g.h, NAME, bytes);
    const get = async (region: string) => {
      const redirect = await g.plane.handle(fakeContext({ method: "GET", url: `/v2/${NAME}/blobs/${digest}`, headers: { host: "myreg.cove.test:8444" } }), GEO);
      const next = follow(String(redirect.headers!.Location));
      const r = await callPlane(g.plane, "GET", next.url, { host: `${host(region)}:8444`, registry: GEO });
      return { status: r.status, from: r.headers["x-cove-served-from"], body: r.body };
    };
    assert.deepEqual(await get("northeurope"), { status: 200, from: "westeurope", body: bytes }, "not replicated yet: home's bytes, never a 404");
    const store = await g.regions.get("northeurope");
    await store.createUpload("copy-00000001");
    await store.appendUpload("copy-00000001", 0, Readable.from([bytes]));
    await store.commitUpload("copy-00000001", digest);
    assert.deepEqual(await get("northeurope"), { status: 200, from: "northeurope", body: bytes });
    assert.deepEqual(await get("westeurope"), { status: 200, from: "westeurope", body: bytes });
  } finally {
    await g.close();
  }
});
