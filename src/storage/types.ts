// Storage contracts. Two small interfaces so that later drivers (PostgreSQL for metadata, Azure
// Blob Storage for bytes, several stateless Cove nodes) can pass the SAME conformance suite
// (test/conformance/*). Nothing here mentions SQLite, files or paths: keep it that way.
//
// BlobStore holds content-addressed bytes (layers, configs) and in-progress uploads.
// MetadataStore holds records: ARM resources (generic JSON documents keyed by resource id),
// registry content (repositories, tags, manifests, blob links, upload sessions) and the audit log.
//
// Drivers signal failures with the storage errors of domain/errors.ts (BlobNotFound, UploadNotFound,
// ...), never with a wire code: which OCI or ARM answer they become is each surface's business.

import type { Readable } from "node:stream";

/** "sha256:<64 hex>" or "sha512:<128 hex>", already validated by domain/digest.ts. */
export type Digest = string;

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface BlobStore {
  /** Size of a committed blob, or undefined when absent. */
  stat(digest: Digest): Promise<BlobInfo | undefined>;
  /**
   * Stream a committed blob, optionally a byte range [start, end] inclusive. Throws BlobNotFound
   * when absent, BlobRangeInvalid when the range is not within it, DigestInvalid for a bad digest.
   */
  read(digest: Digest, range?: { start: number; end: number }): Promise<Readable>;
  /** Remove a committed blob's bytes (callers check no registry links it any more). */
  remove(digest: Digest): Promise<void>;

  /**
   * Start an upload under the caller's id (UploadIdInvalid unless [A-Za-z0-9_-]{8,128}; UploadExists
   * when taken). Temporary bytes live until commit, cancel or expiry.
   */
  createUpload(id: string): Promise<void>;
  /**
   * Append `data` at byte `offset` (must equal the current size, else UploadOffsetMismatch;
   * UploadNotFound when there is no such upload; UploadChunkTooLarge past `maxBytes`, keeping
   * nothing of the call). Streams with back-pressure; returns the new size. Crash-safe: after
   * kill -9 the size reported by uploadSize() covers only bytes durably written.
   */
  appendUpload(id: string, offset: number, data: Readable, maxBytes?: number): Promise<number>;
  /** Current size of an upload, or undefined when the upload does not exist. */
  uploadSize(id: string): Promise<number | undefined>;
  /**
   * Verify that the upload's bytes hash to `digest`, make them durable and move them into
   * place atomically. Throws DigestMismatch (upload kept) when the hash differs, UploadNotFound
   * or DigestInvalid. Idempotent when the blob already exists. Removes the upload.
   */
  commitUpload(id: string, digest: Digest): Promise<BlobInfo>;
  /** Drop an upload's bytes. No error when it does not exist. */
  cancelUpload(id: string): Promise<void>;
  /** Upload ids whose bytes were last written before `olderThan` (epoch ms). */
  listStaleUploads(olderThan: number): Promise<string[]>;
  close(): Promise<void>;
}

/** A stored ARM resource: the full JSON body as the API returns it. */
export interface ResourceRecord {
  /** Resource id as first written (case preserved); lookups are case-insensitive. */
  id: string;
  /** ARM type, e.g. "Microsoft.ContainerRegistry/registries". */
  type: string;
  body: Record<string, unknown>;
}

export interface ManifestRecord {
  registry: string; // registry resource id, lower-cased
  repository: string;
  digest: Digest;
  mediaType: string;
  size: number;
  body: Buffer;
  /** Digest of the manifest this one refers to (OCI `subject`), for the referrers API. */
  subject?: Digest;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** Blobs and child manifests this manifest references (for existence checks and GC). */
  blobRefs: Digest[];
  manifestRefs: Digest[];
  createdAt: string; // ISO time
}

export interface TagRecord {
  registry: string;
  repository: string;
  tag: string;
  digest: Digest;
  createdAt: string;
  updatedAt: string;
}

export interface UploadRecord {
  id: string;
  registry: string;
  repository: string;
  createdAt: string;
  /** Epoch ms after which the session is expired and reclaimed. */
  expiresAt: number;
}

/**
 * An audit event as a driver stores it: a JSON object, persisted and hashed as given. Which kinds
 * and fields it has is the audit module's business (audit/event.ts); records written by older
 * versions may name their kind `type`, so readers take it as stored.
 */
export type StoredAuditEvent = Record<string, unknown>;

export interface AuditRecord {
  seq: number;
  time: string;
  /** sha256 hex of the previous record's hash + this record's canonical JSON: the hash chain. */
  hash: string;
  event: StoredAuditEvent;
}

export interface Page<T> {
  items: T[];
  /** The value to pass as `last` for the next page, when there is one. */
  next?: string;
}

