// skopeo (containers/image, Go: a client nobody here wrote) copies images into Cove and back over
// real TLS with ACR token auth, and the digests must not change on the way.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, mkdir, writeFile, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCove, type TestCove } from "../support/cove.js";
import { createRegistry, createServicePrincipal, assignRole, ROLE } from "../support/arm.js";
import { runWithHosts, have } from "../support/hosts.js";

const exec = promisify(execFile);
let cove: TestCove;
let work: string;
let loginServer: string;
let registryId: string;
let pusher: { appId: string; password: string };
let puller: { appId: string; password: string };
let certDir: string;

const skip = !(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)";

before(async () => {
  if (skip) return;
  cove = await startCove();
  work = await mkdtemp(join(tmpdir(), "cove-skopeo-"));
  ({ id: registryId, loginServer } = await createRegistry(cove, "skopeo-rg", "skopeoreg"));
  const p = await createServicePrincipal(cove, "skopeo-pusher");
  await assignRole(cove, registryId, p.objectId, ROLE.AcrPush);
  pusher = p;
  const q = await createServicePrincipal(cove, "skopeo-puller");
  await assignRole(cove, registryId, q.objectId, ROLE.AcrPull);
  puller = q;
  certDir = join(work, "certs");
  await mkdir(certDir);
  await writeFile(join(certDir, "ca.crt"), cove.ca);
});

after(async () => {
  if (skip) return;
  await cove?.stop();
  await rm(work, { recursive: true, force: true });
});

function skopeo(args: string[]) {
  return runWithHosts({ [loginServer.replace(/:\d+$/, "")]: "127.0.0.1" }, "skopeo", args, { timeoutMs: 240_000 });
}

async function digestOf(ref: string, extra: string[] = []): Promise<string> {
  const r = await skopeo(["inspect", "--raw", ...extra, ref]);
  assert.equal(r.code, 0, r.stderr);
  const { createHash } = await import("node:crypto");
  return "sha256:" + createHash("sha256").update(r.stdout).digest("hex");
}

test("a multi-layer image with a 64 MiB gzip layer goes in and comes back with identical digests", { skip }, async () => {
  const layout = join(work, "big");
  const { stdout } = await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", String(64 * 1024), "1024", "3"]);
  const manifestDigest = stdout.trim();
  const dest = `docker://${loginServer}/team/big:v1`;
  const push = await skopeo(["copy", "--dest-cert-dir", certDir, "--dest-creds", `${pusher.appId}:${pusher.password}`, `oci:${layout}:v1`, dest]);
  assert.equal(push.code, 0, push.stderr);
  assert.equal(await digestOf(dest, ["--cert-dir", certDir, "--creds", `${puller.appId}:${puller.password}`]), manifestDigest);

  const back = join(work, "big-back");
  const pull = await skopeo(["copy", "--src-cert-dir", certDir, "--src-creds", `${puller.appId}:${puller.password}`, dest, `oci:${back}:v1`]);
  assert.equal(pull.code, 0, pull.stderr);
  const index = JSON.parse(await readFile(join(back, "index.json"), "utf8"));
  assert.equal(index.manifests[0].digest, manifestDigest);
  // Every layer pulled back hashes to its digest (skopeo verifies, and so do we).
  const manifest = JSON.parse(await readFile(join(back, "blobs", "sha256", manifestDigest.slice(7)), "utf8"));
  const { createHash } = await import("node:crypto");
  for (const l of manifest.layers) {
    const bytes = await readFile(join(back, "blobs", "sha256", l.digest.slice(7)));
    assert.equal("sha256:" + createHash("sha256").update(bytes).digest("hex"), l.digest);
    assert.equal(bytes.length, l.size);
  }
});

test("a multi-platform index is copied with --all and keeps its digest", { skip }, async () => {
  const layout = join(work, "multi");
  const { stdout } = await exec(process.execPath, ["scripts/make-oci-image.mjs", "--index", layout, "v1", "256"]);
  const indexDigest = stdout.trim();
  const dest = `docker://${loginServer}/team/multi:v1`;
  const push = await skopeo(["copy", "--all", "--dest-cert-dir", certDir, "--dest-creds", `${pusher.appId}:${pusher.password}`, `oci:${layout}:v1`, dest]);
  assert.equal(push.code, 0, push.stderr);
  assert.equal(await digestOf(dest, ["--cert-dir", certDir, "--creds", `${puller.appId}:${puller.password}`]), indexDigest);
  const back = join(work, "multi-back");
  const pull = await skopeo(["copy", "--all", "--src-cert-dir", certDir, "--src-creds", `${puller.appId}:${puller.password}`, dest, `oci:${back}:v1`]);
  assert.equal(pull.code, 0, pull.stderr);
  const index = JSON.parse(await readFile(join(back, "index.json"), "utf8"));
  assert.equal(index.manifests[0].digest, indexDigest);
});

test("an AcrPull identity cannot push, and wrong credentials are refused", { skip }, async () => {
  const layout = join(work, "small");
  await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "4"]);
  const dest = `docker://${loginServer}/team/denied:v1`;
  const asPuller = await skopeo(["copy", "--dest-cert-dir", certDir, "--dest-creds", `${puller.appId}:${puller.password}`, `oci:${layout}:v1`, dest]);
  assert.notEqual(asPuller.code, 0);
  assert.match(asPuller.stderr, /denied|unauthorized|authentication required/i);
  const wrong = await skopeo(["copy", "--dest-cert-dir", certDir, "--dest-creds", `${pusher.appId}:not-the-secret`, `oci:${layout}:v1`, dest]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /unauthorized|authentication required|denied/i);
});

test("skopeo refuses Cove when it does not trust the CA (real TLS)", { skip }, async () => {
  const r = await skopeo(["inspect", "--creds", `${puller.appId}:${puller.password}`, `docker://${loginServer}/team/big:v1`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /certificate|x509/i);
});
