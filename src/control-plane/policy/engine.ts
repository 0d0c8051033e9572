// The policy engine: which assignments apply to a resource document, and what each says of it. Pure:
// the caller hands it the policy set (load.ts) and a way to list related resources, and gets one
// Outcome per applicable assignment: the effect, the compliance state with its reasons, whether it is
// enforced (Default mode, not exempt), the Modify operations and the DeployIfNotExists details.
import { compileRule, evaluateCondition, ruleEffect, type CompiledRule, type Condition, type Effect, type TraceEntry } from "./rules.js";
import { evaluateExpr, parseValue, PolicyLanguageError } from "./expressions.js";
import { fieldPath } from "./aliases.js";
import {
  lower, obj, within, type AssignmentView, type DefinitionView, type EvaluatedExpression, type ExemptionView, type StateEntry,
} from "./records.js";

type Json = Record<string, unknown>;

export interface CompiledDefinition {
  view: DefinitionView;
  rule: CompiledRule;
}

export interface PolicySet {
  /** By lower-cased definition id. */
  definitions: Map<string, CompiledDefinition>;
  assignments: AssignmentView[];
  exemptions: ExemptionView[];
}

export interface EvalOptions {
  /** Epoch ms: exemptions past their expiresOn no longer count. */
  now: number;
  /** Resources of `type` whose id starts with `underId` (AuditIfNotExists / DeployIfNotExists). */
  related(type: string, underId: string): Json[];
}

export interface ModifyOperation {
  operation: "addOrReplace" | "add" | "remove";
  field: string;
  value?: unknown;
}

export interface Outcome {
  assignment: AssignmentView;
  definition: DefinitionView;
  effect: Effect;
  /** The rule's `if` held (for *IfNotExists: and no related resource satisfied the existence condition). */
  matched: boolean;
  enforced: boolean;
  exemption?: ExemptionView;
  state: StateEntry;
  /** Modify: the operations that change the document (empty: nothing to change). */
  operations?: ModifyOperation[];
  /** DeployIfNotExists: the rule's details (deployment, roleDefinitionIds, type, ...). */
  details?: Json;
}

export function compileDefinition(view: DefinitionView): CompiledDefinition {
  return { view, rule: compileRule(view.policyRule) };
}

/** The parameter values an assignment gives, with the definition's defaults for the rest. */
export function effectiveParameters(def: DefinitionView, a: AssignmentView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(def.parameters)) {
    const given = Object.keys(a.parameters).find((k) => k.toLowerCase() === name.toLowerCase());
    out[name] = given !== undefined ? a.parameters[given] : decl.defaultValue;
  }
  return out;
}

function excluded(resourceId: string, a: AssignmentView): boolean {
  return !within(resourceId, a.scope) || a.notScopes.some((n) => within(resourceId, n));
}

/**
 * Does the rule's resource-type test (a top-level `field: type` test, alone or in a top-level allOf)
 * hold? A resource of another type is not applicable and has no state, as Azure.
 */
function typeApplies(c: Condition, doc: Json, parameters: Record<string, unknown>): boolean {
  const tests = c.kind === "allOf" ? c.of : [c];
  for (const t of tests) {
    if (t.kind !== "test" || t.subject.kind !== "field" || t.subject.name.toLowerCase() !== "type") continue;
    if (!evaluateCondition(t, { doc, parameters })) return false;
  }
  return true;
}

export function activeExemption(resourceId: string, a: AssignmentView, exemptions: ExemptionView[], now: number): ExemptionView | undefined {
  return exemptions.find((e) => lower(e.policyAssignmentId) === lower(a.id) && within(resourceId, e.scope) &&
    (e.expiresOn === undefined || Date.parse(e.expiresOn) > now));
}

