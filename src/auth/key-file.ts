// A random secret kept in the data dir (mode 0600), created on first start and reused, so that what
// it signs (data-endpoint URLs) stays valid across restarts. Written to a temporary file and linked
// into place, so two processes starting at once agree on one key and a crash never leaves half a key.
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export async function loadOrCreateKey(path: string, bytes = 32): Promise<Buffer> {
  try {
    const key = await readFile(path);
    if (key.length >= bytes) return key;
    throw new Error(`${path} holds ${key.length} bytes, fewer than the ${bytes} required: remove it to have a new key made`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await writeKeyOnce(path, randomBytes(bytes));
  return readFile(path);
}

/**
 * Writes a new key file (mode 0600, its folder 0700) unless one exists already: written aside and
 * linked into place, so two processes starting at once agree on one key (the loser's is discarded;
 * read the file back for the winner's) and a crash never leaves half a key.
 */
export async function writeKeyOnce(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}
