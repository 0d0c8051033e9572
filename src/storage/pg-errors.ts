// How the PostgreSQL driver reads node-postgres failures. A failure that says the database cannot be
// reached or is not serving now (refused, reset or timed-out connections, a server shutting down or
// starting up, SQLSTATE class 08) becomes the domain's StoreUnavailable: the data plane answers 503
// UNAVAILABLE, the management API its ServiceUnavailable, and clients retry. Everything else (a
// constraint violation, a bug in a query) passes through unchanged: it is not about availability.
// The reason kept is the socket error code or the SQLSTATE only: node-postgres messages can name
// the host and port, and nothing of the URL belongs in an error or a log.
//
// The driver also notices the transitions (StoreHealth below), so an outage is logged once at warn
// when it starts and once at info when it ends, instead of once per failed request.
import { StoreUnavailable, isDomainError } from "../domain/errors.js";
import { StoreHealth, type StoreLog } from "./store-health.js";

export type { StoreLog } from "./store-health.js";

export const STORE_NAME = "metadata store";

/** Socket errors of a connection that cannot be made or was lost. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/**
 * SQLSTATEs of a server that is going away or not serving yet: 57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections (a full server: retry later).
 */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
/**
 * node-postgres's own words for a lost or never-made connection, and for the pool's
 * connectionTimeoutMillis and the client's query_timeout (a server that does not answer).
 */
const CLIENT_MESSAGES: Array<[RegExp, string]> = [
  [/^Connection terminated/, "connection terminated"],
  [/timeout exceeded when trying to connect/, "connect timeout"],
  [/^Query read timeout/, "query timeout"],
  [/not queryable/, "connection lost"],
  [/^Connection ended unexpectedly/, "connection terminated"],
];

/** Why `e` means the database is unavailable (a short code, no host or URL), or undefined when it does not. */
export function unavailableReason(e: unknown): string | undefined {
  if (!(e instanceof Error) || isDomainError(e)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code)) return code;
    // SQLSTATE class 08: connection exceptions.
    if (UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return `SQLSTATE ${code}`;
  }
  // An AggregateError (several addresses tried) carries the socket errors inside.
  if (e instanceof AggregateError) {
    for (const inner of e.errors) {
      const r = unavailableReason(inner);
      if (r) return r;
    }
  }
  for (const [re, reason] of CLIENT_MESSAGES) if (re.test(e.message)) return reason;
  return undefined;
}

/** `e` in the store's words: StoreUnavailable for an unavailable database, else `e` itself. */
export function fromPg(e: unknown): unknown {
  const reason = unavailableReason(e);
  return reason === undefined ? e : new StoreUnavailable(STORE_NAME, reason);
}

/** The PostgreSQL driver's outage log: "the PostgreSQL metadata store is unavailable", once. */
export function pgHealth(log?: StoreLog): StoreHealth {
  return new StoreHealth(log, "the PostgreSQL metadata store", fromPg, STORE_NAME);
}
