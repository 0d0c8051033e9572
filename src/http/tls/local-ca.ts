// The local certificate authority (DESIGN.md section 3). Created once in <dataDir>/ca/ and reused:
//   <dataDir>/ca/ca.crt   CA certificate (PEM), what clients trust
//   <dataDir>/ca/ca.key   CA private key (PEM, PKCS#8, mode 0600)
// Server certificates are short-lived and issued in memory at start-up and whenever the set of
// names changes (a registry is created or deleted); they are never written to disk.
// ECDSA P-256 keeps issuance to a few milliseconds, so re-issuing on every change is cheap.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { mkdir, readFile, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { isIP } from "node:net";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface LocalCa {
  certPath: string;
  certPem: string;
  issue(names: string[]): Promise<{ cert: string; key: string }>;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END ${label}-----\n`;
}

function derOf(text: string): ArrayBuffer {
  const b64 = text.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  const buf = Buffer.from(b64, "base64");
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

function serial(): string {
  // Positive, non-zero 16-byte serial (RFC 5280 4.1.2.2).
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] & 0x7f) | 0x01;
  return Buffer.from(b).toString("hex");
}

/** The CA's two files' places in the data dir. */
export const CA_CERT_FILE = join("ca", "ca.crt");
export const CA_KEY_FILE = join("ca", "ca.key");

export async function openLocalCa(dataDir: string): Promise<LocalCa> {
  const dir = join(dataDir, "ca");
  const certPath = join(dataDir, CA_CERT_FILE);
  const keyPath = join(dataDir, CA_KEY_FILE);
  let caCert: x509.X509Certificate;
  let caKey: CryptoKey;
  let certPem: string;
  try {
    certPem = await readFile(certPath, "utf8");
    const keyPem = await readFile(keyPath, "utf8");
    caCert = new x509.X509Certificate(certPem);
    caKey = await webcrypto.subtle.importKey("pkcs8", derOf(keyPem), ALG, true, ["sign"]) as CryptoKey;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
    const now = Date.now();
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: "CN=Cove local CA, O=Cove",
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 10 * 365 * 24 * 3600_000),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    caKey = keys.privateKey;
    certPem = caCert.toString("pem") + "\n";
    await writeFile(keyPath, pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", caKey)), { mode: 0o600 });
    await chmod(keyPath, 0o600);
    await writeFile(certPath, certPem, { mode: 0o644 });
  }

  return {
    certPath,
    certPem,
    async issue(names: string[]) {
      const unique = [...new Set(names.map((n) => n.toLowerCase()))];
      const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
      const now = Date.now();
      const sans = unique.map((n) => (isIP(n) ? { type: "ip" as const, value: n } : { type: "dns" as const, value: n }));
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${unique.find((n) => !isIP(n)) ?? unique[0] ?? "cove"}`,
        issuer: caCert.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 90 * 24 * 3600_000),
        publicKey: keys.publicKey,
        signingKey: caKey,
        signingAlgorithm: ALG,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(sans),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      });
      return {
        cert: cert.toString("pem") + "\n" + certPem,
        key: pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)),
      };
    },
  };
}
