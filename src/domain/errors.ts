// Domain errors: what went wrong, in the vocabulary of the domain, with no HTTP in sight.
// Each protocol surface (OCI data plane, ARM management API, DNS, CLI) maps a `code` to its own
// catalogue entry (status, wire code, message) in exactly one place: see data-plane/errors.ts and
// control-plane/arm/errors.ts. Handlers throw these; they never write a status number themselves.

export class DomainError extends Error {
  /** Stable code, e.g. "MANIFEST_INVALID", "ResourceNotFound" or "BlobNotFound"; the surface's catalogue key. */
  readonly code: string;
  /** Structured detail for the wire (OCI `detail`, ARM `target`/`details`). */
  readonly detail?: unknown;

  constructor(code: string, message: string, detail?: unknown) {
    super(message);
    this.name = code;
    this.code = code;
    this.detail = detail;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

// --- Storage errors ------------------------------------------------------------------------------
// What a storage driver (storage/types.ts: BlobStore, and any later driver) signals, in the store's
// own words: no OCI or ARM code appears below the surfaces. Every driver throws these for the same
// situations (test/conformance asserts the codes); the data plane maps them to the wire once
// (data-plane/errors.ts STORAGE_TO_OCI), and a surface that has no mapping answers its 500.
// Messages and details are the driver's account of what happened; the surface keeps its own message.

export const STORAGE_ERROR_CODES = [
  "BlobNotFound",
  "BlobRangeInvalid",
  "DigestInvalid",
  "DigestMismatch",
  "UploadIdInvalid",
  "UploadExists",
  "UploadNotFound",
  "UploadOffsetMismatch",
  "UploadChunkTooLarge",
  "StoreUnavailable",
  "StoreFull",
] as const;

export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

export abstract class StorageError extends DomainError {
  declare readonly code: StorageErrorCode;
  protected constructor(code: StorageErrorCode, message: string, detail?: unknown) {
    super(code, message, detail);
  }
}

export function isStorageError(e: unknown): e is StorageError {
  return e instanceof StorageError;
}

/** True when `e` is the domain's StoreFull: a write refused for want of room at the data dir. */
export function isStoreFull(e: unknown): e is StorageError {
  return e instanceof StorageError && e.code === "StoreFull";
}

/** No committed blob has this digest. */
export class BlobNotFound extends StorageError {
  constructor(digest: string) {
    super("BlobNotFound", `blob ${digest} is not known`, { digest });
  }
}

/** A byte range [start, end] that does not lie within the blob. */
export class BlobRangeInvalid extends StorageError {
  constructor(start: number, end: number, size: number) {
    super("BlobRangeInvalid", `range ${start}-${end} is not within the blob's ${size} bytes`, { size });
  }
}

/** Not a digest the store can address (sha256 or sha512, lower-case hex of the exact length). */
export class DigestInvalid extends StorageError {
  constructor() {
    super("DigestInvalid", "digest is not a valid sha256 or sha512 digest");
  }
}

/** An upload's bytes do not hash to the digest it was to be committed as (the upload is kept). */
export class DigestMismatch extends StorageError {
  constructor(digest: string) {
    super("DigestMismatch", `upload content does not match digest ${digest}`, { digest });
  }
}

/** An upload id that could name a path (ids are server-made: [A-Za-z0-9_-], 8 to 128 characters). */
export class UploadIdInvalid extends StorageError {
  constructor() {
    super("UploadIdInvalid", "upload id is not valid");
  }
}

/** createUpload for an id that already has bytes. */
export class UploadExists extends StorageError {
  constructor(id: string) {
    super("UploadExists", `upload ${id} already exists`);
  }
}

/** No upload has this id (never made, committed, cancelled, or an id that is not valid: `id` then undefined). */
export class UploadNotFound extends StorageError {
  constructor(id: string | undefined) {
    super("UploadNotFound", "blob upload unknown to registry", { id });
  }
}

/** An append that does not start at the upload's current size; `size` is where it stands. */
export class UploadOffsetMismatch extends StorageError {
  constructor(id: string, size: number, offset: number) {
    super("UploadOffsetMismatch", `upload ${id} is at offset ${size}, not ${offset}`, { size });
  }
}

/** An append that brought more than the caller's limit; nothing of it was kept. */
export class UploadChunkTooLarge extends StorageError {
  constructor(maxBytes: number) {
    super("UploadChunkTooLarge", `upload chunk exceeds ${maxBytes} bytes`, { maxBytes });
  }
}

/**
 * The storage engine behind a networked driver (Azure Blob Storage, PostgreSQL) did not answer or
 * cannot serve now: retrying later may succeed. `reason` is the engine's status and error code,
 * never a connection string, key or URL.
 */
export class StoreUnavailable extends StorageError {
  constructor(store: string, reason: string) {
    super("StoreUnavailable", `the ${store} is unavailable (${reason})`, { store });
  }
}

/**
 * An embedded driver found no room for a write at the data dir (a full disk or quota: ENOSPC,
 * EDQUOT, SQLITE_FULL). Nothing of the write was kept; it succeeds again once space is freed.
 * `reason` is the system's error code.
 */
export class StoreFull extends StorageError {
  constructor(store: string, reason: string) {
    super("StoreFull", `the ${store} is full (${reason})`, { store });
  }
}
