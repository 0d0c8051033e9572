// PostgreSQL's side of a phase: the statements Cove sent (each one a round trip), counted by
// pg_stat_statements, which the bench loads into its throwaway cluster before any node starts
// (shared_preload_libraries needs a restart). Its counters are in shared memory and current at
// once, unlike pg_stat_database's, which a backend flushes up to 10 s later.
import { readFile } from "node:fs/promises";
import pg from "pg";
import type { TestPostgres } from "../../test/support/postgres.js";

export interface Statements { calls: number; ms: number; top: { query: string; calls: number }[] }

export async function enableStatements(server: TestPostgres): Promise<void> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    await c.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
  } finally {
    await c.end();
  }
  await server.halt();
  await server.restart();
}

/** A reader of one database's statement counters (the extension is created in it). */
export async function statementsOf(url: string): Promise<{ read(): Promise<Statements>; postmaster: number; close(): Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  const me = (await c.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
  const stat = await readFile(`/proc/${me}/stat`, "utf8");
  const postmaster = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  const mine = "dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND userid = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND query NOT LIKE '%pg_stat_statements%'";
  return {
    postmaster,
    async read() {
      const sum = (await c.query(`SELECT coalesce(sum(calls), 0)::bigint AS calls, coalesce(sum(total_exec_time), 0) AS ms FROM pg_stat_statements WHERE ${mine}`)).rows[0];
      const top = (await c.query(`SELECT query, calls::bigint AS calls FROM pg_stat_statements WHERE ${mine}`)).rows;
      return { calls: Number(sum.calls), ms: Number(sum.ms), top: top.map((r) => ({ query: String(r.query), calls: Number(r.calls) })) };
    },
    close: () => c.end(),
  };
}

/** What happened between two readings: calls, exec ms, and the statements called most often. */
export function statementsDelta(a: Statements, b: Statements, n = 5): Statements {
  const before = new Map(a.top.map((t) => [t.query, t.calls]));
  const top = b.top.map((t) => ({ query: t.query.replace(/\s+/g, " ").slice(0, 90), calls: t.calls - (before.get(t.query) ?? 0) }))
    .filter((t) => t.calls > 0).sort((x, y) => y.calls - x.calls).slice(0, n);
  return { calls: b.calls - a.calls, ms: b.ms - a.ms, top };
}
