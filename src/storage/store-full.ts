// The embedded drivers (files and SQLite in the data dir) on a full disk. A write that finds no room
// (ENOSPC or EDQUOT from the file system, SQLITE_FULL from SQLite) becomes the domain's StoreFull,
// which the data plane answers 507; nothing of it stays behind (a failed append is truncated back,
// a failed commit leaves the upload where it was, SQLite rolls the transaction back). The condition
// is logged once at warn when it starts and once at info when a kind of write that was refused
// succeeds again, not once per refused request. Reads go on as before.
import { StoreFull, isDomainError } from "../domain/errors.js";
import { onPromises, type StoreLog } from "./store-health.js";

const ERRNO_FULL = new Set(["ENOSPC", "EDQUOT"]);
/** SQLite's primary result code SQLITE_FULL (extended codes keep it in their low byte). */
const SQLITE_FULL = 13;

/** The system's code when `e` says there is no room to write (ENOSPC, EDQUOT, SQLITE_FULL), else undefined. */
export function noRoomReason(e: unknown): string | undefined {
  if (!(e instanceof Error) || isDomainError(e)) return undefined;
  const { code, errcode } = e as { code?: unknown; errcode?: unknown };
  if (typeof code === "string" && ERRNO_FULL.has(code)) return code;
  // node:sqlite throws code ERR_SQLITE_ERROR with the SQLite result code in errcode.
  if (code === "ERR_SQLITE_ERROR" && typeof errcode === "number" && (errcode & 0xff) === SQLITE_FULL) return "SQLITE_FULL";
  return undefined;
}

/** `store` with every promise-returning method's "no room" failure rethrown as StoreFull(`name`). */
export function fullAware<T extends object>(store: T, name: string, log?: StoreLog): T {
  // The methods refused for want of room since the disk filled; empty: not full.
  const refused = new Set<PropertyKey>();
  return onPromises(store, (r, method) => r.then((value) => {
    if (refused.has(method)) {
      refused.clear();
      log?.info({ store: name }, `the ${name} has room again: writes are accepted`);
    }
    return value;
  }, (e) => {
    const reason = noRoomReason(e);
    if (reason === undefined) throw e;
    if (refused.size === 0) log?.warn({ store: name, reason }, `the ${name} is full: writes answer 507 until space is freed on the data dir's disk`);
    refused.add(method);
    throw new StoreFull(name, reason);
  }));
}
