// The data endpoint's signed URLs are bound to registry, repository, digest and expiry: every
// tampered, expired or transplanted URL is refused with the catalogued 403 DENIED and no bytes,
// and the data host offers nothing but blob downloads (no tokens, manifests, uploads or listings).
import { test } from "node:test";
import assert from "node:assert/strict";
import { pushBlob, imageManifest, putManifest, OCI_MANIFEST } from "../data-plane/harness.js";
import { OCI_ERRORS } from "../../src/data-plane/index.js";
import { signBlobGrant, verifyBlobGrant } from "../../src/data-plane/data-endpoint.js";
import { DATA_HOST, ENABLED, NAME, OTHER_ENABLED, follow, openDataHarness, type DataHarness } from "./harness.js";

const BYTES = Buffer.from("signed bytes");

async function redirected(dh: DataHarness, name = NAME, bytes = BYTES) {
  const digest = await pushBlob(dh.h, name, bytes);
  const r = await dh.call("GET", `/v2/${name}/blobs/${digest}`);
  assert.equal(r.status, 307);
  const u = new URL(r.headers.location!);
  return { digest, u, next: follow(r.headers.location!) };
}

function assertDenied(r: { status: number; json: any; body: Buffer }, reason: RegExp): void {
  assert.equal(r.status, 403);
  assert.equal(r.json.errors[0].code, "DENIED");
  assert.equal(r.json.errors[0].message, OCI_ERRORS.DATA_URL_DENIED.message);
  assert.match(r.json.errors[0].detail.reason, reason);
}

test("tampered, missing and malformed signatures are refused with 403 DENIED", async () => {
  const dh = await openDataHarness();
  try {
    const { u, next } = await redirected(dh);
    const path = u.pathname;
    const se = u.searchParams.get("se")!;
    const sig = u.searchParams.get("sig")!;
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    // The last of 43 base64url characters carries 4 bits: flipping an unused bit spells the same bytes.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sameBytes = sig.slice(0, 42) + alphabet[alphabet.indexOf(sig[42]!) ^ 1];
    const cases: [string, string, RegExp][] = [
      ["one character of sig changed", `${path}?se=${se}&sig=${flipped}`, /does not match/],
      ["same bytes, non-canonical spelling", `${path}?se=${se}&sig=${sameBytes}`, /does not match/],
      ["expiry pushed later", `${path}?se=${Number(se) + 3600}&sig=${sig}`, /does not match/],
      ["no query at all", path, /no signature/],
      ["sig without se", `${path}?sig=${sig}`, /no signature/],
      ["se without sig", `${path}?se=${se}`, /no signature/],
      ["sig too short", `${path}?se=${se}&sig=${sig.slice(0, 40)}`, /malformed/],
      ["sig with padding", `${path}?se=${se}&sig=${sig}=`, /malformed/],
      ["se not a number", `${path}?se=soon&sig=${sig}`, /malformed/],
    ];
    for (const [what, url, reason] of cases) {
      const r = await dh.call("GET", url, { host: next.host });
      assertDenied(r, reason);
      assert.ok(!r.body.includes(BYTES), what);
    }
    // The untouched URL still works: the refusals above were the tampering, not the URL.
    assert.equal((await dh.call("GET", next.url, { host: next.host })).status, 200);
  } finally {
    await dh.close();
  }
});

test("an issued URL works until its expiry and is refused from then on", async () => {
  const dh = await openDataHarness();
  try {
    const { next } = await redirected(dh);
    dh.clock.now += 10 * 60 * 1000 - 1000;
    assert.equal((await dh.call("GET", next.url, { host: next.host })).status, 200);
    dh.clock.now += 1000;
    assertDenied(await dh.call("GET", next.url, { host: next.host }), /expired/);
  } finally {
    await dh.close();
  }
});

