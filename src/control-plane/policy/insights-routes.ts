// Route table of Microsoft.PolicyInsights: policy states (queryResults, summarize,
// triggerEvaluation and its operation results), remediations and checkPolicyRestrictions, at the
// paths @azure/arm-policyinsights 6 sends. `{scope}` routes take the subscription, a resource
// group, a resource, or (policy states) an assignment or a definition below them. Queries are
// open to any caller and filtered to the resources it may read, as ARM lists (a scan's operation
// result: to whoever asked for it, or may read its scope); remediation writes, cancel and
// triggerEvaluation are audited writes (triggerEvaluation: insights-trigger.ts says why).
import { authenticated, requires, route, type Route } from "../arm/router.js";
import { queryResults, summarize } from "./insights.js";
import { PS_TRIGGER, getOperationResult, triggerEvaluation } from "./insights-trigger.js";
import {
  REM_CANCEL, REM_DELETE, REM_DEPLOYMENTS, REM_READ, REM_WRITE, cancelRemediation, deleteRemediation, getRemediation, listDeployments,
  listRemediations, putRemediation, remediationId,
} from "./remediations.js";
import { CHECK_RESTRICTIONS, checkPolicyRestrictions } from "./restrictions.js";
import { resourceGroupId, subscriptionId } from "../../domain/resource-ids.js";

export const PI = "Microsoft.PolicyInsights";

type P = Record<string, string>;
const SUB = "/subscriptions/{subscriptionId}";
const RG = `${SUB}/resourcegroups/{resourceGroupName}`;
const STATES = "{scope}/providers/Microsoft.PolicyInsights/policyStates";
const REMEDIATIONS = "{scope}/providers/Microsoft.PolicyInsights/remediations";
const sub = (p: P) => subscriptionId(p.subscriptionId!);
const rg = (p: P) => resourceGroupId(p.subscriptionId!, p.resourceGroupName!);
const remediation = (p: P) => remediationId(p.scope!, p.remediationName!);

export const INSIGHTS_ROUTES: Route[] = [
  route("POST", `${SUB}/providers/${PI}/policyStates/latest/triggerEvaluation`, PI, "policyStates", requires(PS_TRIGGER, sub), { audit: true }, triggerEvaluation),
  route("POST", `${RG}/providers/${PI}/policyStates/latest/triggerEvaluation`, PI, "policyStates", requires(PS_TRIGGER, rg), { audit: true }, triggerEvaluation),
  route("GET", `${SUB}/providers/${PI}/asyncOperationResults/{operationId}`, PI, "asyncOperationResults", authenticated, {}, getOperationResult),
  route("POST", `${STATES}/{policyStatesResource}/queryResults`, PI, "policyStates", authenticated, {}, queryResults),
  route("POST", `${STATES}/{policyStatesResource}/summarize`, PI, "policyStates", authenticated, {}, summarize),

  route("GET", REMEDIATIONS, PI, "remediations", authenticated, {}, listRemediations),
  route("PUT", `${REMEDIATIONS}/{remediationName}`, PI, "remediations", requires(REM_WRITE, remediation), { audit: true, body: true }, putRemediation),
  route("GET", `${REMEDIATIONS}/{remediationName}`, PI, "remediations", requires(REM_READ, remediation), {}, getRemediation),
  route("DELETE", `${REMEDIATIONS}/{remediationName}`, PI, "remediations", requires(REM_DELETE, remediation), { audit: true }, deleteRemediation),
  route("POST", `${REMEDIATIONS}/{remediationName}/cancel`, PI, "remediations", requires(REM_CANCEL, remediation), { audit: true }, cancelRemediation),
  route("POST", `${REMEDIATIONS}/{remediationName}/listDeployments`, PI, "remediations", requires(REM_DEPLOYMENTS, remediation), {}, listDeployments),

  route("POST", `${SUB}/providers/${PI}/checkPolicyRestrictions`, PI, "checkPolicyRestrictions", requires(CHECK_RESTRICTIONS, sub), { body: true }, checkPolicyRestrictions),
  route("POST", `${RG}/providers/${PI}/checkPolicyRestrictions`, PI, "checkPolicyRestrictions", requires(CHECK_RESTRICTIONS, rg), { body: true }, checkPolicyRestrictions),
];
