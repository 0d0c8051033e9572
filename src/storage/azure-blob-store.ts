// Azure Blob Storage BlobStore: the same contract as the filesystem driver (fs-blob-store.ts, the
// conformance suite holds both to it), on one container of a storage account. Layout:
//
//   <container>/
//   ├── blobs/sha256/<64 hex>     committed, verified blob bytes (block blobs, never rewritten)
//   ├── blobs/sha512/<128 hex>
//   └── uploads/<upload id>       one block blob per upload in progress: its committed block list
//                                 is the bytes acknowledged so far, its ETag the upload's version
//
// Uploads stream. An append stages its bytes as blocks (azure-block-stager.ts: 4 MiB, two in
// flight, back-pressure on the client), then commits the old block list plus the new blocks onto
// uploads/<id> under If-Match on the ETag it started from. So the upload's state IS that blob: its
// size is uploadSize(), any node can continue it, and of two appends at one offset (on any nodes)
// exactly one commit wins; the other gets 412 and answers UploadOffsetMismatch. A failed or killed
// append leaves only uncommitted blocks, which Azure drops at the next commit or with the blob.
//
// The digest. Node's Hash can be copied but not serialised, so it cannot travel to another node.
// This node keeps a running sha256 per upload beside the ETag its own last append produced; at
// commit, when the upload's ETag is still that one (every append went through this node, the
// common case), the running hash is the answer and no byte is read twice. Otherwise (another node
// appended, a restart, sha512) the upload blob is read back once and hashed: it is readable
// precisely because every append commits its blocks. Only after the hash matches is the upload
// copied server-side (Copy Blob, same account, If-Match on the verified ETag) to blobs/<alg>/<hex>:
// a name under blobs/ never holds bytes that were not verified, and a blob whose copy has not
// completed is treated as absent. Then the upload blob is deleted.
//
// Reclaiming: cancelUpload deletes uploads/<id> (its uncommitted blocks go with it);
// listStaleUploads lists uploads/ by Last-Modified (the store's clock). Every Azure failure is a
// storage error or StoreUnavailable (azure-errors.ts). docs/storage.md says the same at more length.

import { createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { BlobServiceClient, ContainerClient, type BlockBlobClient } from "@azure/storage-blob";
import { BlobNotFound, BlobRangeInvalid, DigestInvalid, DigestMismatch, UploadExists, UploadIdInvalid, UploadNotFound, UploadOffsetMismatch, StoreUnavailable } from "../domain/errors.js";
import { ConfigError } from "../config/index.js";
import { stageStream } from "./azure-block-stager.js";
import { STORE_NAME, azureCall, azureCode, azureStatus, fromAzure } from "./azure-errors.js";
import { UploadLocks } from "./azure-upload-locks.js";
import { StoreHealth, observed, type StoreLog } from "./store-health.js";
import { isValidUploadId, parseBlobDigest } from "./fs-blob-store.js";
import type { BlobInfo, BlobStore, Digest } from "./types.js";

export type AzureBlobOptions =
  /** A storage account connection string (a secret: it holds the account key) and the container's name. */
  | { connectionString: string; container: string; containerUrl?: undefined }
  /**
   * Or the container's URL, authenticated with DefaultAzureCredential (a managed identity, workload
   * identity or the AZURE_* environment): no key in Cove's configuration.
   */
  | { containerUrl: string; connectionString?: undefined; container?: undefined };

/** The running hash of an upload whose appends all went through this instance, as of `etag`. */
interface RunningHash {
  hash: Hash;
  size: number;
  etag: string;
}

const COMMIT_ATTEMPTS = 3;
/** Per try, until the response's headers: the body of a download streams on without it. */
const TRY_TIMEOUT_MS = 20_000;
const RETRY_OPTIONS = { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: TRY_TIMEOUT_MS };

export class AzureBlobStore implements BlobStore {
  private readonly hashes = new Map<string, RunningHash>();
  private readonly locks = new UploadLocks();

  private constructor(private readonly container: ContainerClient) {}

  /** Connects, creating the container when missing. A bad connection string is a ConfigError. */
  /** Opened, and watched: an outage is logged once when it starts and once when it ends (store-health.ts). */
  static async open(opts: AzureBlobOptions, log?: StoreLog): Promise<BlobStore> {
    const store = await AzureBlobStore.connect(opts);
    return observed(store, new StoreHealth(log, "the Azure Blob Storage blob store", (e) => e, STORE_NAME));
  }

  private static async connect(opts: AzureBlobOptions): Promise<AzureBlobStore> {
    if (opts.containerUrl !== undefined) return AzureBlobStore.openWithCredential(opts.containerUrl);
    let service: BlobServiceClient;
    try {
      // A few quick retries: a store that stays down must become a 503 in seconds, not minutes. A try
      // whose answer has not begun within TRY_TIMEOUT_MS is cut (the SDK's default waits forever on a
      // store that accepts connections and never answers); a whole 4 MiB block fits in it at 200 KiB/s.
      service = BlobServiceClient.fromConnectionString(opts.connectionString, { retryOptions: RETRY_OPTIONS });
    } catch {
      // The parser's message may quote the string, key included: say only which setting is wrong.
      throw new ConfigError(["blobConnectionString: not an Azure Storage connection string (AccountName, AccountKey and BlobEndpoint or EndpointSuffix)"]);
    }
    if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(opts.container)) {
      throw new ConfigError([`blobContainer: ${JSON.stringify(opts.container)} is not a container name (3-63 of a-z, 0-9 and single hyphens)`]);
    }
    const container = service.getContainerClient(opts.container);
    await azureCall(() => container.createIfNotExists());
    return new AzureBlobStore(container);
  }

  /** The container at `url` (https://<account>.blob.core.windows.net/<container>), as DefaultAzureCredential's identity. */
  private static async openWithCredential(url: string): Promise<AzureBlobStore> {
    // Loaded only here: a start on a connection string does not load @azure/identity.
    const { DefaultAzureCredential } = await import("@azure/identity");
    const container = new ContainerClient(url, new DefaultAzureCredential(), { retryOptions: RETRY_OPTIONS });
    await azureCall(() => container.createIfNotExists());
    return new AzureBlobStore(container);
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    const name = blobName(digest);
    if (!name) return undefined;
    try {
      const p = await this.container.getBlockBlobClient(name).getProperties();
      if (p.copyStatus !== undefined && p.copyStatus !== "success") return undefined;
      return { digest, size: p.contentLength ?? 0 };
    } catch (e) {
      if (azureStatus(e) === 404) return undefined;
      throw fromAzure(e);
    }
  }

  async read(digest: Digest, range?: { start: number; end: number }): Promise<Readable> {
    const name = blobName(digest);
    if (!name) throw new DigestInvalid();
    const blob = this.container.getBlockBlobClient(name);
    if (range) {
      const { start, end } = range;
      if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end)) {
        throw new BlobRangeInvalid(start, end, await this.sizeOrMissing(digest));
      }
    }
    let res;
    try {
      res = range ? await blob.download(range.start, range.end - range.start + 1) : await blob.download(0);
    } catch (e) {
      if (azureStatus(e) === 404) throw new BlobNotFound(digest);
      if (azureStatus(e) === 416 && range) throw new BlobRangeInvalid(range.start, range.end, await this.sizeOrMissing(digest));
      throw fromAzure(e);
    }
    const body = res.readableStreamBody as Readable | undefined;
    const pending = res.copyStatus !== undefined && res.copyStatus !== "success";
    // Azure answers a range that runs past the end with what there is: the contract refuses it.
    const total = totalOf(res.contentRange) ?? res.contentLength ?? 0;
    if (pending || (range && range.end >= total)) {
      body?.destroy();
      if (pending) throw new BlobNotFound(digest);
      throw new BlobRangeInvalid(range!.start, range!.end, total);
    }
    if (!body) throw new BlobNotFound(digest);
    return body;
  }

  async remove(digest: Digest): Promise<void> {
    const name = blobName(digest);
    if (!name) throw new DigestInvalid();
    await azureCall(() => this.container.getBlockBlobClient(name).deleteIfExists());
  }

  async createUpload(id: string): Promise<void> {
    if (!isValidUploadId(id)) throw new UploadIdInvalid();
    try {
      // An empty committed blob, so that the upload exists (uploadSize 0) and a delete takes its blocks.
      const r = await this.upload(id).commitBlockList([], { conditions: { ifNoneMatch: "*" } });
      this.hashes.set(id, { hash: createHash("sha256"), size: 0, etag: r.etag! });
    } catch (e) {
      if (azureStatus(e) === 409 || azureStatus(e) === 412) throw new UploadExists(id);
      throw fromAzure(e);
    }
  }

  appendUpload(id: string, offset: number, data: Readable, maxBytes?: number): Promise<number> {
    if (!isValidUploadId(id)) return Promise.reject(uploadUnknown(id));
    return this.locks.run(id, () => this.appendLocked(id, offset, data, maxBytes));
  }

  private async appendLocked(id: string, offset: number, data: Readable, maxBytes?: number): Promise<number> {
    const blob = this.upload(id);
    const list = await this.orUnknown(id, () => blob.getBlockList("committed"));
    const size = list.blobContentLength ?? 0;
    const etag = list.etag!;
    if (offset !== size) throw new UploadOffsetMismatch(id, size, offset);
    let running = this.hashes.get(id);
    if (running && (running.etag !== etag || running.size !== size)) running = undefined;
    if (!running && size === 0) running = { hash: createHash("sha256"), size: 0, etag };
    this.hashes.delete(id);
    const hash = running?.hash.copy();
    let staged;
    try {
      staged = await stageStream(blob, data, (b) => hash?.update(b), maxBytes);
    } catch (e) {
      // Nothing of this call was committed: the upload, and its running hash, are as they were.
      if (running) this.hashes.set(id, running);
      throw e;
    }
    if (staged.received === 0) {
      if (running) this.hashes.set(id, running);
      return size;
    }
    const blocks = [...(list.committedBlocks ?? []).map((b) => b.name), ...staged.blockIds];
    try {
      const r = await blob.commitBlockList(blocks, { conditions: { ifMatch: etag } });
      if (hash) this.hashes.set(id, { hash, size: size + staged.received, etag: r.etag! });
    } catch (e) {
      // Another writer committed first (412), or its commit dropped our staged blocks (400 InvalidBlockList).
      if (azureStatus(e) === 412 || azureCode(e) === "InvalidBlockList") throw new UploadOffsetMismatch(id, (await this.uploadSize(id)) ?? size, offset);
      if (azureStatus(e) === 404) throw uploadUnknown(id);
      throw fromAzure(e);
    }
    return size + staged.received;
  }

  async uploadSize(id: string): Promise<number | undefined> {
    if (!isValidUploadId(id)) return undefined;
    try {
      return (await this.upload(id).getProperties()).contentLength ?? 0;
    } catch (e) {
      if (azureStatus(e) === 404) return undefined;
      throw fromAzure(e);
    }
  }

  commitUpload(id: string, digest: Digest): Promise<BlobInfo> {
    if (!isValidUploadId(id)) return Promise.reject(uploadUnknown(id));
    const name = blobName(digest);
    if (!name) return Promise.reject(new DigestInvalid());
    return this.locks.run(id, async () => {
      // A commit that races another node's append sees the ETag move (412) and starts over.
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.commitLocked(id, digest, name);
        } catch (e) {
          if (azureStatus(e) !== 412 || attempt >= COMMIT_ATTEMPTS) throw fromAzure(e);
        }
      }
    });
  }

  private async commitLocked(id: string, digest: Digest, name: string): Promise<BlobInfo> {
    const src = this.upload(id);
    const props = await this.orUnknown(id, () => src.getProperties());
    const size = props.contentLength ?? 0;
    const etag = props.etag!;
    const running = this.hashes.get(id);
    const algorithm = digest.slice(0, digest.indexOf(":"));
    const actual = algorithm === "sha256" && running && running.etag === etag && running.size === size
      ? running.hash.copy().digest("hex")
      : await this.hashBlob(src, algorithm, etag);
    if (actual !== digest.slice(digest.indexOf(":") + 1)) throw new DigestMismatch(digest);
    const target = this.container.getBlockBlobClient(name);
    // Content addressing: bytes already under the name are these bytes; copy only when absent.
    if (!(await this.stat(digest))) {
      const poller = await target.beginCopyFromURL(src.url, { intervalInMs: 200, sourceConditions: { ifMatch: etag } });
      const done = await poller.pollUntilDone();
      if (done.copyStatus !== "success") throw new StoreUnavailable(STORE_NAME, `copy ${done.copyStatus ?? "unknown"}`);
    }
    await src.deleteIfExists();
    this.hashes.delete(id);
    return { digest, size };
  }

  async cancelUpload(id: string): Promise<void> {
    if (!isValidUploadId(id)) return;
    await this.locks.run(id, async () => {
      this.hashes.delete(id);
      await azureCall(() => this.upload(id).deleteIfExists());
    });
  }

  async listStaleUploads(olderThan: number): Promise<string[]> {
    const out: string[] = [];
    await azureCall(async () => {
      for await (const b of this.container.listBlobsFlat({ prefix: "uploads/" })) {
        const id = b.name.slice("uploads/".length);
        if (isValidUploadId(id) && b.properties.lastModified.getTime() < olderThan) out.push(id);
      }
    });
    return out.sort();
  }

  async close(): Promise<void> {
    await this.locks.drain();
    this.hashes.clear();
  }

  private upload(id: string): BlockBlobClient {
    return this.container.getBlockBlobClient(`uploads/${id}`);
  }

  /** Runs an Azure call on an upload: 404 is UploadNotFound, other failures the store's words. */
  private async orUnknown<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (azureStatus(e) === 404) throw uploadUnknown(id);
      throw fromAzure(e);
    }
  }

  /** Hashes an upload's committed bytes as of `etag` (a second pass; see the header for when). */
  private async hashBlob(blob: BlockBlobClient, algorithm: string, etag: string): Promise<string> {
    const h = createHash(algorithm);
    const res = await blob.download(0, undefined, { conditions: { ifMatch: etag } });
    for await (const chunk of res.readableStreamBody as Readable) h.update(chunk as Buffer);
    return h.digest("hex");
  }

  private async sizeOrMissing(digest: Digest): Promise<number> {
    const info = await this.stat(digest);
    if (!info) throw new BlobNotFound(digest);
    return info.size;
  }
}

/** blobs/<alg>/<hex> of a strictly valid digest, else undefined (nothing a client sends becomes a name). */
function blobName(digest: Digest): string | undefined {
  const d = parseBlobDigest(digest);
  return d && `blobs/${d.algorithm}/${d.hex}`;
}

/** The total of a Content-Range "bytes a-b/total". */
function totalOf(contentRange: string | undefined): number | undefined {
  const m = contentRange && /\/(\d+)$/.exec(contentRange);
  return m ? Number(m[1]) : undefined;
}

function uploadUnknown(id: string): UploadNotFound {
  return new UploadNotFound(isValidUploadId(id) ? id : undefined);
}
