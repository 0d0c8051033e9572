// Opens the stores: the embedded ones in a data directory, or (metadataUrl) the PostgreSQL
// metadata driver, or (blob) the Azure Blob Storage driver (its container's layout: the header of
// azure-blob-store.ts). The composition root (main.ts), the CLI and the tests all go through here, so the
// layout below and the choice of driver are decided in exactly one place.
//
//   <dataDir>/                      created 0700 when missing
//   ├── cove.db                     SQLite metadata (WAL, synchronous=FULL)
//   ├── cove.db-wal, cove.db-shm    SQLite's write-ahead log, while open
//   ├── blobs/
//   │   ├── sha256/<2 hex>/<64 hex>     committed, verified blob bytes (immutable)
//   │   └── sha512/<2 hex>/<128 hex>
//   └── uploads/<upload id>         bytes of an upload in progress; on commit this very file is
//                                   renamed into blobs/ (same filesystem, so the rename is atomic)
//
// Why it is crash-safe: see the header of fs-blob-store.ts and docs/storage.md. On a full disk the
// embedded stores refuse writes with StoreFull (store-full.ts).

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { FsBlobStore } from "./fs-blob-store.js";
import { SqliteMetadataStore } from "./sqlite-metadata-store.js";
import { fullAware } from "./store-full.js";
import type { AzureBlobOptions } from "./azure-blob-store.js";
import type { StoreLog } from "./pg-errors.js";
import type { BlobStore, MetadataStore } from "./types.js";

export const METADATA_FILE = "cove.db";

export interface StoreOptions {
  /** postgres:// or postgresql:// URL of the metadata database; unset: SQLite in the data dir. */
  metadataUrl?: string;
  /** A storage account and container for blob bytes; unset: files under <dataDir>/blobs. */
  blob?: AzureBlobOptions;
  /** Where a networked driver reports an outage starting and ending (once each, not per request). */
  log?: StoreLog;
}

export async function openStores(dataDir: string, o: StoreOptions = {}): Promise<{ blobs: BlobStore; meta: MetadataStore }> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Loaded only when chosen, like node-postgres below: the default start-up does not load the Azure SDK.
  const blobs = o.blob ? await (await import("./azure-blob-store.js")).AzureBlobStore.open(o.blob, o.log) : fullAware(await FsBlobStore.open(dataDir), "blob store", o.log);
  let meta: MetadataStore;
  try {
    // Loaded only when chosen: the embedded default's start-up does not pay for node-postgres.
    meta = o.metadataUrl
      ? await (await import("./pg-metadata-store.js")).PgMetadataStore.open(o.metadataUrl, o.log)
      : fullAware(SqliteMetadataStore.open(join(dataDir, METADATA_FILE)), "metadata store", o.log);
  } catch (e) {
    await blobs.close();
    throw e;
  }
  return { blobs, meta };
}
