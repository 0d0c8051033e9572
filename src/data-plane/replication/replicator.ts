// The replicator: copies every manifest of a registry with replicas from the home store into each
// replica region's store, blobs first, asynchronously (pushes land in the home store and are
// answered as before). One job per (registry, replica region):
//
//   notify (manifest PUT) | kick (the view changed: a replica added or gone) | sweep timer
//     -> run: every manifest of the registry, oldest first; a manifest is PRESENT in the replica
//        when each blob it names is in the region store (stat), an index when its children are.
//        Missing blobs are copied 2 at a time (copy-blob.ts, digest verified by the region store).
//     -> status record (sync-status-writer.ts): Syncing with the counts, Synced, or Failed.
//     -> a failure (a store unavailable) ends the run; it is retried after 0.5 s doubling to 30 s.
//
// "Present" is derived from the region store, not booked anywhere: every node sees the same truth,
// a restart or a store that was replaced re-derives it, and nothing can say "copied" of bytes that
// are not there. A blob found present is remembered in memory (bytes are immutable by digest)
// until a blob delete removes it (forget). A new replica therefore gets all existing content of the
// registry; a deleted replica's job stops at once, and its region store keeps what it had (reused
// if the replica comes back). Several nodes each run their jobs: they may copy the same blob twice,
// which is harmless (commitUpload is idempotent); the last status written wins.
import type { Logger } from "pino";
import type { RegistryView } from "../../domain/registry.js";
import type { BlobStore, MetadataStore } from "../../storage/types.js";
import type { RegionStores } from "../../storage/region-stores.js";
import { copyBlob, eachLimited } from "./copy-blob.js";
import { SyncStatusWriter } from "./sync-status-writer.js";
import { counts, pendingIn, type Pending } from "./plan.js";

export const DEFAULT_SWEEP_MS = 30_000;
const COPY_CONCURRENCY = 2;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** Copies cut short (a crash, a store gone mid-copy) leave upload bytes in the region store; reclaimed after this long. */
const STALE_COPY_MS = 60 * 60_000;
/** How long close waits for a copy in progress before the stores close under it. */
const CLOSE_WAIT_MS = 5_000;

export interface ReplicatorDeps {
  meta: MetadataStore;
  home: BlobStore;
  regions: RegionStores;
  /** The registries as the state view has them now (their `replicas`). */
  registries: () => readonly RegistryView[];
  log: Logger;
  now?: () => number;
  /** How often every job runs even without a push (catches up a store that was down). */
  sweepMs?: number;
}

export interface Replicator {
  /** A manifest was stored in this registry: copy it to its replicas soon. */
  notify(registryKey: string): void;
  /** The view changed: start jobs for new replicas, stop those of deleted ones. */
  kick(): void;
  /** A blob's bytes were removed: no region may be assumed to hold them any more. */
  forget(digest: string): void;
  /** Resolves when no job is running or due to run again (tests and the bench). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Job {
  key: string;
  region: string;
  writer: SyncStatusWriter;
  present: Set<string>;
  running?: Promise<void>;
  again: boolean;
  failures: number;
  retry?: NodeJS.Timeout;
  lastSyncedAt?: string;
  /** When this job last reclaimed the region store's abandoned copies. */
  reclaimedAt: number;
  stopped: boolean;
}

