// Issue 2 section 9 for the data plane: every bad input gets its catalogued error, nothing is
// written (the stores are compared before and after), and the next good request still works.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openHarness, imageManifest, putManifest, pushBlob, sha256, REGISTRY, OCI_MANIFEST, OCI_INDEX, type Harness } from "./harness.js";
import { allowAllAuth } from "./allow-all-auth.js";

const NAME = "library/hello";

/** Everything a bad request could have left behind. */
async function storeState(h: Harness, digests: string[] = []) {
  const key = REGISTRY.key;
  const repos = (await h.meta.listRepositories(key)).items;
  const perRepo = await Promise.all(
    [...repos, NAME].map(async (r) => ({
      r,
      manifests: (await h.meta.listManifests(key, r)).map((m) => m.digest).sort(),
      tags: (await h.meta.listTags(key, r)).items.map((t) => `${t.tag}=${t.digest}`),
    })),
  );
  const uploads = await Promise.all(
    (await h.blobs.listStaleUploads(Date.now() + 1e12)).sort().map(async (id) => `${id}:${await h.blobs.uploadSize(id)}`),
  );
  const blobs = await Promise.all(digests.map(async (d) => `${d}:${(await h.blobs.stat(d))?.size}:${await h.meta.getBlobLink(key, NAME, d)}`));
  return { repos, perRepo, uploads, blobs };
}

interface Case {
  what: string;
  method: string;
  url: string | ((ctx: Setup) => string);
  headers?: Record<string, string>;
  body?: Buffer | string;
  status: number;
  code: string;
  /** Digests whose bytes and links must not appear. */
  watch?: (ctx: Setup) => string[];
}

interface Setup {
  uploadLocation: string;
  goodBlob: string;
}

const GOOD = Buffer.from("the real content");
const OTHER = Buffer.from("something else entirely");

