// Issue 13's engine outages under load, on three `cove serve` nodes sharing one PostgreSQL and one
// Azurite container: each engine is stopped for 5 s while every node is asked for manifests, blobs,
// uploads and ARM reads and writes. Every answer meanwhile is a success or the catalogued 503 of its
// surface (OCI UNAVAILABLE, ARM ServiceUnavailable), never a 500 or a hang; once the engine is back
// every node serves again by itself (no node restarted), within 10 s, and every image pushed before
// pulls with its digests from every node.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { HttpResult } from "../support/http.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { startAzurite, type TestAzurite } from "../support/azurite.js";
import {
  armCall, makeRegistry, managementTokenFrom, registryCall, registryTokenFrom, sha256, startNodes, type Cluster, type CoveNode,
} from "../support/nodes.js";
import { pushImage, randomImage, type Image } from "./scale-out-push.js";

const OUTAGE_MS = 5000;
const RECOVERY_MS = 10_000;
const REQUEST_MS = 12_000;
const MAX_ROUNDS = 80;
let pg: TestPostgres;
let azurite: TestAzurite;
let work: string;
let cluster: Cluster;
let token: string;
let auth: string;
let reg: { id: string; loginServer: string; host: string };
const images: Image[] = [];

before(async () => {
  [pg, azurite] = await Promise.all([startPostgres(), startAzurite()]);
  work = await mkdtemp(join(tmpdir(), "cove-scale-outage-"));
  const env = { COVE_METADATA_URL: await pg.createDatabase("cove_scale_outage"), COVE_BLOB_CONNECTION_STRING: azurite.connectionString, COVE_BLOB_CONTAINER: "cove-outage", COVE_LOG_LEVEL: "info" };
  cluster = await startNodes({ workDir: work, env, together: true });
  const a = cluster.nodes[0]!;
  token = await managementTokenFrom(a, cluster.ca);
  reg = await makeRegistry(a, cluster.ca, token, "outage-rg", "outagereg");
  auth = await registryTokenFrom(a, cluster, reg.loginServer, "repository:team/app:pull,push");
  // One image pushed through each node before anything stops.
  for (const [i, n] of cluster.nodes.entries()) {
    const img = randomImage(`v${i}`, 300_000 + i);
    assert.equal(await pushImage(n, cluster, reg.loginServer, "team/app", img, auth, { uploads: new Map() }), 201, `push through node ${n.name}`);
    images.push(img);
  }
});

