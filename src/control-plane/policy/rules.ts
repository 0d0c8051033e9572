// Azure Policy's rule language, the faithful subset of issue 10 section 2, as a pure module: a
// definition's `policyRule` is compiled once when it is written (every operator, field, function and
// effect checked, sizes bounded; anything unsupported refused with PolicyLanguageError, which the
// routes answer as Azure's InvalidPolicyRule), then evaluated against resource documents.
import { evaluateExpr, fieldsOf, parseValue, PolicyLanguageError, type Expr } from "./expressions.js";
import { fieldPath, readField, type FieldPath } from "./aliases.js";

export { PolicyLanguageError } from "./expressions.js";

export const EFFECTS = ["audit", "deny", "disabled", "modify", "auditIfNotExists", "deployIfNotExists"] as const;
export type Effect = (typeof EFFECTS)[number];

export const OPERATORS = ["equals", "notEquals", "in", "notIn", "exists", "contains", "notContains", "like", "notLike", "less", "lessOrEquals", "greater", "greaterOrEquals"] as const;
type Operator = (typeof OPERATORS)[number];

/** Bounds on what a user may send: a hostile definition is refused, not evaluated forever. */
export const LIMITS = { depth: 32, nodes: 1000, inList: 10_000, steps: 200_000 } as const;

type Subject =
  | { kind: "field"; name: string; path: FieldPath; relative?: string[] }
  | { kind: "value"; expr: Expr }
  | { kind: "count"; field: string; path: FieldPath; where?: Condition };

export type Condition =
  | { kind: "allOf" | "anyOf"; of: Condition[] }
  | { kind: "not"; of: Condition }
  | { kind: "test"; subject: Subject; op: Operator; operand: Expr };

export interface CompiledRule {
  if: Condition;
  effect: Expr;
  details?: unknown;
}

type Json = Record<string, unknown>;

export function compileRule(rule: unknown): CompiledRule {
  if (!rule || typeof rule !== "object") throw new PolicyLanguageError("The policy rule must be an object with 'if' and 'then'.");
  const r = rule as Json;
  const then = r.then as Json | undefined;
  if (r.if === undefined || !then || typeof then !== "object") throw new PolicyLanguageError("The policy rule must have an 'if' condition and a 'then' with an 'effect'.");
  const counter = { nodes: 0 };
  const cond = compileCondition(r.if, 0, counter, undefined);
  if (typeof then.effect !== "string") throw new PolicyLanguageError("'then.effect' must be a string: an effect or a parameters() expression.");
  const effect = parseValue(then.effect);
  if (effect.kind === "literal") effectOf(effect.value);
  return { if: cond, effect, details: then.details };
}

/** The effect's canonical name (case-insensitive, as Azure), or PolicyLanguageError. */
export function effectOf(v: unknown): Effect {
  const hit = EFFECTS.find((e) => e.toLowerCase() === String(v).toLowerCase());
  if (!hit) throw new PolicyLanguageError(`The effect '${String(v)}' is not supported; supported are ${EFFECTS.join(", ")}.`);
  return hit;
}

function compileCondition(c: unknown, depth: number, counter: { nodes: number }, countField: string | undefined): Condition {
  if (depth > LIMITS.depth) throw new PolicyLanguageError(`The policy rule nests deeper than ${LIMITS.depth} levels.`);
  if (++counter.nodes > LIMITS.nodes) throw new PolicyLanguageError(`The policy rule has more than ${LIMITS.nodes} conditions.`);
  if (!c || typeof c !== "object" || Array.isArray(c)) throw new PolicyLanguageError("A condition must be an object.");
  const o = canonicalKeys(c as Json);
  for (const k of ["allOf", "anyOf"] as const) {
    if (k in o) {
      if (!Array.isArray(o[k]) || (o[k] as unknown[]).length === 0) throw new PolicyLanguageError(`'${k}' takes a non-empty array of conditions.`);
      return { kind: k, of: (o[k] as unknown[]).map((x) => compileCondition(x, depth + 1, counter, countField)) };
    }
  }
  if ("not" in o) return { kind: "not", of: compileCondition(o.not, depth + 1, counter, countField) };
  const ops = OPERATORS.filter((op) => op in o);
  const unknown = Object.keys(o).filter((k) => !["field", "value", "count", ...OPERATORS].includes(k as Operator));
  if (unknown.length) throw new PolicyLanguageError(`The condition uses '${unknown[0]}', which is not supported.`);
  if (ops.length !== 1) throw new PolicyLanguageError("A condition must have exactly one operator.");
  const op = ops[0]!;
  const operand = parseValue(o[op]);
  if ((op === "in" || op === "notIn") && operand.kind === "literal") {
    if (!Array.isArray(operand.value)) throw new PolicyLanguageError(`'${op}' takes an array.`);
    if (operand.value.length > LIMITS.inList) throw new PolicyLanguageError(`'${op}' lists more than ${LIMITS.inList} values.`);
  }
  checkFields(operand, countField);
  return { kind: "test", subject: compileSubject(o, depth, counter, countField), op, operand };
}

