// The OData query options of PolicyInsights' policyStates queries, the subset az and the SDK send:
// $filter over the record's fields with eq/ne, and/or/not and parentheses (string literals in
// single quotes, booleans, numbers; field names and string values compared without case, as
// Azure's ids come back lower-cased), $orderby (columns, asc|desc, desc the default), $select,
// $top, $from/$to. Anything else is refused with InvalidQueryParameterValue naming the option,
// never ignored. Pure.
import { armError } from "../arm/errors.js";

type Json = Record<string, unknown>;
export type Predicate = (row: Json) => boolean;

/** The PolicyState columns a query may name, by lower-cased name. */
export const COLUMNS = new Map([
  "timestamp", "resourceId", "policyAssignmentId", "policyDefinitionId", "effectiveParameters", "isCompliant", "subscriptionId",
  "resourceType", "resourceLocation", "resourceGroup", "resourceTags", "policyAssignmentName", "policyAssignmentOwner",
  "policyAssignmentParameters", "policyAssignmentScope", "policyDefinitionName", "policyDefinitionAction", "policyDefinitionCategory",
  "policySetDefinitionId", "policySetDefinitionName", "policySetDefinitionOwner", "policySetDefinitionCategory",
  "policySetDefinitionParameters", "managementGroupIds", "policyDefinitionReferenceId", "complianceState",
  "policyDefinitionGroupNames", "policyDefinitionVersion", "policySetDefinitionVersion", "policyAssignmentVersion",
].map((c) => [c.toLowerCase(), c]));

function refuse(parameter: string, reason: string): never {
  throw armError("InvalidQueryParameterValue", { parameter, reason }, { target: parameter });
}

function column(name: string, parameter: string): string {
  const c = COLUMNS.get(name.toLowerCase());
  if (!c) refuse(parameter, `'${name}' is not a column of policy states.`);
  return c;
}

type Token = { kind: "word" | "string" | "number" | "open" | "close"; text: string; at: number };

function tokens(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === "(" || c === ")") { out.push({ kind: c === "(" ? "open" : "close", text: c, at: i }); i++; continue; }
    if (c === "'") {
      let text = "";
      const at = i;
      for (i++; ; i++) {
        if (i >= s.length) refuse("$filter", `The string that starts at character ${at} is not closed.`);
        if (s[i] === "'") {
          if (s[i + 1] === "'") { text += "'"; i++; continue; }
          i++;
          break;
        }
        text += s[i];
      }
      out.push({ kind: "string", text, at });
      continue;
    }
    const m = /^(-?\d+(\.\d+)?)|^[A-Za-z_][A-Za-z0-9_./]*/.exec(s.slice(i));
    if (!m) refuse("$filter", `Unexpected '${s.slice(i, i + 10)}' at character ${i}.`);
    out.push({ kind: /^-?\d/.test(m[0]) ? "number" : "word", text: m[0], at: i });
    i += m[0].length;
  }
  return out;
}

const same = (a: unknown, b: unknown) =>
  typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;

