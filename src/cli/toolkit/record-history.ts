// Preflight's record history, the CLI's I/O: the audit log read through the management API as
// `cove audit` and the evidence export read it (GET /cove/audit, the `control-plane` kind only, page
// by page, never the whole log in memory), folded by network-policy/reachability/record-history.ts.
// A caller who may not read the log (it needs Microsoft.Insights/eventtypes/values/read, as Azure's
// Activity Log) still gets the cause: the history is then said to be unavailable, and why.
import type { ArmInventory } from "../../network-policy/reachability/inventory.js";
import type { ReachabilityModel } from "../../network-policy/reachability/model.js";
import { concernsRecordSet, recordHistory, type AuditRow, type RecordHistory } from "../../network-policy/reachability/record-history.js";
import { ServiceError } from "../errors.js";
import type { Session } from "../session.js";

const PAGE = 1000;
/** Pages read at most (ten million records): the loop always ends. */
const MAX_PAGES = 10_000;

export type HistoryAnswer = { history: RecordHistory } | { unavailable: string };

export async function readRecordHistory(s: Session, inv: ArmInventory, model: ReachabilityModel, recordSetId: string): Promise<HistoryAnswer> {
  const rows: AuditRow[] = [];
  let path = `/cove/audit?limit=${PAGE}&kind=control-plane`;
  try {
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = await s.request<{ value?: AuditRow[]; nextLink?: string }>("GET", path);
      for (const r of page.value ?? []) if (concernsRecordSet(r, recordSetId)) rows.push(r);
      if (!page.nextLink) break;
      const next = new URL(page.nextLink);
      path = next.pathname + next.search;
    }
  } catch (e) {
    const why = e instanceof ServiceError && (e.statusCode === 403 || e.statusCode === 401)
      ? `this identity may not read the audit log (GET /cove/audit answered ${e.statusCode}; it needs Microsoft.Insights/eventtypes/values/read on the subscription)`
      : `the audit log could not be read: ${(e as Error).message}`;
    return { unavailable: why };
  }
  return { history: recordHistory(inv, model, recordSetId, rows) };
}
