// Issue 7 item 9: DELETE of a blob that a manifest still references used to answer 202 and leave
// the image pointing at a 404. Over real HTTPS as an Owner: the delete is refused with the
// catalogued DENIED (BLOB_REFERENCED), the image still pulls, and once the manifest is gone the
// same delete succeeds.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { have, runWithHosts } from "../support/hosts.js";
import { OCI_ERRORS } from "../../src/data-plane/errors.js";
import { OCI_INDEX, pushImage, sha256, startRealRegistry, type PushedImage, type RealRegistry } from "./real-registry.js";

const exec = promisify(execFile);
const noSkopeo = !(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)";
let reg: RealRegistry;
let work: string;
before(async () => {
  reg = await startRealRegistry("blobdelreg");
  work = await mkdtemp(join(tmpdir(), "cove-blobdel-"));
});
after(async () => {
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Pulls the image as a client would: manifest by tag, then every blob, each checked by digest. */
async function assertPulls(repo: string, tag: string, img: PushedImage): Promise<void> {
  const m = await reg.call("GET", `/v2/${repo}/manifests/${tag}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
  assert.equal(m.status, 200);
  assert.equal(sha256(m.body), img.digest);
  for (const b of [img.config, img.layer]) {
    const got = await reg.call("GET", `/v2/${repo}/blobs/${b.digest}`);
    assert.equal(got.status, 200, `blob ${b.digest}`);
    assert.equal(sha256(got.body), b.digest);
  }
}

function assertRefused(res: Awaited<ReturnType<RealRegistry["call"]>>, blob: string, manifest: string): void {
  assert.equal(res.status, 403);
  const err = res.json().errors[0];
  assert.equal(err.code, "DENIED");
  assert.equal(err.message, OCI_ERRORS.BLOB_REFERENCED.message);
  assert.equal(err.detail.digest, blob);
  assert.deepEqual(err.detail.manifests, [manifest]);
}

describe("deleting a blob that a manifest references", () => {
  it("refuses the config and a layer while the manifest exists, and the image still pulls", async () => {
    const img = await pushImage(reg, "team/app", "v1");
    assertRefused(await reg.call("DELETE", `/v2/team/app/blobs/${img.config.digest}`), img.config.digest, img.digest);
    assertRefused(await reg.call("DELETE", `/v2/team/app/blobs/${img.layer.digest}`), img.layer.digest, img.digest);
    await assertPulls("team/app", "v1", img);

    // Manifest first, then the blobs go (202), and are gone (404).
    assert.equal((await reg.call("DELETE", `/v2/team/app/manifests/${img.digest}`)).status, 202);
    for (const b of [img.config.digest, img.layer.digest]) {
      assert.equal((await reg.call("DELETE", `/v2/team/app/blobs/${b}`)).status, 202);
      assert.equal((await reg.call("GET", `/v2/team/app/blobs/${b}`)).status, 404);
    }
  });

  it("refuses to break an image skopeo pushed, and skopeo still copies it back", { skip: noSkopeo }, async () => {
    const layout = join(work, "img");
    const { stdout } = await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "16", "8"]);
    const manifestDigest = stdout.trim();
    const manifest = JSON.parse(await readFile(join(layout, "blobs", "sha256", manifestDigest.slice(7)), "utf8"));
    const certs = join(work, "certs");
    await mkdir(certs);
    await writeFile(join(certs, "ca.crt"), reg.cove.ca);
    const creds = `${reg.user}:${reg.password}`;
    const skopeo = (args: string[]) => runWithHosts({ [reg.loginServer.replace(/:\d+$/, "")]: "127.0.0.1" }, "skopeo", args, { timeoutMs: 120_000 });
    const dest = `docker://${reg.loginServer}/team/skopeo:v1`;
    const push = await skopeo(["copy", "--dest-cert-dir", certs, "--dest-creds", creds, `oci:${layout}:v1`, dest]);
    assert.equal(push.code, 0, push.stderr);

    assertRefused(await reg.call("DELETE", `/v2/team/skopeo/blobs/${manifest.config.digest}`), manifest.config.digest, manifestDigest);
    assertRefused(await reg.call("DELETE", `/v2/team/skopeo/blobs/${manifest.layers[1].digest}`), manifest.layers[1].digest, manifestDigest);

    const back = join(work, "back");
    const pull = await skopeo(["copy", "--src-cert-dir", certs, "--src-creds", creds, dest, `oci:${back}:v1`]);
    assert.equal(pull.code, 0, pull.stderr);
    const index = JSON.parse(await readFile(join(back, "index.json"), "utf8"));
    assert.equal(index.manifests[0].digest, manifestDigest);
  });

  it("keeps refusing while any one of several manifests still references the blob", async () => {
    const a = await pushImage(reg, "team/shared", "a", "same");
    // Same config and layer bytes, different manifest bytes (an annotation): two manifests, one config.
    const bBody = Buffer.from(JSON.stringify({ ...JSON.parse(a.body.toString()), annotations: { v: "b" } }));
    assert.equal((await reg.call("PUT", "/v2/team/shared/manifests/b", { body: bBody, headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } })).status, 201);
    const bDigest = sha256(bBody);
    const refused = await reg.call("DELETE", `/v2/team/shared/blobs/${a.config.digest}`);
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json().errors[0].detail.manifests, [a.digest, bDigest].sort());
    assert.equal((await reg.call("DELETE", `/v2/team/shared/manifests/${a.digest}`)).status, 202);
    assertRefused(await reg.call("DELETE", `/v2/team/shared/blobs/${a.config.digest}`), a.config.digest, bDigest);
    assert.equal((await reg.call("DELETE", `/v2/team/shared/manifests/b`)).status, 202, "DELETE by tag removes the tag only");
    assertRefused(await reg.call("DELETE", `/v2/team/shared/blobs/${a.config.digest}`), a.config.digest, bDigest);
    assert.equal((await reg.call("DELETE", `/v2/team/shared/manifests/${bDigest}`)).status, 202);
    assert.equal((await reg.call("DELETE", `/v2/team/shared/blobs/${a.config.digest}`)).status, 202);
  });

  it("refuses a blob of an image that an index lists, and leaves other repositories' links alone", async () => {
    const child = await pushImage(reg, "team/multi", "amd64");
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: child.digest, size: child.body.length, platform: { architecture: "amd64", os: "linux" } }],
    }));
    assert.equal((await reg.call("PUT", "/v2/team/multi/manifests/latest", { body: index, headers: { "content-type": OCI_INDEX } })).status, 201);
    assertRefused(await reg.call("DELETE", `/v2/team/multi/blobs/${child.layer.digest}`), child.layer.digest, child.digest);

    // The same bytes pushed to another repository without a manifest: that link is free to go,
    // and the image in team/multi keeps pulling (its own link and the bytes stay).
    const other = await pushImage(reg, "team/other", "tmp", "amd64");
    assert.equal(other.layer.digest, child.layer.digest);
    assert.equal((await reg.call("DELETE", `/v2/team/other/manifests/${other.digest}`)).status, 202);
    assert.equal((await reg.call("DELETE", `/v2/team/other/blobs/${child.layer.digest}`)).status, 202);
    await assertPulls("team/multi", "amd64", child);
  });
});