const cases: Case[] = [
  // Wrong digests.
  { what: "single POST with a digest of other bytes", method: "POST", url: `/v2/${NAME}/blobs/uploads/?digest=${sha256(OTHER)}`, body: GOOD, status: 400, code: "DIGEST_INVALID", watch: () => [sha256(GOOD), sha256(OTHER)] },
  { what: "closing PUT with a digest of other bytes", method: "PUT", url: (s) => `${s.uploadLocation}?digest=${sha256(OTHER)}`, body: GOOD, status: 400, code: "DIGEST_INVALID", watch: () => [sha256(GOOD), sha256(OTHER)] },
  { what: "closing PUT without a digest", method: "PUT", url: (s) => s.uploadLocation, body: GOOD, status: 400, code: "DIGEST_INVALID" },
  { what: "closing PUT with an unsupported algorithm", method: "PUT", url: (s) => `${s.uploadLocation}?digest=md5:d41d8cd98f00b204e9800998ecf8427e`, status: 400, code: "DIGEST_INVALID" },
  { what: "single POST with a short sha256", method: "POST", url: `/v2/${NAME}/blobs/uploads/?digest=sha256:abc`, body: GOOD, status: 400, code: "DIGEST_INVALID" },
  { what: "single POST with upper-case hex", method: "POST", url: `/v2/${NAME}/blobs/uploads/?digest=${sha256(GOOD).toUpperCase().replace("SHA256", "sha256")}`, body: GOOD, status: 400, code: "DIGEST_INVALID" },
  // Truncated and oversized bodies.
  { what: "PATCH whose Content-Length exceeds the bytes sent (truncated)", method: "PATCH", url: (s) => s.uploadLocation, headers: { "content-length": "100" }, body: "only ten b", status: 400, code: "SIZE_INVALID" },
  { what: "PATCH with more bytes than Content-Length (oversized)", method: "PATCH", url: (s) => s.uploadLocation, headers: { "content-length": "3" }, body: "much more than three", status: 400, code: "SIZE_INVALID" },
  { what: "single POST truncated", method: "POST", url: `/v2/${NAME}/blobs/uploads/?digest=${sha256(GOOD)}`, headers: { "content-length": String(GOOD.length + 50) }, body: GOOD, status: 400, code: "SIZE_INVALID", watch: () => [sha256(GOOD)] },
  { what: "closing PUT whose final chunk is truncated", method: "PUT", url: (s) => `${s.uploadLocation}?digest=${sha256(GOOD)}`, headers: { "content-length": "999" }, body: GOOD, status: 400, code: "SIZE_INVALID", watch: () => [sha256(GOOD)] },
  { what: "Content-Range length differs from Content-Length", method: "PATCH", url: (s) => s.uploadLocation, headers: { "content-range": "0-9" }, body: "four", status: 400, code: "SIZE_INVALID" },
  { what: "malformed Content-Length", method: "PATCH", url: (s) => s.uploadLocation, headers: { "content-length": "12abc" }, body: "x", status: 400, code: "SIZE_INVALID" },
  // Out-of-order chunks.
  { what: "first chunk not starting at 0", method: "PATCH", url: (s) => s.uploadLocation, headers: { "content-range": "5-8" }, body: "abcd", status: 416, code: "RANGE_INVALID" },
  { what: "malformed Content-Range", method: "PATCH", url: (s) => s.uploadLocation, headers: { "content-range": "zero-to-three" }, body: "abcd", status: 416, code: "RANGE_INVALID" },
  { what: "Content-Range ending before it starts", method: "PATCH", url: (s) => s.uploadLocation, headers: { "content-range": "3-0" }, body: "abcd", status: 416, code: "RANGE_INVALID" },
  // Malformed and oversized manifests.
  { what: "manifest that is not JSON", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_MANIFEST }, body: "{not json", status: 400, code: "MANIFEST_INVALID" },
  { what: "manifest that is a JSON array", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_MANIFEST }, body: "[]", status: 400, code: "MANIFEST_INVALID" },
  { what: "manifest with schemaVersion 1", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": "application/vnd.docker.distribution.manifest.v1+prettyjws" }, body: JSON.stringify({ schemaVersion: 1, name: NAME, tag: "v1", fsLayers: [] }), status: 400, code: "MANIFEST_INVALID" },
  { what: "manifest whose Content-Type contradicts its mediaType", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_INDEX }, body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "x/y", digest: sha256("c"), size: 1 }, layers: [] }), status: 400, code: "MANIFEST_INVALID" },
  { what: "manifest with a layer digest that is not a digest", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_MANIFEST }, body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "x/y", digest: "sha256:../../etc/passwd", size: 1 }, layers: [] }), status: 400, code: "MANIFEST_INVALID" },
  { what: "manifest with a negative size", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_MANIFEST }, body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "x/y", digest: sha256("c"), size: -1 }, layers: [] }), status: 400, code: "MANIFEST_INVALID" },
  { what: "manifest larger than the limit (declared)", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_MANIFEST }, body: Buffer.alloc(5000, 0x20), status: 413, code: "SIZE_INVALID" },
  { what: "manifest larger than the limit (understated Content-Length)", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_MANIFEST, "content-length": "100" }, body: Buffer.alloc(5000, 0x20), status: 413, code: "SIZE_INVALID" },
  { what: "manifest body not matching the digest reference", method: "PUT", url: `/v2/${NAME}/manifests/${sha256("different")}`, headers: { "content-type": OCI_MANIFEST }, body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "x/y", digest: sha256("c"), size: 1 }, layers: [] }), status: 400, code: "DIGEST_INVALID" },
  // Manifests naming missing blobs or manifests.
  { what: "manifest naming a missing layer", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_MANIFEST }, body: "", status: 404, code: "MANIFEST_BLOB_UNKNOWN" },
  { what: "index naming a missing manifest", method: "PUT", url: `/v2/${NAME}/manifests/v1`, headers: { "content-type": OCI_INDEX }, body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256("no such manifest"), size: 10 }] }), status: 404, code: "MANIFEST_UNKNOWN" },
  // Invalid repository names, traversal in names, digests and upload ids.
  { what: "upper-case name", method: "GET", url: "/v2/Library/Hello/tags/list", status: 400, code: "NAME_INVALID" },
  { what: "name with '..' component", method: "GET", url: "/v2/library/../hello/tags/list", status: 400, code: "NAME_INVALID" },
  { what: "name with encoded '..'", method: "GET", url: "/v2/library/%2e%2e/hello/manifests/v1", status: 400, code: "NAME_INVALID" },
  { what: "name that is encoded '../'", method: "PUT", url: "/v2/%2e%2e%2f%2e%2e%2fetc/manifests/v1", body: "{}", status: 400, code: "NAME_INVALID" },
  { what: "name with NUL", method: "GET", url: "/v2/library%00hello/tags/list", status: 400, code: "NAME_INVALID" },
  { what: "name with malformed escape", method: "GET", url: "/v2/library%zzhello/tags/list", status: 400, code: "NAME_INVALID" },
  { what: "name ending in a separator", method: "POST", url: "/v2/library-/blobs/uploads/", status: 400, code: "NAME_INVALID" },
  { what: "name over 255 characters", method: "GET", url: `/v2/${"a".repeat(256)}/tags/list`, status: 400, code: "NAME_INVALID" },
  { what: "digest with literal traversal", method: "GET", url: `/v2/${NAME}/blobs/sha256:../../../etc/passwd`, status: 400, code: "DIGEST_INVALID" },
  { what: "digest with encoded traversal", method: "GET", url: `/v2/${NAME}/blobs/sha256%3A%2e%2e%2f%2e%2e%2fetc`, status: 400, code: "DIGEST_INVALID" },
  { what: "blob path that is only '..'", method: "DELETE", url: `/v2/${NAME}/blobs/%2e%2e`, status: 400, code: "DIGEST_INVALID" },
  { what: "manifest digest reference with traversal", method: "GET", url: `/v2/${NAME}/manifests/sha256%3A..%2F..`, status: 400, code: "DIGEST_INVALID" },
  { what: "referrers of a non-digest", method: "GET", url: `/v2/${NAME}/referrers/latest`, status: 400, code: "DIGEST_INVALID" },
  { what: "invalid tag", method: "PUT", url: `/v2/${NAME}/manifests/-bad-tag`, headers: { "content-type": OCI_MANIFEST }, body: "{}", status: 400, code: "TAG_INVALID" },
  { what: "tag over 128 characters", method: "GET", url: `/v2/${NAME}/manifests/${"t".repeat(129)}`, status: 400, code: "TAG_INVALID" },
  { what: "upload id with traversal", method: "PATCH", url: `/v2/${NAME}/blobs/uploads/..%2F..%2Fetc`, body: "x", status: 404, code: "BLOB_UPLOAD_UNKNOWN" },
  { what: "upload id that was never issued", method: "GET", url: `/v2/${NAME}/blobs/uploads/00000000-0000-4000-8000-000000000000`, status: 404, code: "BLOB_UPLOAD_UNKNOWN" },
  { what: "mount of a non-digest", method: "POST", url: `/v2/${NAME}/blobs/uploads/?mount=sha256:xyz&from=other/repo`, status: 400, code: "DIGEST_INVALID" },
  { what: "mount from an invalid name", method: "POST", url: (s) => `/v2/${NAME}/blobs/uploads/?mount=${s.goodBlob}&from=../secret`, status: 400, code: "NAME_INVALID" },
  // Bogus Range.
  { what: "blob Range past the end", method: "GET", url: (s) => `/v2/${NAME}/blobs/${s.goodBlob}`, headers: { range: "bytes=999-" }, status: 416, code: "RANGE_INVALID" },
  // Paths and methods outside the API.
  { what: "unknown path", method: "GET", url: "/v2/library/hello/nonsense", status: 404, code: "UNSUPPORTED" },
  { what: "method not allowed on a known path", method: "POST", url: `/v2/${NAME}/tags/list`, status: 405, code: "UNSUPPORTED" },
];

