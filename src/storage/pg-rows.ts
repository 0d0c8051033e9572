// Rows of the PostgreSQL schema (pg-schema.ts) to the records of storage/types.ts. node-postgres
// reads BIGINT as a string (it may exceed 2^53); every BIGINT Cove stores (sizes, epoch ms, audit
// seq) is a safe integer, so it is read back as a number. BYTEA arrives as a Buffer.

// The same columns as SQLite's: its row readers serve both drivers (sqlite-rows.ts).
export { toManifest, toTag, toUpload, type Row } from "./sqlite-rows.js";

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
