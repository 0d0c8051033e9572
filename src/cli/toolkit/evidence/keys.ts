// The Ed25519 keys of evidence bundles. Export signs with the CLI's own key, made on first use in
// the profile directory (`<configDir>/evidence/signing-key.pem`, PKCS#8 PEM, mode 0600, in a
// directory of mode 0700, its public key beside it for the auditor), or with `--signing-key FILE`.
// A private key file that group or others may read is refused, as ssh refuses one: whoever can
// read it can sign evidence in the operator's name. Verify takes the auditor's public key (PEM
// SPKI or JWK); a key found in the bundle is only ever reported, never trusted.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmod, link, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { CliError, usageError } from "../../errors.js";
import { EXIT_ERROR } from "../../exit-codes.js";
import { configDir } from "../../profile.js";
import { sha256Hex } from "./canonical.js";

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM of the public key, as the manifest carries it. */
  publicKeyPem: string;
  fingerprint: string;
  /** The private key file. */
  path: string;
  /** The public key file beside the CLI's own key (absent for --signing-key). */
  publicKeyPath?: string;
  created: boolean;
}

/** SHA-256 of the raw 32-byte Ed25519 public key, hex. */
export function fingerprintOf(publicKey: KeyObject): string {
  const x = publicKey.export({ format: "jwk" }).x;
  return sha256Hex(Buffer.from(String(x), "base64url"));
}

/** A file the user named (a key, a checkpoint), or a usage error naming it. */
export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw usageError(`Cannot read the ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** ssh's rule: a private key must not be accessible to group or others (st_mode & 077). */
async function checkPrivate(path: string): Promise<void> {
  let mode: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw usageError(`The signing key '${path}' is not a file.`);
    mode = st.mode & 0o777;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw usageError(`Cannot read the signing key '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new CliError(
      `Permissions 0${mode.toString(8).padStart(3, "0")} for the signing key '${path}' are too open: a private key must not be accessible by group or others. ` +
        `Run 'chmod 600 ${path}' and try again.`,
      EXIT_ERROR, "SigningKeyTooOpen",
    );
  }
}

function privateFrom(pem: string, path: string): KeyObject {
  let key: KeyObject | undefined;
  try { key = createPrivateKey(pem); } catch { /* reported below */ }
  if (!key || key.asymmetricKeyType !== "ed25519") throw usageError(`'${path}' is not an Ed25519 private key (PEM, PKCS#8).`);
  return key;
}

function describe(privateKey: KeyObject, path: string, created: boolean, publicKeyPath?: string): SigningKey {
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey, publicKey, publicKeyPem: String(publicKey.export({ format: "pem", type: "spki" })),
    fingerprint: fingerprintOf(publicKey), path, publicKeyPath, created,
  };
}

/** `--signing-key FILE`: PEM PKCS#8 Ed25519, readable by its owner only. */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  await checkPrivate(path);
  return describe(privateFrom(await readText(path, "signing key"), path), path, false);
}

/** The CLI's own key, made on first use. */
export async function ownSigningKey(env: Record<string, string | undefined>): Promise<SigningKey> {
  const dir = join(configDir(env), "evidence");
  return signingKeyAt(join(dir, "signing-key.pem"), join(dir, "signing-key.pub.pem"));
}

/**
 * The key at `path` (PKCS#8 PEM, 0600, its directory 0700), made on first use with its public key
 * at `publicKeyPath`: the CLI's own key, and the server's (`<data-dir>/keys/evidence-signing.key`,
 * which signs the networking page's downloads). Two first uses at once agree on one key (link is atomic).
 */
export async function signingKeyAt(path: string, publicKeyPath: string): Promise<SigningKey> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  let created = false;
  try {
    await stat(path);
  } catch {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(tmp, String(privateKey.export({ format: "pem", type: "pkcs8" })), { mode: 0o600, flag: "wx" });
    await chmod(tmp, 0o600); // the umask filters writeFile's mode
    try {
      await link(tmp, path);
      created = true;
      await writeFile(publicKeyPath, String(publicKey.export({ format: "pem", type: "spki" })), { mode: 0o644 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      await rm(tmp, { force: true });
    }
  }
  await checkPrivate(path);
  const key = describe(privateFrom(await readText(path, "signing key"), path), path, created, publicKeyPath);
  // The public file is a convenience for handing it to the auditor: rewrite it if it went missing.
  const present = await readFile(publicKeyPath, "utf8").catch(() => "");
  if (present !== key.publicKeyPem) await writeFile(publicKeyPath, key.publicKeyPem, { mode: 0o644 });
  return key;
}

/** The auditor's public key: PEM (SPKI) or JWK. */
export function publicKeyFrom(text: string, path: string): KeyObject {
  let key: KeyObject | undefined;
  try {
    key = text.trimStart().startsWith("{") ? createPublicKey({ key: JSON.parse(text), format: "jwk" }) : createPublicKey(text);
  } catch { /* reported below */ }
  if (!key || key.asymmetricKeyType !== "ed25519") throw usageError(`'${path}' is not an Ed25519 public key (PEM or JWK).`);
  return key;
}

export async function readPublicKey(path: string): Promise<KeyObject> {
  return publicKeyFrom(await readText(path, "public key"), path);
}
