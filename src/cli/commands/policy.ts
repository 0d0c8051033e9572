// `cove policy definition list|show|create` and `cove policy assignment create|list|show|delete`
// through @azure/arm-policy 7, with az's flags and defaults (az's aaz commands and their
// customisation in azure-cli's resource/policy.py): -n defaults to a generated name, the scope is
// --scope or -g or the subscription, --policy is a name or an id, --params/--rules take JSON, a
// file or az's single-quoted shorthand, `definition create --mode` defaults to Indexed, and lists
// keep what is made exactly at the scope unless -d (az's atExactScope() / atScopeAndBelow()).
// Output is the SDK's flattened model, as az prints it; az has no table view of its own for these,
// so `-o table` is its automatic one. Management groups and policy set definitions: not in Cove.
// az's `definition create --version` is not offered: commander reads --version anywhere on the
// line as the program's own (`cove --version`).
import { randomUUID } from "node:crypto";
import type { PolicyAssignment, PolicyDefinition } from "@azure/arm-policy";
import type { CommandContext, CommandSpec, GroupSpec } from "../command.js";
import { CliError, usageError } from "../errors.js";
import { choice, parseLocation, parseNonEmpty } from "../flags.js";
import { resolveRoleDefinitionId } from "../role-definitions.js";
import type { Session } from "../session.js";
import {
  SCOPE_FLAGS, atScope, checkScope, definitionAsAz, generatedName, jsonObjectFlag, nameParser, notScopesOf, parameterDefinitionsFlag,
  parameterValuesFlag, sameSubscription, scopeOf, scopeParts, sdkScope, toSdkParameters,
} from "./policy-flags.js";
import { resolvePolicyId, showDefinition } from "./policy-names.js";

export const groups: GroupSpec[] = [
  { name: "policy", summary: "Manage resources defined and used by the Azure Policy service." },
  { name: "policy definition", summary: "Manage resource policy definitions." },
  { name: "policy assignment", summary: "Manage resource policy assignments." },
];

const ASSIGNMENTS = "/providers/Microsoft.Authorization/policyAssignments/";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const assignmentScope = (a: PolicyAssignment) => a.scope ?? (a.id ?? "").slice(0, Math.max(0, (a.id ?? "").toLowerCase().lastIndexOf(ASSIGNMENTS.toLowerCase())));

/**
 * az sends atExactScope() (atScopeAndBelow() with -d); the answer is the same when the unfiltered
 * list (at, above and below the scope) is matched to the scope here, and every ARM server gives
 * that one. A --filter is sent as given.
 */
async function listAssignments(s: Session, opts: Record<string, any>): Promise<PolicyAssignment[]> {
  const scope = scopeOf(s, opts);
  sameSubscription(s, scope);
  const { group, resource } = scopeParts(scope);
  const client = (await s.policy()).policyAssignments;
  const filter = opts.filter === undefined ? {} : { filter: opts.filter as string };
  // A resource's own list has no usable URL in this SDK (it writes "{namespace}//{type}" for a
  // resource without a parent): its group's list holds the resource's assignments too.
  const all = await collect(group ? client.listForResourceGroup(group, resource ? {} : filter) : client.list(filter));
  return opts.filter === undefined || resource ? atScope(all, scope, opts.disableScopeStrictMatch === true, assignmentScope) : all;
}

/** az's --role and --identity-scope: the new assignment's system-assigned identity is granted the role there (Contributor by default). */
async function grantIdentity(s: Session, ctx: CommandContext, created: PolicyAssignment, identityScope: string, role: string): Promise<void> {
  const principalId = created.identity?.principalId;
  if (!principalId) throw new CliError(`The policy assignment '${created.name}' was created, but it has no system-assigned identity to grant '${role}' to at '${identityScope}'.`);
  const roleDefinitionId = await resolveRoleDefinitionId(s, identityScope, role);
  ctx.debug(`granting ${role} at ${identityScope} to the assignment's identity ${principalId}`);
  await s.authorization().roleAssignments.create(identityScope, randomUUID(), { roleDefinitionId, principalId, principalType: "ServicePrincipal" });
}

const NAME_FLAG = { flags: "-n, --name <name>", description: "Name of the policy assignment.", parse: nameParser("assignment"), required: true };