export function createReplicator(deps: ReplicatorDeps): Replicator {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ component: "replicator" });
  const jobs = new Map<string, Job>();
  const jobKey = (key: string, region: string) => `${key}\n${region}`;

  function schedule(job: Job): void {
    if (job.stopped) return;
    if (job.running) {
      job.again = true;
      return;
    }
    if (job.retry) clearTimeout(job.retry);
    job.retry = undefined;
    job.running = run(job).finally(() => {
      job.running = undefined;
      if (job.again && !job.stopped) {
        job.again = false;
        schedule(job);
      }
    });
  }

  async function run(job: Job): Promise<void> {
    // What the last plan found, so a failed run still reports how much is behind.
    let pending: Pending[] = [];
    try {
      const store = await deps.regions.get(job.region);
      await reclaim(job, store);
      pending = await pendingIn(deps.meta, job.key, store, job.present);
      job.writer.set(counts(pending, job.present, job.lastSyncedAt));
      while (pending.length > 0) {
        await eachLimited(pending[0]!.missing, COPY_CONCURRENCY, async (digest) => {
          if (job.stopped || job.present.has(digest)) return;
          await copyBlob(deps.home, store, digest);
          job.present.add(digest);
        });
        if (job.stopped) return;
        job.lastSyncedAt = new Date(now()).toISOString();
        pending = pending.slice(1);
        job.writer.set(counts(pending, job.present, job.lastSyncedAt));
      }
      job.failures = 0;
    } catch (err) {
      if (job.stopped) return;
      job.failures++;
      const wait = Math.min(RETRY_FIRST_MS * 2 ** (job.failures - 1), RETRY_MAX_MS);
      const message = String((err as Error)?.message ?? err);
      if (job.failures === 1) log.warn({ registry: job.key, region: job.region, err: message }, "replication to the region failed; retrying");
      job.writer.set({ ...counts(pending, job.present, job.lastSyncedAt), state: "Failed", message });
      job.retry = setTimeout(() => schedule(job), wait);
      job.retry.unref();
    }
  }

  /** Cancels the region store's uploads idle for an hour: only copies write there, and a live copy appends far more often. */
  async function reclaim(job: Job, store: BlobStore): Promise<void> {
    if (now() - job.reclaimedAt < STALE_COPY_MS) return;
    job.reclaimedAt = now();
    for (const id of await store.listStaleUploads(now() - STALE_COPY_MS)) await store.cancelUpload(id);
  }

  function stopJob(id: string, job: Job): void {
    job.stopped = true;
    if (job.retry) clearTimeout(job.retry);
    void job.writer.stop();
    jobs.delete(id);
  }

  function kick(): void {
    const wanted = new Set<string>();
    for (const r of deps.registries()) {
      for (const replica of r.replicas) {
        const id = jobKey(r.key, replica.location);
        wanted.add(id);
        if (jobs.has(id)) continue;
        const job: Job = {
          key: r.key, region: replica.location, present: new Set(), again: false, failures: 0, stopped: false, reclaimedAt: -Infinity,
          writer: new SyncStatusWriter(deps.meta, r.key, replica.location, now, (err) => log.warn({ registry: r.key, region: replica.location, err: String(err) }, "replica status write failed")),
        };
        jobs.set(id, job);
        schedule(job);
      }
    }
    for (const [id, job] of jobs) if (!wanted.has(id)) stopJob(id, job);
  }

  // The sweep also cuts a retry's wait short: it is the longest a recovered store waits to be used.
  const sweep = setInterval(() => { for (const job of jobs.values()) schedule(job); }, deps.sweepMs ?? DEFAULT_SWEEP_MS);
  sweep.unref();
  kick();

  return {
    notify(registryKey) {
      for (const job of jobs.values()) if (job.key === registryKey) schedule(job);
    },
    kick,
    forget(digest) {
      for (const job of jobs.values()) job.present.delete(digest);
    },
    async idle() {
      for (let i = 0; i < 1000; i++) {
        const busy = [...jobs.values()].filter((j) => j.running);
        if (busy.length === 0) break;
        await Promise.all(busy.map((j) => j.running));
      }
      await Promise.all([...jobs.values()].map((j) => j.writer.flushed()));
    },
    async close() {
      clearInterval(sweep);
      const running = [...jobs.values()].map((j) => j.running);
      for (const [id, job] of [...jobs]) stopJob(id, job);
      // A copy in progress ends at its next blob; a store that hangs is not waited for past this.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(running), new Promise((ok) => { timer = setTimeout(ok, CLOSE_WAIT_MS); })]);
      clearTimeout(timer);
    },
  };
}
