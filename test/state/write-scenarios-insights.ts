// Scenarios of the Microsoft.PolicyInsights write routes (write-routes.test.ts): a remediation is a
// record of work to do, so its PUT and DELETE are held to "committed, the view rebuilt, its content
// the same". What a remediation changes is written afterwards, each change through its own write
// route (as the assignment's identity), so those routes' scenarios cover it.
import { setTimeout as sleep } from "node:timers/promises";
import { group, rgUrl, type World } from "./world.js";
import type { Scenario } from "./write-scenarios.js";

const REMEDIATIONS = "{scope}/providers/Microsoft.PolicyInsights/remediations/{remediationName}";
const DISABLE_PUBLIC = "/providers/Microsoft.Authorization/policyDefinitions/a3701552-92ea-433e-9d17-33b7f1208fc9";
const UNCHANGED = "a remediation is a record of work to do; what it changes goes through each resource's own write route";

const scope = (rg: string) => rgUrl(rg).split("?")[0]!;
const assignmentId = (rg: string) => `${scope(rg)}/providers/Microsoft.Authorization/policyAssignments/disable-public`;
const remediationUrl = (rg: string) => `${scope(rg)}/providers/Microsoft.PolicyInsights/remediations/public-off?api-version=2024-10-01`;

async function modifyAssignment(w: World, rg: string): Promise<void> {
  await group(w, rg);
  await w.ok("PUT", `${assignmentId(rg)}?api-version=2025-03-01`, {
    location: "westeurope", identity: { type: "SystemAssigned" }, properties: { policyDefinitionId: DISABLE_PUBLIC },
  });
}

export const INSIGHTS_SCENARIOS: Record<string, Scenario> = {
  [`PUT ${REMEDIATIONS}`]: {
    unchanged: UNCHANGED,
    setup: (w, n) => modifyAssignment(w, n.rg),
    write: (_w, n) => ({ method: "PUT", url: remediationUrl(n.rg), body: { properties: { policyAssignmentId: assignmentId(n.rg) } } }),
  },
  [`DELETE ${REMEDIATIONS}`]: {
    unchanged: UNCHANGED,
    setup: async (w, n) => {
      await modifyAssignment(w, n.rg);
      await w.ok("PUT", remediationUrl(n.rg), { properties: { policyAssignmentId: assignmentId(n.rg) } });
      // It has nothing to remediate: wait until it says so, so that the delete is the only write in flight.
      for (let i = 0; i < 100; i++) {
        if ((await w.ok("GET", remediationUrl(n.rg))).json.properties.provisioningState === "Succeeded") return;
        await sleep(20);
      }
      throw new Error("the remediation did not end");
    },
    write: (_w, n) => ({ method: "DELETE", url: remediationUrl(n.rg) }),
  },
};
