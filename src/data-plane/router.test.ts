import { test } from "node:test";
import assert from "node:assert/strict";
import { matchRoute, route, needs, BLOB, MANIFEST, UPLOAD, UPLOADS, TAGS, ACR_REPOSITORY, ACR_TAGS, type Route } from "./router.js";

const h = async () => ({ status: 200 });
const routes: Route[] = [
  route("GET", TAGS, needs("pull"), h),
  route("POST", UPLOADS, needs("push"), h),
  route("PATCH", UPLOAD, needs("push"), h),
  route("GET", BLOB, needs("pull"), h),
  route("GET", MANIFEST, needs("pull"), h),
  route("GET", ACR_TAGS, needs("pull"), h),
  route("DELETE", ACR_REPOSITORY, needs("delete"), h),
];
const D = `sha256:${"c".repeat(64)}`;

test("matches raw paths and decodes each parameter on its own", () => {
  const cases: [string, string, object][] = [
    ["GET", "/v2/library/hello/tags/list", { name: "library/hello" }],
    ["GET", "/v2/library%2Fhello/tags/list", { name: "library/hello" }],
    ["GET", `/v2/a/blobs/${D}`, { name: "a", digest: D }],
    ["GET", `/v2/a%2Fb/blobs/${D.replace(":", "%3A")}`, { name: "a/b", digest: D }],
    ["GET", "/v2/a/b/manifests/latest", { name: "a/b", reference: { kind: "tag", tag: "latest" } }],
    ["GET", "/v2/x/manifests/y/manifests/v1", { name: "x/manifests/y", reference: { kind: "tag", tag: "v1" } }],
    ["POST", "/v2/a/blobs/uploads/", { name: "a" }],
    ["POST", "/v2/a/blobs/uploads", { name: "a" }],
    ["PATCH", "/v2/a/blobs/uploads/0b0e4c1e-7c37-4a43-9a3b-7d0a3f1a2b3c", { name: "a", uploadId: "0b0e4c1e-7c37-4a43-9a3b-7d0a3f1a2b3c" }],
    ["GET", "/acr/v1/library%2Fhello/_tags", { name: "library/hello" }],
    ["DELETE", "/acr/v1/library/hello", { name: "library/hello" }],
  ];
  for (const [method, path, params] of cases) {
    const m = matchRoute(routes, method, path);
    assert.ok(m.ok, `${method} ${path}: ${!m.ok && m.error.code}`);
    assert.deepEqual(m.params, params, path);
  }
});

test("bad parameters get their own codes; unknown paths and methods are UNSUPPORTED", () => {
  const cases: [string, string, string][] = [
    ["GET", "/v2/a/blobs/sha256%3A..%2F..%2Fx", "DIGEST_INVALID"],
    ["GET", "/v2/a/blobs/sha256:../../x", "DIGEST_INVALID"],
    ["GET", "/v2/../x/blobs/" + D, "NAME_INVALID"],
    ["GET", "/v2/%2e%2e/tags/list", "NAME_INVALID"],
    ["GET", "/v2/a%E0%A4%A/tags/list", "NAME_INVALID"],
    ["PATCH", "/v2/a/blobs/uploads/not-a-uuid", "BLOB_UPLOAD_UNKNOWN"],
    ["GET", "/v2/a/manifests/%2e%2e", "TAG_INVALID"],
    ["GET", "/v2/a/unknown", "ROUTE_UNKNOWN"],
    ["GET", "/v3/", "ROUTE_UNKNOWN"],
    ["PUT", "/v2/a/tags/list", "UNSUPPORTED"],
  ];
  for (const [method, path, code] of cases) {
    const m = matchRoute(routes, method, path);
    assert.ok(!m.ok, path);
    assert.equal(m.error.code, code, path);
  }
  const wrong = matchRoute(routes, "PUT", "/v2/a/tags/list");
  assert.ok(!wrong.ok && wrong.allow?.includes("GET"));
});
