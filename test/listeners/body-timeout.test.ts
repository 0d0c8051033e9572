// Issue 7 item 2: request bodies that stall are cut, on the registry and the management listener,
// over raw TLS sockets to a real Cove with a short body-progress timeout (2 s, 1024 bytes). An
// authenticated PATCH that announces 100 GB and goes quiet after 1000 bytes, and one that drips a
// byte every 400 ms, get the catalogued 408 and the connection is closed within the bound; an
// unauthenticated drip gets its 401 and is closed at once (its body is never drained). A slow but
// steady body and a normal 8 MiB upload are not cut.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { startCove, type TestCove } from "../support/cove.js";
import { ROLE, assignRole, createRegistry, createServicePrincipal, managementToken } from "../support/arm.js";
import { basic, https } from "../support/http.js";
import { OCI_ERRORS } from "../../src/data-plane/errors.js";
import { ARM_ERRORS } from "../../src/control-plane/arm/errors.js";

const INTERVAL_S = 2;
const MIN_BYTES = 1024;
let cove: TestCove;
let loginServer: string;
let sni: string;
let token: string;

before(async () => {
  cove = await startCove({ bodyProgressTimeoutSeconds: String(INTERVAL_S), bodyProgressMinBytes: String(MIN_BYTES) });
  const reg = await createRegistry(cove, "body-rg", "bodyacr");
  loginServer = reg.loginServer;
  sni = loginServer.replace(/:\d+$/, "");
  const sp = await createServicePrincipal(cove, "body-pusher");
  await assignRole(cove, reg.id, sp.objectId, ROLE.AcrPush);
  const t = await registry(`/oauth2/token?service=${encodeURIComponent(loginServer)}&scope=repository:team/app:pull,push`, { headers: { authorization: basic(sp.appId, sp.password) } });
  assert.equal(t.status, 200, t.body.toString());
  token = t.json().access_token;
});
after(async () => { await cove?.stop(); });

function registry(path: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}) {
  return https(`https://127.0.0.1:${cove.registryPort}${path}`, { ca: cove.ca, host: loginServer, ...o });
}

