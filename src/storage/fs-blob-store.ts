// Filesystem BlobStore: content-addressed files under <dataDir>/blobs, upload bytes under
// <dataDir>/uploads (same filesystem, so a commit is one rename). The on-disk tree is drawn in
// open.ts and docs/storage.md.
//
// Durability argument, in one place:
// - appendUpload fsyncs the upload file before it returns the new size, so a size a client was
//   told (the OCI `Range` header) survives power loss. A failed append is truncated back to its
//   start. Only kill -9 mid-append can leave more: a prefix of what was sent, which uploadSize()
//   reports exactly, so the client can resume there.
// - commitUpload hashes the bytes, and only when they match the digest: fsync(file) ->
//   rename(upload, blob) -> fsync(blob directory). A blob path therefore only ever names complete,
//   verified bytes; readers never see a partial or wrong blob, even after kill -9 or power loss.
//
// Paths are built only from strictly validated digests (lower-case hex of the exact length) and
// upload ids ([A-Za-z0-9_-]), so nothing a client sends can reach the filesystem as `..` or `/`.

import { createHash, type Hash } from "node:crypto";
import { constants as fsc } from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import {
  BlobNotFound, BlobRangeInvalid, DigestInvalid, DigestMismatch, StoreUnavailable, UploadChunkTooLarge, UploadExists, UploadIdInvalid,
  UploadNotFound, UploadOffsetMismatch,
} from "../domain/errors.js";
import { SequentialWriter } from "./fs-sequential-writer.js";
import type { BlobInfo, BlobStore, Digest } from "./types.js";

const ALGORITHMS = { sha256: 64, sha512: 128 } as const;
type Algorithm = keyof typeof ALGORITHMS;

/** Upload ids are server-generated (UUIDs); anything else is refused before it becomes a path. */
const UPLOAD_ID = /^[A-Za-z0-9_-]{8,128}$/;
const READ_CHUNK = 256 * 1024;
const STORE_NAME = "blob store";

interface ParsedDigest {
  algorithm: Algorithm;
  hex: string;
}

/** Parses "sha256:<64 lower hex>" / "sha512:<128 lower hex>"; undefined for anything else. */
export function parseBlobDigest(digest: unknown): ParsedDigest | undefined {
  if (typeof digest !== "string") return undefined;
  const colon = digest.indexOf(":");
  if (colon < 0) return undefined;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (algorithm !== "sha256" && algorithm !== "sha512") return undefined;
  // OCI image-spec: the encoded part of sha256/sha512 digests is lower-case hex of fixed length.
  if (hex.length !== ALGORITHMS[algorithm] || !/^[0-9a-f]+$/.test(hex)) return undefined;
  return { algorithm, hex };
}

export function isValidUploadId(id: unknown): id is string {
  return typeof id === "string" && UPLOAD_ID.test(id);
}

/**
 * Incremental sha256 of an upload while its appends are sequential in this process: commit then
 * needs no second pass over the bytes. Lost on restart, when commit falls back to re-reading.
 */
interface RunningHash {
  hash: Hash;
  size: number;
}