test("section 9 bad inputs: catalogued error, nothing written, next good request works", async () => {
  const auth = allowAllAuth();
  const h = await openHarness({ auth, maxManifestBytes: 4096 });
  try {
    const goodBlob = await pushBlob(h, NAME, "an existing blob, for ranges and mounts");
    const missingLayer = await imageManifest(h, NAME);
    const missingLayerBody = Buffer.from(missingLayer.body.toString().replace(missingLayer.layer, sha256("layer never pushed")));
    for (const c of cases) {
      // A fresh session for cases that need one: created before the snapshot, so it is "state".
      const uploadLocation = (await h.call("POST", `/v2/${NAME}/blobs/uploads/`)).headers.location!;
      const setup: Setup = { uploadLocation, goodBlob };
      const watch = c.watch?.(setup) ?? [];
      const before = await storeState(h, watch);
      const url = typeof c.url === "function" ? c.url(setup) : c.url;
      const body = c.code === "MANIFEST_BLOB_UNKNOWN" ? missingLayerBody : c.body;
      auth.checks.length = 0;
      const r = await h.call(c.method, url, { headers: c.headers, body });
      assert.equal(r.status, c.status, `${c.what}: status (${r.body.toString()})`);
      if (c.method !== "HEAD") assert.equal(r.json?.errors?.[0]?.code, c.code, `${c.what}: code`);
      assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0", c.what);
      const after = await storeState(h, watch);
      if (c.what.startsWith("closing PUT with a digest of other bytes")) {
        // A failed commit ends the session (its bytes could never become the blob).
        const id = uploadLocation.split("/").pop()!;
        after.uploads = after.uploads.filter((u) => !u.startsWith(id));
        before.uploads = before.uploads.filter((u) => !u.startsWith(id));
        assert.equal(await h.blobs.uploadSize(id), undefined, c.what);
      }
      assert.deepEqual(after, before, `${c.what}: stores changed`);
      for (const d of watch) assert.equal(await h.blobs.stat(d), undefined, `${c.what}: ${d} bytes exist`);
      if (["NAME_INVALID", "DIGEST_INVALID", "TAG_INVALID"].includes(c.code) && c.status === 400 && !c.what.startsWith("closing PUT") && !c.what.startsWith("single POST") && !c.what.startsWith("manifest body")) {
        // Refused before registry auth (and so before any storage call).
        assert.deepEqual(auth.checks, [], `${c.what}: auth was consulted`);
      }
      await h.call("DELETE", uploadLocation);
    }

    // The server keeps serving: a good push and pull after all of the above.
    const ok = await imageManifest(h, NAME, { layer: "after the storm" });
    assert.equal((await putManifest(h, NAME, "v1", ok.body, OCI_MANIFEST)).status, 201);
    assert.deepEqual((await h.call("GET", `/v2/${NAME}/manifests/v1`)).body, ok.body);
    const digest = sha256(GOOD);
    const post = await h.call("POST", `/v2/${NAME}/blobs/uploads/?digest=${digest}`, { body: GOOD });
    assert.equal(post.status, 201);
    assert.deepEqual((await h.call("GET", `/v2/${NAME}/blobs/${digest}`)).body, GOOD);
  } finally {
    await h.close();
  }
});

test("a failed chunk leaves the session where it was, and the same chunk then succeeds", async () => {
  const h = await openHarness();
  try {
    const loc = (await h.call("POST", `/v2/${NAME}/blobs/uploads/`)).headers.location!;
    assert.equal((await h.call("PATCH", loc, { body: "abc", headers: { "content-range": "0-2" } })).status, 202);
    const truncated = await h.call("PATCH", loc, { body: "de", headers: { "content-range": "3-6", "content-length": "4" } });
    assert.equal(truncated.status, 400);
    assert.equal(truncated.json.errors[0].code, "SIZE_INVALID");
    assert.equal((await h.call("GET", loc)).headers.range, "0-2");
    assert.equal((await h.call("PATCH", loc, { body: "defg", headers: { "content-range": "3-6" } })).status, 202);
    const d = sha256("abcdefg");
    assert.equal((await h.call("PUT", `${loc}?digest=${d}`)).status, 201);
  } finally {
    await h.close();
  }
});
