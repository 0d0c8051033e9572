// Issue 13's data plane across nodes: three `cove serve` processes on one PostgreSQL and one Azurite
// container, started at the same moment, behave as one registry. They end with one tenant, one
// bootstrap Owner and one CA; an image pushed with skopeo through node A pulls through node B; a
// chunked upload started on A continues on B and is committed on C (and a wrong digest leaves
// nothing); node A killed with SIGKILL in the middle of 8 pushes loses no acknowledged manifest, the
// failed pushes resume through C, and every blob any node serves matches its digest.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { BlobServiceClient } from "@azure/storage-blob";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { startAzurite, type TestAzurite } from "../support/azurite.js";
import { have, runWithHosts } from "../support/hosts.js";
import {
  armOk, makeRegistry, managementTokenFrom, registryCall, registryTokenFrom, sha256, startNodes, type Cluster, type CoveNode,
} from "../support/nodes.js";
import { pushImage, randomImage, type PushState } from "./scale-out-push.js";

const exec = promisify(execFile);
const skip = !(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)";
const CONTAINER = "cove-scale";
let pg: TestPostgres;
let azurite: TestAzurite;
let work: string;
let cluster: Cluster;
let a: CoveNode, b: CoveNode, c: CoveNode;
let token: string;
let reg: { id: string; loginServer: string; host: string };

before(async () => {
  [pg, azurite] = await Promise.all([startPostgres(), startAzurite()]);
  work = await mkdtemp(join(tmpdir(), "cove-scale-data-"));
  const env = { COVE_METADATA_URL: await pg.createDatabase("cove_scale"), COVE_BLOB_CONNECTION_STRING: azurite.connectionString, COVE_BLOB_CONTAINER: CONTAINER };
  const started = Date.now();
  cluster = await startNodes({ workDir: work, env, together: true });
  console.log(`3 nodes started at once in ${Date.now() - started} ms`);
  [a, b, c] = cluster.nodes as [CoveNode, CoveNode, CoveNode];
  token = await managementTokenFrom(a, cluster.ca);
  reg = await makeRegistry(a, cluster.ca, token, "scale-rg", "scalereg");
});

