// Turns one append's byte stream into staged blocks of an Azure block blob (Put Block), for
// azure-blob-store.ts. Memory stays bounded: at most BLOCK_SIZE bytes gathered plus IN_FLIGHT
// blocks on the wire; while they are in flight the source is not read (`for await` pauses it), so
// a slow store slows the client instead of filling memory. Two blocks in flight overlap the
// socket with the store's write (measured: one 4 MiB block at a time leaves Azurite idle half the time).
//
// Block ids are unique per append attempt (a random nonce and a counter): a failed or concurrent
// append on another node never overwrites a block that a committed list names. Its blocks stay
// uncommitted and Azure drops them at the blob's next Put Block List (or with the blob).
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlockBlobClient } from "@azure/storage-blob";
import { UploadChunkTooLarge } from "../domain/errors.js";
import { azureCall } from "./azure-errors.js";

/** Bytes per staged block: 50,000 committed blocks per blob then allow about 195 GiB. */
export const BLOCK_SIZE = 4 * 1024 * 1024;
const IN_FLIGHT = 2;

export interface StagedAppend {
  /** The new blocks in byte order, to append to the committed list. */
  blockIds: string[];
  received: number;
}

/**
 * Stages `data` as blocks of `blob`; `onBytes` sees every byte in order (the running hash).
 * Throws UploadChunkTooLarge past `maxBytes`, the source's own error, or the store's; the blocks
 * staged until then are left uncommitted, which is to say: dropped.
 */
export async function stageStream(blob: BlockBlobClient, data: Readable, onBytes: (b: Buffer) => void, maxBytes?: number): Promise<StagedAppend> {
  const nonce = randomBytes(6).toString("hex");
  const blockIds: string[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: { e: unknown } | undefined;
  let parts: Buffer[] = [];
  let partsLen = 0;
  let received = 0;

  const stage = async (buf: Buffer) => {
    while (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
    if (failure) throw failure.e;
    // Every id of one blob must have the same length: 12 hex + 8 digits, base64.
    const id = Buffer.from(nonce + String(blockIds.length).padStart(8, "0")).toString("base64");
    blockIds.push(id);
    const p: Promise<void> = azureCall(() => blob.stageBlock(id, buf, buf.length)).then(
      () => { inflight.delete(p); },
      (e) => { inflight.delete(p); failure ??= { e }; },
    );
    inflight.add(p);
  };
  const flush = async (all: boolean) => {
    while (partsLen >= BLOCK_SIZE || (all && partsLen > 0)) {
      const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partsLen);
      const block = whole.subarray(0, Math.min(BLOCK_SIZE, whole.length));
      const rest = whole.subarray(block.length);
      parts = rest.length ? [rest] : [];
      partsLen = rest.length;
      await stage(block);
    }
  };

  try {
    // destroyOnReturn: false leaves the source to the caller when we stop early (UploadChunkTooLarge),
    // so an HTTP handler can still answer on the same connection.
    for await (const chunk of data.iterator({ destroyOnReturn: false })) {
      const buf: Buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      if (maxBytes !== undefined && received + buf.length > maxBytes) throw new UploadChunkTooLarge(maxBytes);
      onBytes(buf);
      received += buf.length;
      parts.push(buf);
      partsLen += buf.length;
      if (partsLen >= BLOCK_SIZE) await flush(false);
      if (failure) throw failure.e;
    }
    await flush(true);
    await Promise.all(inflight);
    if (failure) throw failure.e;
    return { blockIds, received };
  } catch (e) {
    await Promise.allSettled(inflight);
    throw e;
  }
}
