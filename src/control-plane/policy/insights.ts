// Microsoft.PolicyInsights policyStates: queryResults and summarize over the compliance records
// (states.ts: one ResourceStates per evaluated resource, one entry per assignment), at every scope
// the SDK sends: subscription, resource group, resource, and an assignment or a definition (under
// the subscription or a group). Cove keeps only the latest evaluation of each resource, so
// `latest` and `default` answer the same. A caller sees the states of the resources it may read
// (`<type>/read`), as ARM filters lists. Rows are Azure's PolicyState: ids lower-cased, parameters
// as JSON strings, the columns Azure fills with "tbd" or "" (owners, categories, policy sets,
// management groups) filled the same way, and
// policyEvaluationDetails (the evaluated expressions, and Cove's reasons in `reason`) only with
// $expand=PolicyEvaluationDetails, as Azure.
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { getResourceGroup } from "../arm/scopes.js";
import { loadPolicySet } from "./load.js";
import type { PolicySet } from "./engine.js";
import { allStates } from "./states.js";
import { lower, within, type ResourceStates, type StateEntry } from "./records.js";
import { parseFilter, parseInterval, parseOrderBy, parseSelect, parseTop, refuseUnsupported } from "./insights-query.js";

export const PS_QUERY = "Microsoft.PolicyInsights/policyStates/queryResults/read";
export const PS_SUMMARIZE = "Microsoft.PolicyInsights/policyStates/summarize/read";
export const INSIGHTS_API_VERSION = "2024-10-01";

type Json = Record<string, unknown>;

export type StatesScope =
  | { kind: "subscription" | "resourceGroup" | "resource"; id: string }
  | { kind: "assignment"; id: string; under: string }
  | { kind: "definition"; name: string; under: string }
  | { kind: "setDefinition"; under: string };

/** What a `{scope}/providers/Microsoft.PolicyInsights/...` prefix names. Management groups are not in Cove. */
export async function statesScope(c: ArmCall, scope: string): Promise<StatesScope> {
  const segs = scope.split("/").filter(Boolean);
  if (segs[0]?.toLowerCase() !== "subscriptions" || segs.length < 2) throw armError("NotFound", { path: scope });
  const sub = `/subscriptions/${c.deps.subscriptionId}`;
  const m = /^(.*)\/providers\/Microsoft\.Authorization\/(policyAssignments|policyDefinitions|policySetDefinitions)\/([^/]+)$/i.exec(scope);
  if (m) {
    const under = m[1]!;
    if (m[2]!.toLowerCase() === "policyassignments") return { kind: "assignment", id: scope, under };
    if (m[2]!.toLowerCase() === "policydefinitions") return { kind: "definition", name: m[3]!, under };
    return { kind: "setDefinition", under };
  }
  if (segs.length === 2) return { kind: "subscription", id: sub };
  if (segs.length === 4 && segs[2]!.toLowerCase() === "resourcegroups") return { kind: "resourceGroup", id: (await getResourceGroup(c.deps, segs[3]!)).id };
  return { kind: "resource", id: "/" + segs.join("/") };
}

const authScopeOf = (s: StatesScope) => ("id" in s && s.kind !== "assignment" ? s.id : s.under);

function selects(s: StatesScope, rec: ResourceStates, e: StateEntry): boolean {
  switch (s.kind) {
    case "subscription":
    case "resourceGroup": return within(rec.resourceId, s.id);
    case "resource": return lower(rec.resourceId) === lower(s.id);
    case "assignment": return lower(e.policyAssignmentId) === lower(s.id);
    case "definition": return within(rec.resourceId, s.under) && lower(e.policyDefinitionId.split("/").pop()!) === lower(s.name);
    case "setDefinition": return false;
  }
}

/** The records under the scope whose resource the caller may read. */
async function readableRecords(c: ArmCall, scope: StatesScope): Promise<ResourceStates[]> {
  const all = (await allStates(c.deps.meta)).filter((r) => within(r.resourceId, `/subscriptions/${c.deps.subscriptionId}`));
  const atScope = new Map<string, boolean>();
  const out: ResourceStates[] = [];
  for (const r of all) {
    const action = `${r.resourceType}/read`;
    let whole = atScope.get(action.toLowerCase());
    if (whole === undefined) {
      whole = await c.deps.access.authorize(c.principal, action, authScopeOf(scope));
      atScope.set(action.toLowerCase(), whole);
    }
    if (whole || (await c.deps.access.authorize(c.principal, action, r.resourceId))) out.push(r);
  }
  return out;
}

