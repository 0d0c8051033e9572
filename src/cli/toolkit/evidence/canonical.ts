// Canonical JSON for evidence bundles, in the style of RFC 8785 (JCS): object members sorted by
// the UTF-16 code units of their names (section 3.2.3, which is what JavaScript's string order
// is), no insignificant whitespace, strings with JSON.stringify's escaping (the same minimal
// escapes as section 3.2.2.2), numbers in ECMAScript's shortest form (3.2.2.3). Unlike
// JSON.stringify it refuses what has no canonical form (NaN, Infinity, undefined in an array, a
// function, a bigint): evidence is never silently rewritten.
//
// The same walk computes the digests the signed manifest lists: every top-level section, and
// below that the fields a budget allows, breadth first (fields.ts picks them), so that verify can
// name the first field that changed. Each node is serialised once; a parent is built from its
// children's strings (V8 concatenates them as ropes) and only the listed nodes are hashed.
import { createHash } from "node:crypto";

export type JsonPath = (string | number)[];

export class CanonicalJsonError extends Error {
  constructor(path: JsonPath, what: string) {
    super(`${formatPath(path)}: ${what} has no canonical JSON form`);
    this.name = "CanonicalJsonError";
  }
}

/** `registry.networkRuleSet.ipRules[0].value`; names that are not identifiers are bracketed. */
export function formatPath(path: JsonPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === "" ? "(the document)" : out;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * A JSON array too large to hold (an audit excerpt of 100k records): its canonical text is in a
 * file, written as the records streamed past, with its digest. canonicalize() writes PLACEHOLDER
 * for it; bundle.ts streams the file into its place, and the digests of its ancestors are
 * finished over the real bytes (PendingDigest).
 */
export class SpooledArray {
  constructor(
    readonly file: string, readonly length: number, readonly bytes: number, readonly sha256: string,
    /** Each element's digest, kept while the array is short enough to be listed (fields.ts). */
    readonly elementDigests?: readonly string[],
  ) {}
}

/** Cannot occur in canonical JSON: control characters are always escaped there. */
export const PLACEHOLDER = "\u0001spooled\u0001";

/** Decides which nodes get a digest: called for a container, true when each child is listed. */
export type ExpandPlan = (node: object) => boolean;

export interface FieldDigest {
  path: JsonPath;
  sha256: string;
  /** Set while the digest waits for a spooled array's bytes: the node's text around PLACEHOLDER. */
  pending?: string;
}

export function isPlainContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

function scalar(v: unknown, path: JsonPath): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) throw new CanonicalJsonError(path, String(v));
      return JSON.stringify(v); // ECMAScript Number::toString; -0 is written 0, as JCS
    case "object":
      if (v === null) return "null";
      break;
  }
  throw new CanonicalJsonError(path, v === undefined ? "undefined" : typeof v === "object" ? `a ${Object.getPrototypeOf(v)?.constructor?.name ?? "object"}` : `a ${typeof v}`);
}

/**
 * Serialises `value`; for every child of a node that `expand` accepts, pushes its digest onto
 * `fields` in document order (pre-order), the node's path first.
 */
export function canonicalize(value: unknown, expand?: ExpandPlan, fields?: FieldDigest[]): string {
  const walk = (v: unknown, path: JsonPath, listed: boolean): string => {
    const slot = listed && fields ? fields.push({ path: [...path], sha256: "" }) - 1 : -1;
    let text: string;
    if (v instanceof SpooledArray) {
      if (slot >= 0) fields![slot]!.sha256 = v.sha256;
      if (fields && expand?.(v)) v.elementDigests!.forEach((sha256, i) => fields.push({ path: [...path, i], sha256 }));
      return PLACEHOLDER;
    }
    if (!isPlainContainer(v)) {
      text = scalar(v, path);
    } else {
      const children = expand !== undefined && expand(v);
      if (Array.isArray(v)) {
        const parts: string[] = [];
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) throw new CanonicalJsonError([...path, i], "undefined");
          path.push(i);
          parts.push(walk(v[i], path, children));
          path.pop();
        }
        text = `[${parts.join(",")}]`;
      } else {
        const parts: string[] = [];
        for (const k of Object.keys(v).sort()) {
          const member = (v as Record<string, unknown>)[k];
          if (member === undefined) continue; // an absent optional field, as JSON.stringify
          path.push(k);
          parts.push(`${JSON.stringify(k)}:${walk(member, path, children)}`);
          path.pop();
        }
        text = `{${parts.join(",")}}`;
      }
    }
    if (slot >= 0) {
      if (text.includes(PLACEHOLDER)) fields![slot]!.pending = text;
      else fields![slot]!.sha256 = sha256Hex(text);
    }
    return text;
  };
  return walk(value, [], false);
}

export function canonicalJson(value: unknown): string {
  return canonicalize(value);
}

/** The value at `path`, or undefined when some step of it is missing. */
export function valueAt(doc: unknown, path: JsonPath): unknown {
  let v: unknown = doc;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    if (typeof seg === "number" ? !Array.isArray(v) : Array.isArray(v)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** Index of the first byte where two texts differ (-1 when equal). */
export function firstDifference(a: string | Buffer, b: string | Buffer): number {
  const x = typeof a === "string" ? Buffer.from(a) : a;
  const y = typeof b === "string" ? Buffer.from(b) : b;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? -1 : n;
}
