// The change feed of an in-process driver: the driver counts its own committed resource writes and
// tells the listeners after each one (storage/types.ts ChangeFeed has the contract). A networked
// driver (PostgreSQL, with several Cove nodes) implements the same interface from LISTEN/NOTIFY
// instead, so that the writes of every node reach every node's state view.

import type { ChangeFeed } from "./types.js";

export class LocalChangeFeed implements ChangeFeed {
  private current = 0;
  private readonly listeners = new Set<(version: number) => void>();

  get version(): number {
    return this.current;
  }

  onCommitted(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Called by the driver once a resource write has committed: bumps the version and tells everyone. */
  committed(): void {
    const version = ++this.current;
    for (const l of [...this.listeners]) {
      // A listener only schedules work (the contract); one that throws must not stop the others or
      // turn the driver's successful write into a failure.
      try { l(version); } catch { /* the listener reports its own failures */ }
    }
  }
}
