// Writes one replica's ReplicaSyncStatus record (domain/replication.ts) for the control plane's
// replication GET. Every putResource bumps the store's version and rebuilds the state view on
// every node, so the record is written only when it changed, and at most once a second: a status
// set within the second after a write is held, and the latest one is written when it ends.
import type { MetadataStore } from "../../storage/types.js";
import { REPLICATION_SYNC_TYPE, replicationSyncId, type ReplicaSyncStatus } from "../../domain/replication.js";

export const MIN_WRITE_INTERVAL_MS = 1000;

export type SyncStatus = Omit<ReplicaSyncStatus, "updatedAt">;

export class SyncStatusWriter {
  private readonly id: string;
  private written?: string;
  private lastWriteAt = -Infinity;
  private pending?: SyncStatus;
  private timer?: NodeJS.Timeout;
  /** While a status is held: resolves when its timer has fired or been cleared. */
  private held?: Promise<void>;
  private release?: () => void;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly meta: MetadataStore,
    registryKey: string,
    location: string,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.id = replicationSyncId(registryKey, location);
  }

  /** The replica's status now; written at once, or when the current second since the last write ends. */
  set(status: SyncStatus): void {
    if (this.stopped) return;
    if (JSON.stringify(status) === this.written) {
      this.pending = undefined;
      return;
    }
    this.pending = status;
    if (this.timer) return;
    const wait = this.lastWriteAt + MIN_WRITE_INTERVAL_MS - this.now();
    if (wait <= 0) this.writePending();
    else {
      this.held = new Promise((ok) => { this.release = ok; });
      this.timer = setTimeout(() => { this.timer = undefined; this.writePending(); this.release?.(); }, wait);
      this.timer.unref();
    }
  }

  /** Resolves when every write begun so far has ended. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Resolves when a held status, if any, has been written too (or dropped by stop). */
  async flushed(): Promise<void> {
    await this.held;
    await this.chain;
  }

  /** No more writes (the replica was deleted, or Cove is closing). */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    this.release?.();
    return this.chain;
  }

  private writePending(): void {
    const status = this.pending;
    if (!status || this.stopped) return;
    this.pending = undefined;
    const text = JSON.stringify(status);
    this.lastWriteAt = this.now();
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        const body: ReplicaSyncStatus = { ...status, updatedAt: new Date(this.now()).toISOString() };
        await this.meta.putResource({ id: this.id, type: REPLICATION_SYNC_TYPE, body: body as unknown as Record<string, unknown> });
        this.written = text;
      } catch (err) {
        // The metadata store is down: the next status (the retry's) writes again.
        this.onError(err);
      }
    });
  }
}
