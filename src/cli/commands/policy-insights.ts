// `cove policy state list|summarize|trigger-scan` and `cove policy remediation create|list|show`
// through @azure/arm-policyinsights 6 (api 2024-10-01), dispatched as az's policyinsights
// custom.py does: -a/--policy-assignment (a name; with -g the group's assignment of that name),
// then -d/--policy-definition, then --resource (an id, or a name with -g --namespace
// --resource-type [--parent]), then -g, else the subscription. `state list` reads the latest
// states unless --all; summarize prints the summary's one entry, as az. A remediation's scope is
// the resource, the group or the subscription, and its --policy-assignment a name or an id.
// Management groups and policy set definitions: not in Cove.
import type { PolicyState, QueryOptions, Remediation } from "@azure/arm-policyinsights";
import type { CommandSpec, GroupSpec, OptionSpec } from "../command.js";
import { usageError } from "../errors.js";
import { choice, parseGroupName, parseLocation, parseNonEmpty } from "../flags.js";
import type { Session } from "../session.js";
import { RESOURCE_FLAGS, parseDateTime, parseTop, resourceIdOf } from "./policy-flags.js";
import { resolveAssignmentId } from "./policy-names.js";

export const groups: GroupSpec[] = [
  { name: "policy state", summary: "Manage policy compliance states." },
  { name: "policy remediation", summary: "Manage resource policy remediations." },
];

const GROUP: OptionSpec = { flags: "-g, --resource-group <group>", description: "Resource group.", parse: parseGroupName };

const QUERY_FLAGS: OptionSpec[] = [
  { flags: "-a, --policy-assignment <name>", description: "Name of a policy assignment (at the subscription, or with -g at the group).", parse: parseNonEmpty },
  { flags: "-d, --policy-definition <name>", description: "Name of a policy definition.", parse: parseNonEmpty },
  { flags: "--from <datetime>", description: "Start of the interval to query (ISO 8601).", parse: parseDateTime },
  { flags: "--to <datetime>", description: "End of the interval to query (ISO 8601).", parse: parseDateTime },
  { flags: "--top <n>", description: "Maximum number of records to return.", parse: parseTop },
  { flags: "--filter <filter>", description: "OData filter, e.g. \"complianceState eq 'NonCompliant'\".", parse: parseNonEmpty },
];

function queryOptions(opts: Record<string, any>): QueryOptions {
  const q: QueryOptions = {};
  if (opts.top !== undefined) q.top = opts.top;
  if (opts.filter !== undefined) q.filter = opts.filter;
  if (opts.orderBy !== undefined) q.orderBy = opts.orderBy;
  if (opts.select !== undefined) q.select = opts.select;
  if (opts.apply !== undefined) q.apply = opts.apply;
  if (opts.expand !== undefined) q.expand = opts.expand;
  if (opts.from !== undefined) q.from = new Date(opts.from);
  if (opts.to !== undefined) q.to = new Date(opts.to);
  return q;
}

async function collect<T>(it: AsyncIterable<T>, top?: number): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (top !== undefined && out.length >= top) break;
  }
  return out;
}

/**
 * The SDK's model types an evaluated expression's expressionValue and targetValue as dictionaries,
 * so "Enabled" arrives as {"0":"E","1":"n",...} and a number or boolean as {}: the details are
 * taken from the response's own JSON instead, row by row (the rows come in the same order).
 */
function keepRawRows(into: Record<string, unknown>[]) {
  return (response: { bodyAsText?: string | null }) => {
    try {
      const value = (JSON.parse(response.bodyAsText ?? "") as { value?: unknown }).value;
      if (Array.isArray(value)) into.push(...(value as Record<string, unknown>[]));
    } catch { /* not JSON: nothing to restore */ }
  };
}

function withRawDetails(rows: PolicyState[], raw: Record<string, unknown>[]): PolicyState[] {
  return rows.map((row, i) => (raw[i]?.policyEvaluationDetails === undefined || raw[i]?.resourceId !== row.resourceId
    ? row
    : { ...row, policyEvaluationDetails: raw[i].policyEvaluationDetails as PolicyState["policyEvaluationDetails"] }));
}

