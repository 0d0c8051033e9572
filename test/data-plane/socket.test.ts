// The data plane behind the real request pipeline on a real (loopback, plain HTTP) socket: what
// fakeContext cannot show. Large bodies stream both ways, a refused manifest leaves the
// keep-alive connection usable, and a client that hangs up mid-chunk leaves the upload where
// it was, so it can resume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, Agent, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { pino } from "pino";
import { createRequestHandler, type PipelineDeps } from "../../src/http/pipeline.js";
import { ociErrorResult } from "../../src/data-plane/errors.js";
import { openHarness, REGISTRY, type Harness } from "./harness.js";

interface Res { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

async function serve(h: Harness): Promise<{ server: Server; port: number }> {
  const deps: PipelineDeps = {
    log: pino({ level: "silent" }),
    trustedProxies: new Set(),
    management: { routes: {}, verifyToken: async () => undefined, mapError: ociErrorResult },
    registry: {
      byHost: () => REGISTRY,
      handle: (ctx, registry) => h.plane.handle(ctx, registry),
      mapError: ociErrorResult,
      unknownHost: (ctx) => ociErrorResult(new Error("no host"), ctx),
    },
  };
  const server = createServer(createRequestHandler(deps, { kind: "registry", address: "127.0.0.1", port: 0 }));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, port: (server.address() as AddressInfo).port };
}

function send(port: number, agent: Agent, method: string, path: string, headers: Record<string, string | number>, body?: Buffer | ((req: import("node:http").ClientRequest) => void)): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { host: "myreg.cove.test", ...headers }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (typeof body === "function") body(req);
    else req.end(body);
  });
}

test("over a socket: a 24 MiB blob streams up in chunks and back down intact", async () => {
  const h = await openHarness();
  const { server, port } = await serve(h);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const blob = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < blob.length; i += 4096) blob.writeUInt32BE(i, i);
    const digest = "sha256:" + createHash("sha256").update(blob).digest("hex");
    const start = await send(port, agent, "POST", "/v2/big/blob/blobs/uploads/", { "content-length": 0 });
    assert.equal(start.status, 202);
    let loc = start.headers.location as string;
    const CHUNK = 4 * 1024 * 1024;
    for (let off = 0; off < blob.length; off += CHUNK) {
      const part = blob.subarray(off, off + CHUNK);
      const r = await send(port, agent, "PATCH", loc, { "content-type": "application/octet-stream", "content-length": part.length }, part);
      assert.equal(r.status, 202);
      assert.equal(r.headers.range, `0-${off + part.length - 1}`);
      loc = r.headers.location as string;
    }
    const put = await send(port, agent, "PUT", `${loc}?digest=${digest}`, { "content-length": 0 });
    assert.equal(put.status, 201);
    const get = await send(port, agent, "GET", `/v2/big%2Fblob/blobs/${digest.replace(":", "%3A")}`, {});
    assert.equal(get.status, 200);
    assert.equal(get.headers["content-length"], String(blob.length));
    assert.ok(get.body.equals(blob));
  } finally {
    agent.destroy();
    server.close();
    await h.close();
  }
});

test("over a socket: a refused oversized manifest and a 416 leave the keep-alive connection serving", async () => {
  const h = await openHarness({ maxManifestBytes: 1024 });
  const { server, port } = await serve(h);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const big = Buffer.alloc(64 * 1024, 0x20);
    const r = await send(port, agent, "PUT", "/v2/a/manifests/v1", { "content-type": "application/vnd.oci.image.manifest.v1+json", "content-length": big.length }, big);
    assert.equal(r.status, 413);
    assert.equal(JSON.parse(r.body.toString()).errors[0].code, "SIZE_INVALID");
    const loc = (await send(port, agent, "POST", "/v2/a/blobs/uploads/", { "content-length": 0 })).headers.location as string;
    const ooo = await send(port, agent, "PATCH", loc, { "content-range": "10-19", "content-length": 10 }, Buffer.alloc(10));
    assert.equal(ooo.status, 416);
    const base = await send(port, agent, "GET", "/v2/", {});
    assert.equal(base.status, 200);
    assert.equal(base.headers["docker-distribution-api-version"], "registry/2.0");
  } finally {
    agent.destroy();
    server.close();
    await h.close();
  }
});

test("over a socket: a client hanging up mid-chunk leaves the upload at its last complete chunk", async () => {
  const h = await openHarness();
  const { server, port } = await serve(h);
  const agent = new Agent({ keepAlive: false });
  try {
    const loc = (await send(port, agent, "POST", "/v2/a/blobs/uploads/", { "content-length": 0 })).headers.location as string;
    const first = Buffer.from("complete-chunk");
    assert.equal((await send(port, agent, "PATCH", loc, { "content-length": first.length }, first)).status, 202);
    // Declares 1 MiB, sends 64 KiB, then hangs up.
    await new Promise<void>((resolve) => {
      const req = request({ host: "127.0.0.1", port, method: "PATCH", path: loc, headers: { host: "x", "content-length": 1024 * 1024 }, agent });
      req.on("error", () => resolve());
      req.write(Buffer.alloc(64 * 1024, 1), () => setTimeout(() => { req.destroy(); resolve(); }, 100));
    });
    const id = loc.split("/").pop()!;
    // The server notices the hang-up asynchronously; wait (bounded) for it to settle.
    let size: number | undefined;
    for (let i = 0; i < 50; i++) {
      size = await h.blobs.uploadSize(id);
      if (size === first.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(size, first.length);
    const status = await send(port, agent, "GET", loc, {});
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, `0-${first.length - 1}`);
    const rest = Buffer.from("-and-the-rest");
    assert.equal((await send(port, agent, "PATCH", loc, { "content-length": rest.length }, rest)).status, 202);
    const digest = "sha256:" + createHash("sha256").update(Buffer.concat([first, rest])).digest("hex");
    assert.equal((await send(port, agent, "PUT", `${loc}?digest=${digest}`, { "content-length": 0 })).status, 201);
  } finally {
    agent.destroy();
    server.close();
    await h.close();
  }
});

test("over a socket: two racing PATCHes at the same offset: one 202, one 416, the chunk lands once and the server keeps serving", async () => {
  const h = await openHarness();
  const { server, port } = await serve(h);
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  try {
    const loc = (await send(port, agent, "POST", "/v2/a/blobs/uploads/", { "content-length": 0 })).headers.location as string;
    const part = Buffer.alloc(8 * 1024 * 1024, 7);
    const results = await Promise.all([0, 1].map(() => send(port, agent, "PATCH", loc, { "content-length": part.length }, part)));
    assert.deepEqual(results.map((r) => r.status).sort(), [202, 416]);
    const id = loc.split("/").pop()!;
    assert.equal(await h.blobs.uploadSize(id), part.length);
    const again = await Promise.all([0, 1].map(() => send(port, agent, "GET", "/v2/", {})));
    assert.deepEqual(again.map((r) => r.status), [200, 200]);
  } finally {
    agent.destroy();
    server.close();
    await h.close();
  }
});
