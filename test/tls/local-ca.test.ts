import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, readFile } from "node:fs/promises";
import { createServer, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLocalCa } from "../../src/http/tls/local-ca.js";

async function handshake(ca: string, material: { cert: string; key: string }, servername: string): Promise<string> {
  const server = createServer(material, (_req, res) => res.end("ok"));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise<string>((ok, fail) => {
      const req = request({ host: "127.0.0.1", port, servername, ca, headers: { host: servername } }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => ok(body));
      });
      req.on("error", fail);
      req.end();
    });
  } finally {
    server.close();
  }
}

test("the CA is created once, key mode 0600, and reused on the next start", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-ca-"));
  try {
    const a = await openLocalCa(dir);
    const keyMode = (await stat(join(dir, "ca", "ca.key"))).mode & 0o777;
    assert.equal(keyMode, 0o600);
    const b = await openLocalCa(dir);
    assert.equal(a.certPem, b.certPem);
    assert.equal(await readFile(a.certPath, "utf8"), a.certPem);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("issued certificates verify for their names and IPs, and not for privatelink names", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-ca-"));
  try {
    const ca = await openLocalCa(dir);
    const material = await ca.issue(["localhost", "127.0.0.1", "demoreg.cove.test", "demoreg.westeurope.data.cove.test"]);
    assert.equal(await handshake(ca.certPem, material, "demoreg.cove.test"), "ok");
    assert.equal(await handshake(ca.certPem, material, "demoreg.westeurope.data.cove.test"), "ok");
    // As Azure: the certificate does not cover the privatelink name (acr-networking.md section 3).
    await assert.rejects(handshake(ca.certPem, material, "demoreg.privatelink.cove.test"), /altnames|Hostname/i);
    // A different CA's clients do not trust it.
    const other = await openLocalCa(join(dir, "other"));
    await assert.rejects(handshake(other.certPem, material, "demoreg.cove.test"), /certificate/i);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
