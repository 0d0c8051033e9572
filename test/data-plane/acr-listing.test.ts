// ACR listing under /acr/v1 with the shapes @azure/container-registry reads
// (reference azure-sdk-clients.md section 3.2): percent-encoded names and digests, Link paging.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openHarness, imageManifest, putManifest, REGISTRY, OCI_MANIFEST, OCI_INDEX } from "./harness.js";

const NAME = "library/hello";
const ENC = "library%2Fhello";
const CHANGEABLE = { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true };

test("catalog: {repositories}, paging Link with orderby, requested verbatim", async () => {
  const h = await openHarness();
  try {
    for (const n of ["a/x", "b/y", "c/z"]) {
      const m = await imageManifest(h, n);
      await putManifest(h, n, "v1", m.body, OCI_MANIFEST);
    }
    const all = await h.call("GET", "/acr/v1/_catalog?api-version=2021-07-01");
    assert.equal(all.status, 200);
    assert.deepEqual(all.json, { repositories: ["a/x", "b/y", "c/z"] });
    const p1 = await h.call("GET", "/acr/v1/_catalog?api-version=2021-07-01&n=2");
    assert.deepEqual(p1.json.repositories, ["a/x", "b/y"]);
    assert.equal(p1.headers.link, `</acr/v1/_catalog?last=b%2Fy&n=2&orderby=>; rel="next"`);
    const p2 = await h.call("GET", p1.headers.link!.slice(1, p1.headers.link!.indexOf(">")));
    assert.deepEqual(p2.json.repositories, ["c/z"]);
    assert.equal(p2.headers.link, undefined);
  } finally {
    await h.close();
  }
});

test("tag properties and manifest properties, as getArtifact(repo, tag).getManifestProperties() reads them", async () => {
  const h = await openHarness();
  try {
    const m = await imageManifest(h, NAME);
    await putManifest(h, NAME, "v1", m.body, OCI_MANIFEST);
    const tag = await h.call("GET", `/acr/v1/${ENC}/_tags/v1?api-version=2021-07-01`);
    assert.equal(tag.status, 200);
    assert.equal(tag.json.registry, REGISTRY.loginServer);
    assert.equal(tag.json.imageName, NAME);
    assert.equal(tag.json.tag.name, "v1");
    assert.equal(tag.json.tag.digest, m.digest);
    assert.equal(tag.json.tag.signed, false);
    assert.deepEqual(tag.json.tag.changeableAttributes, CHANGEABLE);
    assert.ok(!Number.isNaN(Date.parse(tag.json.tag.createdTime)));
    assert.ok(!Number.isNaN(Date.parse(tag.json.tag.lastUpdateTime)));

    const man = await h.call("GET", `/acr/v1/${ENC}/_manifests/${m.digest.replace(":", "%3A")}?api-version=2021-07-01`);
    assert.equal(man.status, 200);
    assert.equal(man.json.imageName, NAME);
    assert.equal(man.json.manifest.digest, m.digest);
    assert.equal(man.json.manifest.mediaType, OCI_MANIFEST);
    assert.deepEqual(man.json.manifest.tags, ["v1"]);
    assert.equal(man.json.manifest.architecture, "amd64");
    assert.equal(man.json.manifest.os, "linux");
    assert.equal(typeof man.json.manifest.imageSize, "number");

    const missing = await h.call("GET", `/acr/v1/${ENC}/_tags/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.errors[0].code, "MANIFEST_UNKNOWN");
  } finally {
    await h.close();
  }
});

test("tag and manifest listings with paging; an index lists its references", async () => {
  const h = await openHarness();
  try {
    const a = await imageManifest(h, NAME, { layer: "a" });
    const b = await imageManifest(h, NAME, { layer: "b" });
    await putManifest(h, NAME, "t1", a.body, OCI_MANIFEST);
    await putManifest(h, NAME, "t2", a.body, OCI_MANIFEST);
    await putManifest(h, NAME, "t3", b.body, OCI_MANIFEST);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, digest: a.digest, size: a.body.length, platform: { architecture: "amd64", os: "linux" } }],
    }));
    await putManifest(h, NAME, "multi", index, OCI_INDEX);

    const tags = await h.call("GET", `/acr/v1/${ENC}/_tags?n=2`);
    assert.equal(tags.status, 200);
    assert.equal(tags.json.imageName, NAME);
    assert.deepEqual(tags.json.tags.map((t: any) => t.name), ["multi", "t1"]);
    assert.equal(tags.headers.link, `</acr/v1/${NAME}/_tags?last=t1&n=2&orderby=>; rel="next"`);
    const rest = await h.call("GET", tags.headers.link!.slice(1, tags.headers.link!.indexOf(">")));
    assert.deepEqual(rest.json.tags.map((t: any) => t.name), ["t2", "t3"]);

    const mans = await h.call("GET", `/acr/v1/${ENC}/_manifests`);
    assert.equal(mans.status, 200);
    const byDigest = Object.fromEntries(mans.json.manifests.map((x: any) => [x.digest, x]));
    assert.equal(Object.keys(byDigest).length, 3);
    assert.deepEqual(byDigest[a.digest].tags.sort(), ["t1", "t2"]);
    assert.deepEqual(byDigest[a.digest].changeableAttributes, CHANGEABLE);
    const idx = mans.json.manifests.find((x: any) => x.mediaType === OCI_INDEX);
    assert.deepEqual(idx.references, [{ digest: a.digest, architecture: "amd64", os: "linux" }]);
    const page = await h.call("GET", `/acr/v1/${ENC}/_manifests?n=1`);
    assert.equal(page.json.manifests.length, 1);
    assert.match(page.headers.link!, /^<\/acr\/v1\/library\/hello\/_manifests\?last=sha256%3A[0-9a-f]{64}&n=1&orderby=>; rel="next"$/);

    const repoProps = await h.call("GET", `/acr/v1/${ENC}`);
    assert.equal(repoProps.status, 200);
    assert.equal(repoProps.json.manifestCount, 3);
    assert.equal(repoProps.json.tagCount, 4);
    assert.equal(repoProps.json.imageName, NAME);

    assert.equal((await h.call("GET", "/acr/v1/no/such/_tags")).json.errors[0].code, "NAME_UNKNOWN");
  } finally {
    await h.close();
  }
});

test("DELETE tag (202), DELETE repository (202 with what was deleted), then NAME_UNKNOWN", async () => {
  const h = await openHarness();
  try {
    const m = await imageManifest(h, NAME);
    await putManifest(h, NAME, "v1", m.body, OCI_MANIFEST);
    await putManifest(h, NAME, "v2", m.body, OCI_MANIFEST);
    assert.equal((await h.call("DELETE", `/acr/v1/${ENC}/_tags/v1`)).status, 202);
    assert.equal(await h.meta.getTag(REGISTRY.key, NAME, "v1"), undefined);
    const del = await h.call("DELETE", `/acr/v1/${ENC}?api-version=2021-07-01`);
    assert.equal(del.status, 202);
    assert.deepEqual(del.json, { manifestsDeleted: [m.digest], tagsDeleted: ["v2"] });
    // Bytes no repository links any more are reclaimed.
    assert.equal(await h.blobs.stat(m.layer), undefined);
    assert.equal(await h.blobs.stat(m.config), undefined);
    const again = await h.call("DELETE", `/acr/v1/${ENC}`);
    assert.equal(again.status, 404);
    assert.equal(again.json.errors[0].code, "NAME_UNKNOWN");
    assert.equal((await h.call("GET", `/v2/${NAME}/manifests/v2`)).status, 404);
  } finally {
    await h.close();
  }
});