after(async () => {
  await cluster?.stop();
  await Promise.all([pg?.stop(), azurite?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

type Ask = { what: string; surface: "oci" | "arm"; send: (n: CoveNode) => Promise<HttpResult> };

const v2 = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) => (n: CoveNode) =>
  registryCall(n, cluster, reg.loginServer, method, path, { auth, body, headers, ms: REQUEST_MS });
const arm = (method: string, path: string, body?: object) => (n: CoveNode) => armCall(n, cluster.ca, token, method, path, body, REQUEST_MS);

/** The code a refusal carries: OCI errors[0].code or ARM error.code. */
function code(r: HttpResult): string | undefined {
  try {
    const b = r.json();
    return b?.errors?.[0]?.code ?? b?.error?.code;
  } catch {
    return undefined;
  }
}

/** One round: every ask on every node at once; a request that hangs is a failure. */
async function round(asks: Ask[]): Promise<{ node: CoveNode; ask: Ask; r: HttpResult }[]> {
  return Promise.all(cluster.nodes.flatMap((node) => asks.map(async (ask) => ({ node, ask, r: await ask.send(node) }))));
}

/**
 * Runs `asks` on every node while the engine is stopped for OUTAGE_MS, checks each answer, restarts
 * it, and returns what was seen and how long each node took to answer every ask again.
 */
async function outage(engine: string, halt: () => Promise<void>, restart: () => Promise<void>, asks: Ask[]): Promise<Map<string, number>> {
  for (const { node, ask, r } of await round(asks)) assert.ok(r.status < 300, `${ask.what} on node ${node.name} before the outage: ${r.status} ${r.body}`);
  await halt();
  const haltedAt = Date.now();
  const seen = new Map<string, number>();
  try {
    for (let i = 0; i < MAX_ROUNDS && Date.now() - haltedAt < OUTAGE_MS; i++) {
      for (const { node, ask, r } of await round(asks)) {
        const key = r.status < 300 ? `${ask.what} ${r.status}` : `${ask.what} ${r.status} ${code(r)}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (r.status < 300) continue;
        assert.equal(r.status, 503, `${ask.what} on node ${node.name} while ${engine} is down: ${r.status} ${r.body}`);
        assert.equal(code(r), ask.surface === "arm" ? "ServiceUnavailable" : "UNAVAILABLE", `${ask.what} on node ${node.name}: ${r.body}`);
      }
      await sleep(200);
    }
  } finally {
    // Back in any case, so a failure here does not take the next test's engine with it.
    console.log(`${engine} down ${Date.now() - haltedAt} ms, answers:`, Object.fromEntries(seen));
    await restart();
  }
  const back = Date.now();
  const recovered = new Map<string, number>();
  for (let i = 0; i < MAX_ROUNDS && recovered.size < cluster.nodes.length && Date.now() - back < RECOVERY_MS; i++) {
    const answers = await round(asks);
    for (const node of cluster.nodes) {
      if (!recovered.has(node.name) && answers.every((x) => x.node !== node || x.r.status < 300)) recovered.set(node.name, Date.now() - back);
    }
    if (recovered.size < cluster.nodes.length) await sleep(100);
  }
  console.log(`${engine} back: every node answered every request again after`, Object.fromEntries(recovered), "ms");
  for (const n of cluster.nodes) {
    assert.ok(recovered.has(n.name), `node ${n.name} serves again within ${RECOVERY_MS} ms of ${engine}'s return, by itself`);
    assert.equal(n.child.exitCode, null, `node ${n.name} was not restarted`);
  }
  return seen;
}

/** Every image pushed before is there, byte for byte, on every node. */
async function everyImageIntact(): Promise<void> {
  for (const n of cluster.nodes) {
    for (const img of images) {
      const m = await v2("GET", `/v2/team/app/manifests/${img.tag}`, undefined, { accept: img.mediaType })(n);
      assert.equal(m.status, 200, `${img.tag} on node ${n.name}`);
      assert.equal(sha256(m.body), img.digest, `${img.tag} on node ${n.name}`);
      for (const d of img.blobs) {
        const b = await v2("GET", `/v2/team/app/blobs/${d}`)(n);
        assert.equal(b.status, 200, `${d} on node ${n.name}`);
        assert.equal(sha256(b.body), d, `${d} from node ${n.name} matches its digest`);
      }
    }
  }
}

/** A small blob pushed in one request (POST ?digest=), new bytes every time. */
const monolithic = (): ((n: CoveNode) => Promise<HttpResult>) => (n) => {
  const bytes = randomBytes(4096);
  return v2("POST", `/v2/team/app/blobs/uploads/?digest=${sha256(bytes)}`, bytes, { "content-type": "application/octet-stream" })(n);
};

test("PostgreSQL stopped for 5 s under load on 3 nodes: catalogued 503s only, every node serves again by itself, nothing lost", async () => {
  const sub = `/subscriptions/${cluster.nodes[0]!.credentials.subscriptionId}`;
  const seen = await outage("PostgreSQL", () => pg.halt(), () => pg.restart(), [
    { what: "manifest by tag", surface: "oci", send: v2("GET", "/v2/team/app/manifests/v0", undefined, { accept: images[0]!.mediaType }) },
    { what: "blob", surface: "oci", send: v2("GET", `/v2/team/app/blobs/${images[1]!.blobs[0]}`) },
    { what: "blob upload", surface: "oci", send: monolithic() },
    { what: "ARM GET registry", surface: "arm", send: arm("GET", `${reg.id}?api-version=2025-11-01`) },
    { what: "ARM PUT resource group", surface: "arm", send: arm("PUT", `${sub}/resourcegroups/outage-rg?api-version=2021-04-01`, { location: "westeurope" }) },
  ]);
  for (const k of ["manifest by tag 503 UNAVAILABLE", "blob upload 503 UNAVAILABLE", "ARM PUT resource group 503 ServiceUnavailable"]) {
    assert.ok(seen.has(k), `${k} was seen while PostgreSQL was down`);
  }
  await everyImageIntact();
  // What an operator reads: each node warned of the outage once, nothing at error, no stack.
  for (const n of cluster.nodes) {
    const lines = n.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: number; msg: string });
    assert.equal(lines.filter((l) => /metadata store is unavailable/.test(l.msg)).length, 1, `node ${n.name} logged the outage once`);
    // A minute's registry token counts whose window ends while the store is down are retried
    // (audit/token-aggregate.ts), not dropped with "token aggregate append failed".
    const errors = lines.filter((l) => l.level >= 50).map((l) => l.msg);
    assert.deepEqual(errors, [], `node ${n.name} logged nothing else at error`);
    assert.doesNotMatch(n.output(), /\n\s+at /, `node ${n.name} printed no stack`);
  }
});

test("Azurite stopped for 5 s under load on 3 nodes: blob requests get catalogued 503s, manifests still serve, every node recovers by itself", async () => {
  const seen = await outage("Azurite", () => azurite.halt(), () => azurite.restart(), [
    { what: "manifest by tag", surface: "oci", send: v2("GET", "/v2/team/app/manifests/v1", undefined, { accept: images[1]!.mediaType }) },
    { what: "blob", surface: "oci", send: v2("GET", `/v2/team/app/blobs/${images[2]!.blobs[0]}`) },
    { what: "blob upload", surface: "oci", send: monolithic() },
  ]);
  for (const k of ["blob 503 UNAVAILABLE", "blob upload 503 UNAVAILABLE"]) assert.ok(seen.has(k), `${k} was seen while Azurite was down`);
  assert.ok(!seen.has("manifest by tag 503 UNAVAILABLE"), "a manifest is metadata: it is served while the blob store is down");
  await everyImageIntact();
  // Every node that met the outage said so once, and once that it was over (the load reaches every node).
  for (const n of cluster.nodes) {
    const msgs = n.output().split("\n").filter((l) => l.startsWith("{")).map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.equal(msgs.filter((m) => /Azure Blob Storage blob store is unavailable/.test(m)).length, 1, `node ${n.name} logged the outage once: ${msgs.join(" | ")}`);
    assert.equal(msgs.filter((m) => /Azure Blob Storage blob store is available again/.test(m)).length, 1, `node ${n.name} logged its end once`);
  }
});
