// Who is calling the registry: parses the Authorization header and resolves a username/password
// pair as ACR does (acr-networking.md 5.1):
//   00000000-0000-0000-0000-000000000000 / <ACR refresh token>   the null GUID: the password is a refresh token
//   <registry admin username> / <password or password2>         only while adminUserEnabled
//   <service principal appId> / <client secret>
// and what each principal may do on a registry.

import type { LocalIdentityProvider } from "../../identity/identity-provider.js";
import type { AccessControl, Principal, RegistryAction } from "../../auth/types.js";
import type { RegistryView } from "../../domain/registry.js";
import type { MetadataStore } from "../../storage/types.js";
import { safeEqual } from "../../auth/secrets.js";
import { MAX_TOKEN_LENGTH } from "../../auth/tokens.js";

export const NULL_GUID = "00000000-0000-0000-0000-000000000000";
export const ADMIN_CREDENTIALS_TYPE = "Cove/registryAdminCredentials";
export const ANONYMOUS: Principal = { kind: "anonymous", id: "anonymous" };

export type Presented =
  | { scheme: "none" }
  | { scheme: "bearer"; token: string }
  | { scheme: "basic"; username: string; password: string }
  | { scheme: "invalid" };

export function parseAuthorization(header: string | string[] | undefined): Presented {
  if (header === undefined || header === "") return { scheme: "none" };
  if (typeof header !== "string" || header.length > MAX_TOKEN_LENGTH + 16) return { scheme: "invalid" };
  const m = /^(\w+)\s+(\S+)\s*$/.exec(header);
  if (!m) return { scheme: "invalid" };
  const scheme = m[1]!.toLowerCase();
  if (scheme === "bearer") return { scheme: "bearer", token: m[2]! };
  if (scheme !== "basic") return { scheme: "invalid" };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(m[2]!)) return { scheme: "invalid" };
  const decoded = Buffer.from(m[2]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return { scheme: "invalid" };
  return { scheme: "basic", username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface CredentialDeps {
  meta: MetadataStore;
  idp: LocalIdentityProvider;
  access: AccessControl;
}

/** The principal named by a verified ACR refresh token for this registry (its service principal must still exist). */
export async function principalFromRefreshToken(deps: CredentialDeps, token: string, registry: RegistryView): Promise<Principal | undefined> {
  const claims = await deps.idp.keys.verify(token, { use: "acr_refresh", audience: registry.loginServer });
  if (!claims || typeof claims.sub !== "string") return undefined;
  if (String(claims.tenant ?? "").toLowerCase() !== deps.idp.tenantId.toLowerCase()) return undefined;
  const sp = await deps.idp.getServicePrincipal(claims.sub);
  if (!sp || sp.objectId.toLowerCase() !== claims.sub.toLowerCase()) return undefined;
  return { kind: "servicePrincipal", id: sp.objectId, clientId: sp.appId, displayName: sp.displayName, tenantId: deps.idp.tenantId };
}

// The same work for every user name, whether it is this registry's admin user (enabled or not), an
// appId or anything else: the admin record is always read, the name and both passwords always
// compared in constant time, and the service principals always searched (identity-provider.ts
// verifyClientSecret does fixed work too). Only then is the answer chosen.
const NO_PASSWORD = "\u0000cove-no-admin-password";

async function adminPrincipal(deps: CredentialDeps, registry: RegistryView, username: string, password: string): Promise<Principal | undefined> {
  const rec = await deps.meta.getResource(`${registry.id}/adminCredentials`);
  const body = rec?.body as { username?: unknown; passwords?: unknown } | undefined;
  const name = typeof body?.username === "string" ? body.username : "";
  const stored = Array.isArray(body?.passwords) ? body!.passwords as { value?: unknown }[] : [];
  const nameOk = safeEqual(name.toLowerCase(), username.toLowerCase()) && name.length > 0;
  let ok = false;
  for (let i = 0; i < 2; i++) {
    // Both passwords are compared (no early exit): the time taken says nothing about which matched.
    const p = stored[i];
    const value = p && typeof p.value === "string" && p.value.length > 0 ? p.value : undefined;
    ok = (safeEqual(value ?? NO_PASSWORD, password) && value !== undefined) || ok;
  }
  return ok && nameOk && registry.adminUserEnabled ? { kind: "adminUser", id: name } : undefined;
}

/** Resolves a username/password pair; undefined when it names no one or the password is wrong. */
export async function principalFromPassword(deps: CredentialDeps, registry: RegistryView, username: string, password: string): Promise<Principal | undefined> {
  if (!username || !password || username.length > 256 || password.length > MAX_TOKEN_LENGTH) return undefined;
  if (username === NULL_GUID) return principalFromRefreshToken(deps, password, registry);
  const [admin, sp] = await Promise.all([adminPrincipal(deps, registry, username, password), deps.idp.verifyClientSecret(username, password)]);
  return admin ?? sp;
}

/**
 * What `principal` may do on `registry` now: role assignments for service principals, everything
 * for the admin user while it is enabled, pull for anonymous callers while anonymous pull is on.
 */
export async function registryActionsOf(deps: CredentialDeps, principal: Principal, registry: RegistryView): Promise<Set<RegistryAction>> {
  switch (principal.kind) {
    case "servicePrincipal":
      return deps.access.registryActions(principal, registry.id);
    case "adminUser":
      return new Set<RegistryAction>(registry.adminUserEnabled ? ["pull", "push", "delete"] : []);
    case "anonymous":
      return new Set<RegistryAction>(registry.anonymousPullEnabled ? ["pull"] : []);
    default:
      return new Set();
  }
}

/** The catalog is listed by anyone who may pull, except anonymous callers (ACR's anonymous pull covers content only). */
export function mayListCatalog(principal: Principal, actions: Set<RegistryAction>): boolean {
  return principal.kind !== "anonymous" && (actions.has("pull") || actions.has("*"));
}
