// `cove role assignment create|list|delete` through @azure/arm-authorization. --assignee takes
// an appId or an objectId (resolved through Cove's service principal endpoint, as az resolves
// through Graph); --role takes a name or an id. Listings add principalName and
// roleDefinitionName, as az does (for a service principal az's principalName is its first
// servicePrincipalName, the appId), and principalDisplayName, so the table can name who holds a
// role next to the principal's id. --scope lists as az's list_for_scope(atScope()): assignments
// at the scope, and with --include-inherited also those at its parents (resource group,
// subscription), whose rights flow down to it.
import { randomUUID } from "node:crypto";
import type { RoleAssignment } from "@azure/arm-authorization";
import type { CommandSpec, GroupSpec } from "../command.js";
import { usageError } from "../errors.js";
import { parseNonEmpty, parseScope } from "../flags.js";
import { resolveRoleDefinitionId, roleNames } from "../role-definitions.js";
import { listServicePrincipals, resolveServicePrincipal } from "../service-principals.js";
import type { Session } from "../session.js";

export const groups: GroupSpec[] = [
  { name: "role", summary: "Manage role-based access control." },
  { name: "role assignment", summary: "Manage role assignments." },
];

const same = (a: string | undefined, b: string | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
const guidOf = (id: string | undefined) => id?.split("/").pop()?.toLowerCase() ?? "";

interface Filter { assignee?: string; role?: string; scope?: string; all?: boolean; includeInherited?: boolean }

/** True when `parent` is `child` or one of its ancestors in the ARM scope tree (whole segments, any case). */
function covers(parent: string | undefined, child: string): boolean {
  const p = (parent ?? "").toLowerCase().replace(/\/+$/, "");
  const c = child.toLowerCase();
  return p !== "" && (c === p || c.startsWith(p + "/"));
}

/** Assignments matching the filters; without --all and --scope only those made at the subscription itself, as az. */
async function matching(s: Session, f: Filter): Promise<RoleAssignment[]> {
  const principalId = f.assignee ? (await resolveServicePrincipal(s, f.assignee)).objectId : undefined;
  const roleId = f.role ? await resolveRoleDefinitionId(s, f.scope ?? s.subscriptionScope, f.role) : undefined;
  const scope = f.all ? undefined : f.scope ?? (f.assignee ? undefined : s.subscriptionScope);
  const client = s.authorization().roleAssignments;
  // atScope(): the scope and its parents; a registry scope also sees what a parent grants.
  const source = scope ? client.listForScope(scope, { filter: "atScope()" }) : client.listForSubscription();
  const out: RoleAssignment[] = [];
  for await (const a of source) {
    if (principalId && !same(a.principalId, principalId)) continue;
    if (roleId && guidOf(a.roleDefinitionId) !== guidOf(roleId)) continue;
    if (scope && !(f.includeInherited ? covers(a.scope, scope) : same(a.scope, scope))) continue;
    out.push(a);
  }
  return out;
}

async function enrich(s: Session, list: RoleAssignment[]): Promise<Record<string, unknown>[]> {
  const names = await roleNames(s);
  const sps = new Map((await listServicePrincipals(s)).map((sp) => [String(sp.objectId).toLowerCase(), sp]));
  return list.map((a) => {
    const sp = sps.get((a.principalId ?? "").toLowerCase());
    return {
      ...a,
      principalName: sp?.appId ?? "",
      principalDisplayName: sp?.displayName ?? "",
      roleDefinitionName: names.get(guidOf(a.roleDefinitionId)) ?? "",
    };
  });
}

/** az's columns (Principal, Role, Scope), with the principal's display name beside its object id. */
const table = (a: any) => ({ Principal: a.principalDisplayName, PrincipalId: a.principalId, Role: a.roleDefinitionName, Scope: a.scope });

export const commands: CommandSpec[] = [
  {
    name: "role assignment create",
    summary: "Grant a role to a service principal at a scope.",
    options: [
      { flags: "--assignee <id>", description: "appId or objectId of the service principal.", parse: parseNonEmpty, required: true },
      { flags: "--role <role>", description: "Role name (e.g. AcrPull) or role definition id.", parse: parseNonEmpty, required: true },
      { flags: "--scope <scope>", description: "Scope, e.g. /subscriptions/<id>/resourceGroups/<group>.", parse: parseScope, required: true },
    ],
    async run(opts, ctx) {
      const s = await ctx.session();
      const sp = await resolveServicePrincipal(s, opts.assignee);
      const roleDefinitionId = await resolveRoleDefinitionId(s, opts.scope, opts.role);
      return s.authorization().roleAssignments.create(opts.scope, randomUUID(), { roleDefinitionId, principalId: sp.objectId, principalType: "ServicePrincipal" });
    },
  },
  {
    name: "role assignment list",
    summary: "List role assignments (at the subscription itself unless --scope, --assignee or --all; parents' too with --include-inherited).",
    options: [
      { flags: "--assignee <id>", description: "appId or objectId of the service principal.", parse: parseNonEmpty },
      { flags: "--role <role>", description: "Role name or id.", parse: parseNonEmpty },
      { flags: "--scope <scope>", description: "Only assignments made at exactly this scope.", parse: parseScope },
      { flags: "--include-inherited", description: "Also assignments at the parent scopes of --scope (resource group, subscription), which apply to it." },
      { flags: "--all", description: "Assignments at every scope of the subscription." },
    ],
    table,
    async run(opts, ctx) {
      if (opts.all && (opts.scope !== undefined || opts.includeInherited)) throw usageError("--all cannot be combined with --scope or --include-inherited.");
      const s = await ctx.session();
      return enrich(s, await matching(s, opts));
    },
  },
  {
    name: "role assignment delete",
    summary: "Delete role assignments by id, or those matching --assignee/--role/--scope.",
    options: [
      { flags: "--ids <id...>", description: "Full ids of role assignments.", parse: (v: string, prev: unknown) => [...((prev as string[] | undefined) ?? []), parseScope(v)] },
      { flags: "--assignee <id>", description: "appId or objectId of the service principal.", parse: parseNonEmpty },
      { flags: "--role <role>", description: "Role name or id.", parse: parseNonEmpty },
      { flags: "--scope <scope>", description: "Scope of the assignments.", parse: parseScope },
    ],
    async run(opts, ctx) {
      const byFilter = opts.assignee !== undefined || opts.role !== undefined || opts.scope !== undefined;
      if (opts.ids && byFilter) throw usageError("--ids cannot be combined with --assignee, --role or --scope.");
      if (!opts.ids && !byFilter) throw usageError("Please provide --ids, or at least one of --assignee, --role and --scope.");
      const s = await ctx.session();
      const ids: string[] = opts.ids ?? (await matching(s, { ...opts, all: opts.scope === undefined })).map((a) => a.id!);
      if (ids.length === 0) ctx.warn("No matched assignments were found to delete");
      for (const id of ids) await s.authorization().roleAssignments.deleteById(id);
      return undefined;
    },
  },
];
