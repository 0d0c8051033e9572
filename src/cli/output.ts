// Renders a command's result as az does: `--query` (JMESPath) first, then `--output`.
// json/jsonc/yaml sort keys and indent by 2 (az measured: `--query "{sku:..,loginServer:..}"`
// prints loginServer first). tsv and table follow knack (az's output layer): az runs the query with
// OrderedDict, so an object the query builds (a multiselect hash `{vnet:a,remote:b}`) keeps the
// query's field order, while objects taken from the result as they are print in sorted key order
// (tsv) or, for table, sorted only when neither a query nor a table view is given. tsv writes one
// cell per field (an object as an empty cell, an array as its length) so the columns stay where a
// script expects them; table shows first-level scalars. Booleans are True/False, null is empty.
import jmespath from "jmespath";
import { yaml } from "../config/yaml.js";
import { usageError } from "./errors.js";

export const OUTPUT_FORMATS = ["json", "jsonc", "table", "tsv", "yaml", "none"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A per-command view for `--output table`, applied only when no --query is given (as az's table transformers). */
export type TableTransform = (item: any) => Record<string, unknown>;

/** Turns SDK models into plain JSON data: Dates to ISO strings, undefined properties dropped. */
export function toPlain(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(JSON.stringify(value));
}

/** Throws a usage error when the expression does not compile, before anything is sent. */
export function checkQuery(query: string): void {
  try {
    // compile() exists in jmespath 0.16 but not in its type definitions.
    (jmespath as unknown as { compile(q: string): unknown }).compile(query);
  } catch (e) {
    throw usageError(`argument --query: invalid jmespath_type value: '${query}' (${(e as Error).message})`);
  }
}

export function applyQuery(value: unknown, query: string | undefined): unknown {
  if (query === undefined) return value;
  checkQuery(query);
  try {
    return jmespath.search(value as any, query);
  } catch (e) {
    throw usageError(`argument --query: ${(e as Error).message}`);
  }
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** Text to print for `value` (already plain data), ending in a newline; "" for none / no value. */
export function formatOutput(value: unknown, format: OutputFormat, opts: { query?: string; table?: TableTransform } = {}): string {
  if (format === "none") return "";
  const plain = toPlain(value);
  // Every object of the result before the query: anything else in the query's answer was built by it.
  const fromResult = new WeakSet<object>();
  collectObjects(plain, fromResult);
  let data = applyQuery(plain, opts.query);
  if (data === undefined) return "";
  switch (format) {
    case "json":
      return JSON.stringify(sortKeys(data), null, 2) + "\n";
    case "jsonc":
      return colorJson(JSON.stringify(sortKeys(data), null, 2)) + "\n";
    case "yaml":
      return yaml().stringify(sortKeys(data));
    case "table": {
      const transformed = opts.table !== undefined && opts.query === undefined;
      if (transformed) data = Array.isArray(data) ? data.map(opts.table!) : opts.table!(data);
      return formatTable(data, !transformed && opts.query === undefined);
    }
    case "tsv":
      return formatTsv(data, (o) => fromResult.has(o));
  }
}

function collectObjects(v: unknown, into: WeakSet<object>): void {
  if (!v || typeof v !== "object") return;
  into.add(v);
  for (const x of Array.isArray(v) ? v : Object.values(v)) collectObjects(x, into);
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v === true) return "True";
  if (v === false) return "False";
  return String(v);
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== "object";
}

function capitalize(k: string): string {
  return k.charAt(0).toUpperCase() + k.slice(1);
}

function formatTable(data: unknown, sortColumns: boolean): string {
  const items = Array.isArray(data) ? data : [data];
  if (items.length === 0) return "";
  let headers: string[];
  let rows: string[][];
  if (items.every(isScalar)) {
    headers = ["Result"];
    rows = items.map((v) => [scalarText(v)]);
  } else {
    const keys: string[] = [];
    for (const it of items) {
      if (!it || typeof it !== "object" || Array.isArray(it)) continue;
      for (const [k, v] of Object.entries(it)) if (isScalar(v) && !keys.includes(k)) keys.push(k);
    }
    if (sortColumns) keys.sort();
    headers = keys.map(capitalize);
    rows = items.map((it) => keys.map((k) => (it && typeof it === "object" ? scalarText((it as Record<string, unknown>)[k]) : "")));
  }
  if (headers.length === 0) return "";
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}

/** One tsv cell, as knack: a nested array prints its length, a nested object an empty cell. */
function tsvCell(v: unknown): string {
  if (Array.isArray(v)) return String(v.length);
  if (v && typeof v === "object") return "";
  return scalarText(v);
}

function tsvRow(v: unknown, sorted: (o: object) => boolean): string {
  if (Array.isArray(v)) return v.map(tsvCell).join("\t");
  if (v && typeof v === "object") {
    const obj = v as Record<string, unknown>;
    const keys = sorted(obj) ? Object.keys(obj).sort() : Object.keys(obj);
    return keys.map((k) => tsvCell(obj[k])).join("\t");
  }
  return scalarText(v);
}

function formatTsv(data: unknown, sorted: (o: object) => boolean): string {
  const items = Array.isArray(data) ? data : [data];
  return items.length ? items.map((it) => tsvRow(it, sorted)).join("\n") + "\n" : "";
}

const COLORS = { key: "\x1b[94m", string: "\x1b[32m", number: "\x1b[33m", literal: "\x1b[36m", reset: "\x1b[0m" };

/** Colours the tokens of pretty-printed JSON; strings are matched whole, escapes included. */
function colorJson(text: string): string {
  return text.replace(/("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (m, str, colon, lit, num) => {
    if (str !== undefined) return colon ? `${COLORS.key}${str}${COLORS.reset}${colon}` : `${COLORS.string}${str}${COLORS.reset}`;
    if (lit !== undefined) return `${COLORS.literal}${lit}${COLORS.reset}`;
    if (num !== undefined) return `${COLORS.number}${num}${COLORS.reset}`;
    return m;
  });
}
