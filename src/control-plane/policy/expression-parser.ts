// The one parser of ARM's "[...]" expression syntax, shared by the two languages that use it: Azure
// Policy's rules (expressions.ts: parameters, field, concat) and ARM templates (template-functions.ts:
// the functions the DeployIfNotExists templates call). A string "[...]" is a call with string
// ('' escapes a quote), number and call arguments, then property (.name) and index ([expr]) access;
// "[[" escapes a literal "[". Each language says which functions exist and how its errors read, so
// an unknown function is refused when the expression is parsed, never at run time. Pure.

export type Access = { kind: "property"; name: string } | { kind: "index"; expr: ParsedExpr };

export type ParsedExpr =
  | { kind: "literal"; value: unknown }
  /** `name` lower-cased: function names are case-insensitive, as ARM's. */
  | { kind: "call"; name: string; args: ParsedExpr[]; access: Access[] };

export interface Dialect {
  /** Lower-cased function names the language has. */
  functions: ReadonlySet<string>;
  maxLength: number;
  maxDepth: number;
  /** Number literals with a fraction (policy rules take them; templates only integers). */
  decimals: boolean;
  /** The language's error for a malformed expression (`what` says what is wrong, `at` where). */
  invalid(expression: string, what: string, at: number): Error;
  /** The language's error for a function it does not have. */
  unknownFunction(name: string): Error;
  tooLong(max: number): Error;
}

/** True when a value is an expression (a string "[...]" that is not an escaped "[[..."). */
export const isExpression = (v: unknown): v is string => typeof v === "string" && v.startsWith("[") && v.endsWith("]") && !v.startsWith("[[");

export function parseExpression(v: unknown, d: Dialect): ParsedExpr {
  if (typeof v !== "string" || !v.startsWith("[") || !v.endsWith("]")) return { kind: "literal", value: v };
  if (v.startsWith("[[")) return { kind: "literal", value: v.slice(1) };
  if (v.length > d.maxLength) throw d.tooLong(d.maxLength);
  const p = new Parser(v.slice(1, -1), d);
  const e = p.expr(0);
  p.end();
  return e;
}

class Parser {
  private i = 0;
  constructor(private readonly s: string, private readonly d: Dialect) {}

  private ws(): void { while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++; }
  private fail(what: string): never { throw this.d.invalid(`[${this.s}]`, what, this.i); }

  end(): void {
    this.ws();
    if (this.i !== this.s.length) this.fail(`unexpected '${this.s.slice(this.i, this.i + 10)}'`);
  }

  expr(depth: number): ParsedExpr {
    if (depth > this.d.maxDepth) this.fail(`calls nest deeper than ${this.d.maxDepth}`);
    this.ws();
    if (this.s[this.i] === "'") return this.string();
    const num = (this.d.decimals ? /^-?\d+(\.\d+)?/ : /^-?\d+/).exec(this.s.slice(this.i));
    if (num) { this.i += num[0].length; return { kind: "literal", value: Number(num[0]) }; }
    const name = /^[A-Za-z][A-Za-z0-9]*/.exec(this.s.slice(this.i))?.[0];
    if (!name) this.fail("a function call was expected");
    if (!this.d.functions.has(name.toLowerCase())) throw this.d.unknownFunction(name);
    this.i += name.length;
    this.ws();
    if (this.s[this.i] !== "(") this.fail(`'${name}' must be called`);
    this.i++;
    const args: ParsedExpr[] = [];
    this.ws();
    if (this.s[this.i] === ")") this.i++;
    else {
      for (;;) {
        args.push(this.expr(depth + 1));
        this.ws();
        const c = this.s[this.i++];
        if (c === ")") break;
        if (c !== ",") this.fail("',' or ')' was expected");
      }
    }
    return { kind: "call", name: name.toLowerCase(), args, access: this.access(depth) };
  }

  private string(): ParsedExpr {
    let out = "";
    for (this.i++; ; this.i++) {
      if (this.i >= this.s.length) this.fail("a string is not closed");
      if (this.s[this.i] === "'") {
        if (this.s[this.i + 1] === "'") { out += "'"; this.i++; continue; }
        this.i++;
        return { kind: "literal", value: out };
      }
      out += this.s[this.i];
    }
  }

  private access(depth: number): Access[] {
    const out: Access[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === ".") {
        this.i++;
        const prop = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.s.slice(this.i))?.[0];
        if (!prop) this.fail("a property name was expected after '.'");
        this.i += prop.length;
        out.push({ kind: "property", name: prop });
      } else if (this.s[this.i] === "[") {
        this.i++;
        const e = this.expr(depth + 1);
        this.ws();
        if (this.s[this.i++] !== "]") this.fail("']' was expected");
        out.push({ kind: "index", expr: e });
      } else return out;
    }
  }
}