export function evaluate(doc: Json, set: PolicySet, o: EvalOptions): Outcome[] {
  const id = String(doc.id ?? "");
  const out: Outcome[] = [];
  for (const a of set.assignments) {
    if (excluded(id, a)) continue;
    const def = set.definitions.get(lower(a.policyDefinitionId));
    if (!def) continue;
    const parameters = effectiveParameters(def.view, a);
    let effect: Effect;
    try {
      effect = ruleEffect(def.rule, parameters);
    } catch (err) {
      if (err instanceof PolicyLanguageError) continue;
      throw err;
    }
    if (effect === "disabled" || !typeApplies(def.rule.if, doc, parameters)) continue;
    out.push(judge(doc, a, def, effect, parameters, set, o));
  }
  return out;
}

function judge(doc: Json, a: AssignmentView, def: CompiledDefinition, effect: Effect, parameters: Record<string, unknown>, set: PolicySet, o: EvalOptions): Outcome {
  const id = String(doc.id ?? "");
  const trace: TraceEntry[] = [];
  let matched = evaluateCondition(def.rule.if, { doc, parameters, trace });
  const reasons: string[] = [];
  const details = obj(def.rule.details);
  let operations: ModifyOperation[] | undefined;
  if (matched && (effect === "auditIfNotExists" || effect === "deployIfNotExists")) {
    const found = existing(doc, details, parameters, o);
    matched = !found.ok;
    reasons.push(found.reason);
  } else if (matched && effect === "modify") {
    operations = modifyOperations(doc, details, parameters);
    matched = operations.length > 0;
    if (!matched) reasons.push("Every property the policy sets already has its value.");
  }
  if (matched && reasons.length === 0) reasons.push(...trace.filter((t) => t.result).map(describe));
  if (!matched && reasons.length === 0) reasons.push(...trace.filter((t) => !t.result).slice(-1).map((t) => `Not matched: ${describe(t)}`));
  const exemption = activeExemption(id, a, set.exemptions, o.now);
  const state: StateEntry = {
    policyAssignmentId: a.id,
    policyAssignmentName: a.name,
    policyAssignmentScope: a.scope,
    policyDefinitionId: def.view.id,
    policyDefinitionName: def.view.name,
    policyDefinitionAction: effect.toLowerCase(),
    complianceState: exemption ? "Exempt" : matched ? "NonCompliant" : "Compliant",
    reasons: exemption ? [`Exempt until ${exemption.expiresOn ?? "it is deleted"} by ${exemption.id} (${exemption.category}).`, ...reasons] : reasons,
    evaluatedExpressions: trace.map(asEvaluated),
    exemptionId: exemption?.id,
    effectiveParameters: parameters,
  };
  return {
    assignment: a, definition: def.view, effect, matched,
    enforced: a.enforcementMode === "Default" && !exemption,
    exemption, state, operations,
    details: effect === "deployIfNotExists" || effect === "auditIfNotExists" ? details : undefined,
  };
}

const show = (v: unknown) => (v === undefined ? "absent" : JSON.stringify(v));

function describe(t: TraceEntry): string {
  return `${t.expression} ${t.operator} ${show(t.targetValue)}: the value is ${show(t.expressionValue)}.`;
}

function asEvaluated(t: TraceEntry): EvaluatedExpression {
  // As Azure reports them: operators in PascalCase, the result a string.
  return { ...t, operator: t.operator[0]!.toUpperCase() + t.operator.slice(1), result: t.result ? "True" : "False" };
}

