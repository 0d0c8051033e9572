// One blob store per replica region (geo-replication, docs/storage.md "Replica regions"). The
// store openStores() returns stays the HOME store of every registry, whatever its location: pushes
// land there. A replica region's store holds the copies the replicator (data-plane/replication/)
// made, and is what that region's data endpoint serves from:
//
//   embedded            <dataDir>/regions/<region>/blobs, .../uploads   (an FsBlobStore rooted there)
//   Azure Blob Storage  the same account, container `<blobContainer>-<region>` (created when missing)
//
// A region store is opened on first use, kept open, and closed with the others on shutdown. A
// failed open is not kept: the next use tries again (a container that could not be created while
// the account was down is created when it is back).
import { join } from "node:path";
import { StoreUnavailable } from "../domain/errors.js";
import { FsBlobStore } from "./fs-blob-store.js";
import type { AzureBlobOptions } from "./azure-blob-store.js";
import type { StoreLog } from "./pg-errors.js";
import type { BlobStore } from "./types.js";

export const REGIONS_DIR = "regions";
/** Azure region names as ARM writes them ("westeurope", "eastus2"): only these become paths or container names. */
const REGION = /^[a-z][a-z0-9]{1,39}$/;
/** Azure's container-name rule: 3-63 of a-z, 0-9 and single hyphens, starting and ending alphanumeric. */
const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

export interface RegionStores {
  /** The blob store of replica region `region` (lower-case), opened on first use. StoreUnavailable when it cannot be opened. */
  get(region: string): Promise<BlobStore>;
  /** The store of `region` when it is already open (no I/O): for paths that must not open one, like a delete. */
  peek(region: string): BlobStore | undefined;
  close(): Promise<void>;
}

export interface RegionStoreOptions {
  /** The home store's Azure options; unset: the embedded layout under the data dir. */
  blob?: AzureBlobOptions;
  log?: StoreLog;
}

/** The container (or container URL) of `region`, beside the home one; StoreUnavailable when the name breaks Azure's rule. */
export function regionBlobOptions(home: AzureBlobOptions, region: string): AzureBlobOptions {
  const check = (name: string) => {
    if (!CONTAINER.test(name)) {
      throw new StoreUnavailable(`blob store of region ${region}`, `its container name "${name}" (${name.length} characters) breaks Azure's rule of 3-63 a-z, 0-9 and single hyphens: choose a shorter blobContainer`);
    }
    return name;
  };
  if (home.containerUrl === undefined) return { connectionString: home.connectionString, container: check(`${home.container}-${region}`) };
  const url = new URL(home.containerUrl);
  const segments = url.pathname.split("/");
  // https://<account>.blob.core.windows.net/<container>; Azurite's form puts the account first.
  const last = segments.length - 1 - (segments[segments.length - 1] === "" ? 1 : 0);
  segments[last] = check(`${decodeURIComponent(segments[last]!)}-${region}`);
  url.pathname = segments.join("/");
  return { containerUrl: url.toString() };
}

export function openRegionStores(dataDir: string, o: RegionStoreOptions = {}): RegionStores {
  const opening = new Map<string, Promise<BlobStore>>();
  const open = new Map<string, BlobStore>();
  let closed = false;

  async function openOne(region: string): Promise<BlobStore> {
    const store = o.blob
      ? await (await import("./azure-blob-store.js")).AzureBlobStore.open(regionBlobOptions(o.blob, region), o.log)
      : await FsBlobStore.open(join(dataDir, REGIONS_DIR, region));
    if (closed) {
      await store.close();
      throw new StoreUnavailable(`blob store of region ${region}`, "Cove is shutting down");
    }
    open.set(region, store);
    return store;
  }

  function get(region: string): Promise<BlobStore> {
    if (!REGION.test(region)) return Promise.reject(new StoreUnavailable("region blob store", `${JSON.stringify(region)} is not an Azure region name`));
    const known = opening.get(region);
    if (known) return known;
    const p = openOne(region).catch((e) => {
      opening.delete(region);
      // A file-system error while creating the tree is an unavailable store too, never a stack to the client.
      throw e instanceof StoreUnavailable ? e : new StoreUnavailable(`blob store of region ${region}`, String((e as Error)?.message ?? e));
    });
    opening.set(region, p);
    return p;
  }

  async function close(): Promise<void> {
    closed = true;
    await Promise.allSettled([...opening.values()]);
    await Promise.allSettled([...open.values()].map((s) => s.close()));
    open.clear();
    opening.clear();
  }

  return { get, peek: (region) => open.get(region), close };
}