const jsonParameters = (p: Record<string, unknown>) => (Object.keys(p).length === 0 ? "" : JSON.stringify(Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { value: v }]))));

function policyState(base: string, rec: ResourceStates, e: StateEntry, set: PolicySet, expand: boolean): Json {
  const id = rec.resourceId;
  const assignment = set.assignments.find((a) => lower(a.id) === lower(e.policyAssignmentId));
  const definition = set.definitions.get(lower(e.policyDefinitionId))?.view;
  const row: Json = {
    "@odata.id": null,
    "@odata.context": `${base}/providers/Microsoft.PolicyInsights/policyStates/$metadata#latest/$entity`,
    timestamp: rec.timestamp,
    resourceId: lower(id),
    policyAssignmentId: lower(e.policyAssignmentId),
    policyDefinitionId: lower(e.policyDefinitionId),
    effectiveParameters: jsonParameters(e.effectiveParameters),
    isCompliant: e.complianceState !== "NonCompliant",
    subscriptionId: /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase() ?? "",
    resourceType: rec.resourceType,
    resourceLocation: rec.resourceLocation,
    resourceGroup: /\/resourceGroups\/([^/]+)/i.exec(id)?.[1]?.toLowerCase() ?? "",
    resourceTags: "tbd",
    policyAssignmentName: e.policyAssignmentName,
    policyAssignmentOwner: "tbd",
    policyAssignmentParameters: assignment ? jsonParameters(assignment.parameters) : "",
    policyAssignmentScope: lower(e.policyAssignmentScope),
    policyDefinitionName: e.policyDefinitionName,
    policyDefinitionAction: e.policyDefinitionAction,
    policyDefinitionCategory: "tbd",
    policySetDefinitionId: "",
    policySetDefinitionName: "",
    policySetDefinitionOwner: "",
    policySetDefinitionCategory: "",
    policySetDefinitionParameters: "",
    managementGroupIds: "",
    policyDefinitionReferenceId: "",
    complianceState: e.complianceState,
    policyDefinitionGroupNames: [""],
    policyDefinitionVersion: definition?.version ?? "",
    policySetDefinitionVersion: "",
    policyAssignmentVersion: "",
  };
  if (expand) row.policyEvaluationDetails = { evaluatedExpressions: e.evaluatedExpressions, reason: e.reasons.join(" ") };
  return row;
}

/** The rows a query's scope, filter and interval select, ordered. */
async function rowsFor(c: ArmCall, expand: boolean): Promise<{ rows: Json[]; scope: StatesScope; base: string }> {
  const resource = c.params.policyStatesResource ?? "latest";
  if (!/^(latest|default)$/i.test(resource)) throw armError("InvalidQueryParameterValue", { parameter: "policyStatesResource", reason: `'${resource}' is neither 'latest' nor 'default'.` });
  refuseUnsupported(c.ctx.query);
  const keep = parseFilter(c.ctx.query.get("$filter"));
  const inInterval = parseInterval(c.ctx.query.get("$from"), c.ctx.query.get("$to"));
  const order = parseOrderBy(c.ctx.query.get("$orderby"));
  const scope = await statesScope(c, c.params.scope!);
  const base = `https://${String(c.ctx.headers.host ?? "management.azure.com")}${c.params.scope!}`;
  const set = await loadPolicySet(c.deps.meta);
  const rows: Json[] = [];
  for (const rec of await readableRecords(c, scope)) {
    for (const e of rec.states) {
      if (!selects(scope, rec, e)) continue;
      const row = policyState(base, rec, e, set, expand);
      if (keep(row) && inInterval(row)) rows.push(row);
    }
  }
  return { rows: rows.sort(order), scope, base };
}

export async function queryResults(c: ArmCall): Promise<ArmResult> {
  const expand = /^\s*policyEvaluationDetails\s*$/i.test(c.ctx.query.get("$expand") ?? "");
  const select = parseSelect(c.ctx.query.get("$select"));
  const top = parseTop(c.ctx.query.get("$top"));
  const { rows, base } = await rowsFor(c, expand);
  const page = (top === undefined ? rows : rows.slice(0, top)).map((r) => {
    if (!select) return r;
    const kept: Json = { "@odata.id": r["@odata.id"], "@odata.context": r["@odata.context"] };
    for (const col of select) kept[col] = r[col];
    if (expand) kept.policyEvaluationDetails = r.policyEvaluationDetails;
    return kept;
  });
  return {
    status: 200,
    body: { "@odata.nextLink": null, "@odata.context": `${base}/providers/Microsoft.PolicyInsights/policyStates/$metadata#latest`, "@odata.count": page.length, value: page },
  };
}