const KEYS = ["allOf", "anyOf", "not", "field", "value", "count", "where", ...OPERATORS];

/** Azure reads a condition's property names case-insensitively (its own built-ins write "anyof"). */
function canonicalKeys(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    const key = KEYS.find((x) => x.toLowerCase() === k.toLowerCase()) ?? k;
    if (key in out) throw new PolicyLanguageError(`The condition names '${key}' more than once.`);
    out[key] = v;
  }
  return out;
}

function checkFields(e: Expr, countField: string | undefined): void {
  for (const f of fieldsOf(e)) if (!resolveField(f, countField)) throw new PolicyLanguageError(`The field '${f}' is not a supported alias.`);
}

function resolveField(name: string, countField: string | undefined): Subject & { kind: "field" } | undefined {
  if (countField && name.toLowerCase().startsWith(countField.toLowerCase())) {
    // Relative to the counted member, from the document paths (not the alias text): a member that is
    // a sub-resource keeps its fields under "properties", which only the path knows.
    const whole = fieldPath(name);
    const counted = fieldPath(countField);
    if (!whole || !counted) return undefined;
    return { kind: "field", name, path: whole, relative: whole.segments.slice(counted.segments.length) };
  }
  const path = fieldPath(name);
  return path ? { kind: "field", name, path } : undefined;
}

function compileSubject(o: Json, depth: number, counter: { nodes: number }, countField: string | undefined): Subject {
  const n = ["field", "value", "count"].filter((k) => k in o);
  if (n.length !== 1) throw new PolicyLanguageError("A condition must have exactly one of 'field', 'value' or 'count'.");
  if ("field" in o) {
    const f = resolveField(String(o.field), countField);
    if (!f) throw new PolicyLanguageError(`The field '${String(o.field)}' is not a supported alias.`);
    return f;
  }
  if ("value" in o) {
    const expr = parseValue(o.value);
    checkFields(expr, countField);
    return { kind: "value", expr };
  }
  const cnt = o.count && typeof o.count === "object" ? canonicalKeys(o.count as Json) : undefined;
  if (!cnt || typeof cnt.field !== "string") throw new PolicyLanguageError("'count' takes { field: '<alias>[*]', where?: <condition> } (value count is not supported).");
  const field = cnt.field;
  const path = fieldPath(field);
  if (!path || !field.endsWith("[*]")) throw new PolicyLanguageError(`'count' needs an array alias ending in [*], not '${field}'.`);
  return { kind: "count", field, path, where: cnt.where === undefined ? undefined : compileCondition(cnt.where, depth + 1, counter, field) };
}

export interface EvalContext {
  doc: Json;
  parameters: Record<string, unknown>;
  /**
   * In an existenceCondition, `field()` in a value reads the resource the `if` matched, while
   * `field:` subjects read the related resource in `doc` (as Azure's AuditIfNotExists/DINE).
   */
  outer?: Json;
  /** When given, each leaf test evaluated is appended: the reasons a state records. */
  trace?: TraceEntry[];
}

export interface TraceEntry {
  expression: string;
  expressionKind: "Field" | "Value" | "Count";
  path?: string;
  expressionValue: unknown;
  targetValue: unknown;
  operator: string;
  result: boolean;
}

interface Scope extends EvalContext {
  steps: { n: number };
  element?: unknown;
}

export function evaluateCondition(c: Condition, ctx: EvalContext): boolean {
  return evalCond(c, { ...ctx, steps: { n: 0 } });
}

/** The effect a matching rule has, with parameters resolved. */
export function ruleEffect(rule: CompiledRule, parameters: Record<string, unknown>): Effect {
  return effectOf(evaluateExpr(rule.effect, { parameter: (n) => parameterOf(parameters, n), field: () => undefined }));
}

