// A file answered from two recycled buffers instead of piping its ReadStream. A ReadStream reads
// every chunk into a fresh buffer, and so little JavaScript garbage comes with each chunk that no
// scavenge frees them: the dead chunks pile up until V8 runs a full mark-compact, about one per
// 50 MiB served (docs/benchmarks.md, "Fleet pull"). Here each response reads into two buffers of
// its own, and a buffer is refilled only once res.write's callback says its bytes have left for
// the socket (for TLS: encrypted and handed to TCP), so at most two chunks are in flight: that
// is the back-pressure too.
//
// Only for a ReadStream nobody has read from (the file store's, as FsBlobStore.read returns it):
// its fd, start and end are where to read. Anything else is piped as before.

import { read, ReadStream } from "node:fs";
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";

const CHUNK = 256 * 1024;

export interface FileRange {
  fd: number;
  /** First byte. */
  start: number;
  /** Last byte, inclusive; Infinity: to the end of the file. */
  end: number;
}

/** The range an untouched ReadStream would read, or undefined for any other body. */
export function untouchedFileRange(body: unknown): FileRange | undefined {
  if (!(body instanceof ReadStream) || body.destroyed || body.bytesRead !== 0 || body.readableDidRead) return undefined;
  const s = body as unknown as { fd: unknown; start?: number; end?: number };
  if (typeof s.fd !== "number" || s.fd < 0) return undefined;
  return { fd: s.fd, start: s.start ?? 0, end: s.end ?? Infinity };
}

function readAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((ok, fail) => read(fd, buf, 0, length, position, (err, n) => (err ? fail(err) : ok(n))));
}

function prematureClose(): Error {
  return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}

/**
 * Writes the range to `res` and ends it; the stream is destroyed at the end whatever happens, which
 * closes its file. Rejects with ERR_STREAM_PREMATURE_CLOSE when the client leaves first (as
 * pipeline does), or with the read's error.
 */
export async function writeFileRange(res: ServerResponse, stream: Readable, r: FileRange): Promise<void> {
  let onClose: (() => void) | undefined;
  const gone = new Promise<never>((_, fail) => {
    onClose = () => fail(prematureClose());
    res.once("close", onClose);
  });
  gone.catch(() => undefined);
  const bufs = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
  const inFlight: Array<Promise<void> | undefined> = [undefined, undefined];
  try {
    let pos = r.start;
    for (let i = 0; pos <= r.end; i ^= 1) {
      if (inFlight[i]) await Promise.race([inFlight[i], gone]);
      if (res.destroyed) throw prematureClose();
      const buf = bufs[i]!;
      const n = await readAt(r.fd, buf, Math.min(CHUNK, r.end - pos + 1), pos);
      if (n === 0) break;
      pos += n;
      // A write fails only when the connection does: the client left.
      const written = new Promise<void>((ok, fail) => res.write(n === CHUNK ? buf : buf.subarray(0, n), (err) => (err ? fail(prematureClose()) : ok())));
      written.catch(() => undefined);
      inFlight[i] = written;
    }
    await Promise.race([Promise.all(inFlight), gone]);
    await Promise.race([new Promise<void>((ok) => res.end(ok)), gone]);
  } finally {
    if (onClose) res.off("close", onClose);
    stream.destroy();
  }
}
