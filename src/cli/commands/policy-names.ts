// Names on the command line -> the policy resources they mean, as az resolves them: --policy of
// an assignment is a name or an id (a name, or an id that is not a subscription's, is looked up as
// `policy definition show` does: built-in first, then the subscription's own), and
// --policy-assignment of a remediation or exemption is a name (found by listing the
// subscription's assignments, as az's _get_policy_assignment_id) or an id.
import type { PolicyDefinition } from "@azure/arm-policy";
import { CliError, notFound, usageError } from "../errors.js";
import { EXIT_NOT_FOUND } from "../exit-codes.js";
import type { Session } from "../session.js";

const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode;

/** `policy definition show -n`: the built-in of that name, else the subscription's custom definition. */
export async function showDefinition(s: Session, name: string): Promise<PolicyDefinition> {
  const client = await s.policy();
  try {
    return await client.policyDefinitions.getBuiltIn(name);
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
  return client.policyDefinitions.get(name);
}

/** The definition id for --policy: a subscription's definition id is used as given; anything else is looked up by its last segment. */
export async function resolvePolicyId(s: Session, policy: string): Promise<string> {
  if (/^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/policyDefinitions\/[^/]+$/i.test(policy)) return policy;
  const name = policy.replace(/\/+$/, "").split("/").pop() ?? "";
  try {
    const d = await showDefinition(s, name);
    if (d.id) return d.id;
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
  throw new CliError(`Invalid value in --policy: '${policy}': no built-in policy definition and no definition of subscription '${s.profile.subscriptionId}' has that name.`, EXIT_NOT_FOUND, "PolicyDefinitionNotFound");
}

/** The assignment id for --policy-assignment: an id as given, a name found in the subscription's unfiltered list. */
export async function resolveAssignmentId(s: Session, assignment: string): Promise<string> {
  if (assignment.startsWith("/")) {
    if (!/\/providers\/Microsoft\.Authorization\/policyAssignments\/[^/]+$/i.test(assignment)) {
      throw usageError(`Invalid value in --policy-assignment: '${assignment}' is not the id of a policy assignment.`);
    }
    return assignment;
  }
  const client = await s.policy();
  const ids: string[] = [];
  for await (const a of client.policyAssignments.list()) {
    if (a.name?.toLowerCase() === assignment.toLowerCase() && a.id) ids.push(a.id);
  }
  if (ids.length === 0) throw notFound(`No policy assignment with the name '${assignment}' found.`, "PolicyAssignmentNotFound");
  if (ids.length > 1) throw usageError(`Multiple policy assignment with the name '${assignment}' found. Specify the policy assignment ID.`);
  return ids[0];
}