/** The one place (as az's if/elif chain) that says which query a combination of flags means. */
type Target =
  | { kind: "assignment"; name: string; group?: string }
  | { kind: "definition"; name: string }
  | { kind: "resource"; id: string }
  | { kind: "group"; group: string }
  | { kind: "subscription" };

function targetOf(s: Session, opts: Record<string, any>): Target {
  const resource = resourceIdOf(s, opts);
  if (opts.policyAssignment !== undefined) return { kind: "assignment", name: opts.policyAssignment, group: opts.resourceGroup };
  if (opts.policyDefinition !== undefined) return { kind: "definition", name: opts.policyDefinition };
  if (resource) return { kind: "resource", id: resource };
  if (opts.resourceGroup !== undefined) return { kind: "group", group: opts.resourceGroup };
  return { kind: "subscription" };
}

/** Remediations live at a resource, a group or the subscription: az's _build_policy_object_scope, without the leading slash the SDK adds. */
function remediationScope(s: Session, opts: Record<string, any>): string {
  const scope = resourceIdOf(s, opts) ?? (opts.resourceGroup ? `${s.subscriptionScope}/resourceGroups/${opts.resourceGroup}` : s.subscriptionScope);
  return scope.replace(/^\/+/, "");
}

const REMEDIATION_NAME: OptionSpec = { flags: "-n, --name <name>", description: "Name of the remediation.", parse: parseNonEmpty, required: true };

