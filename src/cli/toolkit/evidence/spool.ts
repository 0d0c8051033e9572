// The audit excerpt on its way to evidence.json: each record's canonical JSON is appended to a
// file beside the bundle as the pages stream past, hashed as it is written, so an excerpt of 100k
// records costs a file, not memory. The file holds exactly the array's canonical text
// (`[r1,r2,...]`); bundle.ts copies it into evidence.json and removes it.
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { canonicalJson, sha256Hex, SpooledArray } from "./canonical.js";
import { FIELD_BUDGET } from "./fields.js";

const FLUSH_AT = 1 << 18;

export class RecordSpool {
  private readonly fd: number;
  private readonly hash = createHash("sha256");
  private buffer: string[] = [];
  private buffered = 0;
  private count = 0;
  private bytes = 0;
  private done?: SpooledArray;
  /** Per-record digests while they could be listed in the manifest (no more than its budget). */
  private digests: string[] | undefined = [];

  constructor(readonly file: string) {
    this.fd = openSync(file, "wx", 0o600);
    this.put("[");
  }

  private put(text: string): void {
    this.buffer.push(text);
    this.buffered += text.length;
    if (this.buffered >= FLUSH_AT) this.flush();
  }

  /** One buffer, reused: a fresh 1 MB Buffer per flush is memory outside the heap that waits for a GC. */
  private out = Buffer.allocUnsafe(4 * FLUSH_AT);

  private flush(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join("");
    this.buffer = [];
    this.buffered = 0;
    const size = Buffer.byteLength(text, "utf8");
    if (size > this.out.length) this.out = Buffer.allocUnsafe(size);
    this.out.write(text, 0, "utf8");
    const chunk = this.out.subarray(0, size);
    this.hash.update(chunk);
    this.bytes += size;
    for (let off = 0; off < size;) off += writeSync(this.fd, chunk, off);
  }

  append(value: unknown): void {
    if (this.done) throw new Error("the spool is closed");
    const text = canonicalJson(value);
    if (this.digests && this.digests.push(sha256Hex(text)) > FIELD_BUDGET) this.digests = undefined;
    this.put((this.count++ === 0 ? "" : ",") + text);
  }

  get length(): number {
    return this.count;
  }

  /** Ends the array; the node canonicalize() writes in its place. */
  close(): SpooledArray {
    if (!this.done) {
      this.put("]");
      this.flush();
      closeSync(this.fd);
      this.done = new SpooledArray(this.file, this.count, this.bytes, this.hash.digest("hex"), this.digests);
    }
    return this.done;
  }

  remove(): void {
    if (!this.done) {
      try { closeSync(this.fd); } catch { /* already closed */ }
    }
    rmSync(this.file, { force: true });
  }
}
