// Rows of the SQLite schema (sqlite-schema.ts) to and from the records of storage/types.ts, and
// the pagination rule every list shares: fetch one row more than asked, so `next` is present
// exactly when more remain. The PostgreSQL schema has the same columns (pg-schema.ts), so its driver
// reads manifests, tags and uploads with these functions too: integers go through Number() (pg reads
// BIGINT as a string) and a body is viewed as a Buffer whether it came as a Uint8Array or a Buffer.

import type { ManifestRecord, Page, ResourceRecord, TagRecord, UploadRecord } from "./types.js";

export type Row = Record<string, any>;

/** SQL LIMIT for a page of `n` (one extra row tells whether more remain); -1 is "no limit". */
export function pageLimit(n?: number): number {
  if (n === undefined) return -1;
  return Math.max(0, Math.floor(n)) + 1;
}

export function toPage<T>(rows: T[], n: number | undefined, key: (t: T) => string): Page<T> {
  if (n === undefined) return { items: rows };
  const size = Math.max(0, Math.floor(n));
  if (size === 0) return { items: [] };
  if (rows.length <= size) return { items: rows };
  const items = rows.slice(0, size);
  return { items, next: key(items[items.length - 1]) };
}

export function toResource(r: Row): ResourceRecord {
  return { id: r.id, type: r.type, body: JSON.parse(r.body) };
}

export function toManifest(r: Row): ManifestRecord {
  const m: ManifestRecord = {
    registry: r.registry,
    repository: r.repository,
    digest: r.digest,
    mediaType: r.media_type,
    size: Number(r.size),
    // node:sqlite reads a BLOB as a Uint8Array, pg a BYTEA as a Buffer; the record promises a Buffer (same bytes, no copy).
    body: Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength),
    blobRefs: JSON.parse(r.blob_refs),
    manifestRefs: JSON.parse(r.manifest_refs),
    createdAt: r.created_at,
  };
  if (r.subject !== null) m.subject = r.subject;
  if (r.artifact_type !== null) m.artifactType = r.artifact_type;
  if (r.annotations !== null) m.annotations = JSON.parse(r.annotations);
  return m;
}

export function toTag(r: Row): TagRecord {
  return { registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest, createdAt: r.created_at, updatedAt: r.updated_at };
}

export function toUpload(r: Row): UploadRecord {
  return { id: r.id, registry: r.registry, repository: r.repository, createdAt: r.created_at, expiresAt: Number(r.expires_at) };
}