after(async () => {
  await cluster?.stop();
  await Promise.all([pg?.stop(), azurite?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

test("3 nodes started at once share one tenant, one bootstrap Owner and one CA, and A's token works on every node", async () => {
  const creds = cluster.nodes.map((n) => n.credentials);
  for (const k of ["tenantId", "subscriptionId", "clientId", "clientSecret"] as const) {
    assert.equal(new Set(creds.map((x) => x[k])).size, 1, `${k} is the same in every credentials.json`);
  }
  assert.equal(new Set(cluster.nodes.map((n) => n.ca)).size, 1, "ca/ca.crt is the same file on every node");
  const sub = `/subscriptions/${a.credentials.subscriptionId}`;
  for (const n of cluster.nodes) {
    const sps = (await armOk(n, cluster.ca, token, "GET", "/cove/identity/servicePrincipals")).value as { displayName: string }[];
    assert.equal(sps.filter((s) => s.displayName === "cove-bootstrap").length, 1, `one bootstrap principal, seen from node ${n.name}`);
    const ras = (await armOk(n, cluster.ca, token, "GET", `${sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`)).value as any[];
    const owners = ras.filter((r) => r.properties.scope === sub && r.properties.roleDefinitionId.endsWith("/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"));
    assert.equal(owners.length, 1, `one Owner on the subscription, seen from node ${n.name}`);
  }
});

test("skopeo pushes through node A and pulls the same image through node B", { skip }, async () => {
  const certDir = join(work, "certs");
  await mkdir(certDir, { recursive: true });
  await writeFile(join(certDir, "ca.crt"), cluster.ca);
  const layout = join(work, "img");
  const digest = (await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "1024", "64"])).stdout.trim();
  const creds = `${a.credentials.clientId}:${a.credentials.clientSecret}`;
  const ref = `docker://${reg.loginServer}/team/app:v1`;
  const skopeo = (node: CoveNode, args: string[]) => runWithHosts({ [reg.host]: node.ip }, "skopeo", args, { timeoutMs: 60_000 });
  const push = await skopeo(a, ["copy", "--retry-times", "0", "--dest-cert-dir", certDir, "--dest-creds", creds, `oci:${layout}:v1`, ref]);
  assert.equal(push.code, 0, push.stderr);
  const back = join(work, "back");
  const pull = await skopeo(b, ["copy", "--retry-times", "0", "--src-cert-dir", certDir, "--src-creds", creds, ref, `oci:${back}:v1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(JSON.parse(await readFile(join(back, "index.json"), "utf8")).manifests[0].digest, digest, "B serves the manifest A took");
  const manifest = JSON.parse(await readFile(join(back, "blobs", "sha256", digest.slice(7)), "utf8"));
  for (const d of [manifest.config.digest, ...manifest.layers.map((l: { digest: string }) => l.digest)]) {
    assert.equal(sha256(await readFile(join(back, "blobs", "sha256", d.slice(7)))), d, `${d} pulled through B matches its digest`);
  }
});

test("a chunked upload started on A, continued on B and finished on C is one blob; a wrong digest at the end leaves nothing", async () => {
  const auth = await registryTokenFrom(a, cluster, reg.loginServer, "repository:team/chunked:pull,push");
  const call = (n: CoveNode, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) =>
    registryCall(n, cluster, reg.loginServer, method, path, { auth, body, headers });
  const upload = async (chunks: Buffer[], digest: string) => {
    const started = await call(a, "POST", "/v2/team/chunked/blobs/uploads/");
    assert.equal(started.status, 202, started.body.toString());
    const location = String(started.headers.location);
    let offset = 0;
    for (const [i, node] of [a, b].entries()) {
      const chunk = chunks[i]!;
      const r = await call(node, "PATCH", location, chunk, { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + chunk.length - 1}` });
      assert.equal(r.status, 202, `PATCH on node ${node.name}: ${r.body}`);
      offset += chunk.length;
      assert.equal(r.headers.range, `0-${offset - 1}`, `node ${node.name} has every byte so far`);
    }
    return call(c, "PUT", `${location}?digest=${digest}`, chunks[2], { "content-type": "application/octet-stream" });
  };
  // 5 MiB + 3 MiB + 1 MiB: the first chunk crosses a 4 MiB block, the last comes with the PUT.
  const chunks = [randomBytes(5 << 20), randomBytes(3 << 20), randomBytes(1 << 20)];
  const whole = Buffer.concat(chunks);
  const done = await upload(chunks, sha256(whole));
  assert.equal(done.status, 201, done.body.toString());
  assert.equal(done.headers["docker-content-digest"], sha256(whole));
  const got = await call(a, "GET", `/v2/team/chunked/blobs/${sha256(whole)}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.length, whole.length);
  assert.equal(sha256(got.body), sha256(whole), "A serves the bytes B and C took");

  const other = [randomBytes(1 << 20), randomBytes(1 << 20), randomBytes(4096)];
  const wrong = sha256(randomBytes(32));
  const refused = await upload(other, wrong);
  assert.equal(refused.status, 400, refused.body.toString());
  assert.equal(refused.json().errors[0].code, "DIGEST_INVALID");
  for (const n of cluster.nodes) {
    for (const d of [wrong, sha256(Buffer.concat(other))]) {
      assert.equal((await call(n, "HEAD", `/v2/team/chunked/blobs/${d}`)).status, 404, `${d} on node ${n.name}`);
    }
  }
  const names: string[] = [];
  for await (const x of BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER).listBlobsFlat()) names.push(x.name);
  for (const d of [wrong, sha256(Buffer.concat(other))]) assert.ok(!names.includes(`blobs/sha256/${d.slice(7)}`), `no ${d} in the container`);
});

test("node A killed -9 in the middle of 8 pushes: no acknowledged manifest is lost, the rest resume through C, every blob matches its digest", async () => {
  const auth = await registryTokenFrom(a, cluster, reg.loginServer, "repository:team/many:pull,push");
  // Push i carries a (i+1) x 512 KiB layer sent in 256 KiB chunks: the small ones finish first.
  const images = Array.from({ length: 8 }, (_, i) => randomImage(`v${i}`, (i + 1) * 512 * 1024));
  const acked = new Set<number>();
  const states: PushState[] = images.map(() => ({ uploads: new Map() }));
  let killedAt = -1;
  const kill = () => { if (killedAt < 0) { killedAt = acked.size; a.child.kill("SIGKILL"); } };
  const pushes = images.map((img, i) => pushImage(a, cluster, reg.loginServer, "team/many", img, auth, states[i]!)
    .then((status) => { if (status === 201) acked.add(i); if (acked.size >= 3) kill(); return status; }, (e: Error) => e));
  const first = await Promise.all(pushes);
  await a.stop("SIGKILL");
  const failed = first.map((r, i) => (r === 201 ? -1 : i)).filter((i) => i >= 0);
  console.log(`A killed after ${killedAt} acknowledged manifests; ${acked.size} acknowledged, ${failed.length} failed: ${first.map((r) => (r instanceof Error ? r.message.slice(0, 40) : r)).join(" | ")}`);
  assert.ok(killedAt >= 3, "A was killed while pushes were running");
  assert.ok(failed.length >= 1, "some pushes were cut by the kill");

  // Resume through C: blobs C already has are skipped, an upload session A opened continues where C says it stands.
  let resumedSessions = 0;
  for (const i of failed) {
    const status = await pushImage(c, cluster, reg.loginServer, "team/many", images[i]!, auth, states[i]!, () => resumedSessions++);
    assert.equal(status, 201, `push ${i} resumed through C`);
  }
  console.log(`resumed ${failed.length} pushes through C, continuing ${resumedSessions} of A's upload sessions`);

  await a.restart();
  // Every image on every node (A started again on its data dir), the nodes and images at once.
  await Promise.all(cluster.nodes.flatMap((n) => images.map(async (img) => {
    const m = await registryCall(n, cluster, reg.loginServer, "GET", `/v2/team/many/manifests/${img.tag}`, { auth, headers: { accept: img.mediaType } });
    assert.equal(m.status, 200, `${img.tag} on node ${n.name}`);
    assert.equal(sha256(m.body), img.digest, `${img.tag} on node ${n.name} is the manifest pushed`);
    for (const d of img.blobs) {
      const blob = await registryCall(n, cluster, reg.loginServer, "GET", `/v2/team/many/blobs/${d}`, { auth });
      assert.equal(blob.status, 200, `${d} on node ${n.name}`);
      assert.equal(sha256(blob.body), d, `${d} served by node ${n.name} matches its digest`);
    }
  })));
  // The container itself: every committed blob is what its name says, and no partial one is there.
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER);
  let checked = 0;
  for await (const x of container.listBlobsFlat({ prefix: "blobs/" })) {
    const bytes = await container.getBlobClient(x.name).downloadToBuffer();
    assert.equal(sha256(bytes).slice(7), x.name.split("/").pop(), `${x.name} holds the bytes of its digest`);
    checked++;
  }
  console.log(`${checked} committed blobs in the container, each matching its digest`);
});
