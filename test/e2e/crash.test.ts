// Crash safety (issue 2 acceptance): kill -9 the server during 8 concurrent uploads, restart it on the
// same data dir, and check what a user would: every manifest pushed before the kill is intact, no
// readable blob mismatches its digest, and each interrupted upload either resumes to a correct blob
// or answers BLOB_UPLOAD_UNKNOWN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, spawnCove, type TestCove } from "../support/cove.js";
import { createRegistry } from "../support/arm.js";
import { https, basic, type HttpResult } from "../support/http.js";

const PATTERN = randomBytes(1 << 20);
const UPLOAD_SIZE = 48 * PATTERN.length;

/** Bytes [from, to) of the deterministic upload content. */
function content(from: number, to: number, chunk = 256 * 1024): Readable {
  let pos = from;
  return new Readable({
    read() {
      if (pos >= to) { this.push(null); return; }
      const n = Math.min(chunk, to - pos);
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; ) {
        const off = (pos + i) % PATTERN.length;
        const take = Math.min(n - i, PATTERN.length - off);
        PATTERN.copy(out, i, off, off + take);
        i += take;
      }
      pos += n;
      this.push(out);
    },
  });
}

function contentDigest(): string {
  const h = createHash("sha256");
  for (let i = 0; i < UPLOAD_SIZE / PATTERN.length; i++) h.update(PATTERN);
  return "sha256:" + h.digest("hex");
}

test("kill -9 during 8 concurrent uploads loses no pushed manifest and corrupts no blob", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-crash-"));
  const mport = await freePort();
  const rport = await freePort();
  let server = await spawnCove(dataDir, mport, rport);
  try {
    const { readFile } = await import("node:fs/promises");
    const ca = await readFile(server.credentials.caCertPath, "utf8");
    const cove = { credentials: server.credentials, ca, managementUrl: server.credentials.managementEndpoint, registryPort: rport, suffix: "cove.test", dataDir } as TestCove;
    const reg = await createRegistry(cove, "crash-rg", "crashreg");
    const auth = basic(server.credentials.clientId, server.credentials.clientSecret);
    const base = `https://127.0.0.1:${rport}`;
    const req = (method: string, path: string, body?: Buffer | Readable, headers: Record<string, string> = {}): Promise<HttpResult> =>
      https(base + path, { method, ca, host: reg.loginServer, headers: { authorization: auth, ...headers }, body });

    // 1. Images pushed completely before the crash.
    const pushed: Array<{ repo: string; digest: string; body: Buffer; blobs: string[] }> = [];
    for (let i = 0; i < 6; i++) {
      const repo = `crash/img${i}`;
      const layer = randomBytes(100_000 + i);
      const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", n: i }));
      const blobs: string[] = [];
      for (const b of [layer, config]) {
        const d = "sha256:" + createHash("sha256").update(b).digest("hex");
        const r = await req("POST", `/v2/${repo}/blobs/uploads/?digest=${d}`, b, { "content-type": "application/octet-stream" });
        assert.equal(r.status, 201, r.body.toString());
        blobs.push(d);
      }
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: blobs[1], size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: blobs[0], size: layer.length }],
      }));
      const r = await req("PUT", `/v2/${repo}/manifests/v1`, manifest, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      assert.equal(r.status, 201, r.body.toString());
      pushed.push({ repo, digest: String(r.headers["docker-content-digest"]), body: manifest, blobs });
    }

    // 2. Eight uploads streaming when the server is killed.
    const locations: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await req("POST", `/v2/crash/upload${i}/blobs/uploads/`);
      assert.equal(r.status, 202);
      locations.push(String(r.headers.location));
    }
    const inflight = locations.map((loc) =>
      req("PATCH", loc, content(0, UPLOAD_SIZE, 64 * 1024), { "content-type": "application/octet-stream" }).catch((e) => e));
    await sleep(400);
    server.child.kill("SIGKILL");
    await server.waitExit();
    await Promise.all(inflight);

    // 3. Restart on the same data dir.
    server = await spawnCove(dataDir, mport, rport);

    for (const p of pushed) {
      const r = await req("GET", `/v2/${p.repo}/manifests/v1`, undefined, { accept: "application/vnd.oci.image.manifest.v1+json" });
      assert.equal(r.status, 200, `${p.repo}: ${r.body}`);
      assert.ok(r.body.equals(p.body), `${p.repo} manifest bytes unchanged`);
      assert.equal(r.headers["docker-content-digest"], p.digest);
      for (const d of p.blobs) {
        const b = await req("GET", `/v2/${p.repo}/blobs/${d}`);
        assert.equal(b.status, 200);
        assert.equal("sha256:" + createHash("sha256").update(b.body).digest("hex"), d, "blob bytes match their digest");
      }
    }

    const expected = contentDigest();
    let resumed = 0;
    let unknown = 0;
    for (const loc of locations) {
      const s = await req("GET", loc);
      if (s.status === 404) {
        assert.equal(JSON.parse(s.body.toString()).errors[0].code, "BLOB_UPLOAD_UNKNOWN");
        unknown++;
        continue;
      }
      assert.equal(s.status, 204, s.body.toString());
      // Range is "0-<last byte received>"; "0-0" is ambiguous between 0 and 1 byte, so try 0 first.
      const range = String(s.headers.range ?? "0-0");
      const end = Number(range.split("-")[1]);
      let loc2 = String(s.headers.location ?? loc);
      const candidates = range === "0-0" ? [0, 1] : [end + 1];
      for (const from of candidates) {
        if (from >= UPLOAD_SIZE) break;
        const p = await req("PATCH", loc2, content(from, UPLOAD_SIZE), {
          "content-type": "application/octet-stream",
          "content-range": `${from}-${UPLOAD_SIZE - 1}`,
          "content-length": String(UPLOAD_SIZE - from),
        });
        if (p.status === 416 && from === 0 && candidates.length === 2) continue;
        assert.equal(p.status, 202, p.body.toString());
        loc2 = String(p.headers.location);
        break;
      }
      const sep = loc2.includes("?") ? "&" : "?";
      const put = await req("PUT", `${loc2}${sep}digest=${expected}`);
      assert.equal(put.status, 201, `resumed upload must complete to the right digest: ${put.body}`);
      const got = await req("GET", `/v2/crash/upload0/blobs/${expected}`.replace("upload0", new URL("https://x" + loc).pathname.split("/")[3]));
      assert.equal("sha256:" + createHash("sha256").update(got.body).digest("hex"), expected);
      resumed++;
    }
    assert.equal(resumed + unknown, 8);
  } finally {
    server.child.kill("SIGKILL");
    await server.waitExit();
    await rm(dataDir, { recursive: true, force: true });
  }
});
