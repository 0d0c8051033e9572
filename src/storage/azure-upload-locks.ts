// One promise chain per upload id: this instance's appends, commits and cancels of one upload run
// one after another (as in the filesystem driver). Across instances the upload blob's ETag decides
// (azure-blob-store.ts); this only spares a node from racing itself.
export class UploadLocks {
  private readonly chains = new Map<string, Promise<unknown>>();

  run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(() => undefined, () => undefined);
    this.chains.set(id, settled);
    void settled.then(() => {
      if (this.chains.get(id) === settled) this.chains.delete(id);
    });
    return next;
  }

  /** Resolves once everything queued so far has finished. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }
}
