// Azure Policy's template expressions, the subset issue 10 names: a string "[...]" is an
// expression over parameters('name'), field('alias') and concat(...), with string and number
// literals; "[[" escapes a literal "[". Anything else is refused when the definition is written
// (compile), never evaluated loosely. Pure.

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

/** A string value of a definition: a literal, or an expression when it is "[...]" (and not "[[..."). */
export function parseValue(v: unknown): Expr {
  if (typeof v !== "string" || !v.startsWith("[") || !v.endsWith("]")) return { kind: "literal", value: v };
  if (v.startsWith("[[")) return { kind: "literal", value: v.slice(1) };
  if (v.length > MAX_EXPRESSION) throw new PolicyLanguageError(`The expression is longer than ${MAX_EXPRESSION} characters.`);
  const p = new Parser(v.slice(1, -1));
  const e = p.expr(0);
  p.end();
  return e;
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  private ws(): void { while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++; }

  end(): void {
    this.ws();
    if (this.i !== this.s.length) throw new PolicyLanguageError(`Unexpected '${this.s.slice(this.i, this.i + 10)}' in the expression '[${this.s}]'.`);
  }

  expr(depth: number): Expr {
    if (depth > MAX_DEPTH) throw new PolicyLanguageError(`The expression '[${this.s.slice(0, 40)}...]' nests deeper than ${MAX_DEPTH} calls.`);
    this.ws();
    const c = this.s[this.i];
    if (c === "'") {
      let out = "";
      for (this.i++; ; this.i++) {
        if (this.i >= this.s.length) throw new PolicyLanguageError(`Unterminated string in the expression '[${this.s}]'.`);
        if (this.s[this.i] === "'") {
          if (this.s[this.i + 1] === "'") { out += "'"; this.i++; continue; }
          this.i++;
          return { kind: "literal", value: out };
        }
        out += this.s[this.i];
      }
    }
    const num = /^-?\d+(\.\d+)?/.exec(this.s.slice(this.i));
    if (num) { this.i += num[0].length; return { kind: "literal", value: Number(num[0]) }; }
    const name = /^[A-Za-z]+/.exec(this.s.slice(this.i))?.[0];
    if (!name) throw new PolicyLanguageError(`Unexpected '${this.s.slice(this.i, this.i + 10)}' in the expression '[${this.s}]'.`);
    this.i += name.length;
    if (!FUNCTIONS.has(name)) throw new PolicyLanguageError(`The template function '${name}' is not supported; supported are parameters, field and concat.`);
    this.ws();
    if (this.s[this.i] !== "(") throw new PolicyLanguageError(`'${name}' must be called: '${name}(...)'.`);
    this.i++;
    const args: Expr[] = [];
    this.ws();
    if (this.s[this.i] === ")") this.i++;
    else {
      for (;;) {
        args.push(this.expr(depth + 1));
        this.ws();
        const d = this.s[this.i++];
        if (d === ")") break;
        if (d !== ",") throw new PolicyLanguageError(`Expected ',' or ')' in the expression '[${this.s}]'.`);
      }
    }
    if ((name === "parameters" || name === "field") && (args.length !== 1 || args[0]!.kind !== "literal" || typeof args[0]!.value !== "string")) {
      throw new PolicyLanguageError(`'${name}' takes one string literal.`);
    }
    return { kind: "call", name: name as "parameters" | "field" | "concat", args };
  }
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