type Detail = { complianceState: string; count: number };

function details(states: Map<string, string>): Detail[] {
  const counts = new Map<string, number>([["compliant", 0], ["noncompliant", 0]]);
  for (const s of states.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([complianceState, count]) => ({ complianceState, count }));
}

/** A resource (or a policy) is non-compliant when any of its rows is; exempt when all are; else compliant. */
function worst(into: Map<string, string>, key: string, state: string): void {
  const s = state.toLowerCase();
  const prev = into.get(key);
  if (prev === "noncompliant" || prev === s) return;
  into.set(key, s === "noncompliant" ? "noncompliant" : prev === undefined ? s : "compliant");
}

function results(rows: Json[], uri: string, policyKey: (r: Json) => string) {
  const resources = new Map<string, string>();
  const policies = new Map<string, string>();
  for (const r of rows) {
    worst(resources, String(r.resourceId), String(r.complianceState));
    worst(policies, policyKey(r), String(r.complianceState));
  }
  return {
    queryResultsUri: uri,
    nonCompliantResources: [...resources.values()].filter((s) => s === "noncompliant").length,
    nonCompliantPolicies: [...policies.values()].filter((s) => s === "noncompliant").length,
    resourceDetails: details(resources),
    policyDetails: details(policies),
    policyGroupDetails: [],
  };
}

/** Azure's SummarizeResults: one summary for the scope, then each assignment (most non-compliant resources first, $top of them). */
export async function summarize(c: ArmCall): Promise<ArmResult> {
  if (!/^latest$/i.test(c.params.policyStatesResource ?? "latest")) {
    throw armError("InvalidQueryParameterValue", { parameter: "policyStatesSummaryResource", reason: `'${c.params.policyStatesResource}' is not 'latest'.` });
  }
  const top = parseTop(c.ctx.query.get("$top"));
  const { rows, base } = await rowsFor(c, false);
  const from = c.ctx.query.get("$from") ?? new Date(Date.now() - 86_400_000).toISOString();
  const to = c.ctx.query.get("$to") ?? new Date().toISOString();
  const uri = (filter: string) =>
    `${base}/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults?api-version=${INSIGHTS_API_VERSION}&$from=${from}&$to=${to}&$filter=${encodeURIComponent(filter)}`;
  const pairKey = (r: Json) => `${String(r.policyAssignmentId)} ${String(r.policyDefinitionId)}`;
  const byAssignment = new Map<string, Json[]>();
  for (const r of rows) byAssignment.set(String(r.policyAssignmentId), [...(byAssignment.get(String(r.policyAssignmentId)) ?? []), r]);
  const assignments = [...byAssignment].map(([id, own]) => {
    const filter = `IsCompliant eq false and PolicyAssignmentId eq '${id}'`;
    const r = results(own, uri(filter), pairKey);
    const definitionId = String(own[0]!.policyDefinitionId);
    const { nonCompliantPolicies: _, ...defResults } = results(own, uri(`${filter} and PolicyDefinitionId eq '${definitionId}'`), pairKey);
    return {
      policyAssignmentId: id,
      policySetDefinitionId: "",
      results: r,
      policyDefinitions: [{
        policyDefinitionId: definitionId, policyDefinitionReferenceId: "", policyDefinitionGroupNames: [""],
        effect: String(own[0]!.policyDefinitionAction), results: defResults,
      }],
      policyGroups: [],
    };
  }).sort((a, b) => b.results.nonCompliantResources - a.results.nonCompliantResources || (a.policyAssignmentId < b.policyAssignmentId ? -1 : 1));
  const summary = {
    "@odata.id": null,
    "@odata.context": `${base}/providers/Microsoft.PolicyInsights/policyStates/$metadata#summary/$entity`,
    results: results(rows, uri("IsCompliant eq false"), pairKey),
    policyAssignments: top === undefined ? assignments : assignments.slice(0, top),
  };
  return {
    status: 200,
    body: { "@odata.context": `${base}/providers/Microsoft.PolicyInsights/policyStates/$metadata#summary`, "@odata.count": 1, value: [summary] },
  };
}
