// What src/state/ reads out of the store: the landing zone written through Microsoft's SDKs
// (landing-zone.ts) into a running Cove, read back through a second store on the same data directory
// (SQLite in WAL mode allows readers beside the writer), gives exactly the hand-built facts the
// policy tests use (test/network-policy/landing-zone-facts.ts). So those pure tables describe what
// Cove really stores, and a change of stored shapes fails here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { openStores } from "../../src/storage/open.js";
import type { BlobStore, MetadataStore } from "../../src/storage/types.js";
import { readStateFacts, type StateFacts } from "../../src/state/index.js";
import { buildLandingZone, type LandingZone } from "./landing-zone.js";
import { landingZone, landingZoneFacts } from "../network-policy/landing-zone-facts.js";

let cove: TestCove;
let stores: { blobs: BlobStore; meta: MetadataStore };
let lz: LandingZone;
let facts: StateFacts;

before(async () => {
  // Any free DNS port: other test files (or a running Cove) may hold the default 5353.
  cove = await startCove({ dnsListen: "127.0.0.1:0" });
  lz = await buildLandingZone(cove);
  stores = await openStores(cove.dataDir);
  facts = await readStateFacts(stores.meta, cove.suffix);
});
after(async () => {
  await stores?.meta.close();
  await stores?.blobs.close();
  await cove?.stop();
});

test("the SDK-written landing zone's ids are the hand-built ones", () => {
  assert.deepEqual(lz, landingZone(cove.credentials.subscriptionId, cove.suffix));
});

test("network facts: exactly the hand-built table (subnets, peerings, endpoint addresses, registries, zones, links)", () => {
  const want = landingZoneFacts(cove.credentials.subscriptionId, cove.suffix);
  for (const key of Object.keys(want) as Array<keyof typeof want>) assert.deepEqual(facts.network[key], want[key], key);
  assert.deepEqual(facts.network, want);
});

test("registry views: every registry, in id order, as the data plane sees it", () => {
  assert.deepEqual(facts.registries.map((r) => r.name), ["contosoacr", "openacr", "otheracr"]);
  const contoso = facts.registries[0]!;
  assert.equal(contoso.key, lz.registry.contoso);
  assert.equal(contoso.id.toLowerCase(), lz.registry.contoso);
  assert.notEqual(contoso.id, contoso.key, "the id keeps the case it was created with");
  assert.equal(contoso.loginServer, `contosoacr.${cove.suffix}:${cove.registryPort}`);
  assert.equal(contoso.publicNetworkAccess, "Disabled");
  assert.equal(contoso.dataEndpointEnabled, true, "a private endpoint turned the data endpoint on");
  assert.equal(contoso.sku, "Premium");
});

test("the facts are plain data (a worker thread can be posted them)", () => {
  assert.deepEqual(structuredClone(facts), facts);
  assert.deepEqual(JSON.parse(JSON.stringify(facts)), facts);
});
