// The two files behind audit checkpoints, both in the data dir and outside the database:
//   keys/audit-checkpoint.key  the Ed25519 private key (PKCS#8 PEM, mode 0600), made on first start
//   audit-checkpoints.jsonl    one signed checkpoint per line, appended and fsynced, never rewritten
// Outside the database on purpose: a rewrite of the audit table (sqlite3, a restored backup, a
// driver on another host) does not take the checkpoints along.
import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AuditCheckpoint } from "./checkpoint.js";
import { writeKeyOnce } from "../auth/key-file.js";

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function loadOrCreateSigningKey(path: string): Promise<SigningKey> {
  let pem: string | undefined;
  try {
    pem = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync("ed25519");
    await writeKeyOnce(path, privateKey.export({ type: "pkcs8", format: "pem" }));
    pem = await readFile(path, "utf8");
  }
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`${path} is not an Ed25519 private key: remove it to have a new key made`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Every line of the file as read: parsed JSON, or the raw text of a line that is not JSON. */
export async function readCheckpointFile(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: unknown[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try { out.push(JSON.parse(line)); } catch { out.push(line); }
  }
  return out;
}

/** Appends one line and fsyncs it (and the directory, when the file is new) before returning. */
export async function appendCheckpoint(path: string, c: AuditCheckpoint): Promise<void> {
  const fh = await open(path, "a+", 0o600);
  let created = false;
  try {
    const { size } = await fh.stat();
    created = size === 0;
    let prefix = "";
    if (size > 0) {
      // A line torn by a crash must not swallow this one.
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = "\n";
    }
    await fh.write(prefix + JSON.stringify(c) + "\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (created) {
    const dir = await open(dirname(path), "r");
    try { await dir.sync(); } finally { await dir.close(); }
  }
}
