// Dedicated data endpoints, in process over real stores: the login server authorizes and answers a
// blob GET with 307 to a signed URL on <name>.<location>.data.<suffix>; following it, without any
// Authorization, returns exactly the blob's bytes (Range included). HEAD, disabled registries,
// unauthorized clients and unknown blobs are never redirected.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pushBlob, REGISTRY } from "../data-plane/harness.js";
import { denyingAuth } from "../data-plane/allow-all-auth.js";
import { dataEndpointOf } from "../../src/data-plane/index.js";
import { randomBytes } from "node:crypto";
import { DATA_HOST, ENABLED, NAME, callPlane, follow, openDataHarness } from "./harness.js";

const BYTES = Buffer.from("0123456789abcdefghij");

test("GET blob on the login server: 307 to an absolute https URL on the data endpoint, login server's port, 10-minute expiry", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const r = await dh.call("GET", `/v2/${NAME}/blobs/${digest}`);
    assert.equal(r.status, 307);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers["cache-control"], "no-store");
    const loc = r.headers.location!;
    assert.match(loc, new RegExp(`^https://myreg\\.westeurope\\.data\\.cove\\.test:8444/v2/library/hello/blobs/sha256:[0-9a-f]{64}\\?se=[0-9]+&sig=[A-Za-z0-9_-]{43}$`));
    const u = new URL(loc);
    assert.equal(u.pathname, `/v2/${NAME}/blobs/${digest}`);
    assert.equal(Number(u.searchParams.get("se")), Math.floor(dh.clock.now / 1000) + 600);
    // Authorization happened on the login server, with the route's own need.
    assert.deepEqual(dh.auth.checks.at(-1), { kind: "repository", repository: NAME, actions: ["pull"] });
  } finally {
    await dh.close();
  }
});

test("the data endpoint name follows the login server: suffix, location in lower case, no port on 443", () => {
  assert.deepEqual(dataEndpointOf({ ...ENABLED, loginServer: "myreg.cove.test" }), { host: "myreg.westeurope.data.cove.test", authority: "myreg.westeurope.data.cove.test" });
  assert.deepEqual(dataEndpointOf({ ...ENABLED, name: "MyReg", location: "WestEurope", loginServer: "myreg.registry.corp.example:9443" }),
    { host: "myreg.westeurope.data.registry.corp.example", authority: "myreg.westeurope.data.registry.corp.example:9443" });
  // Without a location there is no data endpoint to send anyone to.
  assert.equal(dataEndpointOf({ ...ENABLED, location: "" }), undefined);
});

test("following the Location without Authorization returns the exact bytes, and Range works there", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const r = await dh.call("GET", `/v2/${NAME}/blobs/${digest}`, { headers: { authorization: "Bearer login-server-token" } });
    const next = follow(r.headers.location!);
    assert.equal(next.host, DATA_HOST);
    const checksBefore = dh.auth.checks.length;
    const got = await dh.call("GET", next.url, { host: next.host });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, BYTES);
    assert.equal(got.headers["content-length"], String(BYTES.length));
    assert.equal(got.headers["docker-content-digest"], digest);
    // No registry auth ran on the data host: the signature was the credential.
    assert.equal(dh.auth.checks.length, checksBefore);

    const part = await dh.call("GET", next.url, { host: next.host, headers: { range: "bytes=5-9" } });
    assert.equal(part.status, 206);
    assert.equal(part.body.toString(), "56789");
    assert.equal(part.headers["content-range"], `bytes 5-9/${BYTES.length}`);
    const bad = await dh.call("GET", next.url, { host: next.host, headers: { range: "bytes=50-60" } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers["content-range"], `bytes */${BYTES.length}`);
  } finally {
    await dh.close();
  }
});

test("a Range GET on the login server is redirected too (the client resends Range to the data endpoint)", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const r = await dh.call("GET", `/v2/${NAME}/blobs/${digest}`, { headers: { range: "bytes=0-3" } });
    assert.equal(r.status, 307);
    const next = follow(r.headers.location!);
    const got = await dh.call("GET", next.url, { host: next.host, headers: { range: "bytes=0-3" } });
    assert.equal(got.status, 206);
    assert.equal(got.body.toString(), "0123");
  } finally {
    await dh.close();
  }
});

