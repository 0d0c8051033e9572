// A mutex per key (a blob digest). Two sequences must not interleave for one digest:
// "commit bytes, then link" (upload) and "unlink, count links, remove bytes" (blob delete,
// repository delete); otherwise a delete could remove bytes that an upload is about to link.
// This process's holders queue here; with `across` (the MetadataStore's keyed section) the holder
// also locks the key against other nodes on the same store (storage/pg-key-locks.ts).
export type AcrossProcesses = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly across?: AcrossProcesses) {}

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await (this.across ? this.across(key, fn) : fn());
    } finally {
      release();
      // Last one out removes the entry, so the map does not grow with every digest ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
