// One process's queue for MetadataStore.exclusive: each section starts when the one before it has
// settled (resolved or thrown), in call order. The SQLite driver needs nothing more (one process
// owns the file); the PostgreSQL driver puts it in front of its advisory lock, so one node holds at
// most one pooled connection waiting for that lock, not one per queued request.
export class SerialChain {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
