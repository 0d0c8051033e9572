// Issue 7 item 14, over real HTTPS: repository names with empty components (`a//b`, `a/b/`) are
// NAME_INVALID instead of being rewritten to `a/b`; manifests whose descriptor sizes differ from
// the stored blobs are MANIFEST_INVALID; and a 100k-deep manifest is a clean MANIFEST_INVALID.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { https } from "../support/http.js";
import { managementToken } from "../support/arm.js";
import { MAX_MANIFEST_DEPTH } from "../../src/data-plane/manifest-document.js";
import { OCI_MANIFEST, pushBlob, sha256, startRealRegistry, type RealRegistry } from "./real-registry.js";

const exec = promisify(execFile);
let reg: RealRegistry;
let work: string;
before(async () => {
  reg = await startRealRegistry("namesreg");
  work = await mkdtemp(join(tmpdir(), "cove-names-"));
  await writeFile(join(work, "ca.crt"), reg.cove.ca);
});
after(async () => {
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const errorCode = (r: { json(): any }) => r.json().errors[0].code;

/** A manifest over a config and a layer already pushed to `repo`, with sizes as given. */
async function manifestFor(repo: string, sizes: { config?: number; layer?: number } = {}) {
  const configBytes = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const layerBytes = Buffer.from("some layer bytes");
  const config = await pushBlob(reg, repo, configBytes);
  const layer = await pushBlob(reg, repo, layerBytes);
  const doc = {
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: sizes.config ?? configBytes.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: sizes.layer ?? layerBytes.length }],
  };
  return { doc, config, layer, configSize: configBytes.length, layerSize: layerBytes.length };
}

const put = (path: string, body: Buffer | string) => reg.call("PUT", path, { body, headers: { "content-type": OCI_MANIFEST } });

describe("repository names with empty components", () => {
  it("answers NAME_INVALID for manifests and uploads at a//b and a/b/, and stores nothing under a/b", async () => {
    const { doc } = await manifestFor("a/b");
    const body = JSON.stringify(doc);
    for (const path of ["/v2/a//b/manifests/v1", "/v2/a/b//manifests/v1"]) {
      const p = await put(path, body);
      assert.equal(p.status, 400, path);
      assert.equal(errorCode(p), "NAME_INVALID", path);
      const g = await reg.call("GET", path);
      assert.equal(g.status, 400, path);
      assert.equal(errorCode(g), "NAME_INVALID", path);
    }
    for (const path of ["/v2/a//b/blobs/uploads/", "/v2/a/b//blobs/uploads/", `/v2/a//b/blobs/${doc.config.digest}`]) {
      const method = path.endsWith("/uploads/") ? "POST" : "GET";
      const r = await reg.call(method, path, { body: "" });
      assert.equal(r.status, 400, `${method} ${path}`);
      assert.equal(errorCode(r), "NAME_INVALID", `${method} ${path}`);
    }
    assert.equal((await reg.call("GET", "/v2/a/b/manifests/v1")).status, 404, "nothing was stored under a/b");

    // curl with --path-as-is sends the path exactly as written, as a user would.
    const host = reg.loginServer.replace(/:\d+$/, "");
    const { stdout } = await exec("curl", [
      "-s", "--path-as-is", "--cacert", join(work, "ca.crt"), "--resolve", `${host}:${reg.cove.registryPort}:127.0.0.1`,
      "-u", `${reg.user}:${reg.password}`, "-X", "PUT", "-H", `Content-Type: ${OCI_MANIFEST}`, "--data-binary", body,
      "-w", "\n%{http_code}", `https://${reg.loginServer}/v2/a//b/manifests/v1`,
    ]);
    const [json, status] = stdout.split("\n");
    assert.equal(status, "400");
    assert.equal(JSON.parse(json!).errors[0].code, "NAME_INVALID");
  });

  it("answers other doubled slashes sensibly, and the management API still takes //subscriptions", async () => {
    for (const path of ["/v2//", "//v2/", "//v2/a/b/tags/list"]) {
      const r = await reg.call("GET", path);
      assert.equal(r.status, 404, path);
      assert.equal(errorCode(r), "UNSUPPORTED", path);
    }
    const tag = await reg.call("GET", "/v2/a/b/manifests//v1");
    assert.equal(tag.status, 400);
    assert.equal(errorCode(tag), "TAG_INVALID");

    const token = await managementToken(reg.cove);
    const url = `${reg.cove.managementUrl}//subscriptions/${reg.cove.credentials.subscriptionId}/resourceGroups?api-version=2021-04-01`;
    const groups = await https(url, { ca: reg.cove.ca, headers: { authorization: `Bearer ${token}` } });
    assert.equal(groups.status, 200, groups.body.toString());
    assert.ok(groups.json().value.some((g: { name: string }) => g.name === "namesreg-rg"));
  });
});

