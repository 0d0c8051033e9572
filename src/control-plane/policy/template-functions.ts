// ARM template expressions, the part the DeployIfNotExists templates use (and the common functions
// around them): a string "[...]" is a call of a template function with literal, call and property /
// index access arguments; "[[" escapes a literal "[". Parsed once, before anything is deployed, so
// an unsupported function fails the deployment before its first request (ARM validates a template
// the same way). Function names are case-insensitive, as ARM's. Evaluation is asynchronous only for
// reference() (a GET as the deploying identity) and resourceGroup() (a read of the group).
import { createHash } from "node:crypto";
import { isExpression, parseExpression, type Dialect, type ParsedExpr } from "./expression-parser.js";

type Json = Record<string, unknown>;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

export type TExpr = ParsedExpr;
type Access = Extract<ParsedExpr, { kind: "call" }>["access"][number];

export interface TemplateContext {
  parameter(name: string): unknown;
  variable(name: string): Promise<unknown>;
  deployment(): Json;
  subscription(): Json;
  resourceGroup(): Promise<Json>;
  /** The resource's properties, or with 'Full' the whole resource, read as the deploying identity. */
  reference(idOrName: string, apiVersion: string | undefined, full: boolean): Promise<unknown>;
  resourceId(args: string[]): string;
}

const MAX_LENGTH = 4096;
const MAX_DEPTH = 32;

export { isExpression };

export function parseTemplateValue(v: unknown): TExpr {
  return parseExpression(v, TEMPLATE);
}

const FUNCTIONS = new Set([
  "parameters", "variables", "deployment", "subscription", "resourcegroup", "reference", "resourceid",
  "concat", "format", "substring", "tolower", "toupper", "trim", "replace", "split", "string", "int", "bool",
  "length", "first", "last", "take", "skip", "min", "max", "empty", "contains", "startswith", "endswith",
  "equals", "not", "and", "or", "if", "coalesce", "true", "false", "null", "createarray", "createobject",
  "uniquestring", "guid",
]);

const TEMPLATE: Dialect = {
  functions: FUNCTIONS,
  maxLength: MAX_LENGTH,
  maxDepth: MAX_DEPTH,
  decimals: false,
  invalid: (expression, what, at) => new TemplateError(`The template language expression '${expression}' is not valid: ${what} at position ${at}.`),
  unknownFunction: (name) => new TemplateError(`The template function '${name}' is not supported by Cove's template runner (docs/policy.md lists those it runs).`),
  tooLong: (max) => new TemplateError(`The template expression is longer than ${max} characters.`),
};

/** ARM's uniqueString is a 13-character base-32 hash of its arguments; Cove's is deterministic, not ARM's own value. */
function uniqueString(args: string[]): string {
  const digest = createHash("sha256").update(args.join("-")).digest();
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let out = "";
  for (let i = 0; out.length < 13; i++) out += alphabet[digest[i]! % 32];
  return out;
}

