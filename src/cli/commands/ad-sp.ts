// `cove ad sp create-for-rbac|list|delete`, over Cove's service principal endpoint
// (service-principals.ts) and, for --role/--scopes, role assignments through
// @azure/arm-authorization. Output as az: {appId, displayName, password, tenant}.
import { randomUUID } from "node:crypto";
import type { CommandSpec, GroupSpec } from "../command.js";
import { usageError } from "../errors.js";
import { parseNonEmpty, parseScope } from "../flags.js";
import { resolveRoleDefinitionId } from "../role-definitions.js";
import { addSecret, createServicePrincipal, deleteServicePrincipal, listServicePrincipals, resolveServicePrincipal, type ServicePrincipal } from "../service-principals.js";

export const groups: GroupSpec[] = [
  { name: "ad", summary: "Manage identities of Cove's identity provider." },
  { name: "ad sp", summary: "Manage service principals." },
];

const CREDENTIAL_WARNING = "The output includes credentials that you must protect. Be sure that you do not include these credentials in your code or check the credentials into your source control.";

const table = (sp: any) => ({ DisplayName: sp.displayName, AppId: sp.appId, ObjectId: sp.objectId });

export const commands: CommandSpec[] = [
  {
    name: "ad sp create-for-rbac",
    summary: "Create a service principal (or add a secret to the one with this name), optionally assigning it a role on scopes.",
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
        password = await addSecret(s, sp.appId);
      } else {
        const created = await createServicePrincipal(s, opts.name);
        sp = created;
        password = created.password;
      }
      if (roleId !== undefined) {
        for (const scope of opts.scopes as string[]) {
          const id = scope === opts.scopes[0] ? roleId : await resolveRoleDefinitionId(s, scope, opts.role);
          await s.authorization().roleAssignments.create(scope, randomUUID(), { roleDefinitionId: id, principalId: sp.objectId, principalType: "ServicePrincipal" });
          ctx.warn(`Creating '${opts.role}' role assignment under scope '${scope}'`);
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