/** `$filter`: or of ands of (not) comparisons `<column> eq|ne <literal>`, with parentheses. */
export function parseFilter(filter: string | null): Predicate {
  if (filter === null || filter.trim() === "") return () => true;
  const ts = tokens(filter);
  let i = 0;
  const peekWord = (w: string) => ts[i]?.kind === "word" && ts[i]!.text.toLowerCase() === w;
  const orExpr = (): Predicate => {
    const parts = [andExpr()];
    while (peekWord("or")) { i++; parts.push(andExpr()); }
    return parts.length === 1 ? parts[0]! : (r) => parts.some((p) => p(r));
  };
  const andExpr = (): Predicate => {
    const parts = [unary()];
    while (peekWord("and")) { i++; parts.push(unary()); }
    return parts.length === 1 ? parts[0]! : (r) => parts.every((p) => p(r));
  };
  const unary = (): Predicate => {
    if (peekWord("not")) { i++; const p = unary(); return (r) => !p(r); }
    if (ts[i]?.kind === "open") {
      i++;
      const p = orExpr();
      if (ts[i]?.kind !== "close") refuse("$filter", `A ')' is missing at character ${ts[i]?.at ?? filter.length}.`);
      i++;
      return p;
    }
    return comparison();
  };
  const comparison = (): Predicate => {
    const f = ts[i++];
    if (!f || f.kind !== "word") refuse("$filter", `A column name was expected at character ${f?.at ?? filter.length}.`);
    const col = column(f.text, "$filter");
    const op = ts[i++];
    const opName = op?.kind === "word" ? op.text.toLowerCase() : "";
    if (opName !== "eq" && opName !== "ne") {
      refuse("$filter", `Only 'eq' and 'ne' comparisons are supported; found '${op?.text ?? "the end"}' after '${f.text}'.`);
    }
    const v = ts[i++];
    let value: unknown;
    if (v?.kind === "string") value = v.text;
    else if (v?.kind === "number") value = Number(v.text);
    else if (v?.kind === "word" && /^(true|false)$/i.test(v.text)) value = v.text.toLowerCase() === "true";
    else if (v?.kind === "word" && v.text.toLowerCase() === "null") value = null;
    else refuse("$filter", `A literal was expected after '${f.text} ${op!.text}' (a 'quoted string', true, false or a number).`);
    const eq = opName === "eq";
    return (r) => same(r[col] ?? null, value) === eq;
  };
  const p = orExpr();
  if (i < ts.length) refuse("$filter", `Unexpected '${ts[i]!.text}' at character ${ts[i]!.at}.`);
  return p;
}

/** `$orderby`: comma-separated columns, each optionally asc or desc (desc by default, as Azure). */
export function parseOrderBy(orderBy: string | null): (a: Json, b: Json) => number {
  const keys = (orderBy ?? "").trim() === "" ? [{ col: "timestamp", dir: -1 }] : orderBy!.split(",").map((part) => {
    const m = /^\s*([A-Za-z]+)(?:\s+(asc|desc))?\s*$/i.exec(part);
    if (!m) refuse("$orderby", `'${part.trim()}' is not '<column> [asc|desc]'.`);
    return { col: column(m[1]!, "$orderby"), dir: m[2]?.toLowerCase() === "asc" ? 1 : -1 };
  });
  keys.push({ col: "resourceId", dir: 1 }, { col: "policyAssignmentId", dir: 1 });
  return (a, b) => {
    for (const k of keys) {
      const x = String(a[k.col] ?? "");
      const y = String(b[k.col] ?? "");
      if (x !== y) return x < y ? -k.dir : k.dir;
    }
    return 0;
  };
}

/** `$select`: the columns kept (with the record's @odata keys); undefined keeps every column. */
export function parseSelect(select: string | null): string[] | undefined {
  if (select === null || select.trim() === "") return undefined;
  return select.split(",").map((c) => column(c.trim(), "$select"));
}

export function parseTop(top: string | null): number | undefined {
  if (top === null || top.trim() === "") return undefined;
  if (!/^\d{1,9}$/.test(top.trim())) refuse("$top", `'${top}' is not a non-negative integer.`);
  return Number(top.trim());
}

/** `$from` / `$to`: ISO 8601 times; the states whose timestamp is inside the interval. */
export function parseInterval(from: string | null, to: string | null): Predicate {
  const at = (v: string | null, name: string) => {
    if (v === null || v.trim() === "") return undefined;
    const t = Date.parse(v);
    if (Number.isNaN(t)) refuse(name, `'${v}' is not an ISO 8601 date and time.`);
    return t;
  };
  const f = at(from, "$from");
  const t = at(to, "$to");
  return (r) => {
    const ts = Date.parse(String(r.timestamp));
    return (f === undefined || ts >= f) && (t === undefined || ts <= t);
  };
}

/** Options Cove does not implement are refused by name rather than silently ignored. */
export function refuseUnsupported(query: URLSearchParams): void {
  for (const name of ["$apply", "$skiptoken"]) {
    const v = query.get(name);
    if (v !== null && v.trim() !== "") refuse(name, `Cove does not support ${name} on policy states (docs/policy.md).`);
  }
  const expand = query.get("$expand");
  if (expand !== null && expand.trim() !== "" && !/^\s*policyEvaluationDetails\s*$/i.test(expand)) {
    refuse("$expand", `Only $expand=PolicyEvaluationDetails is supported; '${expand}' is not.`);
  }
}
