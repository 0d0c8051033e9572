// Scenarios of the Azure Policy write routes (write-routes.test.ts): definitions, assignments and
// exemptions decide which control-plane writes are allowed and what compliance says, never what the
// network or the registries are, so each is held to "committed, the view rebuilt, its content the
// same". (Their compliance records are written in the same step, and the view ignores them too.)
import { SUB, group, rgUrl } from "./world.js";
import type { Scenario } from "./write-scenarios.js";

const P_V = "api-version=2025-03-01";
const E_V = "api-version=2020-07-01-preview";
const AZ = "{scope}/providers/Microsoft.Authorization";
const DEFS = "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/policyDefinitions/{policyDefinitionName}";
const PUBLIC_ACCESS = "/providers/Microsoft.Authorization/policyDefinitions/0fdf0491-d080-4575-b627-ad0e843cba0f";
const UNCHANGED = "policy decides which control-plane writes are allowed, not what the network or the registries are";

const defUrl = (name: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/policyDefinitions/${name}?${P_V}`;
const assignmentUrl = (rg: string, name: string) => `${rgUrl(rg).split("?")[0]}/providers/Microsoft.Authorization/policyAssignments/${name}?${P_V}`;
const exemptionUrl = (rg: string, name: string) => `${rgUrl(rg).split("?")[0]}/providers/Microsoft.Authorization/policyExemptions/${name}?${E_V}`;
const rule = { if: { field: "type", equals: "Microsoft.ContainerRegistry/registries" }, then: { effect: "audit" } };
const audit = { properties: { policyDefinitionId: PUBLIC_ACCESS, parameters: { effect: { value: "Audit" } } } };

export const POLICY_SCENARIOS: Record<string, Scenario> = {
  [`PUT ${DEFS}`]: {
    unchanged: UNCHANGED,
    write: (_w, n) => ({ method: "PUT", url: defUrl(`def-${n.rg}`), body: { properties: { mode: "All", policyRule: rule } } }),
  },
  [`DELETE ${DEFS}`]: {
    unchanged: UNCHANGED,
    setup: async (w, n) => { await w.ok("PUT", defUrl(`def-${n.rg}`), { properties: { mode: "All", policyRule: rule } }); },
    write: (_w, n) => ({ method: "DELETE", url: defUrl(`def-${n.rg}`) }),
  },
  [`PUT ${AZ}/policyAssignments/{policyAssignmentName}`]: {
    unchanged: UNCHANGED,
    setup: async (w, n) => { await group(w, n.rg); },
    write: (_w, n) => ({ method: "PUT", url: assignmentUrl(n.rg, "audit-public"), body: audit }),
  },
  [`DELETE ${AZ}/policyAssignments/{policyAssignmentName}`]: {
    unchanged: UNCHANGED,
    setup: async (w, n) => { await group(w, n.rg); await w.ok("PUT", assignmentUrl(n.rg, "audit-public"), audit); },
    write: (_w, n) => ({ method: "DELETE", url: assignmentUrl(n.rg, "audit-public") }),
  },
  [`PUT ${AZ}/policyExemptions/{policyExemptionName}`]: {
    unchanged: UNCHANGED,
    setup: async (w, n) => { await group(w, n.rg); await w.ok("PUT", assignmentUrl(n.rg, "audit-public"), audit); },
    write: (_w, n) => ({
      method: "PUT", url: exemptionUrl(n.rg, "waiver"),
      body: { properties: { policyAssignmentId: assignmentUrl(n.rg, "audit-public").split("?")[0], exemptionCategory: "Waiver" } },
    }),
  },
  [`DELETE ${AZ}/policyExemptions/{policyExemptionName}`]: {
    unchanged: UNCHANGED,
    setup: async (w, n) => {
      await group(w, n.rg);
      await w.ok("PUT", assignmentUrl(n.rg, "audit-public"), audit);
      await w.ok("PUT", exemptionUrl(n.rg, "waiver"), { properties: { policyAssignmentId: assignmentUrl(n.rg, "audit-public").split("?")[0], exemptionCategory: "Waiver" } });
    },
    write: (_w, n) => ({ method: "DELETE", url: exemptionUrl(n.rg, "waiver") }),
  },
};
