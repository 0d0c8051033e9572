// What each route asks of registry auth, and that a denial is returned as auth produced it
// (the 401 challenge must reach the client intact) with nothing done.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openHarness, imageManifest, putManifest, pushBlob, sha256, REGISTRY, OCI_MANIFEST } from "./harness.js";
import { allowAllAuth, denyingAuth } from "./allow-all-auth.js";
import type { Need } from "../../src/data-plane/registry-auth-contract.js";

const NAME = "library/hello";
const repo = (actions: string[], repository = NAME): Need => ({ kind: "repository", repository, actions: actions as any });

test("every route declares the access it needs", async () => {
  const auth = allowAllAuth();
  const h = await openHarness({ auth });
  try {
    const m = await imageManifest(h, NAME);
    await putManifest(h, NAME, "v1", m.body, OCI_MANIFEST);
    const loc = (await h.call("POST", `/v2/${NAME}/blobs/uploads/`)).headers.location!;
    const d = m.layer;
    const table: [string, string, Need[]][] = [
      ["GET", "/v2/", [{ kind: "base" }]],
      ["GET", "/v2/_catalog", [{ kind: "catalog" }]],
      ["GET", "/acr/v1/_catalog", [{ kind: "catalog" }]],
      ["GET", `/v2/${NAME}/tags/list`, [repo(["pull"])]],
      ["GET", `/v2/${NAME}/blobs/${d}`, [repo(["pull"])]],
      ["HEAD", `/v2/${NAME}/blobs/${d}`, [repo(["pull"])]],
      ["GET", `/v2/${NAME}/manifests/v1`, [repo(["pull"])]],
      ["HEAD", `/v2/${NAME}/manifests/v1`, [repo(["pull"])]],
      ["GET", `/v2/${NAME}/referrers/${m.digest}`, [repo(["pull"])]],
      ["POST", `/v2/${NAME}/blobs/uploads/`, [repo(["push"])]],
      ["PATCH", loc, [repo(["push"])]],
      ["GET", loc, [repo(["push"])]],
      ["DELETE", loc, [repo(["push"])]],
      ["PUT", `/v2/${NAME}/manifests/v1`, [repo(["push"])]],
      ["GET", `/acr/v1/${NAME}`, [repo(["pull"])]],
      ["GET", `/acr/v1/${NAME}/_tags`, [repo(["pull"])]],
      ["GET", `/acr/v1/${NAME}/_tags/v1`, [repo(["pull"])]],
      ["GET", `/acr/v1/${NAME}/_manifests`, [repo(["pull"])]],
      ["GET", `/acr/v1/${NAME}/_manifests/${m.digest}`, [repo(["pull"])]],
      ["DELETE", `/acr/v1/${NAME}/_tags/v1`, [repo(["delete"])]],
      ["DELETE", `/v2/${NAME}/manifests/${m.digest}`, [repo(["delete"])]],
      ["DELETE", `/v2/${NAME}/blobs/${d}`, [repo(["delete"])]],
      ["DELETE", `/acr/v1/${NAME}`, [repo(["delete"])]],
    ];
    for (const [method, url, expected] of table) {
      auth.checks.length = 0;
      const body = method === "PUT" ? m.body : undefined;
      await h.call(method, url, { body, headers: method === "PUT" ? { "content-type": OCI_MANIFEST } : {} });
      assert.deepEqual(auth.checks, expected, `${method} ${url}`);
    }
    // A mount needs push on the target and, for the mount itself, pull on `from`.
    const src = await pushBlob(h, "src/repo", "mountable");
    auth.checks.length = 0;
    await h.call("POST", `/v2/dst/repo/blobs/uploads/?mount=${src}&from=src/repo`);
    assert.deepEqual(auth.checks, [repo(["push"], "dst/repo"), repo(["pull"], "src/repo")]);
  } finally {
    await h.close();
  }
});

test("a denial is returned unchanged (status, challenge, body) and nothing is written", async () => {
  const auth = denyingAuth("push");
  const h = await openHarness({ auth });
  try {
    const bytes = Buffer.from("denied bytes");
    const r = await h.call("POST", `/v2/${NAME}/blobs/uploads/?digest=${sha256(bytes)}`, { body: bytes });
    assert.equal(r.status, 401);
    assert.equal(r.headers["www-authenticate"], `Bearer realm="https://test/oauth2/token",service="test",scope="repository:${NAME}:push"`);
    assert.deepEqual(r.json, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });
    assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0");
    assert.equal(await h.blobs.stat(sha256(bytes)), undefined);
    assert.deepEqual(await h.blobs.listStaleUploads(Date.now() + 1e12), []);
    const put = await h.call("PUT", `/v2/${NAME}/manifests/v1`, { body: "{}", headers: { "content-type": OCI_MANIFEST } });
    assert.equal(put.status, 401);
    assert.deepEqual((await h.meta.listRepositories(REGISTRY.key)).items, []);
  } finally {
    await h.close();
  }
});

test("/oauth2/* is delegated to the token endpoint; an unknown token path is a 404", async () => {
  const auth = allowAllAuth();
  const h = await openHarness({ auth });
  try {
    const r = await h.call("POST", "/oauth2/token?api-version=2021-07-01", { body: "grant_type=password", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { access_token: "test-token" });
    assert.equal(auth.tokenCalls, 1);
    assert.equal(auth.checks.length, 0);
    const unknown = await h.call("GET", "/oauth2/nothing");
    assert.equal(unknown.status, 404);
  } finally {
    await h.close();
  }
});
