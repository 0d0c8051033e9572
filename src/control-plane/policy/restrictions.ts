// checkPolicyRestrictions at subscription and resource-group scope: which assignments a resource
// body would meet, before anyone sends it. The body (resourceDetails.resourceContent, with its type)
// is evaluated by the engine as the resource it would become at the scope; the enforced Deny
// outcomes (and, with includeAuditEffect, the Audit ones) that match come back as
// contentEvaluationResult.policyEvaluations, and each pendingFields entry lists, per Deny
// assignment, the values it would refuse (a value is tried in the field and the body evaluated
// again; without values, the body's own value is tried). The toolkit uses this to say that the fix
// it proposes would be blocked by a policy. Nothing is written.
import type { ArmCall, ArmResult } from "../arm/types.js";
import { asObject, asString, invalid, onlyKeys, optArray, optBoolean, optString } from "../arm/strict-json.js";
import { getResourceGroup } from "../arm/scopes.js";
import { applyOperations, evaluate, type Outcome } from "./engine.js";
import { fieldPath } from "./aliases.js";
import { loadPolicySet } from "./load.js";
import { relatedFrom } from "./evaluation.js";
import type { EvaluatedExpression } from "./records.js";

export const CHECK_RESTRICTIONS = "Microsoft.PolicyInsights/checkPolicyRestrictions/read";

type Json = Record<string, unknown>;

const policyInfo = (o: Outcome) => ({
  policyDefinitionId: o.definition.id, policySetDefinitionId: "", policyDefinitionReferenceId: "", policyAssignmentId: o.assignment.id,
});

// Here Azure spells expression kinds and operators in lower camel case (PolicyStates: PascalCase).
const camel = (s: string) => s[0]!.toLowerCase() + s.slice(1);
const expressions = (es: EvaluatedExpression[]) => es.filter((e) => e.result === "True").map((e) => ({ ...e, expressionKind: camel(e.expressionKind), operator: camel(e.operator) }));

const denies = (os: Outcome[]) => os.filter((o) => o.effect === "deny" && o.enforced && o.matched);

function readField(doc: Json, field: string): unknown {
  let at: unknown = doc;
  for (const seg of fieldPath(field)?.segments ?? []) {
    const o = at && typeof at === "object" ? (at as Json) : {};
    at = o[Object.keys(o).find((k) => k.toLowerCase() === seg.toLowerCase()) ?? seg];
  }
  return at;
}

export async function checkPolicyRestrictions(c: ArmCall): Promise<ArmResult> {
  const body = c.body!;
  onlyKeys(body, ["resourceDetails", "pendingFields", "includeAuditEffect"], "");
  const details = asObject(body.resourceDetails, "resourceDetails");
  onlyKeys(details, ["resourceContent", "apiVersion", "scope"], "resourceDetails");
  const content = asObject(details.resourceContent, "resourceDetails.resourceContent");
  const type = asString(content.type, "resourceDetails.resourceContent.type");
  if (!/^[A-Za-z0-9.]+\/[A-Za-z0-9./]+$/.test(type)) invalid("resourceDetails.resourceContent.type", `'${type}' is not a resource type such as 'Microsoft.ContainerRegistry/registries'.`);
  const includeAudit = optBoolean(body.includeAuditEffect, "includeAuditEffect") ?? false;
  const pending = (optArray(body.pendingFields, "pendingFields") ?? []).map((raw, i) => {
    const f = asObject(raw, `pendingFields[${i}]`);
    onlyKeys(f, ["field", "values"], `pendingFields[${i}]`);
    const field = asString(f.field, `pendingFields[${i}].field`);
    if (!fieldPath(field)) invalid(`pendingFields[${i}].field`, `'${field}' is neither name, location, tags, type nor an alias Cove knows (docs/policy.md).`);
    return { field, values: optArray(f.values, `pendingFields[${i}].values`)?.map((v, j) => asString(v, `pendingFields[${i}].values[${j}]`)) };
  });

  // The resource the body would become: under the request's group (or the given scope), named as the body says.
  const urlScope = c.params.resourceGroupName !== undefined
    ? (await getResourceGroup(c.deps, c.params.resourceGroupName)).id
    : `/subscriptions/${c.deps.subscriptionId}`;
  const scope = optString(details.scope, "resourceDetails.scope") ?? urlScope;
  const name = typeof content.name === "string" && content.name !== "" ? content.name : "resource";
  const [ns, ...types] = type.split("/");
  const names = name.split("/");
  const base = scope.replace(/\/+$/, "");
  // A child resource's scope is its parent (Azure's resourceDetails.scope): the id goes on below it.
  const id = /\/providers\//i.test(base)
    ? `${base}/${types[types.length - 1]}/${names[names.length - 1]}`
    : `${base}/providers/${ns}/${types.map((t, i) => `${t}/${names[i] ?? names[names.length - 1]}`).join("/")}`;
  const doc: Json = { ...content, id, name: names[names.length - 1], type };

  const set = await loadPolicySet(c.deps.meta);
  const related = await relatedFrom(c.deps.meta, set);
  const now = Date.now();
  const run = (d: Json) => evaluate(d, set, { now, related });
  const outcomes = run(doc);
  const reported = outcomes.filter((o) => o.matched && !o.exemption && ((o.effect === "deny" && o.enforced) || (includeAudit && o.effect === "audit")));

  const fieldRestrictions = pending.map(({ field, values }) => {
    const tried = values ?? [readField(doc, field)].filter((v) => v !== undefined).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
    const byAssignment = new Map<string, { o: Outcome; values: string[] }>();
    for (const v of tried) {
      for (const o of denies(run(applyOperations(doc, [{ operation: "addOrReplace", field, value: v }])))) {
        const hit = byAssignment.get(o.assignment.id) ?? { o, values: [] };
        hit.values.push(v);
        byAssignment.set(o.assignment.id, hit);
      }
    }
    return {
      field,
      restrictions: [...byAssignment.values()].map(({ o, values: refused }) => ({
        result: "Deny", values: refused, policy: policyInfo(o), policyEffect: "Deny",
        reason: `The policy assignment '${o.assignment.displayName}' (${o.definition.displayName}) denies ${field} ${refused.map((v) => `'${v}'`).join(", ")}.`,
      })),
    };
  });

  return {
    status: 200,
    body: {
      fieldRestrictions,
      contentEvaluationResult: {
        policyEvaluations: reported.map((o) => ({
          policyInfo: policyInfo(o),
          evaluationResult: "NonCompliant",
          evaluationDetails: { evaluatedExpressions: expressions(o.state.evaluatedExpressions), reason: o.state.reasons.join(" ") },
          effectDetails: { policyEffect: o.effect === "deny" ? "Deny" : "Audit" },
        })),
      },
    },
  };
}
