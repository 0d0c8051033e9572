// Rows of the PostgreSQL schema (pg-schema.ts) to the records of storage/types.ts. node-postgres
// reads BIGINT as a string (it may exceed 2^53); every BIGINT Cove stores (sizes, epoch ms, audit
// seq) is a safe integer, so it is read back as a number. BYTEA arrives as a Buffer.

import type { ManifestRecord, TagRecord, UploadRecord } from "./types.js";

export type Row = Record<string, any>;

export function toManifest(r: Row): ManifestRecord {
  const m: ManifestRecord = {
    registry: r.registry,
    repository: r.repository,
    digest: r.digest,
    mediaType: r.media_type,
    size: Number(r.size),
    body: r.body as Buffer,
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

/** SQL LIMIT for a page of `n` (one extra row tells whether more remain); null is "no limit" (LIMIT NULL = LIMIT ALL). */
export function pgPageLimit(n?: number): number | null {
  if (n === undefined) return null;
  return Math.max(0, Math.floor(n)) + 1;
}

/** A connection URL with its password replaced by "***", for messages and logs. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    if (u.searchParams.has("password")) u.searchParams.set("password", "***");
    return u.toString();
  } catch {
    return "(an unparseable URL)";
  }
}
