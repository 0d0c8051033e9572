// Transactions and PRAGMA reads over node:sqlite's DatabaseSync, which (unlike better-sqlite3)
// has neither a transaction() wrapper nor pragma(). Every statement Cove runs is synchronous, so a
// transaction is a plain BEGIN ... COMMIT around a function: nothing else runs on this connection
// in between. Nesting is refused rather than turned into savepoints: no caller needs it.

import type { DatabaseSync } from "node:sqlite";

/**
 * Runs `fn` in one transaction: committed when it returns, rolled back when it throws.
 * `immediate` takes the write lock at BEGIN (BEGIN IMMEDIATE), so that what `fn` reads cannot be
 * changed by another connection before it writes; without it, BEGIN is deferred (SQLite's default).
 */
export function transaction<T>(db: DatabaseSync, fn: () => T, immediate = false): T {
  if (db.isTransaction) throw new Error("sqlite: nested transaction");
  db.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (e) {
    // A failed COMMIT leaves the transaction open; SQLite may also have rolled back on its own
    // (e.g. SQLITE_FULL), when a second ROLLBACK would throw and hide the first error.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw e;
  }
}

/** The single value a `PRAGMA name` returns (e.g. user_version, journal_mode). */
export function pragmaValue(db: DatabaseSync, name: string): unknown {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown> | undefined;
  return row === undefined ? undefined : Object.values(row)[0];
}
