// GET /cove/audit with a time window and kinds: the records of the last seven days, say, without
// paging through the whole log. Records are in seq order, and Cove stamps each record's time in
// the append transaction, so time grows with seq (while the clock does not step back): the first
// record at or after `since` is found by a galloping search over seq (O(log n) single-record
// reads), and a scan stops at the first record after `until`. Every returned record still passes
// the time and kind test itself.
import type { AuditRecord } from "../storage/types.js";

export type ReadAudit = (afterSeq: number, limit: number) => Promise<AuditRecord[]>;

export interface AuditFilter {
  after: number;
  limit: number;
  /** ISO 8601 (toISOString form): records with time >= since. */
  since?: string;
  /** ISO 8601: records with time <= until. */
  until?: string;
  /** Only these kinds (legacy records: their `type`, see kindOf). */
  kinds?: Set<string>;
}

/** Records read at most per request, matching or not: a page may be empty and still have a next one. */
export const SCAN_BUDGET = 10_000;

/** A record's kind, as docs/audit.md tells readers: `type` when `kind` is absent or `auth` (older records). */
export function kindOf(event: Record<string, unknown>): string {
  const kind = event.kind;
  return typeof kind === "string" && kind !== "auth" ? kind : String(event.type ?? kind ?? "");
}

/** The `after` from which every record at or after `since` follows (0 when the log starts later). */
export async function afterForSince(read: ReadAudit, since: string): Promise<number> {
  // reached(a): the first record after seq a is at or after `since` (or there is none).
  const reached = async (a: number) => {
    const r = (await read(a, 1))[0];
    return r === undefined || r.time >= since;
  };
  if (await reached(0)) return 0;
  let lo = 0;
  let hi = 1;
  while (!(await reached(hi))) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await reached(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** One page of matching records, and the seq to continue after when the log may hold more. */
export async function readFiltered(read: ReadAudit, f: AuditFilter): Promise<{ value: AuditRecord[]; next?: number }> {
  let after = f.since ? Math.max(f.after, await afterForSince(read, f.since)) : f.after;
  const value: AuditRecord[] = [];
  let scanned = 0;
  while (value.length < f.limit && scanned < SCAN_BUDGET) {
    const page = await read(after, Math.min(1000, SCAN_BUDGET - scanned));
    if (page.length === 0) return { value };
    for (const r of page) {
      scanned++;
      after = r.seq;
      if (f.until && r.time > f.until) return { value };
      if (f.since && r.time < f.since) continue;
      if (f.kinds && !f.kinds.has(kindOf(r.event))) continue;
      value.push(r);
      if (value.length === f.limit) return { value, next: after };
    }
  }
  return { value, next: after };
}