describe("descriptor sizes", () => {
  it("refuses a manifest whose config or layer size differs from the stored blob, naming digest and both sizes", async () => {
    const { doc, config, layer, configSize, layerSize } = await manifestFor("sizes/app");
    const cases = [
      { body: { ...doc, config: { ...doc.config, size: configSize + 1 } }, digest: config, declared: configSize + 1, stored: configSize },
      { body: { ...doc, layers: [{ ...doc.layers[0]!, size: 0 }] }, digest: layer, declared: 0, stored: layerSize },
    ];
    for (const c of cases) {
      const r = await put("/v2/sizes/app/manifests/bad", JSON.stringify(c.body));
      assert.equal(r.status, 400);
      const err = r.json().errors[0];
      assert.equal(err.code, "MANIFEST_INVALID");
      assert.equal(err.detail.digest, c.digest);
      assert.equal(err.detail.declaredSize, c.declared);
      assert.equal(err.detail.blobSize, c.stored);
      assert.match(err.detail.reason, new RegExp(`${c.declared}.*${c.digest}.*${c.stored}`));
    }
    assert.equal((await reg.call("GET", "/v2/sizes/app/manifests/bad")).status, 404);
    const ok = await put("/v2/sizes/app/manifests/good", JSON.stringify(doc));
    assert.equal(ok.status, 201);
  });
});

describe("deeply nested manifests", () => {
  it("answers MANIFEST_INVALID to a 100,000-deep array, and accepts nesting within the bound", async () => {
    const { doc } = await manifestFor("deep/app");
    const n = 100_000;
    const deep = JSON.stringify(doc).slice(0, -1) + ',"x":' + "[".repeat(n) + "]".repeat(n) + "}";
    const r = await put("/v2/deep/app/manifests/deep", deep);
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), "MANIFEST_INVALID");
    assert.equal(r.json().errors[0].detail.maxDepth, MAX_MANIFEST_DEPTH);
    // The server is still well: the same connection pool gets answers.
    assert.equal((await reg.call("GET", "/v2/deep/app/manifests/deep")).status, 404);

    // The root object is level 1, so an array nested MAX - 1 deep inside it is exactly at the bound;
    // a string full of brackets counts for nothing.
    const inner = MAX_MANIFEST_DEPTH - 1;
    const atBound = JSON.stringify({ ...doc, annotations: { note: "[[[[{{{{" } }).slice(0, -1) + ',"x":' + "[".repeat(inner) + "]".repeat(inner) + "}";
    const ok = await put("/v2/deep/app/manifests/ok", atBound);
    assert.equal(ok.status, 201, ok.body.toString());
    assert.equal(ok.headers["docker-content-digest"], sha256(atBound));
    const over = JSON.stringify(doc).slice(0, -1) + ',"x":' + "[".repeat(inner + 1) + "]".repeat(inner + 1) + "}";
    assert.equal((await put("/v2/deep/app/manifests/over", over)).status, 400);
  });
});
