// Blob pull, push (monolithic, single POST, chunked, streamed), status, cancel, mount, delete,
// resume after restart and sweep, against real stores: statuses, headers and stored state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openHarness, pushBlob, sha256, sha512, OTHER_REGISTRY, REGISTRY } from "./harness.js";
import { denyingAuth } from "./allow-all-auth.js";

const NAME = "library/hello";

test("GET /v2/ answers 200 with the API version header", async () => {
  const h = await openHarness();
  try {
    const r = await h.call("GET", "/v2/");
    assert.equal(r.status, 200);
    assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0");
  } finally {
    await h.close();
  }
});

test("POST then PUT: 202 session with relative Location, then 201 with Docker-Content-Digest", async () => {
  const h = await openHarness();
  try {
    const start = await h.call("POST", `/v2/${NAME}/blobs/uploads/`);
    assert.equal(start.status, 202);
    assert.match(start.headers.location!, /^\/v2\/library\/hello\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(start.headers["docker-upload-uuid"], start.headers.location!.split("/").pop());
    assert.equal(start.headers.range, "0-0");
    const bytes = Buffer.from("hello blob");
    const digest = sha256(bytes);
    const put = await h.call("PUT", `${start.headers.location}?digest=${digest}`, { body: bytes });
    assert.equal(put.status, 201);
    assert.equal(put.headers.location, `/v2/${NAME}/blobs/${digest}`);
    assert.equal(put.headers["docker-content-digest"], digest);
    assert.equal(await h.meta.getBlobLink(REGISTRY.key, NAME, digest), bytes.length);
    // The session is gone once committed.
    const again = await h.call("GET", start.headers.location!);
    assert.equal(again.status, 404);
    assert.equal(again.json.errors[0].code, "BLOB_UPLOAD_UNKNOWN");
  } finally {
    await h.close();
  }
});

test("blob GET and HEAD: Content-Length, Content-Type, Docker-Content-Digest, ETag; bytes match", async () => {
  const h = await openHarness();
  try {
    const bytes = Buffer.from("0123456789abcdef");
    const digest = await pushBlob(h, NAME, bytes);
    const get = await h.call("GET", `/v2/${NAME}/blobs/${digest}`);
    assert.equal(get.status, 200);
    assert.equal(get.headers["content-length"], "16");
    assert.equal(get.headers["content-type"], "application/octet-stream");
    assert.equal(get.headers["docker-content-digest"], digest);
    assert.equal(get.headers.etag, `"${digest}"`);
    assert.deepEqual(get.body, bytes);
    const head = await h.call("HEAD", `/v2/${NAME}/blobs/${digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], "16");
    assert.equal(head.body.length, 0);
    // Percent-encoded name and digest, as @azure/container-registry sends them.
    const enc = await h.call("GET", `/v2/library%2Fhello/blobs/${digest.replace(":", "%3A")}`);
    assert.equal(enc.status, 200);
    assert.deepEqual(enc.body, bytes);
  } finally {
    await h.close();
  }
});

test("blob GET with Range: 206 and Content-Range for the RFC and bare forms; 416 for bogus ranges", async () => {
  const h = await openHarness();
  try {
    const bytes = Buffer.from("0123456789");
    const digest = await pushBlob(h, NAME, bytes);
    const url = `/v2/${NAME}/blobs/${digest}`;
    const cases: [string, number, string, string][] = [
      ["bytes=2-5", 206, "2345", "bytes 2-5/10"],
      ["bytes=7-", 206, "789", "bytes 7-9/10"],
      ["bytes=-3", 206, "789", "bytes 7-9/10"],
      ["4-", 206, "456789", "bytes 4-9/10"],
      ["bytes=8-100", 206, "89", "bytes 8-9/10"],
    ];
    for (const [range, status, body, contentRange] of cases) {
      const r = await h.call("GET", url, { headers: { range } });
      assert.equal(r.status, status, range);
      assert.equal(r.body.toString(), body, range);
      assert.equal(r.headers["content-range"], contentRange, range);
      assert.equal(r.headers["content-length"], String(body.length), range);
    }
    for (const range of ["bytes=10-", "bytes=5-2", "bytes=abc", "bytes=1-2,4-5", "bytes=-0", "items=0-1", "bytes=-"]) {
      const r = await h.call("GET", url, { headers: { range } });
      assert.equal(r.status, 416, range);
      assert.equal(r.json.errors[0].code, "RANGE_INVALID", range);
      assert.equal(r.headers["content-range"], "bytes */10", range);
    }
  } finally {
    await h.close();
  }
});

test("single POST with digest: 201 and the blob is pullable", async () => {
  const h = await openHarness();
  try {
    const bytes = Buffer.from("single post");
    const digest = sha256(bytes);
    const r = await h.call("POST", `/v2/${NAME}/blobs/uploads/?digest=${digest}`, { body: bytes });
    assert.equal(r.status, 201);
    assert.equal(r.headers.location, `/v2/${NAME}/blobs/${digest}`);
    assert.equal(r.headers["docker-content-digest"], digest);
    const get = await h.call("GET", r.headers.location!);
    assert.deepEqual(get.body, bytes);
  } finally {
    await h.close();
  }
});

test("chunked PATCH with Content-Range: 202 + Range each time, 416 when a chunk does not follow on, then PUT", async () => {
  const h = await openHarness();
  try {
    const start = await h.call("POST", `/v2/${NAME}/blobs/uploads/`, { headers: { "content-length": "0" } });
    const loc = start.headers.location!;
    const p1 = await h.call("PATCH", loc, { body: "abcd", headers: { "content-range": "0-3", "content-type": "application/octet-stream" } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.range, "0-3");
    assert.equal(p1.headers.location, loc);
    assert.equal(p1.headers["content-length"], "0");
    // Out of order: starts at 6 instead of 4.
    const bad = await h.call("PATCH", loc, { body: "ghij", headers: { "content-range": "6-9" } });
    assert.equal(bad.status, 416);
    assert.equal(bad.json.errors[0].code, "RANGE_INVALID");
    // A repeat of the first chunk is out of order too.
    assert.equal((await h.call("PATCH", loc, { body: "abcd", headers: { "content-range": "0-3" } })).status, 416);
    const status = await h.call("GET", loc);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, "0-3");
    assert.equal(status.headers["docker-upload-uuid"], loc.split("/").pop());
    const p2 = await h.call("PATCH", loc, { body: "efgh", headers: { "content-range": "bytes 4-7/*" } });
    assert.equal(p2.status, 202);
    assert.equal(p2.headers.range, "0-7");
    // Final chunk carried by the PUT.
    const digest = sha256("abcdefghij");
    const put = await h.call("PUT", `${loc}?digest=${digest}`, { body: "ij", headers: { "content-range": "8-9" } });
    assert.equal(put.status, 201);
    assert.equal((await h.call("GET", `/v2/${NAME}/blobs/${digest}`)).body.toString(), "abcdefghij");
  } finally {
    await h.close();
  }
});

test("streamed PATCH without Content-Range appends at the end (the SDK's 4 MiB chunks)", async () => {
  const h = await openHarness();
  try {
    const loc = (await h.call("POST", `/v2/${NAME}/blobs/uploads/`)).headers.location!;
    const a = Buffer.alloc(100_000, 1);
    const b = Buffer.alloc(50_000, 2);
    const r1 = await h.call("PATCH", loc, { body: a });
    assert.equal(r1.status, 202);
    assert.equal(r1.headers.range, "0-99999");
    const r2 = await h.call("PATCH", r1.headers.location!, { body: b });
    assert.equal(r2.headers.range, "0-149999");
    const digest = sha256(Buffer.concat([a, b]));
    // The SDK's closing PUT has an empty body and the digest with an unencoded ':'.
    const put = await h.call("PUT", `${r2.headers.location}?digest=${digest}`, { headers: { "content-length": "0" } });
    assert.equal(put.status, 201);
    assert.equal(put.headers["docker-content-digest"], digest);
    const head = await h.call("HEAD", `/v2/${NAME}/blobs/${digest}`);
    assert.equal(head.headers["content-length"], "150000");
  } finally {
    await h.close();
  }
});

test("sha512 blobs push and pull", async () => {
  const h = await openHarness();
  try {
    const bytes = Buffer.from("sha512 content");
    const digest = sha512(bytes);
    const r = await h.call("POST", `/v2/${NAME}/blobs/uploads/?digest=${digest}`, { body: bytes });
    assert.equal(r.status, 201);
    const get = await h.call("GET", `/v2/${NAME}/blobs/${digest}`);
    assert.equal(get.status, 200);
    assert.equal(get.headers["docker-content-digest"], digest);
    assert.deepEqual(get.body, bytes);
  } finally {
    await h.close();
  }
});

test("DELETE upload cancels the session: 204, then BLOB_UPLOAD_UNKNOWN", async () => {
  const h = await openHarness();
  try {
    const loc = (await h.call("POST", `/v2/${NAME}/blobs/uploads/`)).headers.location!;
    await h.call("PATCH", loc, { body: "partial" });
    const id = loc.split("/").pop()!;
    const del = await h.call("DELETE", loc);
    assert.equal(del.status, 204);
    assert.equal(await h.blobs.uploadSize(id), undefined);
    assert.equal(await h.meta.getUpload(id), undefined);
    const again = await h.call("DELETE", loc);
    assert.equal(again.status, 404);
    assert.equal(again.json.errors[0].code, "BLOB_UPLOAD_UNKNOWN");
  } finally {
    await h.close();
  }
});

test("an upload session belongs to its repository and registry", async () => {
  const h = await openHarness();
  try {
    const loc = (await h.call("POST", `/v2/${NAME}/blobs/uploads/`)).headers.location!;
    const id = loc.split("/").pop()!;
    const other = await h.call("PATCH", `/v2/other/repo/blobs/uploads/${id}`, { body: "x" });
    assert.equal(other.status, 404);
    assert.equal(other.json.errors[0].code, "BLOB_UPLOAD_UNKNOWN");
    const otherReg = await h.call("GET", loc, { registry: OTHER_REGISTRY });
    assert.equal(otherReg.status, 404);
    assert.equal(await h.blobs.uploadSize(id), 0);
  } finally {
    await h.close();
  }
});

test("uploads resume after a restart: state lives in the stores only", async () => {
  const h = await openHarness();
  try {
    const loc = (await h.call("POST", `/v2/${NAME}/blobs/uploads/`)).headers.location!;
    await h.call("PATCH", loc, { body: "first-", headers: { "content-range": "0-5" } });
    await h.restart();
    const status = await h.call("GET", loc);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, "0-5");
    await h.call("PATCH", loc, { body: "second", headers: { "content-range": "6-11" } });
    const digest = sha256("first-second");
    assert.equal((await h.call("PUT", `${loc}?digest=${digest}`)).status, 201);
    assert.equal((await h.call("GET", `/v2/${NAME}/blobs/${digest}`)).body.toString(), "first-second");
  } finally {
    await h.close();
  }
});

test("cross-repository mount: 201 when linked in `from`, 202 session otherwise", async () => {
  const h = await openHarness();
  try {
    const digest = await pushBlob(h, "src/repo", "shared layer");
    const m = await h.call("POST", `/v2/dst/repo/blobs/uploads/?mount=${digest}&from=src/repo`);
    assert.equal(m.status, 201);
    assert.equal(m.headers.location, `/v2/dst/repo/blobs/${digest}`);
    assert.equal(m.headers["docker-content-digest"], digest);
    assert.equal((await h.call("GET", `/v2/dst/repo/blobs/${digest}`)).body.toString(), "shared layer");
    const missing = sha256("not anywhere");
    const fallback = await h.call("POST", `/v2/dst/repo/blobs/uploads/?mount=${missing}&from=src/repo`);
    assert.equal(fallback.status, 202);
    assert.match(fallback.headers.location!, /^\/v2\/dst\/repo\/blobs\/uploads\//);
    // Never across registries: the same digest in another registry is not mountable.
    const cross = await h.call("POST", `/v2/dst/repo/blobs/uploads/?mount=${digest}&from=src/repo`, { registry: OTHER_REGISTRY });
    assert.equal(cross.status, 202);
    assert.equal((await h.call("HEAD", `/v2/src/repo/blobs/${digest}`, { registry: OTHER_REGISTRY })).status, 404);
  } finally {
    await h.close();
  }
});

test("mount without pull on `from` falls back to a new upload and links nothing", async () => {
  const auth = denyingAuth("pull", "src/repo");
  const h = await openHarness({ auth });
  try {
    const digest = await pushBlob(h, "src/repo", "secret layer");
    const m = await h.call("POST", `/v2/dst/repo/blobs/uploads/?mount=${digest}&from=src/repo`);
    assert.equal(m.status, 202);
    assert.equal(await h.meta.getBlobLink(REGISTRY.key, "dst/repo", digest), undefined);
  } finally {
    await h.close();
  }
});

test("blob DELETE: 202, then 404; bytes reclaimed once no repository links them", async () => {
  const h = await openHarness();
  try {
    const digest = await pushBlob(h, "a/one", "to delete");
    await pushBlob(h, "a/two", "to delete");
    const d1 = await h.call("DELETE", `/v2/a/one/blobs/${digest}`);
    assert.equal(d1.status, 202);
    assert.equal((await h.call("GET", `/v2/a/one/blobs/${digest}`)).status, 404);
    assert.ok(await h.blobs.stat(digest), "still linked from a/two");
    assert.equal((await h.call("DELETE", `/v2/a/two/blobs/${digest}`)).status, 202);
    assert.equal(await h.blobs.stat(digest), undefined);
    const again = await h.call("DELETE", `/v2/a/two/blobs/${digest}`);
    assert.equal(again.status, 404);
    assert.equal(again.json.errors[0].code, "BLOB_UNKNOWN");
  } finally {
    await h.close();
  }
});

test("sweep reclaims expired sessions and their bytes; live sessions stay", async () => {
  const h = await openHarness({ uploadTtlMs: 60_000 });
  try {
    const loc = (await h.call("POST", `/v2/${NAME}/blobs/uploads/`)).headers.location!;
    await h.call("PATCH", loc, { body: "abandoned" });
    const id = loc.split("/").pop()!;
    assert.equal(await h.plane.sweep(Date.now()), 0);
    assert.equal(await h.blobs.uploadSize(id), 9);
    const n = await h.plane.sweep(Date.now() + 120_000);
    assert.equal(n, 1);
    assert.equal(await h.blobs.uploadSize(id), undefined);
    assert.equal(await h.meta.getUpload(id), undefined);
    assert.equal((await h.call("GET", loc)).status, 404);
  } finally {
    await h.close();
  }
});
