// Error responses of registry auth, drawn from the data plane's ONE catalogue (errors.ts): the 401
// challenge (UNAUTHORIZED), 403 (DENIED), 429 after too many failed logins (TOOMANYREQUESTS) and
// the token endpoints' refusals.
import { DomainError } from "../domain/errors.js";
import type { HandlerResult } from "../http/types.js";
import { OCI_ERRORS, catalogueEntry, toOciError } from "./errors.js";

export type RegistryAuthErrorKey = "UNAUTHORIZED" | "DENIED" | "TOKEN_REQUEST_INVALID" | "TOOMANYREQUESTS";

/** The OCI error response for `key`, with structured `detail` (never secrets). */
export function registryAuthError(key: RegistryAuthErrorKey, method: string, detail?: unknown): HandlerResult {
  const entry = catalogueEntry(key) ?? OCI_ERRORS.UNKNOWN;
  // The catalogue's own message, so the mapper puts `detail` on the wire unchanged.
  return toOciError(new DomainError(key, entry.message, detail), method).result;
}
