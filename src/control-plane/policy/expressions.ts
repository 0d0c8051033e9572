// Azure Policy's template expressions, the subset issue 10 names: a string "[...]" is an
// expression over parameters('name'), field('alias') and concat(...), with string and number
// literals; "[[" escapes a literal "[". Anything else is refused when the definition is written
// (compile), never evaluated loosely. The syntax is ARM's, parsed by the parser the template runner
// shares (expression-parser.ts). Pure.
import { parseExpression, type Dialect, type ParsedExpr } from "./expression-parser.js";

export type Expr =
  | { kind: "literal"; value: unknown }
  | { kind: "call"; name: "parameters" | "field" | "concat"; args: Expr[] };

export class PolicyLanguageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyLanguageError";
  }
}

const FUNCTIONS = new Set(["parameters", "field", "concat"]);
/** Longer expressions are refused: a definition is data a user sends, bounded like any input. */
const MAX_EXPRESSION = 2048;
const MAX_DEPTH = 16;

const POLICY: Dialect = {
  functions: FUNCTIONS,
  maxLength: MAX_EXPRESSION,
  maxDepth: MAX_DEPTH,
  decimals: true,
  invalid: (expression, what, at) => new PolicyLanguageError(`The expression '${expression}' is not valid: ${what} at position ${at}.`),
  unknownFunction: (name) => new PolicyLanguageError(`The template function '${name}' is not supported; supported are parameters, field and concat.`),
  tooLong: (max) => new PolicyLanguageError(`The expression is longer than ${max} characters.`),
};

/** A string value of a definition: a literal, or an expression when it is "[...]" (and not "[[..."). */
export function parseValue(v: unknown): Expr {
  return checked(parseExpression(v, POLICY));
}

/** The policy language has ARM's syntax without property or index access, and field/parameters take one string. */
function checked(e: ParsedExpr): Expr {
  if (e.kind === "literal") return e;
  if (e.access.length > 0) throw new PolicyLanguageError(`'${e.name}(...)' is followed by a property or index access, which policy rules do not support.`);
  const name = e.name as "parameters" | "field" | "concat";
  const args = e.args.map(checked);
  if ((name === "parameters" || name === "field") && (args.length !== 1 || args[0]!.kind !== "literal" || typeof args[0]!.value !== "string")) {
    throw new PolicyLanguageError(`'${name}' takes one string literal.`);
  }
  return { kind: "call", name, args };
}

export interface ExprContext {
  parameter(name: string): unknown;
  field(alias: string): unknown;
}

export function evaluateExpr(e: Expr, ctx: ExprContext): unknown {
  if (e.kind === "literal") return e.value;
  const args = e.args.map((a) => evaluateExpr(a, ctx));
  switch (e.name) {
    case "parameters": return ctx.parameter(String(args[0]));
    case "field": return ctx.field(String(args[0]));
    case "concat": return args.every(Array.isArray) ? (args as unknown[][]).flat() : args.map((a) => (a === undefined || a === null ? "" : String(a))).join("");
  }
}

/** The field names an expression reads (for validation of aliases at definition time). */
export function fieldsOf(e: Expr): string[] {
  if (e.kind === "literal") return [];
  const own = e.name === "field" ? [String((e.args[0] as { value: unknown }).value)] : [];
  return [...own, ...e.args.flatMap(fieldsOf)];
}
