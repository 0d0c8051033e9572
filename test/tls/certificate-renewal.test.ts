// Server certificates live 90 days and are issued once per process, so a Cove that runs for months
// must renew them itself. Real TLS handshakes through a real listener (src/http/listener.ts) show
// which certificate a client is given, before and after renewal, with SNI and without.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type PeerCertificate } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { openLocalCa } from "../../src/http/tls/local-ca.js";
import { createServerCertificates, RENEW_AFTER_MS } from "../../src/http/tls/server-certificates.js";
import { openListener } from "../../src/http/listener.js";

async function peer(port: number, ca: string, servername?: string): Promise<PeerCertificate> {
  return new Promise((ok, fail) => {
    const s = connect({ host: "127.0.0.1", port, ca, servername, checkServerIdentity: () => undefined }, () => {
      const cert = s.getPeerCertificate();
      s.destroy();
      ok(cert);
    });
    s.once("error", fail);
  });
}

test("certificates are renewed once they are 30 days old, and every handshake then gets the new ones", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-renew-"));
  const ca = await openLocalCa(dir);
  const certs = await createServerCertificates(ca, { suffix: "cove.test", addresses: ["127.0.0.1"] });
  await certs.addLocations(["westeurope"]);
  const listener = await openListener({
    info: { kind: "management", address: "127.0.0.1", port: 0 },
    material: certs.material,
    onRequest: (_req, res) => res.end(),
    log: pino({ level: "silent" }),
  });
  const port = (listener.server.address() as { port: number }).port;
  try {
    const names = [undefined, "demoreg.cove.test", "demoreg.westeurope.data.cove.test"];
    const before = await Promise.all(names.map((n) => peer(port, ca.certPem, n)));
    assert.deepEqual(before.map((c) => c.subjectaltname), ["IP Address:127.0.0.1", "DNS:*.cove.test", "DNS:*.westeurope.data.cove.test"]);

    assert.equal(await certs.renewIfDue(), false, "fresh certificates are not renewed");
    assert.equal(await certs.renewIfDue(Date.now() + RENEW_AFTER_MS + 1000), true, "30-day-old certificates are renewed");
    listener.setSecureContext(certs.material);

    const after = await Promise.all(names.map((n) => peer(port, ca.certPem, n)));
    for (let i = 0; i < names.length; i++) {
      assert.equal(after[i]!.subjectaltname, before[i]!.subjectaltname, `same names for SNI ${names[i] ?? "(none)"}`);
      assert.notEqual(after[i]!.serialNumber, before[i]!.serialNumber, `a new certificate for SNI ${names[i] ?? "(none)"}`);
      assert.ok(new Date(after[i]!.valid_to) >= new Date(before[i]!.valid_to), "the new one lasts at least as long");
    }
  } finally {
    await listener.close(true);
    await rm(dir, { recursive: true, force: true });
  }
});
