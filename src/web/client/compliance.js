// Policy compliance per registry (the landing-zone policy issue), from one Policy Insights query at
// the subscription, grouped by resource id: a registry is Non-compliant when any of its states is
// NonCompliant, Compliant when it has states and none is, Not evaluated when it has none. Display
// names come from the policy definitions and assignments lists (one request each), never per row.
import { API, call, follow, list, subscriptionScope } from "./api.js";
import { key } from "./ids.js";
import { settle } from "./load.js";

async function allStates() {
  const path = `${subscriptionScope()}/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults`;
  const first = await call("POST", path, { query: { "api-version": API.insights, $expand: "PolicyEvaluationDetails" } });
  return follow(first, { method: "POST", link: "@odata.nextLink" });
}

/** @returns {Promise<{byResource: Map<string, object[]>, names: Map<string, string>} >} */
export async function loadCompliance() {
  const scope = subscriptionScope();
  const [states, definitions, assignments] = await Promise.all([
    allStates(),
    settle(list(`${scope}/providers/Microsoft.Authorization/policyDefinitions`, API.policy)),
    settle(list(`${scope}/providers/Microsoft.Authorization/policyAssignments`, API.policy)),
  ]);
  const names = new Map();
  for (const d of definitions.value ?? []) if (d.properties?.displayName) names.set(key(d.id), d.properties.displayName);
  for (const a of assignments.value ?? []) if (a.properties?.displayName) names.set(key(a.id), a.properties.displayName);
  const byResource = new Map();
  for (const s of states) {
    const k = key(s.resourceId);
    if (!byResource.has(k)) byResource.set(k, []);
    byResource.get(k).push(s);
  }
  return { byResource, names };
}

/** @returns {{label: string, failing: {name: string, reason: string}[]}} */
export function complianceOf(registryId, c) {
  const states = c.byResource.get(key(registryId)) ?? [];
  if (!states.length) return { label: "Not evaluated", failing: [] };
  const failing = states
    .filter((s) => s.complianceState === "NonCompliant")
    .map((s) => ({
      name: c.names.get(key(s.policyDefinitionId)) ?? c.names.get(key(s.policyAssignmentId)) ?? s.policyDefinitionName ?? s.policyAssignmentName,
      reason: s.policyEvaluationDetails?.reason || "no reason given",
    }));
  return { label: failing.length ? `Non-compliant (${failing.length})` : "Compliant", failing };
}
