// The OCI mapper on the storage errors and the two catalogue replies that name a request value:
// the bytes a client receives are the ones it received when the drivers still threw wire codes
// and these replies were built outside the catalogue.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BlobNotFound, BlobRangeInvalid, DigestInvalid, DigestMismatch, DomainError, STORAGE_ERROR_CODES, UploadChunkTooLarge, UploadExists,
  StoreFull, StoreUnavailable, UploadIdInvalid, UploadNotFound, UploadOffsetMismatch, type StorageError,
} from "../domain/errors.js";
import { catalogueEntry, catalogueMessage, toOciError, unknownHostResult } from "./errors.js";

const D = `sha256:${"ab".repeat(32)}`;

// [storage error, status, the body the data plane sent for the driver's former wire code]
const WIRE: [StorageError, number, string][] = [
  [new BlobNotFound(D), 404, `{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":{"digest":"${D}","reason":"blob ${D} is not known"}}]}`],
  [new BlobRangeInvalid(0, 5, 1), 416, `{"errors":[{"code":"RANGE_INVALID","message":"requested range is not satisfiable or does not follow on","detail":{"size":1,"reason":"range 0-5 is not within the blob's 1 bytes"}}]}`],
  [new DigestInvalid(), 400, `{"errors":[{"code":"DIGEST_INVALID","message":"provided digest is invalid or did not match uploaded content","detail":{"reason":"digest is not a valid sha256 or sha512 digest"}}]}`],
  [new DigestMismatch(D), 400, `{"errors":[{"code":"DIGEST_INVALID","message":"provided digest is invalid or did not match uploaded content","detail":{"digest":"${D}","reason":"upload content does not match digest ${D}"}}]}`],
  [new UploadIdInvalid(), 400, `{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid","detail":{"reason":"upload id is not valid"}}]}`],
  [new UploadExists("u-12345678"), 400, `{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid","detail":{"reason":"upload u-12345678 already exists"}}]}`],
  [new UploadNotFound("u-12345678"), 404, `{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown to registry","detail":{"id":"u-12345678"}}]}`],
  [new UploadNotFound(undefined), 404, `{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown to registry","detail":{}}]}`],
  [new UploadOffsetMismatch("u-12345678", 3, 1), 416, `{"errors":[{"code":"RANGE_INVALID","message":"requested range is not satisfiable or does not follow on","detail":{"size":3,"reason":"upload u-12345678 is at offset 3, not 1"}}]}`],
  [new StoreUnavailable("blob store", "503 ServerBusy"), 503, `{"errors":[{"code":"UNAVAILABLE","message":"the registry's storage is unavailable: retry later","detail":{"store":"blob store","reason":"the blob store is unavailable (503 ServerBusy)"}}]}`],
  [new StoreFull("blob store", "ENOSPC"), 507, `{"errors":[{"code":"UNAVAILABLE","message":"the registry's storage is full: nothing was stored; retry once space is freed","detail":{"store":"blob store","reason":"the blob store is full (ENOSPC)"}}]}`],
  [new UploadChunkTooLarge(2), 400, `{"errors":[{"code":"SIZE_INVALID","message":"provided length did not match content length","detail":{"maxBytes":2,"reason":"upload chunk exceeds 2 bytes"}}]}`],
];

test("every storage error answers as the driver's former wire code did, byte for byte", () => {
  for (const [err, status, body] of WIRE) {
    const { result, unexpected } = toOciError(err, "GET");
    assert.equal(unexpected, false, err.code);
    assert.equal(result.status, status, err.code);
    assert.equal(JSON.stringify(result.body), body, err.code);
    // A 503 also says when to retry, on GET and HEAD alike; nothing else carries Retry-After.
    const retry = status === 503 ? { "Retry-After": "5" } : {};
    assert.deepEqual(toOciError(err, "HEAD").result, { status, headers: retry }, `${err.code} HEAD`);
    assert.equal(result.headers?.["Retry-After"], retry["Retry-After"], `${err.code} GET`);
  }
  assert.deepEqual([...new Set(WIRE.map(([e]) => e.code))].sort(), [...STORAGE_ERROR_CODES].sort(), "the table covers every storage error");
});

test("storage codes are the store's words: none is an OCI key, and a bare wire code is still its own entry", () => {
  for (const code of STORAGE_ERROR_CODES) {
    assert.doesNotMatch(code, /^[A-Z_]+$/, code);
    assert.ok(catalogueEntry(code), code);
  }
  assert.equal(toOciError(new DomainError("NotAStorageError", "x"), "GET").unexpected, true);
});

test("the unknown-host reply is the catalogue's HOST_UNKNOWN, shaped as before", () => {
  assert.deepEqual(unknownHostResult({ host: "nobody.example:8443" }), {
    status: 404,
    headers: { "Docker-Distribution-API-Version": "registry/2.0" },
    body: { errors: [{ code: "NAME_UNKNOWN", message: "no registry is served at host 'nobody.example:8443'" }] },
  });
});

test("catalogue messages fill only the placeholders they are given", () => {
  assert.equal(
    catalogueMessage("FIREWALL_DENIED", { ip: "203.0.113.9" }),
    "client with IP '203.0.113.9' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.",
  );
  // A value is never read as a pattern, and a missing one stays visible.
  assert.equal(catalogueMessage("HOST_UNKNOWN", { host: "$&{host}" }), "no registry is served at host '$&{host}'");
  assert.equal(catalogueMessage("HOST_UNKNOWN", {}), "no registry is served at host '{host}'");
});
