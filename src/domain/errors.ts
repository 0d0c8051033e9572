// Domain errors: what went wrong, in the vocabulary of the domain, with no HTTP in sight.
// Each protocol surface (OCI data plane, ARM management API, DNS, CLI) maps a `code` to its own
// catalogue entry (status, wire code, message) in exactly one place: see data-plane/errors.ts and
// control-plane/arm/errors.ts. Handlers throw these; they never write a status number themselves.

export class DomainError extends Error {
  /** Stable code, e.g. "BLOB_UNKNOWN" or "ResourceNotFound"; the surface's catalogue key. */
  readonly code: string;
  /** Structured detail for the wire (OCI `detail`, ARM `target`/`details`). */
  readonly detail?: unknown;

  constructor(code: string, message: string, detail?: unknown) {
    super(message);
    this.name = code;
    this.code = code;
    this.detail = detail;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