export class FsBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly uploadsDir: string;
  private readonly hashes = new Map<string, RunningHash>();
  /** Per-upload promise chain: appends and commits of one upload never interleave. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly knownDirs = new Set<string>();

  private constructor(root: string) {
    this.blobsDir = join(root, "blobs");
    this.uploadsDir = join(root, "uploads");
  }

  /** Opens (creating when needed) the blob tree under `root`. */
  static async open(root: string): Promise<FsBlobStore> {
    const s = new FsBlobStore(root);
    await mkdir(s.uploadsDir, { recursive: true, mode: 0o700 });
    for (const a of Object.keys(ALGORITHMS)) await mkdir(join(s.blobsDir, a), { recursive: true, mode: 0o700 });
    await fsyncDir(root);
    await fsyncDir(s.blobsDir);
    return s;
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    const d = parseBlobDigest(digest);
    if (!d) return undefined;
    try {
      const st = await stat(this.blobPath(d));
      return { digest, size: st.size };
    } catch (e) {
      if (isNotFound(e)) return this.absent(d, undefined);
      throw e;
    }
  }

  async read(digest: Digest, range?: { start: number; end: number }): Promise<Readable> {
    const d = this.requireDigest(digest);
    let fh: FileHandle;
    try {
      fh = await open(this.blobPath(d), "r");
    } catch (e) {
      if (isNotFound(e)) throw await this.absent(d, new BlobNotFound(digest));
      throw e;
    }
    try {
      const { size } = await fh.stat();
      if (range) {
        const { start, end } = range;
        const ok = Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end < size;
        if (!ok) throw new BlobRangeInvalid(start, end, size);
      }
      // autoClose: the stream owns the handle from here on and closes it on end, error or destroy.
      return fh.createReadStream({ start: range?.start, end: range?.end, highWaterMark: READ_CHUNK, autoClose: true });
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async remove(digest: Digest): Promise<void> {
    const d = this.requireDigest(digest);
    try {
      await unlink(this.blobPath(d));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async createUpload(id: string): Promise<void> {
    if (!isValidUploadId(id)) throw new UploadIdInvalid();
    let fh: FileHandle;
    try {
      fh = await open(this.uploadPath(id), fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new UploadExists(id);
      // uploads/ itself gone: the store's directory was moved or unmounted, not "no such upload".
      if (isNotFound(e)) throw unavailable("its uploads directory is missing");
      throw e;
    }
    await fh.close();
    // The upload's Location goes back to the client; make the empty file outlive a power loss too.
    await fsyncDir(this.uploadsDir);
    this.hashes.set(id, { hash: createHash("sha256"), size: 0 });
  }

  appendUpload(id: string, offset: number, data: Readable, maxBytes?: number): Promise<number> {
    if (!isValidUploadId(id)) return Promise.reject(uploadUnknown(id));
    return this.withLock(id, () => this.appendLocked(id, offset, data, maxBytes));
  }

  private async appendLocked(id: string, offset: number, data: Readable, maxBytes?: number): Promise<number> {
    let fh: FileHandle;
    try {
      fh = await open(this.uploadPath(id), "r+");
    } catch (e) {
      if (isNotFound(e)) throw (await exists(this.uploadsDir)) ? uploadUnknown(id) : unavailable("its uploads directory is missing");
      throw e;
    }
    try {
      const { size } = await fh.stat();
      // Appends are strictly sequential (the OCI dist-spec's chunk order, answered 416 above us).
      if (offset !== size) throw new UploadOffsetMismatch(id, size, offset);
      let running = this.hashes.get(id);
      if (running && running.size !== size) {
        this.hashes.delete(id);
        running = undefined;
      }
      if (!running && size === 0) {
        running = { hash: createHash("sha256"), size: 0 };
        this.hashes.set(id, running);
      }
      const before = running?.hash.copy();
      const writer = new SequentialWriter(fh, size);
      let received = 0;
      try {
        // Reading with `for await` gives back-pressure: the source is paused while we write.
        // destroyOnReturn: false leaves the source to the caller when we stop early (UploadChunkTooLarge),
        // so an HTTP handler can still answer on the same connection.
        for await (const chunk of data.iterator({ destroyOnReturn: false })) {
          const buf: Buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
          if (maxBytes !== undefined && received + buf.length > maxBytes) {
            throw new UploadChunkTooLarge(maxBytes);
          }
          running?.hash.update(buf);
          received += buf.length;
          await writer.push(buf);
        }
        await writer.finish();
        await fh.sync();
      } catch (e) {
        // Refused (UploadChunkTooLarge), a failed source (the client went away, or the caller's body
        // check failed it) or a disk error: nothing of this call stays, as if it never ran, so
        // the size the client last saw is still the one to resume from.
        await writer.settle();
        await fh.truncate(size);
        await fh.sync();
        if (running && before) this.hashes.set(id, { hash: before, size });
        else this.hashes.delete(id);
        throw e;
      }
      if (running) running.size = size + received;
      return size + received;
    } finally {
      await fh.close();
    }
  }

  async uploadSize(id: string): Promise<number | undefined> {
    if (!isValidUploadId(id)) return undefined;
    try {
      return (await stat(this.uploadPath(id))).size;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  commitUpload(id: string, digest: Digest): Promise<BlobInfo> {
    if (!isValidUploadId(id)) return Promise.reject(uploadUnknown(id));
    const d = parseBlobDigest(digest);
    if (!d) return Promise.reject(new DigestInvalid());
    return this.withLock(id, () => this.commitLocked(id, digest, d));
  }

  private async commitLocked(id: string, digest: Digest, d: ParsedDigest): Promise<BlobInfo> {
    const src = this.uploadPath(id);
    let fh: FileHandle;
    try {
      fh = await open(src, "r");
    } catch (e) {
      if (isNotFound(e)) throw uploadUnknown(id);
      throw e;
    }
    let size: number;
    try {
      size = (await fh.stat()).size;
      const running = this.hashes.get(id);
      let actual: string;
      if (d.algorithm === "sha256" && running && running.size === size) {
        actual = running.hash.copy().digest("hex");
      } else {
        actual = await hashFile(fh, d.algorithm);
      }
      if (actual !== d.hex) {
        throw new DigestMismatch(digest);
      }
      // Normally a no-op (appendUpload synced), but the bytes may predate a restart.
      await fh.sync();
    } finally {
      await fh.close();
    }
    const target = this.blobPath(d);
    const dir = await this.ensureBlobDir(d);
    // rename() replaces an existing blob atomically with identical bytes: committing a digest
    // that is already present is idempotent and never exposes a partial file.
    await rename(src, target);
    await fsyncDir(dir);
    this.hashes.delete(id);
    return { digest, size };
  }

  async cancelUpload(id: string): Promise<void> {
    if (!isValidUploadId(id)) return;
    await this.withLock(id, async () => {
      this.hashes.delete(id);
      try {
        await unlink(this.uploadPath(id));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    });
  }

  async listStaleUploads(olderThan: number): Promise<string[]> {
    const out: string[] = [];
    for (const name of await readdir(this.uploadsDir)) {
      if (!isValidUploadId(name)) continue;
      try {
        const st = await stat(join(this.uploadsDir, name));
        if (st.mtimeMs < olderThan) out.push(name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return out.sort();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.locks.values()]);
    this.hashes.clear();
  }

  private requireDigest(digest: Digest): ParsedDigest {
    const d = parseBlobDigest(digest);
    if (!d) throw new DigestInvalid();
    return d;
  }

  private blobPath(d: ParsedDigest): string {
    return join(this.blobsDir, d.algorithm, d.hex.slice(0, 2), d.hex);
  }

  private uploadPath(id: string): string {
    return join(this.uploadsDir, id);
  }

  /** Creates blobs/<alg>/<2 hex>/ once, syncing its parent so the new entry is durable too. */
  private async ensureBlobDir(d: ParsedDigest): Promise<string> {
    const dir = join(this.blobsDir, d.algorithm, d.hex.slice(0, 2));
    if (!this.knownDirs.has(dir) || !(await exists(dir))) {
      // Not recursive: a missing blobs/<alg>/ means the store's root was moved away or unmounted,
      // and recreating it would silently start an empty store beside the real one.
      try {
        await mkdir(dir, { mode: 0o700 });
        await fsyncDir(join(this.blobsDir, d.algorithm));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw unavailable("its blobs directory is missing");
        if (code !== "EEXIST") throw e;
      }
      this.knownDirs.add(dir);
    }
    return dir;
  }

  /** A missing blob file: `missing`, or StoreUnavailable when blobs/<alg>/ is gone (moved, unmounted): never a 404 then. */
  private async absent<T>(d: ParsedDigest, missing: T): Promise<T> {
    if (!(await exists(join(this.blobsDir, d.algorithm)))) throw unavailable("its blobs directory is missing");
    return missing;
  }

  private withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return next;
  }
}

/** An id that is not valid names no upload, and is not echoed back. */
function uploadUnknown(id: string): UploadNotFound {
  return new UploadNotFound(isValidUploadId(id) ? id : undefined);
}

const unavailable = (reason: string) => new StoreUnavailable(STORE_NAME, reason);

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === "ENOENT";
}

async function hashFile(fh: FileHandle, algorithm: Algorithm): Promise<string> {
  const h = createHash(algorithm);
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    h.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return h.digest("hex");
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