test("HEAD blob on the login server answers directly: 200 with Content-Length, no Location", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const r = await dh.call("HEAD", `/v2/${NAME}/blobs/${digest}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-length"], String(BYTES.length));
    assert.equal(r.headers.location, undefined);
  } finally {
    await dh.close();
  }
});

test("a registry without dataEndpointEnabled serves the bytes on the login server, and its data host serves nothing", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const r = await dh.call("GET", `/v2/${NAME}/blobs/${digest}`, { registry: REGISTRY });
    assert.equal(r.status, 200);
    assert.equal(r.headers.location, undefined);
    assert.deepEqual(r.body, BYTES);
    // A URL signed while the endpoint was on stops working once it is off.
    const signed = follow((await dh.call("GET", `/v2/${NAME}/blobs/${digest}`)).headers.location!);
    const off = await dh.call("GET", signed.url, { host: signed.host, registry: REGISTRY });
    assert.equal(off.status, 404);
    assert.equal(off.json.errors[0].code, "UNSUPPORTED");
    assert.match(off.json.errors[0].detail.reason, /not enabled/);
  } finally {
    await dh.close();
  }
});

test("authorization comes first: an unauthorized GET gets the 401 challenge, not a Location", async () => {
  const dh = await openDataHarness({ auth: denyingAuth("pull") });
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const r = await dh.call("GET", `/v2/${NAME}/blobs/${digest}`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.location, undefined);
    assert.match(r.headers["www-authenticate"]!, /scope="repository:library\/hello:pull"/);
  } finally {
    await dh.close();
  }
});

test("a blob the repository does not link is a 404 on the login server, not a redirect", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, "other/repo", BYTES);
    const r = await dh.call("GET", `/v2/${NAME}/blobs/${digest}`);
    assert.equal(r.status, 404);
    assert.equal(r.json.errors[0].code, "BLOB_UNKNOWN");
    assert.equal(r.headers.location, undefined);
  } finally {
    await dh.close();
  }
});

test("a blob deleted after the redirect is BLOB_UNKNOWN on the data endpoint", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const next = follow((await dh.call("GET", `/v2/${NAME}/blobs/${digest}`)).headers.location!);
    assert.equal((await dh.call("DELETE", `/v2/${NAME}/blobs/${digest}`)).status, 202);
    const r = await dh.call("GET", next.url, { host: next.host });
    assert.equal(r.status, 404);
    assert.equal(r.json.errors[0].code, "BLOB_UNKNOWN");
  } finally {
    await dh.close();
  }
});

test("percent-encoded names and digests, as @azure/container-registry sends them, redirect to the canonical path", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const r = await dh.call("GET", `/v2/library%2Fhello/blobs/${digest.replace(":", "%3A")}`);
    assert.equal(r.status, 307);
    const next = follow(r.headers.location!);
    assert.equal(new URL(r.headers.location!).pathname, `/v2/${NAME}/blobs/${digest}`);
    const got = await dh.call("GET", next.url, { host: next.host });
    assert.deepEqual(got.body, BYTES);
  } finally {
    await dh.close();
  }
});

test("the same key after a restart honours URLs issued before it; a new random key does not", async () => {
  const dh = await openDataHarness();
  try {
    const digest = await pushBlob(dh.h, NAME, BYTES);
    const next = follow((await dh.call("GET", `/v2/${NAME}/blobs/${digest}`)).headers.location!);
    const ok = await callPlane(dh.planeWith(dh.key), "GET", next.url, { host: next.host });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, BYTES);
    const refused = await callPlane(dh.planeWith(randomBytes(32)), "GET", next.url, { host: next.host });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.errors[0].code, "DENIED");
  } finally {
    await dh.close();
  }
});

test("a data-endpoint key shorter than 32 bytes is refused at creation", async () => {
  const dh = await openDataHarness();
  try {
    assert.throws(() => dh.planeWith(Buffer.alloc(16, 1)), /at least 32 bytes/);
  } finally {
    await dh.close();
  }
});
