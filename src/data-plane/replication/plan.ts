// What a replica still lacks, and how that is reported. A manifest is present in a replica when
// every blob it names (config and layers) is in the region's store; an index when its children
// are. `present` is the job's memory of blobs already found there (bytes are immutable by digest).
import { StorageError } from "../../domain/errors.js";
import type { BlobStore, ManifestRecord, MetadataStore } from "../../storage/types.js";
import type { SyncStatus } from "./sync-status-writer.js";

const PAGE = 1000;

export interface Pending { m: ManifestRecord; missing: string[] }

/** The registry's manifests not yet present in the region, oldest first, each with the blobs it still lacks there. */
export async function pendingIn(meta: MetadataStore, key: string, store: BlobStore, present: Set<string>): Promise<Pending[]> {
  const all: ManifestRecord[] = [];
  let last: string | undefined;
  for (let i = 0; i < 100_000; i++) {
    const page = await meta.listRepositories(key, PAGE, last);
    for (const repo of page.items) all.push(...(await meta.listManifests(key, repo)));
    if (!page.next || page.items.length === 0) break;
    last = page.next;
  }
  all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const absent = new Set<string>();
  const waiting = new Set<string>();
  const out: Pending[] = [];
  for (const m of all) {
    const missing: string[] = [];
    for (const digest of m.blobRefs) {
      if (present.has(digest)) continue;
      if (!absent.has(digest) && (await holds(store, digest))) present.add(digest);
      else { absent.add(digest); missing.push(digest); }
    }
    // Children are pushed before their index, so they sort first: an index waits for them.
    if (missing.length > 0 || m.manifestRefs.some((c) => waiting.has(`${m.repository}@${c}`))) {
      out.push({ m, missing });
      waiting.add(`${m.repository}@${m.digest}`);
    }
  }
  return out;
}

/** The replica's status from what is still pending (Synced when nothing is). */
export function counts(pending: readonly Pending[], present: Set<string>, lastSyncedAt?: string): SyncStatus {
  const blobs = new Map<string, number>();
  let oldest: number | undefined;
  for (const p of pending) {
    const t = Date.parse(p.m.createdAt);
    if (oldest === undefined || t < oldest) oldest = t;
    for (const digest of p.missing) if (!present.has(digest)) blobs.set(digest, sizeOf(p.m, digest));
  }
  return {
    state: pending.length ? "Syncing" : "Synced",
    ...(oldest === undefined ? {} : { oldestPendingSince: oldest }),
    pendingManifests: pending.length,
    pendingBlobs: blobs.size,
    pendingBytes: [...blobs.values()].reduce((a, b) => a + b, 0),
    ...(lastSyncedAt ? { lastSyncedAt } : {}),
  };
}

/** Whether the region store holds the blob; a store that cannot say counts as not (the copy then reports why). */
async function holds(store: BlobStore, digest: string): Promise<boolean> {
  try {
    return (await store.stat(digest)) !== undefined;
  } catch (e) {
    if (e instanceof StorageError && e.code === "StoreUnavailable") return false;
    throw e;
  }
}

/** A referenced blob's size from the manifest's own descriptors (config and layers), 0 when not named there. */
function sizeOf(m: ManifestRecord, digest: string): number {
  try {
    const doc = JSON.parse(m.body.toString("utf8")) as { config?: { digest?: string; size?: number }; layers?: Array<{ digest?: string; size?: number }> };
    const desc = [doc.config, ...(doc.layers ?? [])].find((d) => d?.digest === digest);
    return typeof desc?.size === "number" ? desc.size : 0;
  } catch {
    return 0;
  }
}