/**
 * The store's change feed: the one signal the state view (src/state/) follows. A driver fires it
 * after every COMMITTED write of an ARM resource (putResource; deleteResource when it deleted
 * something), whoever made it: the management API, the identity provider, bootstrap. Never for
 * registry content, upload sessions or audit appends: no view is built from them, and a push or an
 * audited login must not cost a rebuild. `version` is the store's version: it grows with every such
 * commit and never goes back, so "does the view include my write" is a comparison of versions.
 * An in-process driver counts its own commits (storage/change-feed.ts); a networked one (PostgreSQL,
 * several nodes) fires it from LISTEN/NOTIFY for every node's writes, with the database's version.
 * Listeners run synchronously after the commit: they only schedule work, and never throw into it.
 */
export interface ChangeFeed {
  readonly version: number;
  /** Calls `listener` with the new version after each committed resource write; returns the unsubscribe. */
  onCommitted(listener: (version: number) => void): () => void;
}

export interface MetadataStore {
  /** Committed resource writes, for the state view (ChangeFeed). */
  readonly changes: ChangeFeed;

  // ARM resources: generic documents, so control-plane resource types need no schema changes.
  getResource(id: string): Promise<ResourceRecord | undefined>;
  putResource(rec: ResourceRecord): Promise<void>;
  /** Deletes the resource and (when `recursive`) every resource whose id starts with `id + "/"`. */
  deleteResource(id: string, recursive?: boolean): Promise<boolean>;
  /** Resources of `type` (case-insensitive) whose id starts with `underId` (case-insensitive), ordered by id. */
  listResources(filter: { type?: string; underId?: string }): Promise<ResourceRecord[]>;

  // Registry content. `registry` is always the registry's lower-cased resource id.
  linkBlob(registry: string, repository: string, digest: Digest, size: number): Promise<void>;
  /** Size when `digest` is linked to the repository, else undefined. */
  getBlobLink(registry: string, repository: string, digest: Digest): Promise<number | undefined>;
  unlinkBlob(registry: string, repository: string, digest: Digest): Promise<boolean>;
  /** Number of links to `digest` across all registries and repositories (for reclaiming bytes). */
  countBlobLinks(digest: Digest): Promise<number>;

  putManifest(m: ManifestRecord, tag?: string): Promise<void>;
  /**
   * Digests of manifests in the repository whose blobRefs include `digest`, in lexical order, at
   * most `limit`. Indexed: a blob delete asks this before it unlinks, so it must not scan manifests.
   */
  manifestsReferencingBlob(registry: string, repository: string, digest: Digest, limit: number): Promise<Digest[]>;
  getManifest(registry: string, repository: string, digest: Digest): Promise<ManifestRecord | undefined>;
  deleteManifest(registry: string, repository: string, digest: Digest): Promise<boolean>;
  listManifests(registry: string, repository: string): Promise<ManifestRecord[]>;
  /** Manifests in the repository whose `subject` is `digest`. */
  listReferrers(registry: string, repository: string, digest: Digest): Promise<ManifestRecord[]>;

  getTag(registry: string, repository: string, tag: string): Promise<TagRecord | undefined>;
  putTag(t: TagRecord): Promise<void>;
  deleteTag(registry: string, repository: string, tag: string): Promise<boolean>;
  /** Tags in lexical order, after `last`, at most `n`. */
  listTags(registry: string, repository: string, n?: number, last?: string): Promise<Page<TagRecord>>;
  /** Repositories (with at least one manifest) in lexical order, after `last`, at most `n`. */
  listRepositories(registry: string, n?: number, last?: string): Promise<Page<string>>;
  /** Deletes every tag, manifest and blob link of a repository. */
  deleteRepository(registry: string, repository: string): Promise<boolean>;
  /** Deletes all content of a registry (when the registry resource is deleted). */
  deleteRegistryContent(registry: string): Promise<void>;

  createUpload(u: UploadRecord): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  deleteUpload(id: string): Promise<void>;
  listExpiredUploads(now: number): Promise<UploadRecord[]>;

  /** Appends one event to the hash-chained audit log and returns the stored record (writers: audit/log.ts appendAudit). */
  appendAudit(event: StoredAuditEvent): Promise<AuditRecord>;
  /** Appends events in order in one transaction (one commit, one fsync): all of them or none. */
  appendAudits(events: StoredAuditEvent[]): Promise<AuditRecord[]>;
  readAudit(afterSeq?: number, limit?: number): Promise<AuditRecord[]>;

  /**
   * Runs fn while no other exclusive section of any process on this store runs; resolves or rejects
   * as fn does, and a section that throws still lets the next one in. For the read-then-write checks
   * that one record's constraints cannot express (a registry name unique across resource groups, a
   * free address in a subnet, a connection's state transition): the management API's writes run in
   * it (control-plane/arm/front-door.ts). Not re-entrant: fn must not call exclusive again.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;

  /**
   * Runs fn while no other PROCESS on this store runs a keyed section for `key` (a blob digest);
   * callers serialise their own process's sections per key first (data-plane/key-lock.ts), and
   * take several keys in sorted order. SQLite: one process owns the file, so this is fn itself.
   */
  keyed<T>(key: string, fn: () => Promise<T>): Promise<T>;

  close(): Promise<void>;
}
