// Issue 7 item 5: the certificate a handshake gets must never name a registry. Real `openssl s_client`
// against a real Cove with two registries in two resource groups (one Premium, public access
// disabled, in another location): by SNI, `*.<suffix>` for login servers, `*.<location>.data.<suffix>`
// for data endpoints; without SNI, only the listen addresses. curl still verifies against the CA.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startCove, type TestCove } from "../support/cove.js";
import { clients } from "../support/arm.js";

let cove: TestCove;
let caFile: string;
const REGISTRY_NAMES = /alphaacr|hiddenacr|gammaacr|deltaacr/i;

function run(cmd: string, args: string[], input = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const c = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    // Bounded: a handshake on loopback takes milliseconds.
    const timer = setTimeout(() => c.kill("SIGKILL"), 15_000);
    c.on("error", fail);
    c.on("close", (code) => { clearTimeout(timer); ok({ code, stdout, stderr }); });
    c.stdin.end(input);
  });
}

interface Presented { san: string; subject: string; verify: string; fingerprint: string }

/** openssl s_client (with -servername when given), then openssl x509 on the certificate it printed. */
async function presented(port: number, servername?: string): Promise<Presented> {
  const args = ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", caFile];
  if (servername) args.push("-servername", servername, "-verify_hostname", servername);
  else args.push("-verify_ip", "127.0.0.1");
  const s = await run("openssl", args, "");
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(s.stdout)?.[0];
  assert.ok(pem, `s_client printed a certificate: ${s.stdout}\n${s.stderr}`);
  const x = await run("openssl", ["x509", "-noout", "-subject", "-fingerprint", "-sha256", "-ext", "subjectAltName"], pem);
  assert.equal(x.code, 0, x.stderr);
  const san = /X509v3 Subject Alternative Name:\s*\n\s*(.+)/.exec(x.stdout)?.[1]?.trim() ?? "";
  return {
    san,
    subject: /subject=(.*)/.exec(x.stdout)?.[1]?.trim() ?? "",
    fingerprint: /Fingerprint=(.*)/i.exec(x.stdout)?.[1]?.trim() ?? "",
    verify: /Verify return code: (.*)/.exec(s.stdout)?.[1]?.trim() ?? "",
  };
}

async function registry(group: string, name: string, location: string, extra: Record<string, unknown> = {}): Promise<void> {
  const { acr, resources } = clients(cove);
  await resources.resourceGroups.createOrUpdate(group, { location });
  await acr.registries.create(group, name, { location, sku: { name: "Premium" }, ...extra } as any);
}

before(async () => {
  cove = await startCove();
  caFile = join(cove.dataDir, "test-ca.crt");
  await writeFile(caFile, cove.ca);
  await registry("team-a-rg", "alphaacr", "westeurope");
  await registry("team-b-rg", "hiddenacr", "northeurope", { publicNetworkAccess: "Disabled", dataEndpointEnabled: true });
});

after(async () => {
  await cove?.stop();
});

test("a login server SNI gets *.<suffix>, naming no registry, and it verifies for that name", async () => {
  for (const name of [`alphaacr.${cove.suffix}`, `hiddenacr.${cove.suffix}`]) {
    const p = await presented(cove.registryPort, name);
    assert.equal(p.san, `DNS:*.${cove.suffix}`, name);
    assert.equal(p.verify, "0 (ok)", name);
    assert.doesNotMatch(p.subject, REGISTRY_NAMES);
  }
});

test("a data endpoint SNI gets *.<location>.data.<suffix> for its own location", async () => {
  const p = await presented(cove.registryPort, `hiddenacr.northeurope.data.${cove.suffix}`);
  assert.equal(p.san, `DNS:*.northeurope.data.${cove.suffix}`);
  assert.equal(p.verify, "0 (ok)");
  const w = await presented(cove.registryPort, `alphaacr.westeurope.data.${cove.suffix}`);
  assert.equal(w.san, `DNS:*.westeurope.data.${cove.suffix}`);
});

test("without SNI both listeners present only the addresses", async () => {
  for (const port of [cove.registryPort, Number(new URL(cove.managementUrl).port)]) {
    const p = await presented(port);
    assert.equal(p.san, "DNS:localhost, IP Address:127.0.0.1", `port ${port}`);
    assert.equal(p.verify, "0 (ok)");
  }
});

test("an unknown name under the suffix gets the wildcard; a privatelink name is not covered by it", async () => {
  const unknown = await presented(cove.registryPort, `nosuchacr.${cove.suffix}`);
  assert.equal(unknown.san, `DNS:*.${cove.suffix}`);
  const pl = await presented(cove.registryPort, `hiddenacr.privatelink.${cove.suffix}`);
  assert.equal(pl.san, `DNS:*.${cove.suffix}`);
  assert.match(pl.verify, /^62 \(hostname mismatch\)/);
  // A name outside the suffix is not chosen: the address certificate.
  const other = await presented(cove.registryPort, "example.org");
  assert.equal(other.san, "DNS:localhost, IP Address:127.0.0.1");
});

test("new registries change no certificate; a new location adds its data wildcard at once", async () => {
  const before = await presented(cove.registryPort, `alphaacr.${cove.suffix}`);
  const data = await presented(cove.registryPort, `alphaacr.westeurope.data.${cove.suffix}`);
  await registry("team-a-rg", "gammaacr", "westeurope");
  assert.equal((await presented(cove.registryPort, `gammaacr.${cove.suffix}`)).fingerprint, before.fingerprint);
  assert.equal((await presented(cove.registryPort, `gammaacr.westeurope.data.${cove.suffix}`)).fingerprint, data.fingerprint);
  // Before the location is in use its data names fall back to the login wildcard (which does not cover them).
  assert.equal((await presented(cove.registryPort, `deltaacr.eastus.data.${cove.suffix}`)).san, `DNS:*.${cove.suffix}`);
  await registry("team-c-rg", "deltaacr", "eastus");
  const east = await presented(cove.registryPort, `deltaacr.eastus.data.${cove.suffix}`);
  assert.equal(east.san, `DNS:*.eastus.data.${cove.suffix}`);
  assert.equal(east.verify, "0 (ok)");
  assert.equal((await presented(cove.registryPort, `alphaacr.${cove.suffix}`)).fingerprint, before.fingerprint);
});

test("curl verifies a login server and a data endpoint against the CA; no handshake lists a registry", async () => {
  for (const host of [`alphaacr.${cove.suffix}`, `hiddenacr.northeurope.data.${cove.suffix}`]) {
    const c = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", caFile,
      "--resolve", `${host}:${cove.registryPort}:127.0.0.1`, `https://${host}:${cove.registryPort}/v2/`]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^\d{3}$/);
  }
  for (const sni of [undefined, `alphaacr.${cove.suffix}`, `hiddenacr.westeurope.data.${cove.suffix}`, `hiddenacr.northeurope.data.${cove.suffix}`, `x.${cove.suffix}`]) {
    const p = await presented(cove.registryPort, sni);
    assert.doesNotMatch(p.san + p.subject, REGISTRY_NAMES, String(sni));
  }
});
