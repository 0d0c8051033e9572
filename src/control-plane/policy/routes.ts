// Route table of Azure Policy: definitions (built-in at the tenant root, custom at the subscription),
// assignments and exemptions at any scope Cove knows, then PolicyInsights (insights-routes.ts).
// One line per operation, as every provider's table.
import { authenticated, requires, route, type Route } from "../arm/router.js";
import { authScope } from "../authorization/role-assignments.js";
import { PD_DELETE, PD_READ, PD_WRITE, deleteDefinition, getBuiltInDefinition, getDefinition, listBuiltInDefinitions, listDefinitions, putDefinition } from "./definitions.js";
import { PA_DELETE, PA_READ, PA_WRITE, deleteAssignment, getAssignment, listAssignments, putAssignment } from "./assignments.js";
import { PE_DELETE, PE_READ, PE_WRITE, deleteExemption, getExemption, listExemptions, putExemption } from "./exemptions.js";
import { subscriptionId } from "../../domain/resource-ids.js";

const P = "Microsoft.Authorization/policy" as const;
const TENANT = "/providers/Microsoft.Authorization/policyDefinitions";
const SUB_DEFS = "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/policyDefinitions";
const AUTHZ = "{scope}/providers/Microsoft.Authorization";
const sub = (p: Record<string, string>) => subscriptionId(p.subscriptionId!);

export const POLICY_ROUTES: Route[] = [
  route("GET", TENANT, P, "policyDefinitions", authenticated, {}, listBuiltInDefinitions),
  route("GET", `${TENANT}/{policyDefinitionName}`, P, "policyDefinitions", authenticated, {}, getBuiltInDefinition),
  route("GET", SUB_DEFS, P, "policyDefinitions", requires(PD_READ, sub), {}, listDefinitions),
  route("GET", `${SUB_DEFS}/{policyDefinitionName}`, P, "policyDefinitions", requires(PD_READ, sub), {}, getDefinition),
  route("PUT", `${SUB_DEFS}/{policyDefinitionName}`, P, "policyDefinitions", requires(PD_WRITE, sub), { audit: true, body: true }, putDefinition),
  route("DELETE", `${SUB_DEFS}/{policyDefinitionName}`, P, "policyDefinitions", requires(PD_DELETE, sub), { audit: true }, deleteDefinition),
  route("GET", `${AUTHZ}/policyAssignments`, P, "policyAssignments", requires(PA_READ, authScope), {}, listAssignments),
  route("PUT", `${AUTHZ}/policyAssignments/{policyAssignmentName}`, P, "policyAssignments", requires(PA_WRITE, authScope), { audit: true, body: true }, putAssignment),
  route("GET", `${AUTHZ}/policyAssignments/{policyAssignmentName}`, P, "policyAssignments", requires(PA_READ, authScope), {}, getAssignment),
  route("DELETE", `${AUTHZ}/policyAssignments/{policyAssignmentName}`, P, "policyAssignments", requires(PA_DELETE, authScope), { audit: true }, deleteAssignment),
  route("GET", `${AUTHZ}/policyExemptions`, P, "policyExemptions", requires(PE_READ, authScope), {}, listExemptions),
  route("PUT", `${AUTHZ}/policyExemptions/{policyExemptionName}`, P, "policyExemptions", requires(PE_WRITE, authScope), { audit: true, body: true }, putExemption),
  route("GET", `${AUTHZ}/policyExemptions/{policyExemptionName}`, P, "policyExemptions", requires(PE_READ, authScope), {}, getExemption),
  route("DELETE", `${AUTHZ}/policyExemptions/{policyExemptionName}`, P, "policyExemptions", requires(PE_DELETE, authScope), { audit: true }, deleteExemption),
];