export const commands: CommandSpec[] = [
  {
    name: "policy definition list",
    summary: "List policy definitions: the built-ins and the subscription's own.",
    options: [{ flags: "--filter <filter>", description: "OData filter, e.g. \"policyType eq 'BuiltIn'\" or atExactScope().", parse: parseNonEmpty }],
    async run(opts, ctx) {
      const s = await ctx.session();
      return (await collect((await s.policy()).policyDefinitions.list(opts.filter ? { filter: opts.filter } : {}))).map(definitionAsAz);
    },
  },
  {
    name: "policy definition show",
    summary: "Show a policy definition (a built-in's name is its GUID).",
    options: [{ flags: "-n, --name <name>", description: "Name of the policy definition.", parse: nameParser("definition"), required: true }],
    async run(opts, ctx) {
      return definitionAsAz(await showDefinition(await ctx.session(), opts.name));
    },
  },
  {
    name: "policy definition create",
    summary: "Create a custom policy definition in the subscription.",
    options: [
      { flags: "-n, --name <name>", description: "Name of the policy definition.", parse: nameParser("definition"), required: true },
      { flags: "--rules <json>", description: "Policy rule: JSON, a file path or @file (az's 'single-quoted' shorthand too).", required: true },
      { flags: "-p, --params <json>", description: "Parameter definitions: JSON, a file path or @file." },
      { flags: "--display-name <name>", description: "Display name.", parse: parseNonEmpty },
      { flags: "--description <text>", description: "Description." },
      { flags: "-m, --mode <mode>", description: "All or Indexed (default Indexed, as az).", parse: choice(["All", "Indexed"]), defaultValue: "Indexed" },
      { flags: "--metadata <json>", description: "Metadata object: JSON, a file path or @file." },
    ],
    async run(opts, ctx) {
      const definition: PolicyDefinition = { policyRule: jsonObjectFlag("--rules", opts.rules), mode: opts.mode };
      if (opts.params !== undefined) definition.parameters = toSdkParameters(parameterDefinitionsFlag(opts.params)) as PolicyDefinition["parameters"];
      if (opts.metadata !== undefined) definition.metadata = jsonObjectFlag("--metadata", opts.metadata);
      if (opts.displayName !== undefined) definition.displayName = opts.displayName;
      if (opts.description !== undefined) definition.description = opts.description;
      const s = await ctx.session();
      return definitionAsAz(await (await s.policy()).policyDefinitions.createOrUpdate(opts.name, definition));
    },
  },
  {
    name: "policy assignment create",
    summary: "Assign a policy definition at a scope (subscription, resource group or resource).",
    options: [
      { ...NAME_FLAG, required: false, description: "Name of the policy assignment (default: generated, as az)." },
      ...SCOPE_FLAGS,
      { flags: "--policy <name-or-id>", description: "Name or id of the policy definition to assign.", parse: parseNonEmpty },
      { flags: "-p, --params <json>", description: "Parameter values, e.g. '{\"effect\":{\"value\":\"Deny\"}}': JSON, a file path or @file." },
      { flags: "--not-scopes <scope...>", description: "Scopes excluded from the assignment (space-separated)." },
      { flags: "-e, --enforcement-mode <mode>", description: "Default or DoNotEnforce (evaluate without denying or modifying).", parse: choice(["Default", "DoNotEnforce"]), defaultValue: "Default" },
      { flags: "--display-name <name>", description: "Display name.", parse: parseNonEmpty },
      { flags: "--description <text>", description: "Description." },
      { flags: "--metadata <json>", description: "Metadata object: JSON, a file path or @file." },
      { flags: "--mi-system-assigned", description: "Give the assignment a system-assigned managed identity (needed by Modify and DeployIfNotExists)." },
      { flags: "--identity-scope <scope>", description: "Grant the identity --role at this scope." },
      { flags: "--role <role>", description: "Role granted to the identity at --identity-scope (default Contributor).", parse: parseNonEmpty },
      { flags: "-l, --location <location>", description: "Location of the assignment (required with a managed identity).", parse: parseLocation },
    ],
    async run(opts, ctx) {
      if (opts.policy === undefined) throw usageError("usage error: --policy NAME_OR_ID | --policy-set-definition NAME_OR_ID");
      const identityScope = opts.identityScope === undefined ? undefined : checkScope("--identity-scope", opts.identityScope);
      // az: --identity-scope, --location or --role imply a system-assigned identity.
      const identity = opts.miSystemAssigned === true || identityScope !== undefined || opts.location !== undefined || opts.role !== undefined;
      if (identity && opts.location === undefined) throw usageError("--location is required when the policy assignment has a managed identity (--mi-system-assigned, --identity-scope or --role).");
      if (opts.role !== undefined && identityScope === undefined) ctx.warn("--role is granted only with --identity-scope; no role was assigned.");
      const assignment: PolicyAssignment = { enforcementMode: opts.enforcementMode };
      if (opts.params !== undefined) assignment.parameters = parameterValuesFlag(opts.params);
      if (opts.metadata !== undefined) assignment.metadata = jsonObjectFlag("--metadata", opts.metadata);
      const notScopes = notScopesOf(opts.notScopes);
      if (notScopes) assignment.notScopes = notScopes;
      if (opts.displayName !== undefined) assignment.displayName = opts.displayName;
      if (opts.description !== undefined) assignment.description = opts.description;
      if (identity) {
        assignment.identity = { type: "SystemAssigned" };
        assignment.location = opts.location;
      }
      const s = await ctx.session();
      const scope = scopeOf(s, opts);
      assignment.policyDefinitionId = await resolvePolicyId(s, opts.policy);
      const created = await (await s.policy()).policyAssignments.create(sdkScope(scope), opts.name ?? generatedName(), assignment);
      if (identityScope) await grantIdentity(s, ctx, created, identityScope, opts.role ?? "Contributor");
      return created;
    },
  },
  {
    name: "policy assignment list",
    summary: "List policy assignments made at a scope (default: the subscription); with -d also those that apply from above and those below.",
    options: [
      ...SCOPE_FLAGS,
      { flags: "-d, --disable-scope-strict-match", description: "Include assignments inherited from parent scopes and those at child scopes." },
      { flags: "--filter <filter>", description: "OData filter sent as given, e.g. \"policyDefinitionId eq '<id>'\".", parse: parseNonEmpty },
    ],
    async run(opts, ctx) {
      return listAssignments(await ctx.session(), opts);
    },
  },
  {
    name: "policy assignment show",
    summary: "Show a policy assignment.",
    options: [NAME_FLAG, ...SCOPE_FLAGS],
    async run(opts, ctx) {
      const s = await ctx.session();
      return (await s.policy()).policyAssignments.get(sdkScope(scopeOf(s, opts)), opts.name);
    },
  },
  {
    name: "policy assignment delete",
    summary: "Delete a policy assignment.",
    options: [NAME_FLAG, ...SCOPE_FLAGS],
    async run(opts, ctx) {
      const s = await ctx.session();
      await (await s.policy()).policyAssignments.delete(sdkScope(scopeOf(s, opts)), opts.name);
      return undefined;
    },
  },
];
