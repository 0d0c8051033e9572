// An operator can bring their own certificate and key instead of Cove's local CA (issue 2
// section 3): every listener then presents exactly that certificate, and Cove creates no CA.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { openLocalCa } from "../../src/http/tls/local-ca.js";
import { startCove } from "../support/cove.js";
import { https } from "../support/http.js";

function peerCertificate(port: number, ca: string, servername: string): Promise<string> {
  return new Promise((ok, fail) => {
    const s = connect({ host: "127.0.0.1", port, ca, servername }, () => {
      ok(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on("error", fail);
  });
}

test("tlsCertFile and tlsKeyFile replace the local CA on every listener", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-opcert-"));
  try {
    // The operator's own PKI (here: another CA, standing in for a corporate one).
    const corp = await openLocalCa(join(dir, "corp"));
    const material = await corp.issue(["localhost", "127.0.0.1", "opreg.cove.test"]);
    await writeFile(join(dir, "tls.crt"), material.cert);
    await writeFile(join(dir, "tls.key"), material.key, { mode: 0o600 });
    const cove = await startCove({ tlsCertFile: join(dir, "tls.crt"), tlsKeyFile: join(dir, "tls.key") });
    try {
      assert.equal(cove.credentials.caCertPath, join(dir, "tls.crt"));
      await assert.rejects(access(join(cove.dataDir, "ca", "ca.key")), "no local CA is created");
      const health = await https(`${cove.managementUrl}/healthz`, { ca: corp.certPem });
      assert.equal(health.status, 200);
      const mgmtPort = Number(new URL(cove.managementUrl).port);
      const a = await peerCertificate(mgmtPort, corp.certPem, "localhost");
      const b = await peerCertificate(cove.registryPort, corp.certPem, "opreg.cove.test");
      assert.equal(a, b, "both listeners present the operator's certificate");
    } finally {
      await cove.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a certificate without its key is a configuration error naming both keys", async () => {
  await assert.rejects(startCove({ tlsCertFile: "/nonexistent.crt" }), /tlsCertFile and tlsKeyFile must be given together/);
});
