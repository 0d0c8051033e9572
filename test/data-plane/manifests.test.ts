// Manifests (OCI and Docker, images and indexes), tags list, catalog and referrers against real
// stores: statuses, headers, bodies and paging.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  openHarness, imageManifest, putManifest, pushBlob, sha256, sha512, REGISTRY,
  OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST,
} from "./harness.js";

const NAME = "library/hello";

test("PUT by tag: 201, Location by digest, Docker-Content-Digest; GET/HEAD by tag and digest return the exact bytes", async () => {
  const h = await openHarness();
  try {
    const m = await imageManifest(h, NAME);
    const put = await putManifest(h, NAME, "v1", m.body, OCI_MANIFEST);
    assert.equal(put.status, 201);
    assert.equal(put.headers["docker-content-digest"], m.digest);
    assert.equal(put.headers.location, `/v2/${NAME}/manifests/${m.digest}`);
    assert.equal(put.headers["oci-subject"], undefined);
    for (const ref of ["v1", m.digest, m.digest.replace(":", "%3A")]) {
      const get = await h.call("GET", `/v2/library%2Fhello/manifests/${ref}`, { headers: { accept: OCI_MANIFEST } });
      assert.equal(get.status, 200, ref);
      assert.equal(get.headers["content-type"], OCI_MANIFEST);
      assert.equal(get.headers["docker-content-digest"], m.digest);
      assert.equal(get.headers.etag, `"${m.digest}"`);
      assert.equal(get.headers["content-length"], String(m.body.length));
      assert.deepEqual(get.body, m.body);
      const head = await h.call("HEAD", `/v2/${NAME}/manifests/${ref}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers["docker-content-digest"], m.digest);
      assert.equal(head.body.length, 0);
    }
    const cached = await h.call("GET", `/v2/${NAME}/manifests/v1`, { headers: { "if-none-match": `"${m.digest}"` } });
    assert.equal(cached.status, 304);
  } finally {
    await h.close();
  }
});

test("PUT by digest stores untagged; a sha512 reference is honoured", async () => {
  const h = await openHarness();
  try {
    const m = await imageManifest(h, NAME);
    assert.equal((await putManifest(h, NAME, m.digest, m.body, OCI_MANIFEST)).status, 201);
    assert.deepEqual((await h.call("GET", `/v2/${NAME}/tags/list`)).json.tags, []);
    const d512 = sha512(m.body);
    const r = await putManifest(h, NAME, d512, m.body, OCI_MANIFEST);
    assert.equal(r.status, 201);
    assert.equal(r.headers["docker-content-digest"], d512);
    assert.equal((await h.call("GET", `/v2/${NAME}/manifests/${d512}`)).status, 200);
  } finally {
    await h.close();
  }
});

test("Docker schema 2 manifest and manifest list, OCI index: stored media type comes back as Content-Type", async () => {
  const h = await openHarness();
  try {
    const amd = await imageManifest(h, NAME, { mediaType: DOCKER_MANIFEST });
    const arm = await imageManifest(h, NAME, { mediaType: DOCKER_MANIFEST, layer: "arm layer" });
    assert.equal((await putManifest(h, NAME, amd.digest, amd.body, DOCKER_MANIFEST)).status, 201);
    assert.equal((await putManifest(h, NAME, arm.digest, arm.body, DOCKER_MANIFEST)).status, 201);
    for (const mediaType of [DOCKER_LIST, OCI_INDEX]) {
      const child = DOCKER_MANIFEST;
      const list = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType,
        manifests: [
          { mediaType: child, digest: amd.digest, size: amd.body.length, platform: { architecture: "amd64", os: "linux" } },
          { mediaType: child, digest: arm.digest, size: arm.body.length, platform: { architecture: "arm64", os: "linux" } },
        ],
      }));
      const tag = mediaType === DOCKER_LIST ? "list" : "index";
      const put = await putManifest(h, NAME, tag, list, mediaType);
      assert.equal(put.status, 201, mediaType);
      const get = await h.call("GET", `/v2/${NAME}/manifests/${tag}`);
      assert.equal(get.headers["content-type"], mediaType);
      assert.equal(get.headers["docker-content-digest"], sha256(list));
    }
    const get = await h.call("GET", `/v2/${NAME}/manifests/${amd.digest}`);
    assert.equal(get.headers["content-type"], DOCKER_MANIFEST);
  } finally {
    await h.close();
  }
});

test("manifest DELETE by tag removes only the tag; by digest removes the manifest and its tags (202)", async () => {
  const h = await openHarness();
  try {
    const m = await imageManifest(h, NAME);
    await putManifest(h, NAME, "v1", m.body, OCI_MANIFEST);
    await putManifest(h, NAME, "v2", m.body, OCI_MANIFEST);
    const delTag = await h.call("DELETE", `/v2/${NAME}/manifests/v1`);
    assert.equal(delTag.status, 202);
    assert.equal((await h.call("GET", `/v2/${NAME}/manifests/v1`)).status, 404);
    assert.equal((await h.call("GET", `/v2/${NAME}/manifests/${m.digest}`)).status, 200);
    const del = await h.call("DELETE", `/v2/library%2Fhello/manifests/${m.digest.replace(":", "%3A")}`);
    assert.equal(del.status, 202);
    const gone = await h.call("GET", `/v2/${NAME}/manifests/v2`);
    assert.equal(gone.status, 404);
    assert.equal(gone.json.errors[0].code, "MANIFEST_UNKNOWN");
    assert.equal(await h.meta.getTag(REGISTRY.key, NAME, "v2"), undefined);
    const again = await h.call("DELETE", `/v2/${NAME}/manifests/${m.digest}`);
    assert.equal(again.status, 404);
    assert.equal(again.json.errors[0].code, "MANIFEST_UNKNOWN");
  } finally {
    await h.close();
  }
});

test("tags list: sorted, n/last paging with a Link header; n=0 is empty without Link; unknown repository is NAME_UNKNOWN", async () => {
  const h = await openHarness();
  try {
    const m = await imageManifest(h, NAME);
    for (const t of ["c", "a", "b", "d"]) await putManifest(h, NAME, t, m.body, OCI_MANIFEST);
    const all = await h.call("GET", `/v2/${NAME}/tags/list`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.json, { name: NAME, tags: ["a", "b", "c", "d"] });
    assert.equal(all.headers.link, undefined);
    const p1 = await h.call("GET", `/v2/${NAME}/tags/list?n=2`);
    assert.deepEqual(p1.json.tags, ["a", "b"]);
    assert.equal(p1.headers.link, `</v2/${NAME}/tags/list?last=b&n=2>; rel="next"`);
    const next = p1.headers.link!.slice(1, p1.headers.link!.indexOf(">"));
    const p2 = await h.call("GET", next);
    assert.deepEqual(p2.json.tags, ["c", "d"]);
    assert.equal(p2.headers.link, undefined);
    const zero = await h.call("GET", `/v2/${NAME}/tags/list?n=0`);
    assert.deepEqual(zero.json.tags, []);
    assert.equal(zero.headers.link, undefined);
    const unknown = await h.call("GET", "/v2/no/such/tags/list");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.errors[0].code, "NAME_UNKNOWN");
  } finally {
    await h.close();
  }
});

test("catalog: repositories with manifests, n/last paging with Link", async () => {
  const h = await openHarness();
  try {
    for (const name of ["b/two", "a/one", "c/three"]) {
      const m = await imageManifest(h, name);
      await putManifest(h, name, "latest", m.body, OCI_MANIFEST);
    }
    const all = await h.call("GET", "/v2/_catalog");
    assert.equal(all.status, 200);
    assert.deepEqual(all.json.repositories, ["a/one", "b/two", "c/three"]);
    const p1 = await h.call("GET", "/v2/_catalog?n=2");
    assert.deepEqual(p1.json.repositories, ["a/one", "b/two"]);
    assert.equal(p1.headers.link, `</v2/_catalog?last=b%2Ftwo&n=2>; rel="next"`);
    const p2 = await h.call("GET", p1.headers.link!.slice(1, p1.headers.link!.indexOf(">")));
    assert.deepEqual(p2.json.repositories, ["c/three"]);
  } finally {
    await h.close();
  }
});

test("subject: PUT answers OCI-Subject; referrers lists descriptors with artifactType and annotations, filterable", async () => {
  const h = await openHarness();
  try {
    const img = await imageManifest(h, NAME);
    await putManifest(h, NAME, "v1", img.body, OCI_MANIFEST);
    const subject = { mediaType: OCI_MANIFEST, digest: img.digest, size: img.body.length };
    const emptyCfg = await pushBlob(h, NAME, "{}");
    const sig = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: "application/vnd.example.signature",
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: emptyCfg, size: 2 }, layers: [],
      subject, annotations: { "org.example.kind": "sig" },
    }));
    const sbom = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.example.sbom", digest: emptyCfg, size: 2 }, layers: [], subject,
    }));
    const put = await putManifest(h, NAME, sha256(sig), sig, OCI_MANIFEST);
    assert.equal(put.status, 201);
    assert.equal(put.headers["oci-subject"], img.digest);
    await putManifest(h, NAME, sha256(sbom), sbom, OCI_MANIFEST);

    const all = await h.call("GET", `/v2/${NAME}/referrers/${img.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers["content-type"], OCI_INDEX);
    assert.equal(all.headers["oci-filters-applied"], undefined);
    assert.equal(all.json.schemaVersion, 2);
    assert.equal(all.json.mediaType, OCI_INDEX);
    const byDigest = Object.fromEntries(all.json.manifests.map((d: any) => [d.digest, d]));
    assert.deepEqual(byDigest[sha256(sig)], {
      mediaType: OCI_MANIFEST, size: sig.length, digest: sha256(sig),
      artifactType: "application/vnd.example.signature", annotations: { "org.example.kind": "sig" },
    });
    // No artifactType: the config media type stands in (OCI dist-spec v1.1).
    assert.equal(byDigest[sha256(sbom)].artifactType, "application/vnd.example.sbom");

    const filtered = await h.call("GET", `/v2/${NAME}/referrers/${img.digest}?artifactType=application/vnd.example.sbom`);
    assert.equal(filtered.headers["oci-filters-applied"], "artifactType");
    assert.deepEqual(filtered.json.manifests.map((d: any) => d.digest), [sha256(sbom)]);

    const none = await h.call("GET", `/v2/${NAME}/referrers/${sha256("nothing refers here")}`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.json.manifests, []);
  } finally {
    await h.close();
  }
});

test("a manifest whose subject does not exist is still accepted (OCI dist-spec v1.1)", async () => {
  const h = await openHarness();
  try {
    const missing = sha256("absent subject");
    const m = await imageManifest(h, NAME, { extra: { subject: { mediaType: OCI_MANIFEST, digest: missing, size: 10 } } });
    const put = await putManifest(h, NAME, m.digest, m.body, OCI_MANIFEST);
    assert.equal(put.status, 201);
    assert.equal(put.headers["oci-subject"], missing);
    const refs = await h.call("GET", `/v2/${NAME}/referrers/${missing}`);
    assert.deepEqual(refs.json.manifests.map((d: any) => d.digest), [m.digest]);
  } finally {
    await h.close();
  }
});

test("a manifest of exactly the size limit is accepted", async () => {
  const h = await openHarness({ maxManifestBytes: 4096 });
  try {
    const base = await imageManifest(h, NAME);
    const doc = JSON.parse(base.body.toString());
    doc.annotations = { pad: "" };
    const without = Buffer.byteLength(JSON.stringify(doc));
    doc.annotations.pad = "x".repeat(4096 - without);
    const body = Buffer.from(JSON.stringify(doc));
    assert.equal(body.length, 4096);
    assert.equal((await putManifest(h, NAME, "big", body, OCI_MANIFEST)).status, 201);
  } finally {
    await h.close();
  }
});
