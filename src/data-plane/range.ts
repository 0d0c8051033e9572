// The two byte-range headers of the data plane, parsed strictly:
// - `Range` on blob GET (RFC 9110 section 14.2, plus the bare `<start>-` form that
//   @azure/container-registry sends when it resumes a download);
// - `Content-Range` on upload PATCH/PUT (OCI dist-spec: `^[0-9]+-[0-9]+$`, inclusive on both
//   ends; the RFC form `bytes <start>-<end>/<total|*>` is accepted too, as clients send both).
// Both throw RANGE_INVALID (416) for anything they cannot honour.
import { DomainError } from "../domain/errors.js";

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

// Bounded digit runs keep every value a safe integer.
const RANGE = /^(?:bytes=)?(\d{0,15})-(\d{0,15})$/;

/**
 * Resolves a blob GET `Range` header against the blob size. Returns undefined when there is no
 * header (serve the whole blob). Multi-range requests are refused rather than half-honoured.
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = RANGE.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) throw rangeError(header, size);
  let start: number;
  let end: number;
  if (m[1] === "") {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) throw rangeError(header, size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) throw rangeError(header, size);
  }
  // RFC 9110: a range whose first position is past the end is unsatisfiable (416).
  if (size === 0 || start >= size || end < start) throw rangeError(header, size);
  return { start, end };
}

const CONTENT_RANGE = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/;

/** Parses an upload `Content-Range`; undefined when absent. */
export function parseContentRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = CONTENT_RANGE.exec(header.trim());
  if (!m) throw new DomainError("RANGE_INVALID", "malformed Content-Range", { contentRange: header.slice(0, 100) });
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new DomainError("RANGE_INVALID", "Content-Range ends before it starts", { contentRange: header.slice(0, 100) });
  return { start, end };
}

function rangeError(header: string, size: number): DomainError {
  return new DomainError("RANGE_INVALID", "requested range is not satisfiable", { range: header.slice(0, 100), size });
}
