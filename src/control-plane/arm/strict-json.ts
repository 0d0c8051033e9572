// Strict readers for ARM request documents. Azure deserialises bodies into typed models and
// refuses members it does not know and values of the wrong type with InvalidRequestContent naming
// the JSON path; these helpers do the same, so a typo (`adminUserEnable`) is an error instead of a
// silently ignored setting. Each returns the typed value or throws before anything is written.

import { armError } from "./errors.js";

export type Json = Record<string, unknown>;

/**
 * The deepest nesting a request document may have (the top-level object is depth 1). 64 is what
 * .NET's serialisers default to (System.Text.Json and Json.NET 13 MaxDepth), so ARM templates that
 * Azure accepts fit; Cove's deepest document is under 10 levels. Any bound keeps the recursive readers
 * after the parse (JSON.stringify in messages, canonical JSON for the audit) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Where `text` first nests deeper than `limit` (a character offset), or -1. A linear scan with a
 * counter, no recursion and no parse, so a 100,000-deep array costs one pass and allocates nothing.
 * Brackets inside strings do not count; malformed JSON is left to JSON.parse.
 */
export function depthExceededAt(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

export function invalid(path: string, reason: string): never {
  throw armError("InvalidRequestContent", { reason: `${reason} Path '${path}'.` }, { target: path });
}

/** Refuses keys outside `allowed` (case-sensitive, as the ARM JSON contract). */
export function onlyKeys(obj: Json, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      const at = path ? `${path}.${k}` : k;
      invalid(at, `Could not find member '${k}' on object of type '${path || "resource"}'.`);
    }
  }
}

export function asObject(v: unknown, path: string): Json {
  if (v === null || typeof v !== "object" || Array.isArray(v)) invalid(path, `Expected an object but got ${typeName(v)}.`);
  return v as Json;
}

export function optObject(v: unknown, path: string): Json | undefined {
  return v === undefined || v === null ? undefined : asObject(v, path);
}

export function asString(v: unknown, path: string): string {
  if (typeof v !== "string") invalid(path, `Error converting value ${JSON.stringify(v)} to type 'String'.`);
  return v;
}

export function optString(v: unknown, path: string): string | undefined {
  return v === undefined || v === null ? undefined : asString(v, path);
}

export function optBoolean(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") invalid(path, `Error converting value ${JSON.stringify(v)} to type 'Boolean'.`);
  return v;
}

export function optInteger(v: unknown, path: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) invalid(path, `Error converting value ${JSON.stringify(v)} to type 'Int32'.`);
  if (v < min || v > max) invalid(path, `The value ${v} is out of range [${min}, ${max}].`);
  return v;
}

/** Enum values are matched case-insensitively (as ARM's deserialiser) and returned in canonical case. */
export function optEnum<T extends string>(v: unknown, values: readonly T[], path: string): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") invalid(path, `Error converting value ${JSON.stringify(v)} to type 'String'.`);
  const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
  if (!hit) invalid(path, `Error converting value '${v}': allowed values are ${values.map((x) => `'${x}'`).join(", ")}.`);
  return hit;
}

export function optArray(v: unknown, path: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) invalid(path, `Expected an array but got ${typeName(v)}.`);
  return v;
}

/** ARM tags: at most 50, names up to 512 and values up to 256 characters, values strings. */
export function optTags(v: unknown, path = "tags"): Record<string, string> | undefined {
  const o = optObject(v, path);
  if (!o) return undefined;
  const keys = Object.keys(o);
  if (keys.length > 50) invalid(path, "At most 50 tags are allowed.");
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (k.length === 0 || k.length > 512) invalid(`${path}.${k}`, "Tag names must be 1 to 512 characters.");
    const val = asString(o[k], `${path}.${k}`);
    if (val.length > 256) invalid(`${path}.${k}`, "Tag values must be at most 256 characters.");
    out[k] = val;
  }
  return out;
}

/** ARM location names: display names ("West Europe") are normalised as ARM does ("westeurope"). */
export function asLocation(v: unknown, path = "location"): string {
  if (v === undefined || v === null || v === "") throw armError("LocationRequired");
  const s = asString(v, path);
  const norm = s.replace(/\s+/g, "").toLowerCase();
  if (!/^[a-z0-9]{1,64}$/.test(norm)) invalid(path, `The location '${s}' is not valid.`);
  return norm;
}
