// Error responses of registry auth, drawn from the data plane's ONE catalogue (errors.ts): the 401
// challenge (UNAUTHORIZED), 403 (DENIED) and the token endpoints' refusals.
//
// One entry the OCI catalogue does not have yet: a malformed, oversized or unsupported token
// request (bad form, unknown grant_type, missing field, `service` naming another registry). Its
// wire code is UNSUPPORTED (OCI dist-spec: "the operation was unsupported due to ... an invalid set
// of parameters") with status 400, since UNSUPPORTED itself is catalogued as 405. It is declared
// here in the catalogue's own entry type; when errors.ts gains the key, that entry wins.

import { DomainError } from "../domain/errors.js";
import type { HandlerResult } from "../http/types.js";
import { OCI_ERRORS, catalogueEntry, toOciError, type CatalogueEntry } from "./errors.js";

export const TOKEN_REQUEST_INVALID: CatalogueEntry = {
  code: "UNSUPPORTED",
  status: 400,
  message: "the token request is malformed or not supported",
};

export type RegistryAuthErrorKey = "UNAUTHORIZED" | "DENIED" | "TOKEN_REQUEST_INVALID";

/** The OCI error response for `key`, with structured `detail` (never secrets). */
export function registryAuthError(key: RegistryAuthErrorKey, method: string, detail?: unknown): HandlerResult {
  const entry = catalogueEntry(key) ?? (key === "TOKEN_REQUEST_INVALID" ? TOKEN_REQUEST_INVALID : OCI_ERRORS.UNKNOWN);
  if (catalogueEntry(key)) {
    // The catalogue's own message, so the mapper puts `detail` on the wire unchanged.
    return toOciError(new DomainError(key, entry.message, detail), method).result;
  }
  const body = { errors: [{ code: entry.code, message: entry.message, ...(detail === undefined ? {} : { detail }) }] };
  return method === "HEAD"
    ? { status: entry.status, headers: {} }
    : { status: entry.status, headers: { "Content-Type": "application/json; charset=utf-8" }, body };
}
