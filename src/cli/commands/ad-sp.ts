// `cove ad sp create-for-rbac|list|delete`, over Cove's service principal endpoint
// (service-principals.ts) and, for --role/--scopes, role assignments through
// @azure/arm-authorization. Output as az: {appId, displayName, password, tenant}.
// create-for-rbac is idempotent as az's (role/custom.py): a principal with the same display name
// is patched, its secrets are RESET (az deletes every password of the existing application and
// adds one, so the old secret stops working), and an assignment that already exists
// (409 RoleAssignmentExists) is a warning, not a failure.
import { randomUUID } from "node:crypto";
import type { CommandSpec, GroupSpec } from "../command.js";
import { usageError } from "../errors.js";
import { parseNonEmpty, parseScope } from "../flags.js";
import { resolveRoleDefinitionId } from "../role-definitions.js";
import type { Session } from "../session.js";
import {
  addSecret, createServicePrincipal, deleteServicePrincipal, listServicePrincipals, removeSecret, resolveServicePrincipal,
  secretKeyIds, type ServicePrincipal,
} from "../service-principals.js";

export const groups: GroupSpec[] = [
  { name: "ad", summary: "Manage identities of Cove's identity provider." },
  { name: "ad sp", summary: "Manage service principals." },
];

const CREDENTIAL_WARNING = "The output includes credentials that you must protect. Be sure that you do not include these credentials in your code or check the credentials into your source control.";

/** az's `_error_caused_by_role_assignment_exists`: a 409 saying the assignment exists. */
function assignmentExists(e: unknown): boolean {
  const err = e as { statusCode?: number; code?: string; message?: string } | undefined;
  return err?.statusCode === 409 && (err.code === "RoleAssignmentExists" || /role assignment already exists/i.test(String(err.message)));
}

/** A new secret for an existing principal; every older secret is removed afterwards, as az resets them. */
async function resetSecrets(s: Session, sp: ServicePrincipal): Promise<string> {
  const added = await addSecret(s, sp.appId);
  // Added first and removed after, so a failure half-way never leaves the principal without a secret.
  for (const keyId of secretKeyIds(sp)) if (keyId !== added.keyId) await removeSecret(s, sp.appId, keyId);
  return added.secret;
}

const table = (sp: any) => ({ DisplayName: sp.displayName, AppId: sp.appId, ObjectId: sp.objectId });

export const commands: CommandSpec[] = [
  {
    name: "ad sp create-for-rbac",
    summary: "Create a service principal (or reset the secret of the one with this name), optionally assigning it a role on scopes.",
    options: [
      { flags: "-n, --name <name>", description: "Display name of the service principal.", parse: parseNonEmpty, required: true },
      { flags: "--role <role>", description: "Role name or id to assign, e.g. AcrPush (needs --scopes)." },
      { flags: "--scopes <scope...>", description: "Scopes of the role assignment (needs --role).", parse: (v: string, prev: unknown) => [...((prev as string[] | undefined) ?? []), parseScope(v)] },
    ],
    async run(opts, ctx) {
      if ((opts.role === undefined) !== (opts.scopes === undefined)) throw usageError("To create role assignments, specify both --role and --scopes.");
      const s = await ctx.session();
      // Resolve the role before creating anything, so a misspelt role leaves nothing behind.
      const roleId = opts.role !== undefined ? await resolveRoleDefinitionId(s, opts.scopes[0], opts.role) : undefined;
      const existing = (await listServicePrincipals(s)).filter((sp) => sp.displayName === opts.name);
      let sp: ServicePrincipal;
      let password: string;
      if (existing.length > 0) {
        sp = existing[0];
        ctx.warn(`Found an existing application instance: (id) ${sp.appId}. We will patch it.`);
        password = await resetSecrets(s, sp);
      } else {
        const created = await createServicePrincipal(s, opts.name);
        sp = created;
        password = created.password;
      }
      if (roleId !== undefined) {
        for (const scope of opts.scopes as string[]) {
          const id = scope === opts.scopes[0] ? roleId : await resolveRoleDefinitionId(s, scope, opts.role);
          ctx.warn(`Creating '${opts.role}' role assignment under scope '${scope}'`);
          try {
            await s.authorization().roleAssignments.create(scope, randomUUID(), { roleDefinitionId: id, principalId: sp.objectId, principalType: "ServicePrincipal" });
          } catch (e) {
            if (!assignmentExists(e)) throw e;
            ctx.warn("  Role assignment already exists.");
          }
        }
      }
      ctx.warn(CREDENTIAL_WARNING);
      return { appId: sp.appId, displayName: sp.displayName, password, tenant: sp.tenant ?? s.profile.tenantId };
    },
  },
  {
    name: "ad sp list",
    summary: "List service principals (never their secrets).",
    options: [{ flags: "--display-name <name>", description: "Only those with this display name." }],
    table,
    async run(opts, ctx) {
      const s = await ctx.session();
      const all = await listServicePrincipals(s);
      return opts.displayName === undefined ? all : all.filter((sp) => sp.displayName === opts.displayName);
    },
  },
  {
    name: "ad sp delete",
    summary: "Delete a service principal (its role assignments stop granting anything).",
    options: [{ flags: "--id <id>", description: "Application (client) id or object id.", parse: parseNonEmpty, required: true }],
    async run(opts, ctx) {
      const s = await ctx.session();
      const sp = await resolveServicePrincipal(s, opts.id);
      await deleteServicePrincipal(s, sp.appId);
      return undefined;
    },
  },
];