/** ARM's guid(): a name-based (SHA-1, version 5) UUID of the arguments joined with '-'. */
function guid(args: string[]): string {
  const ns = Buffer.from("11fb06fb712d4ddd98c7e71bbd588830", "hex");
  const h = createHash("sha1").update(ns).update(Buffer.from(args.join("-"), "utf16le")).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const str = (v: unknown, fn: string): string => {
  if (typeof v !== "string") throw new TemplateError(`The function '${fn}' expects a string; it was given ${JSON.stringify(v) ?? "nothing"}.`);
  return v;
};
const int = (v: unknown, fn: string): number => {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TemplateError(`The function '${fn}' expects an integer; it was given ${JSON.stringify(v) ?? "nothing"}.`);
  return v;
};
const seq = (v: unknown, fn: string): unknown[] | string => {
  if (Array.isArray(v) || typeof v === "string") return v;
  throw new TemplateError(`The function '${fn}' expects an array or a string.`);
};

function getCi(o: unknown, key: string): unknown {
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new TemplateError(`The property '${key}' cannot be read from ${JSON.stringify(o) ?? "nothing"}.`);
  const rec = o as Json;
  if (key in rec) return rec[key];
  const k = Object.keys(rec).find((x) => x.toLowerCase() === key.toLowerCase());
  if (k === undefined) throw new TemplateError(`The language expression property '${key}' doesn't exist, available properties are '${Object.keys(rec).join(", ")}'.`);
  return rec[k];
}

export async function evaluateTemplateExpr(e: TExpr, ctx: TemplateContext): Promise<unknown> {
  if (e.kind === "literal") return e.value;
  // if() evaluates only the branch it takes.
  if (e.name === "if") {
    const cond = await evaluateTemplateExpr(e.args[0]!, ctx);
    return access(await evaluateTemplateExpr(e.args[cond === true ? 1 : 2]!, ctx), e.access, ctx);
  }
  const a: unknown[] = [];
  for (const x of e.args) a.push(await evaluateTemplateExpr(x, ctx));
  return access(await call(e.name, a, ctx), e.access, ctx);
}

async function access(v: unknown, path: Access[], ctx: TemplateContext): Promise<unknown> {
  let out = v;
  for (const p of path) {
    if (p.kind === "property") out = getCi(out, p.name);
    else {
      const k = await evaluateTemplateExpr(p.expr, ctx);
      out = Array.isArray(out) && typeof k === "number" ? out[k] : getCi(out, String(k));
    }
  }
  return out;
}

async function call(name: string, a: unknown[], ctx: TemplateContext): Promise<unknown> {
  switch (name) {
    case "parameters": return ctx.parameter(str(a[0], name));
    case "variables": return ctx.variable(str(a[0], name));
    case "deployment": return ctx.deployment();
    case "subscription": return ctx.subscription();
    case "resourcegroup": return ctx.resourceGroup();
    case "reference": return ctx.reference(str(a[0], name), a[1] === undefined ? undefined : str(a[1], name), typeof a[2] === "string" && a[2].toLowerCase() === "full");
    case "resourceid": return ctx.resourceId(a.map((x) => str(x, name)));
    case "concat": return a.every(Array.isArray) && a.length > 0 ? (a as unknown[][]).flat() : a.map((x) => (x === null || x === undefined ? "" : typeof x === "object" ? JSON.stringify(x) : String(x))).join("");
    case "format": {
      const f = str(a[0], name);
      return f.replace(/\{(\d+)(:[^}]*)?\}/g, (_, n: string, spec?: string) => {
        if (spec) throw new TemplateError(`format() specifiers such as '${spec}' are not supported by Cove's template runner.`);
        return String(a[Number(n) + 1] ?? "");
      });
    }
    case "substring": {
      const s = str(a[0], name);
      const start = int(a[1] ?? 0, name);
      const len = a[2] === undefined ? s.length - start : int(a[2], name);
      if (start < 0 || len < 0 || start + len > s.length) throw new TemplateError(`substring(): start ${start} and length ${len} do not fit in a string of ${s.length} characters.`);
      return s.substring(start, start + len);
    }
    case "tolower": return str(a[0], name).toLowerCase();
    case "toupper": return str(a[0], name).toUpperCase();
    case "trim": return str(a[0], name).trim();
    case "replace": return str(a[0], name).split(str(a[1], name)).join(str(a[2], name));
    case "split": {
      const d = Array.isArray(a[1]) ? (a[1] as unknown[]).map((x) => str(x, name)) : [str(a[1], name)];
      return d.reduce<string[]>((parts, sep) => parts.flatMap((p) => p.split(sep)), [str(a[0], name)]);
    }
    case "string": return typeof a[0] === "string" ? a[0] : JSON.stringify(a[0]);
    case "int": return Number.parseInt(String(a[0]), 10);
    case "bool": return a[0] === true || String(a[0]).toLowerCase() === "true";
    case "length": return a[0] && typeof a[0] === "object" && !Array.isArray(a[0]) ? Object.keys(a[0]).length : seq(a[0], name).length;
    case "first": { const s = seq(a[0], name); return s[0]; }
    case "last": { const s = seq(a[0], name); return s[s.length - 1]; }
    case "take": { const s = seq(a[0], name); return s.slice(0, Math.max(0, int(a[1], name))); }
    case "skip": { const s = seq(a[0], name); return s.slice(Math.max(0, int(a[1], name))); }
    case "min": return Math.min(...(Array.isArray(a[0]) ? a[0] : a).map((x) => int(x, name)));
    case "max": return Math.max(...(Array.isArray(a[0]) ? a[0] : a).map((x) => int(x, name)));
    case "empty": return a[0] === null || a[0] === undefined || (typeof a[0] === "object" ? Object.keys(a[0] as object).length === 0 : String(a[0]) === "");
    case "contains": {
      if (typeof a[0] === "string") return a[0].toLowerCase().includes(String(a[1]).toLowerCase());
      if (Array.isArray(a[0])) return a[0].some((x) => JSON.stringify(x) === JSON.stringify(a[1]));
      return a[0] !== null && typeof a[0] === "object" && Object.keys(a[0]).some((k) => k.toLowerCase() === String(a[1]).toLowerCase());
    }
    case "startswith": return str(a[0], name).toLowerCase().startsWith(str(a[1], name).toLowerCase());
    case "endswith": return str(a[0], name).toLowerCase().endsWith(str(a[1], name).toLowerCase());
    case "equals": return JSON.stringify(a[0]) === JSON.stringify(a[1]);
    case "not": return a[0] !== true;
    case "and": return a.every((x) => x === true);
    case "or": return a.some((x) => x === true);
    case "coalesce": return a.find((x) => x !== null && x !== undefined) ?? null;
    case "true": return true;
    case "false": return false;
    case "null": return null;
    case "createarray": return a;
    case "createobject": {
      const o: Json = {};
      for (let i = 0; i + 1 < a.length; i += 2) o[str(a[i], name)] = a[i + 1];
      return o;
    }
    case "uniquestring": return uniqueString(a.map((x) => str(x, name)));
    case "guid": return guid(a.map((x) => str(x, name)));
  }
  throw new TemplateError(`The template function '${name}' is not supported by Cove's template runner.`);
}

/** Every expression in a template value, parsed (throws the first unsupported one). */
export function checkExpressions(v: unknown, at: string): void {
  if (typeof v === "string") {
    try {
      parseTemplateValue(v);
    } catch (err) {
      throw new TemplateError(`${(err as Error).message} (at ${at})`);
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => checkExpressions(x, `${at}[${i}]`));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) checkExpressions(x, at ? `${at}.${k}` : k);
}

/** A template value with every expression in it evaluated (objects and arrays walked). */
export async function resolveTemplateValue(v: unknown, ctx: TemplateContext): Promise<unknown> {
  if (typeof v === "string") return evaluateTemplateExpr(parseTemplateValue(v), ctx);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) out.push(await resolveTemplateValue(x, ctx));
    return out;
  }
  if (v && typeof v === "object") {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) out[k] = await resolveTemplateValue(x, ctx);
    return out;
  }
  return v;
}