test("a URL is refused for another digest, another repository and another registry", async () => {
  const dh = await openDataHarness();
  try {
    const { digest, u, next } = await redirected(dh);
    // Another blob in the same repository, which the caller may well be able to read.
    const otherDigest = await pushBlob(dh.h, NAME, "another blob");
    assertDenied(await dh.call("GET", `/v2/${NAME}/blobs/${otherDigest}${u.search}`, { host: next.host }), /does not match/);
    // The same blob linked in another repository.
    await pushBlob(dh.h, "team/elsewhere", BYTES);
    assertDenied(await dh.call("GET", `/v2/team/elsewhere/blobs/${digest}${u.search}`, { host: next.host }), /does not match/);
    // The same repository and blob in another registry, on that registry's data host.
    const other = await dh.h.call("POST", `/v2/${NAME}/blobs/uploads/?digest=${digest}`, { body: BYTES, registry: OTHER_ENABLED });
    assert.equal(other.status, 201);
    const r = await dh.call("GET", next.url, { host: "otherreg.westeurope.data.cove.test:8444", registry: OTHER_ENABLED });
    assertDenied(r, /does not match/);
  } finally {
    await dh.close();
  }
});

test("sign/verify: a grant verifies only for exactly its fields, key and lifetime", () => {
  const key = Buffer.alloc(32, 7);
  const g = { registryKey: ENABLED.key, repository: NAME, digest: "sha256:" + "a".repeat(64), method: "GET" as const };
  const expires = 2_000_000_000;
  const q = new URLSearchParams(signBlobGrant(key, g, expires));
  const now = expires * 1000 - 1;
  assert.equal(verifyBlobGrant(key, g, q, now), undefined);
  const rows: [string, string | undefined][] = [
    ["registry", verifyBlobGrant(key, { ...g, registryKey: OTHER_ENABLED.key }, q, now)],
    ["repository", verifyBlobGrant(key, { ...g, repository: "library/hello2" }, q, now)],
    ["digest", verifyBlobGrant(key, { ...g, digest: "sha256:" + "b".repeat(64) }, q, now)],
    ["key", verifyBlobGrant(Buffer.alloc(32, 8), g, q, now)],
    ["expired", verifyBlobGrant(key, g, q, expires * 1000)],
  ];
  for (const [what, reason] of rows) assert.ok(reason, `${what} must be refused`);
});

test("the data host serves no token endpoints, manifests, uploads, listings, HEAD or DELETE: 404 UNSUPPORTED", async () => {
  const dh = await openDataHarness();
  try {
    const { digest, u } = await redirected(dh);
    const img = await imageManifest(dh.h, NAME);
    assert.equal((await putManifest(dh.h, NAME, "v1", img.body, OCI_MANIFEST)).status, 201);
    const tokenCalls = dh.auth.tokenCalls;
    const checks = dh.auth.checks.length;
    const cases: [string, string][] = [
      ["POST", "/oauth2/token"],
      ["POST", "/oauth2/exchange"],
      ["GET", "/oauth2/token?service=myreg.cove.test&scope=repository:library/hello:pull"],
      ["GET", "/v2/"],
      ["GET", "/v2/_catalog"],
      ["GET", `/v2/${NAME}/manifests/v1`],
      ["HEAD", `/v2/${NAME}/manifests/v1`],
      ["GET", `/v2/${NAME}/tags/list`],
      ["POST", `/v2/${NAME}/blobs/uploads/`],
      ["HEAD", `/v2/${NAME}/blobs/${digest}${u.search}`],
      ["DELETE", `/v2/${NAME}/blobs/${digest}${u.search}`],
      ["GET", "/acr/v1/_catalog"],
      ["GET", `/acr/v1/${NAME}/_tags`],
    ];
    for (const [method, url] of cases) {
      const r = await dh.call(method, url, { host: DATA_HOST });
      assert.equal(r.status, 404, `${method} ${url}`);
      if (method !== "HEAD") {
        assert.equal(r.json.errors[0].code, "UNSUPPORTED", `${method} ${url}`);
        assert.match(r.json.errors[0].detail.reason, /only blob downloads/);
      }
    }
    assert.equal(dh.auth.tokenCalls, tokenCalls, "no token endpoint was reached");
    assert.equal(dh.auth.checks.length, checks, "no registry auth ran on the data host");
    // The blob is still there (the DELETE above did nothing), and the manifest still on the login server.
    assert.equal((await dh.call("HEAD", `/v2/${NAME}/blobs/${digest}`)).status, 200);
    assert.equal((await dh.call("GET", `/v2/${NAME}/manifests/v1`)).status, 200);
  } finally {
    await dh.close();
  }
});
