// Copies one blob from the home store into a region store through the ordinary upload calls, so
// the region store verifies the digest itself (commitUpload hashes what it received): a copy is
// either the exact bytes or nothing. Two nodes copying the same blob each commit under their own
// upload id; commitUpload is idempotent on an existing digest, so the second one is a no-op.
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlobStore } from "../../storage/types.js";

/** Upload ids of replica copies: recognisable in a region store's uploads/, and within [A-Za-z0-9_-]{8,128}. */
const copyId = () => `replica-${randomUUID()}`;

export async function copyBlob(home: BlobStore, region: BlobStore, digest: string): Promise<number> {
  const id = copyId();
  await region.createUpload(id);
  let src: Readable | undefined;
  try {
    src = await home.read(digest);
    await region.appendUpload(id, 0, src);
    return (await region.commitUpload(id, digest)).size;
  } catch (e) {
    // Whichever side failed, nothing half-copied stays behind, and the home file handle is released.
    src?.destroy();
    await region.cancelUpload(id).catch(() => undefined);
    throw e;
  }
}

/** Runs `work` over `items`, at most `limit` at a time; rejects with the first failure once the running ones settle. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failed) throw failed.error;
}
