// The OData `$filter` forms az 2.45 sends to Microsoft Graph (role/custom.py), parsed and evaluated
// over the Graph objects as rendered, so a filter reads exactly the properties a client sees:
//
//   servicePrincipalNames/any(c:c eq 'X')    az ad sp show/delete, az role assignment --assignee
//   identifierUris/any(s:s eq 'X')           az ad app show/delete with an identifier URI
//   appId eq 'X'                             az ad app show/delete/list --app-id, az ad sp create
//   displayName eq 'X'                       az ad sp create-for-rbac --name (idempotence)
//   startswith(displayName,'X')              az ad app create, az ad app/sp list --display-name
//   userPrincipalName eq 'X'                 az role assignment --assignee user@domain (no users here)
//
// joined by `and` (az joins its own clauses with ' and ', a user's --filter included), with
// parentheses. String literals are OData's: single quotes, '' for a quote. Values compare
// case-insensitively, as Entra's directory does. Anything else (or, not, ne, lambda bodies other
// than `v eq '...'`, numbers, unknown properties) is refused with a message that names it, never
// answered as if it had matched nothing.

import { graphError } from "./errors.js";

export type Clause =
  | { kind: "eq"; property: string; value: string }
  | { kind: "startswith"; property: string; value: string }
  | { kind: "any"; property: string; value: string };

/** Which properties a collection lets each form name (canonical spelling). */
export interface FilterSpec {
  eq: readonly string[];
  startswith: readonly string[];
  any: readonly string[];
}

const MAX_FILTER = 2048;
const MAX_CLAUSES = 16;
const SUPPORTED = "Cove supports `p eq 'v'`, `startswith(p,'v')` and `p/any(x:x eq 'v')`, joined by `and`";

type Token = { t: "str"; v: string; at: number } | { t: "id"; v: string; at: number } | { t: "p"; v: string; at: number };

function unsupported(reason: string): never {
  throw graphError("UnsupportedQuery", { reason: `${reason}. ${SUPPORTED}.` });
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === "'") {
      let v = "";
      let j = i + 1;
      for (;;) {
        if (j >= src.length) unsupported(`the string starting at character ${i + 1} has no closing quote`);
        if (src[j] === "'") {
          if (src[j + 1] === "'") { v += "'"; j += 2; continue; }
          break;
        }
        v += src[j++];
      }
      out.push({ t: "str", v, at: i });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      out.push({ t: "id", v: m, at: i });
      i += m.length;
    } else if ("(),:/".includes(c)) {
      out.push({ t: "p", v: c, at: i });
      i++;
    } else {
      unsupported(`'${c}' at character ${i + 1} is not part of a supported expression`);
    }
  }
  return out;
}

const OPERATORS = new Set(["or", "not", "ne", "gt", "ge", "lt", "le", "in", "has", "endswith", "contains", "all"]);

class Parser {
  private i = 0;
  readonly clauses: Clause[] = [];
  constructor(private readonly toks: Token[], private readonly spec: FilterSpec) {}

  private peek(): Token | undefined { return this.toks[this.i]; }
  private next(what: string): Token {
    const t = this.toks[this.i++];
    if (!t) unsupported(`the filter ends where ${what} was expected`);
    return t;
  }
  private punct(v: string): void {
    const t = this.next(`'${v}'`);
    if (t.t !== "p" || t.v !== v) unsupported(`'${v}' was expected at character ${t.at + 1}`);
  }
  private word(): string {
    const t = this.next("a name");
    if (t.t !== "id") unsupported(`a name was expected at character ${t.at + 1}`);
    if (OPERATORS.has(t.v.toLowerCase())) unsupported(`'${t.v}' is not supported`);
    return t.v;
  }
  private str(): string {
    const t = this.next("a quoted string");
    if (t.t !== "str") unsupported(`a quoted string was expected at character ${t.at + 1}`);
    return t.v;
  }
  private keyword(v: string): void {
    const t = this.next(`'${v}'`);
    if (t.t !== "id" || t.v.toLowerCase() !== v) {
      if (t.t === "id" && OPERATORS.has(t.v.toLowerCase())) unsupported(`'${t.v}' is not supported`);
      unsupported(`'${v}' was expected at character ${t.at + 1}`);
    }
  }
  private property(kind: keyof FilterSpec, name: string): string {
    const p = this.spec[kind].find((x) => x.toLowerCase() === name.toLowerCase());
    if (!p) {
      const form = kind === "any" ? `${name}/any(...)` : kind === "startswith" ? `startswith(${name},...)` : `${name} eq`;
      unsupported(`'${form}' is not supported on this collection (${kind}: ${this.spec[kind].join(", ") || "none"})`);
    }
    return p;
  }

  expression(): void {
    this.term();
    while (this.peek()) {
      const t = this.peek()!;
      if (t.t === "p" && t.v === ")") return;
      this.keyword("and");
      this.term();
    }
  }

  private term(): void {
    const t = this.peek();
    if (t?.t === "p" && t.v === "(") {
      this.i++;
      this.expression();
      this.punct(")");
      return;
    }
    const name = this.word();
    if (name.toLowerCase() === "startswith") {
      this.punct("(");
      const property = this.property("startswith", this.word());
      this.punct(",");
      this.add({ kind: "startswith", property, value: this.str() });
      this.punct(")");
      return;
    }
    const after = this.peek();
    if (after?.t === "p" && after.v === "/") {
      this.i++;
      this.keyword("any");
      const property = this.property("any", name);
      this.punct("(");
      const v = this.word();
      this.punct(":");
      if (this.word() !== v) unsupported(`the lambda must compare its own variable '${v}'`);
      this.keyword("eq");
      this.add({ kind: "any", property, value: this.str() });
      this.punct(")");
      return;
    }
    const property = this.property("eq", name);
    this.keyword("eq");
    this.add({ kind: "eq", property, value: this.str() });
  }

  private add(c: Clause): void {
    if (this.clauses.length >= MAX_CLAUSES) unsupported(`more than ${MAX_CLAUSES} clauses`);
    this.clauses.push(c);
  }

  done(): void {
    const t = this.peek();
    if (t) unsupported(`unexpected '${t.v}' at character ${t.at + 1}`);
  }
}

/** The clauses of `$filter` (all must hold), or a Request_BadRequest naming what is not supported. */
export function parseFilter(text: string, spec: FilterSpec): Clause[] {
  if (text.length > MAX_FILTER) unsupported(`the filter is longer than ${MAX_FILTER} characters`);
  if (!text.trim()) unsupported("the filter is empty");
  const p = new Parser(tokenize(text), spec);
  p.expression();
  p.done();
  return p.clauses;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** True when `obj` (a rendered Graph object) satisfies every clause. */
export function matches(obj: Record<string, unknown>, clauses: readonly Clause[]): boolean {
  return clauses.every((c) => {
    const v = obj[c.property];
    if (c.kind === "any") return Array.isArray(v) && v.some((x) => typeof x === "string" && same(x, c.value));
    if (typeof v !== "string") return false;
    return c.kind === "eq" ? same(v, c.value) : v.toLowerCase().startsWith(c.value.toLowerCase());
  });
}