/** The related resources an *IfNotExists rule looks for, and whether one satisfies the existence condition. */
function existing(doc: Json, details: Json, parameters: Record<string, unknown>, o: EvalOptions): { ok: boolean; reason: string } {
  const type = String(details.type ?? "");
  const id = String(doc.id ?? "");
  const docType = String(doc.type ?? "");
  // A child type of the evaluated resource is looked for below it; any other type in its resource group
  // (or, with existenceScope Subscription, in its subscription), as Azure.
  const child = type.toLowerCase().startsWith(docType.toLowerCase() + "/");
  const rg = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)/i.exec(id)?.[1] ?? "";
  const sub = /^(\/subscriptions\/[^/]+)/i.exec(id)?.[1] ?? "";
  const under = child ? id + "/" : String(details.existenceScope ?? "").toLowerCase() === "subscription" ? sub + "/" : rg + "/";
  let candidates = o.related(type, under);
  if (details.name !== undefined) {
    const name = String(evaluateExpr(parseValue(details.name), exprContext(doc, parameters)));
    candidates = candidates.filter((r) => String(r.name ?? "").toLowerCase() === name.toLowerCase());
  }
  const cond = details.existenceCondition === undefined ? undefined : compiledExistence(details.existenceCondition);
  const hit = candidates.find((r) => !cond || evaluateCondition(cond, { doc: r, parameters, outer: doc }));
  if (hit) return { ok: true, reason: `${String(hit.id)} satisfies the existence condition.` };
  return {
    ok: false,
    reason: candidates.length === 0
      ? `No related resource of type ${type} exists.`
      : `None of the ${candidates.length} related ${type} resources satisfies the existence condition.`,
  };
}

const existenceCache = new WeakMap<object, Condition>();

function compiledExistence(c: unknown): Condition {
  const key = c as object;
  let hit = existenceCache.get(key);
  if (!hit) {
    hit = compileRule({ if: c, then: { effect: "audit" } }).if;
    existenceCache.set(key, hit);
  }
  return hit;
}

function exprContext(doc: Json, parameters: Record<string, unknown>) {
  return {
    parameter: (n: string) => {
      const k = Object.keys(parameters).find((x) => x.toLowerCase() === n.toLowerCase());
      if (k === undefined) throw new PolicyLanguageError(`The parameter '${n}' is not defined.`);
      return parameters[k];
    },
    field: (alias: string) => readPath(doc, alias),
  };
}

function readPath(doc: Json, alias: string): unknown {
  const f = fieldPath(alias);
  if (!f) return undefined;
  let v: unknown = doc;
  for (const seg of f.segments) v = getCi(v, seg);
  return v;
}

function getCi(v: unknown, key: string): unknown {
  const o = obj(v);
  if (key in o) return o[key];
  const k = Object.keys(o).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : o[k];
}

/** A Modify rule's operations, values resolved, keeping only those that would change the document. */
export function modifyOperations(doc: Json, details: Json, parameters: Record<string, unknown>): ModifyOperation[] {
  const ops = Array.isArray(details.operations) ? details.operations : [];
  const out: ModifyOperation[] = [];
  for (const raw of ops) {
    const op = obj(raw);
    const operation = String(op.operation ?? "") as ModifyOperation["operation"];
    const field = String(op.field ?? "");
    if (op.condition !== undefined) {
      const cond = compiledExistence(op.condition);
      if (!evaluateCondition(cond, { doc, parameters })) continue;
    }
    const value = op.value === undefined ? undefined : evaluateExpr(parseValue(op.value), exprContext(doc, parameters));
    const current = readPath(doc, field);
    if (operation === "remove" ? current === undefined : operation === "add" ? current !== undefined : JSON.stringify(current) === JSON.stringify(value)) continue;
    out.push({ operation, field, value });
  }
  return out;
}

/** Applies Modify operations to a request body or document (a copy), along each alias's path. */
export function applyOperations(body: Json, ops: ModifyOperation[]): Json {
  const copy = structuredClone(body);
  for (const op of ops) {
    const f = fieldPath(op.field);
    if (!f || f.segments.includes("[*]")) continue;
    let at: Json = copy;
    for (const seg of f.segments.slice(0, -1)) {
      const k = Object.keys(at).find((x) => x.toLowerCase() === seg.toLowerCase()) ?? seg;
      if (!at[k] || typeof at[k] !== "object") at[k] = {};
      at = at[k] as Json;
    }
    const last = f.segments[f.segments.length - 1]!;
    const k = Object.keys(at).find((x) => x.toLowerCase() === last.toLowerCase()) ?? last;
    if (op.operation === "remove") delete at[k];
    else at[k] = op.value;
  }
  return copy;
}
