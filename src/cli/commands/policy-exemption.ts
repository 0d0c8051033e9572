// `cove policy exemption create|list|show|delete` through @azure/arm-policy 5.1 (the last release
// of the SDK with policyExemptions; api 2020-07-01-preview). az's flags: -a/--policy-assignment
// (an id, or a name found in the subscription as remediation's is), -e/--exemption-category
// Waiver|Mitigated, --expires-on (UTC ISO 8601), -r/--policy-definition-reference-ids; -n
// defaults to a generated name, the scope is --scope, -g or the subscription. az prints expiresOn
// with "+00:00" (its AdjustUTCFormat), and so does this.
import type { PolicyExemption } from "@azure/arm-policy-5";
import type { CommandSpec, GroupSpec } from "../command.js";
import { choice, parseNonEmpty } from "../flags.js";
import type { Session } from "../session.js";
import { SCOPE_FLAGS, atScope, azTime, generatedName, jsonObjectFlag, nameParser, parseDateTime, sameSubscription, scopeOf, scopeParts } from "./policy-flags.js";
import { resolveAssignmentId } from "./policy-names.js";

export const groups: GroupSpec[] = [{ name: "policy exemption", summary: "Manage resource policy exemptions." }];

const EXEMPTIONS = "/providers/Microsoft.Authorization/policyExemptions/";

const NAME_FLAG = { flags: "-n, --name <name>", description: "Name of the policy exemption.", parse: nameParser("exemption"), required: true };

/** The exemption as az prints it: the SDK's model with expiresOn in az's "+00:00" form. */
function asAz(e: PolicyExemption): Record<string, unknown> {
  const out: Record<string, unknown> = { ...e };
  if (e.expiresOn !== undefined) out.expiresOn = azTime(e.expiresOn);
  return out;
}

const exemptionScope = (e: PolicyExemption) => {
  const id = e.id ?? "";
  const at = id.toLowerCase().lastIndexOf(EXEMPTIONS.toLowerCase());
  return at < 0 ? id : id.slice(0, at);
};

/** As assignment list: the unfiltered list, matched to the scope here (az's atExactScope(), or with -d atScopeAndBelow()). */
async function listExemptions(s: Session, opts: Record<string, any>): Promise<PolicyExemption[]> {
  const scope = scopeOf(s, opts);
  sameSubscription(s, scope);
  const { group, resource } = scopeParts(scope);
  const client = (await s.policyExemptions()).policyExemptions;
  const filter = opts.filter === undefined ? {} : { filter: opts.filter as string };
  const source = group ? client.listForResourceGroup(group, resource ? {} : filter) : client.list(filter);
  const all: PolicyExemption[] = [];
  for await (const e of source) all.push(e);
  return opts.filter === undefined || resource ? atScope(all, scope, opts.disableScopeStrictMatch === true, exemptionScope) : all;
}

export const commands: CommandSpec[] = [
  {
    name: "policy exemption create",
    summary: "Exempt a scope from a policy assignment (Waiver or Mitigated), optionally until --expires-on.",
    options: [
      { ...NAME_FLAG, required: false, description: "Name of the policy exemption (default: generated, as az)." },
      ...SCOPE_FLAGS,
      { flags: "-a, --policy-assignment <id-or-name>", description: "The policy assignment to exempt from: its id (or its name in the subscription).", parse: parseNonEmpty, required: true },
      { flags: "-e, --exemption-category <category>", description: "Waiver or Mitigated.", parse: choice(["Waiver", "Mitigated"]), required: true },
      { flags: "--expires-on <datetime>", description: "Expiry in UTC ISO 8601, e.g. 2026-01-31T23:00:00Z.", parse: parseDateTime },
      { flags: "--display-name <name>", description: "Display name.", parse: parseNonEmpty },
      { flags: "--description <text>", description: "Description (why the exemption was granted)." },
      { flags: "-r, --policy-definition-reference-ids <id...>", description: "Reference ids within a policy set assignment." },
      { flags: "--metadata <json>", description: "Metadata object: JSON, a file path or @file." },
    ],
    async run(opts, ctx) {
      const metadata = opts.metadata === undefined ? undefined : jsonObjectFlag("--metadata", opts.metadata);
      const s = await ctx.session();
      const scope = scopeOf(s, opts);
      const exemption: PolicyExemption = {
        policyAssignmentId: await resolveAssignmentId(s, opts.policyAssignment),
        exemptionCategory: opts.exemptionCategory,
      };
      if (opts.expiresOn !== undefined) exemption.expiresOn = new Date(opts.expiresOn);
      if (opts.displayName !== undefined) exemption.displayName = opts.displayName;
      if (opts.description !== undefined) exemption.description = opts.description;
      if (opts.policyDefinitionReferenceIds !== undefined) exemption.policyDefinitionReferenceIds = opts.policyDefinitionReferenceIds;
      if (metadata !== undefined) exemption.metadata = metadata;
      return asAz(await (await s.policyExemptions()).policyExemptions.createOrUpdate(scope, opts.name ?? generatedName(), exemption));
    },
  },
  {
    name: "policy exemption list",
    summary: "List policy exemptions made at a scope (default: the subscription); with -d also those from above and below.",
    options: [
      ...SCOPE_FLAGS,
      { flags: "-d, --disable-scope-strict-match", description: "Include exemptions inherited from parent scopes and those at child scopes." },
      { flags: "--filter <filter>", description: "OData filter sent as given, e.g. excludeExpired() or \"policyAssignmentId eq '<id>'\".", parse: parseNonEmpty },
    ],
    async run(opts, ctx) {
      return (await listExemptions(await ctx.session(), opts)).map(asAz);
    },
  },
  {
    name: "policy exemption show",
    summary: "Show a policy exemption.",
    options: [NAME_FLAG, ...SCOPE_FLAGS],
    async run(opts, ctx) {
      const s = await ctx.session();
      return asAz(await (await s.policyExemptions()).policyExemptions.get(scopeOf(s, opts), opts.name));
    },
  },
  {
    name: "policy exemption delete",
    summary: "Delete a policy exemption.",
    options: [NAME_FLAG, ...SCOPE_FLAGS],
    async run(opts, ctx) {
      const s = await ctx.session();
      await (await s.policyExemptions()).policyExemptions.delete(scopeOf(s, opts), opts.name);
      return undefined;
    },
  },
];
