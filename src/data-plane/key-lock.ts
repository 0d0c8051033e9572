// An in-process mutex per key (a blob digest). Two sequences must not interleave for one digest:
// "commit bytes, then link" (upload) and "unlink, count links, remove bytes" (blob delete,
// repository delete); otherwise a delete could remove bytes that an upload is about to link.
// Scope: one Cove process. Several nodes over shared stores (a later issue) need the
// MetadataStore to provide this instead.
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      // Last one out removes the entry, so the map does not grow with every digest ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
