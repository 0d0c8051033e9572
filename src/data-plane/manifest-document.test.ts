import { test } from "node:test";
import assert from "node:assert/strict";
import { DomainError } from "../domain/errors.js";
import { parseManifest } from "./manifest-document.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const OCI = "application/vnd.oci.image.manifest.v1+json";
const IDX = "application/vnd.oci.image.index.v1+json";
const body = (o: object) => Buffer.from(JSON.stringify(o));
const invalid = (e: unknown) => e instanceof DomainError && e.code === "MANIFEST_INVALID";

test("image manifest: blob refs, subject, artifactType falls back to the config media type", () => {
  const m = parseManifest(body({
    schemaVersion: 2, mediaType: OCI,
    config: { mediaType: "application/vnd.example.cfg", digest: d("a"), size: 2 },
    layers: [
      { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: d("b"), size: 3 },
      { mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", digest: d("c"), size: 4, urls: ["https://x/y"] },
      { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: d("b"), size: 3 },
    ],
    subject: { mediaType: OCI, digest: d("e"), size: 9 },
    annotations: { k: "v" },
  }), OCI);
  assert.equal(m.mediaType, OCI);
  assert.deepEqual(m.blobRefs, [d("a"), d("b")]);
  assert.deepEqual(m.manifestRefs, []);
  assert.equal(m.subject, d("e"));
  assert.equal(m.artifactType, "application/vnd.example.cfg");
  assert.deepEqual(m.annotations, { k: "v" });
});

test("index: child manifests; no artifactType unless declared; media type inferred without one", () => {
  const m = parseManifest(body({ schemaVersion: 2, manifests: [{ mediaType: OCI, digest: d("1"), size: 5 }] }), undefined);
  assert.equal(m.mediaType, IDX);
  assert.deepEqual(m.manifestRefs, [d("1")]);
  assert.equal(m.artifactType, undefined);
  // Content-Type parameters are ignored.
  assert.equal(parseManifest(body({ schemaVersion: 2, mediaType: IDX, manifests: [] }), `${IDX}; charset=utf-8`).mediaType, IDX);
});

test("malformed manifests are MANIFEST_INVALID", () => {
  const cfg = { mediaType: "x/y", digest: d("a"), size: 1 };
  const bad: [Buffer, string | undefined][] = [
    [Buffer.from("{"), OCI],
    [Buffer.from("null"), OCI],
    [body({ schemaVersion: 1, mediaType: OCI, config: cfg, layers: [] }), OCI],
    [body({ schemaVersion: 2, mediaType: "application/vnd.unknown+json" }), undefined],
    [body({ schemaVersion: 2, mediaType: OCI, layers: [] }), OCI],
    [body({ schemaVersion: 2, mediaType: OCI, config: cfg }), OCI],
    [body({ schemaVersion: 2, mediaType: OCI, config: { ...cfg, size: 1.5 }, layers: [] }), OCI],
    [body({ schemaVersion: 2, mediaType: OCI, config: { ...cfg, digest: "sha256:zz" }, layers: [] }), OCI],
    [body({ schemaVersion: 2, mediaType: OCI, config: cfg, layers: [{}] }), OCI],
    [body({ schemaVersion: 2, mediaType: OCI, config: cfg, layers: [], annotations: { a: 1 } }), OCI],
    [body({ schemaVersion: 2, mediaType: OCI, config: cfg, layers: [] }), IDX],
    [body({ schemaVersion: 2, mediaType: IDX, manifests: {} }), IDX],
    [body({ schemaVersion: 2 }), undefined],
  ];
  bad.forEach(([b, ct], i) => assert.throws(() => parseManifest(b, ct), invalid, `case ${i}`));
});
