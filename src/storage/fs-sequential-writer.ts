// Streams an upload's chunks to a file at increasing positions, fast: socket-sized chunks are
// batched into one writev, and one write plus one background fdatasync stay in flight while the
// caller hashes and reads the next batch, so socket, CPU and disk overlap (a 1 GiB push is bound
// by the disk, not by round trips to the thread pool). Used by fs-blob-store.ts.

import type { FileHandle } from "node:fs/promises";

/** Bytes gathered into one writev while streaming an upload. */
const WRITE_BATCH = 2 * 1024 * 1024;
/** ...or this many buffers, well under the kernel's IOV_MAX (1024), whichever comes first. */
const WRITE_BATCH_BUFFERS = 512;
/** Start a background fdatasync after this many bytes, so the final fsync has little to flush. */
const BACKGROUND_SYNC = 64 * 1024 * 1024;

/** Memory stays bounded at about two batches; errors surface from push() or finish(). */
export class SequentialWriter {
  private batch: Buffer[] = [];
  private batchLen = 0;
  private inflight: Promise<void> | undefined;
  private syncing: Promise<void> | undefined;
  private sinceSync = 0;

  constructor(
    private readonly fh: FileHandle,
    private pos: number,
  ) {}

  async push(buf: Buffer): Promise<void> {
    this.batch.push(buf);
    this.batchLen += buf.length;
    if (this.batchLen >= WRITE_BATCH || this.batch.length >= WRITE_BATCH_BUFFERS) await this.flush();
  }

  /** Writes what is buffered and waits for every write and background sync (rethrowing errors). */
  async finish(): Promise<void> {
    if (this.batchLen > 0) await this.flush();
    await this.inflight;
    await this.syncing;
  }

  /** Waits for in-flight work, ignoring its errors (before the caller truncates). */
  async settle(): Promise<void> {
    await Promise.allSettled([this.inflight, this.syncing]);
  }

  private async flush(): Promise<void> {
    await this.inflight;
    const bufs = this.batch;
    const len = this.batchLen;
    this.batch = [];
    this.batchLen = 0;
    this.inflight = quiet(writevFully(this.fh, bufs, this.pos));
    this.pos += len;
    this.sinceSync += len;
    if (this.sinceSync >= BACKGROUND_SYNC && !this.syncing) {
      this.sinceSync = 0;
      const s = quiet(this.fh.datasync());
      this.syncing = s;
      void s.then(
        () => this.syncing === s && (this.syncing = undefined),
        () => undefined,
      );
    }
  }
}

/** Marks a promise as handled (its rejection is awaited later) without swallowing the error. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function writevFully(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  const total = bufs.reduce((n, b) => n + b.length, 0);
  const { bytesWritten } = await fh.writev(bufs, position);
  if (bytesWritten === total) return;
  // Short write (rare on regular files): finish the rest one plain write at a time.
  const rest = Buffer.concat(bufs).subarray(bytesWritten);
  let done = 0;
  while (done < rest.length) {
    const r = await fh.write(rest, done, rest.length - done, position + bytesWritten + done);
    done += r.bytesWritten;
  }
}