export const commands: CommandSpec[] = [
  {
    name: "policy state list",
    summary: "List policy compliance states (the latest of each resource and assignment unless --all).",
    options: [
      { flags: "--all", description: "All states in the interval instead of the latest only." },
      GROUP,
      ...RESOURCE_FLAGS,
      ...QUERY_FLAGS,
      { flags: "--order-by <clause>", description: "OData ordering, e.g. \"timestamp desc\".", parse: parseNonEmpty },
      { flags: "--select <clause>", description: "OData select, e.g. \"resourceId, complianceState\".", parse: parseNonEmpty },
      { flags: "--apply <clause>", description: "OData apply (aggregations).", parse: parseNonEmpty },
      { flags: "--expand <clause>", description: "PolicyEvaluationDetails: the evaluated expressions and the reason (with --resource).", parse: parseNonEmpty },
    ],
    async run(opts, ctx) {
      const s = await ctx.session();
      const target = targetOf(s, opts);
      // The service expands evaluation details for one resource's states only (the SDK sends $expand there alone).
      if (opts.expand !== undefined && target.kind !== "resource") throw usageError("--expand goes with --resource (and without --policy-assignment or --policy-definition).");
      const kind = opts.all ? "default" : "latest";
      const sub = s.profile.subscriptionId;
      const raw: Record<string, unknown>[] = [];
      const options = { queryOptions: queryOptions(opts), onResponse: keepRawRows(raw) };
      const states = (await s.policyInsights()).policyStates;
      const source: AsyncIterable<PolicyState> =
        target.kind === "assignment" ? (target.group
          ? states.listQueryResultsForResourceGroupLevelPolicyAssignment(kind, sub, target.group, target.name, options)
          : states.listQueryResultsForSubscriptionLevelPolicyAssignment(kind, sub, target.name, options))
        : target.kind === "definition" ? states.listQueryResultsForPolicyDefinition(kind, sub, target.name, options)
        : target.kind === "resource" ? states.listQueryResultsForResource(kind, target.id, options)
        : target.kind === "group" ? states.listQueryResultsForResourceGroup(kind, sub, target.group, options)
        : states.listQueryResultsForSubscription(kind, sub, options);
      return withRawDetails(await collect(source, opts.top), raw);
    },
  },
  {
    name: "policy state summarize",
    summary: "Summarize the latest compliance states: non-compliant resources and policies, per assignment.",
    options: [GROUP, ...RESOURCE_FLAGS, ...QUERY_FLAGS],
    async run(opts, ctx) {
      const s = await ctx.session();
      const target = targetOf(s, opts);
      const sub = s.profile.subscriptionId;
      const options = { queryOptions: queryOptions(opts) };
      const states = (await s.policyInsights()).policyStates;
      const result =
        target.kind === "assignment" ? await (target.group
          ? states.summarizeForResourceGroupLevelPolicyAssignment("latest", sub, target.group, target.name, options)
          : states.summarizeForSubscriptionLevelPolicyAssignment("latest", sub, target.name, options))
        : target.kind === "definition" ? await states.summarizeForPolicyDefinition("latest", sub, target.name, options)
        : target.kind === "resource" ? await states.summarizeForResource("latest", target.id, options)
        : target.kind === "group" ? await states.summarizeForResourceGroup("latest", sub, target.group, options)
        : await states.summarizeForSubscription("latest", sub, options);
      return result.value?.[0];
    },
  },
  {
    name: "policy state trigger-scan",
    summary: "Evaluate the subscription's (or with -g the group's) resources against their assignments now.",
    options: [GROUP, { flags: "--no-wait", description: "Do not wait for the scan to finish." }],
    async run(opts, ctx) {
      const s = await ctx.session();
      const states = (await s.policyInsights()).policyStates;
      const sub = s.profile.subscriptionId;
      // commander turns --no-wait into wait: false.
      if (opts.wait === false) {
        if (opts.resourceGroup) await states.beginTriggerResourceGroupEvaluation(sub, opts.resourceGroup);
        else await states.beginTriggerSubscriptionEvaluation(sub);
        return undefined;
      }
      if (opts.resourceGroup) await states.beginTriggerResourceGroupEvaluationAndWait(sub, opts.resourceGroup, { updateIntervalInMs: 500 });
      else await states.beginTriggerSubscriptionEvaluationAndWait(sub, { updateIntervalInMs: 500 });
      return undefined;
    },
  },
  {
    name: "policy remediation create",
    summary: "Remediate the resources a DeployIfNotExists or Modify assignment finds non-compliant.",
    options: [
      REMEDIATION_NAME,
      { flags: "-a, --policy-assignment <name-or-id>", description: "Name or id of the policy assignment.", parse: parseNonEmpty, required: true },
      GROUP,
      ...RESOURCE_FLAGS,
      { flags: "--definition-reference-id <id>", description: "Reference id of the definition within a policy set assignment.", parse: parseNonEmpty },
      { flags: "--location-filters <location...>", description: "Only resources in these locations (space-separated).", parse: (v: string, prev: unknown) => [...((prev as string[] | undefined) ?? []), parseLocation(v)] },
      { flags: "--resource-discovery-mode <mode>", description: "ExistingNonCompliant (default) or ReEvaluateCompliance.", parse: choice(["ExistingNonCompliant", "ReEvaluateCompliance"]) },
    ],
    async run(opts, ctx) {
      const s = await ctx.session();
      const scope = remediationScope(s, opts);
      const remediation: Remediation = { policyAssignmentId: await resolveAssignmentId(s, opts.policyAssignment) };
      if (opts.definitionReferenceId !== undefined) remediation.policyDefinitionReferenceId = opts.definitionReferenceId;
      if (opts.locationFilters !== undefined) remediation.filters = { locations: opts.locationFilters };
      if (opts.resourceDiscoveryMode !== undefined) remediation.resourceDiscoveryMode = opts.resourceDiscoveryMode;
      return (await s.policyInsights()).remediations.createOrUpdateAtResource(scope, opts.name, remediation);
    },
  },
  {
    name: "policy remediation list",
    summary: "List the remediations of the subscription, a group (-g) or a resource (--resource).",
    options: [GROUP, ...RESOURCE_FLAGS],
    async run(opts, ctx) {
      const s = await ctx.session();
      return collect((await s.policyInsights()).remediations.listForResource(remediationScope(s, opts)));
    },
  },
  {
    name: "policy remediation show",
    summary: "Show a remediation: its state and how many deployments succeeded or failed.",
    options: [REMEDIATION_NAME, GROUP, ...RESOURCE_FLAGS],
    async run(opts, ctx) {
      const s = await ctx.session();
      return (await s.policyInsights()).remediations.getAtResource(remediationScope(s, opts), opts.name);
    },
  },
];

