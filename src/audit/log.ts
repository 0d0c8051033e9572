// The one way Cove writes to the audit log: appendAudit(meta, event) with a typed AuditEvent. The
// MetadataStore persists whatever JSON object it is given (its driver computes the hash chain and
// knows no kinds); this is where the type is enforced, so every record in the log is one of
// docs/audit.md's kinds. test/audit/one-writer.test.ts keeps every other module off the store's
// appendAudit.
import type { AuditRecord, MetadataStore } from "../storage/types.js";
import type { AuditEvent, AuditSink } from "./event.js";

export type AuditStore = Pick<MetadataStore, "appendAudit">;

/** Appends one event to the hash-chained log; the stored record (seq, time, hash) once committed. */
export function appendAudit(meta: AuditStore, event: AuditEvent): Promise<AuditRecord> {
  return meta.appendAudit(event);
}

/** Appends events in order in one transaction: one commit for a burst (the denial auditor's). */
export function appendAudits(meta: Pick<MetadataStore, "appendAudits">, events: AuditEvent[]): Promise<AuditRecord[]> {
  return meta.appendAudits(events);
}

/** appendAudit() bound to a store, for the modules that are handed a sink instead of the store. */
export function auditSink(meta: AuditStore): AuditSink {
  return async (event) => { await appendAudit(meta, event); };
}