async function newUpload(): Promise<string> {
  const r = await registry("/v2/team/app/blobs/uploads/", { method: "POST", headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 202, r.body.toString());
  return String(r.headers.location);
}

interface Exchange {
  /** Status of the answer, 0 when none came. */
  status: number;
  text: string;
  /** Milliseconds from the end of the request head to the server closing the connection. */
  closedAfterMs: number;
  /** Body bytes the client managed to send before the close. */
  sent: number;
}

/**
 * A raw HTTP/1.1 request over TLS: the head, then `body(write)` feeds bytes as it likes. Resolves when
 * the server closes the connection; gives up (rejects) after `limitMs`, so a Cove that never closes
 * fails the test instead of hanging it.
 */
function rawRequest(port: number, servername: string, head: string[], body: (write: (b: Buffer) => boolean, closed: () => boolean) => Promise<void>, limitMs = 20_000): Promise<Exchange> {
  return new Promise((ok, fail) => {
    const socket = connect({ host: "127.0.0.1", port, servername: /^[\d.]+$/.test(servername) ? undefined : servername, ca: cove.ca });
    let text = "";
    let sent = 0;
    let headAt = 0;
    let closed = false;
    const limit = setTimeout(() => { socket.destroy(); fail(new Error(`the server kept the connection open for ${limitMs} ms`)); }, limitMs);
    socket.on("secureConnect", () => {
      socket.write([...head, "", ""].join("\r\n"));
      headAt = Date.now();
      void body((b) => { if (closed) return false; sent += b.length; socket.write(b); return true; }, () => closed).catch(() => undefined);
    });
    socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
    socket.on("error", () => undefined); // EPIPE/ECONNRESET while still sending: the close is what we measure
    socket.on("close", () => {
      closed = true;
      clearTimeout(limit);
      ok({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, closedAfterMs: Date.now() - headAt, sent });
    });
  });
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
/** Drips one byte every `everyMs` until the server closes (at most `max` bytes). */
const drip = (everyMs: number, max = 1000) => async (write: (b: Buffer) => boolean, closed: () => boolean) => {
  for (let i = 0; i < max && !closed(); i++) {
    write(Buffer.from("x"));
    await sleep(everyMs);
  }
};

function patchHead(location: string, length: number, auth?: string): string[] {
  return [`PATCH ${location} HTTP/1.1`, `Host: ${loginServer}`, "Content-Type: application/octet-stream", `Content-Length: ${length}`, ...(auth ? [`Authorization: ${auth}`] : [])];
}

function assertBodyTimeout(x: Exchange): void {
  assert.equal(x.status, 408, x.text);
  const body = JSON.parse(x.text.slice(x.text.indexOf("\r\n\r\n") + 4));
  assert.equal(body.errors[0].code, "BLOB_UPLOAD_INVALID");
  assert.equal(body.errors[0].message, OCI_ERRORS.BODY_TIMEOUT.message);
  assert.match(x.text, /\r\nconnection: close\r\n/i);
}

test("an authenticated PATCH announcing 100 GB that goes quiet after 1000 bytes: 408, closed within two intervals", async () => {
  const location = await newUpload();
  const x = await rawRequest(cove.registryPort, sni, patchHead(location, 100_000_000_000, `Bearer ${token}`), async (write) => { write(Buffer.alloc(1000, 1)); });
  assertBodyTimeout(x);
  assert.ok(x.closedAfterMs >= INTERVAL_S * 1000 - 200, `closed after ${x.closedAfterMs} ms: before one interval passed`);
  assert.ok(x.closedAfterMs < 2 * INTERVAL_S * 1000 + 2000, `closed after ${x.closedAfterMs} ms`);
  // The cut chunk was not kept: the session still has no bytes.
  const status = await registry(location, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(status.status, 204);
  assert.equal(status.headers.range, "0-0");
  // And the session is usable again: the next chunk is taken from offset 0.
  const next = await registry(location, { method: "PATCH", headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" }, body: Buffer.alloc(10, 3) });
  assert.equal(next.status, 202, next.body.toString());
  assert.equal(next.headers.range, "0-9");
});

test("an authenticated PATCH dripping a byte every 400 ms: 408, closed within two intervals", async () => {
  const location = await newUpload();
  const x = await rawRequest(cove.registryPort, sni, patchHead(location, 1_000_000, `Bearer ${token}`), drip(400));
  assertBodyTimeout(x);
  assert.ok(x.sent > 0 && x.sent < 20, `sent ${x.sent} bytes`);
  assert.ok(x.closedAfterMs < 2 * INTERVAL_S * 1000 + 2000, `closed after ${x.closedAfterMs} ms`);
});

test("an unauthenticated PATCH dripping a byte every 400 ms: 401 and closed at once, the body never drained", async () => {
  const location = await newUpload();
  const x = await rawRequest(cove.registryPort, sni, patchHead(location, 1_000_000), drip(400));
  assert.equal(x.status, 401, x.text);
  assert.match(x.text, /\r\nconnection: close\r\n/i);
  assert.ok(x.closedAfterMs < 1500, `closed after ${x.closedAfterMs} ms: the body was read instead`);
  assert.ok(x.sent <= 4, `sent ${x.sent} bytes`);
  // Sending fast does not help either: an unauthenticated 10 MB body is not read to its end.
  const big = await rawRequest(cove.registryPort, sni, patchHead(location, 10 * 1024 * 1024), async (write, closed) => {
    for (let i = 0; i < 160 && !closed(); i++) { write(Buffer.alloc(64 * 1024)); await sleep(5); }
  });
  assert.equal(big.status, 401);
  assert.ok(big.sent < 10 * 1024 * 1024, "the whole body went through before the close");
});

test("the management listener: a stalled ARM PUT body gets ARM's 408 RequestTimeout and the connection closes", async () => {
  const mgmt = new URL(cove.managementUrl);
  const arm = await managementToken(cove);
  const path = `/subscriptions/${cove.credentials.subscriptionId}/resourcegroups/stall-rg?api-version=2021-04-01`;
  const x = await rawRequest(Number(mgmt.port), mgmt.hostname, [`PUT ${path} HTTP/1.1`, `Host: ${mgmt.host}`, "Content-Type: application/json", "Content-Length: 5000", `Authorization: Bearer ${arm}`],
    async (write) => { write(Buffer.from('{"location":')); });
  assert.equal(x.status, 408, x.text);
  const body = JSON.parse(x.text.slice(x.text.indexOf("\r\n\r\n") + 4));
  assert.equal(body.error.code, "RequestTimeout");
  assert.equal(body.error.message, ARM_ERRORS.RequestTimeout.message.replace("{minBytes}", String(MIN_BYTES)).replace("{seconds}", String(INTERVAL_S)));
  assert.ok(x.closedAfterMs < 2 * INTERVAL_S * 1000 + 2000, `closed after ${x.closedAfterMs} ms`);
});

test("a slow but steady body (1500 bytes a second for 5 s) and a normal 8 MiB upload are not cut", async () => {
  const location = await newUpload();
  const total = 1500 * 5;
  const slow = await rawRequest(cove.registryPort, sni, [...patchHead(location, total, `Bearer ${token}`), "Connection: close"], async (write) => {
    for (let i = 0; i < 5; i++) { write(Buffer.alloc(1500, 2)); await sleep(1000); }
  });
  assert.equal(slow.status, 202, slow.text);
  assert.match(slow.text, new RegExp(`\\r\\nrange: 0-${total - 1}\\r\\n`, "i"));

  const big = await newUpload();
  const bytes = Buffer.alloc(8 * 1024 * 1024, 7);
  const r = await registry(big, { method: "PATCH", headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" }, body: bytes });
  assert.equal(r.status, 202, r.body.toString());
  assert.equal(r.headers.range, `0-${bytes.length - 1}`);
});