function parameterOf(p: Record<string, unknown>, name: string): unknown {
  const k = Object.keys(p).find((x) => x.toLowerCase() === name.toLowerCase());
  if (k === undefined) throw new PolicyLanguageError(`The parameter '${name}' is not defined.`);
  return p[k];
}

function evalCond(c: Condition, s: Scope): boolean {
  if (++s.steps.n > LIMITS.steps) throw new PolicyLanguageError(`The evaluation took more than ${LIMITS.steps} steps.`);
  switch (c.kind) {
    case "allOf": return c.of.every((x) => evalCond(x, s));
    case "anyOf": return c.of.some((x) => evalCond(x, s));
    case "not": return !evalCond(c.of, s);
    case "test": {
      const operand = evaluateExpr(c.operand, exprCtx(s));
      const subj = c.subject;
      if (subj.kind === "count") {
        const items = readField(s.doc, subj.path).value as unknown[];
        let n = 0;
        for (const el of items) if (!subj.where || evalCond(subj.where, { ...s, element: el, trace: undefined })) n++;
        return traced(s, { expression: subj.field, expressionKind: "Count", path: subj.path.segments.join("."), expressionValue: n, targetValue: operand, operator: c.op }, test(c.op, n, operand));
      }
      if (subj.kind === "value") {
        const v = evaluateExpr(subj.expr, exprCtx(s));
        return traced(s, { expression: "value", expressionKind: "Value", expressionValue: v, targetValue: operand, operator: c.op }, test(c.op, v, operand));
      }
      const got = fieldValue(subj, s);
      // An array alias outside count: every member must satisfy the condition (none: true), as Azure.
      const ok = got.many ? (got.value as unknown[]).every((v) => test(c.op, v, operand)) : test(c.op, got.value, operand);
      return traced(s, { expression: subj.name, expressionKind: "Field", path: subj.path.segments.join("."), expressionValue: got.value, targetValue: operand, operator: c.op }, ok);
    }
  }
}

function traced(s: Scope, e: Omit<TraceEntry, "result">, result: boolean): boolean {
  if (s.trace && s.element === undefined) s.trace.push({ ...e, result });
  return result;
}

function fieldValue(f: Subject & { kind: "field" }, s: Scope): { many: boolean; value: unknown } {
  if (f.relative && s.element !== undefined) return readField({ e: s.element } as Json, { segments: ["e", ...f.relative] });
  return readField(s.doc, f.path);
}

function exprCtx(s: Scope) {
  return {
    parameter: (n: string) => parameterOf(s.parameters, n),
    field: (alias: string) => {
      const f = fieldPath(alias);
      return f ? readField(s.outer ?? s.doc, f).value : undefined;
    },
  };
}

const str = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : typeof v === "boolean" ? String(v) : v);

function same(a: unknown, b: unknown): boolean {
  const x = str(a);
  const y = str(b);
  if (typeof x === "number" || typeof y === "number") return Number(x) === Number(y) && x !== undefined && y !== undefined && x !== "" && y !== "";
  if (x !== null && typeof x === "object") return JSON.stringify(x) === JSON.stringify(y);
  return x === y;
}

function like(v: unknown, pattern: unknown): boolean {
  if (typeof v !== "string") return false;
  const re = new RegExp(`^${String(pattern).split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "is");
  return re.test(v);
}

function test(op: Operator, v: unknown, operand: unknown): boolean {
  switch (op) {
    case "equals": return same(v, operand);
    case "notEquals": return !same(v, operand);
    case "in": return Array.isArray(operand) && operand.some((o) => same(v, o));
    case "notIn": return !(Array.isArray(operand) && operand.some((o) => same(v, o)));
    case "exists": return (v !== undefined && v !== null) === same(true, operand);
    case "contains": return Array.isArray(v) ? v.some((x) => same(x, operand)) : typeof v === "string" && v.toLowerCase().includes(String(operand).toLowerCase());
    case "notContains": return !test("contains", v, operand);
    case "like": return like(v, operand);
    case "notLike": return !like(v, operand);
    case "less": return compare(v, operand) < 0;
    case "lessOrEquals": return compare(v, operand) <= 0;
    case "greater": return compare(v, operand) > 0;
    case "greaterOrEquals": return compare(v, operand) >= 0;
  }
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (a === undefined || a === null) return Number.NaN;
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}
