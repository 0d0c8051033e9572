// The local identity provider (DESIGN.md section 6): the tenant, service principals with client
// secrets, and the access tokens that the management API and /oauth2/exchange accept.
//
// Records (all in the MetadataStore, so several Cove nodes can share them later):
//   /cove/settings/tenant                 type Cove/settings                   {tenantId, subscriptionId}
//   /cove/servicePrincipals/<objectId>    type Cove.Identity/servicePrincipals {appId, objectId, displayName,
//                                           passwordCredentials: [{keyId, hint, startDateTime, secretHash}]}
// A plaintext secret exists only in the response that creates it; the record keeps a salted hash.
// The signing key lives in <dataDir>/keys (tokens.ts).

import { randomBytes, randomUUID } from "node:crypto";
import type { MetadataStore, ResourceRecord } from "../storage/types.js";
import { DomainError } from "../domain/errors.js";
import type { IdentityProvider, Principal } from "../auth/types.js";
import { hashSecret, newSecret, verifySecret, type StoredSecretHash } from "../auth/secrets.js";
import { loadSigningKeys, type TokenKeys } from "../auth/tokens.js";
import { bootstrapOwner, type BootstrapCredentials } from "./bootstrap.js";
import { audiencesOf, type AudienceSet } from "../auth/audiences.js";

export const SETTINGS_ID = "/cove/settings/tenant";
export const SETTINGS_TYPE = "Cove/settings";
export const SERVICE_PRINCIPAL_TYPE = "Cove.Identity/servicePrincipals";
export const SERVICE_PRINCIPALS_ROOT = "/cove/servicePrincipals";
/** Access tokens live an hour, as Entra's default; the response says 3599 so clients renew a second early. */
export const ACCESS_TOKEN_TTL = 3600;
/** A service principal may hold at most this many secrets (bounded records, bounded login work). */
export const MAX_SECRETS = 20;
/** Compared against when a name has fewer secrets than MAX_SECRETS (or none): it matches nothing anyone can send. */
const DUMMY_HASH = hashSecret(randomBytes(32).toString("base64url"));

interface StoredCredential {
  keyId: string;
  /** The first three characters of the secret, as Microsoft Graph shows them. */
  hint: string;
  startDateTime: string;
  secretHash: StoredSecretHash;
}

interface StoredServicePrincipal {
  /**
   * A policy assignment's system-assigned identity (control-plane/policy/assignments.ts): it holds
   * no secret, ever, and lives and dies with its assignment, as an Azure managed identity.
   */
  managedIdentity?: boolean;
  objectId: string;
  appId: string;
  displayName: string;
  createdDateTime: string;
  passwordCredentials: StoredCredential[];
}

/** A service principal as callers see it: never a secret or a hash. */
export interface ServicePrincipalInfo {
  appId: string;
  objectId: string;
  displayName: string;
  createdDateTime: string;
  passwordCredentials: { keyId: string; hint: string; startDateTime: string }[];
  /** A policy assignment's identity: no secrets, deleted with its assignment. */
  managedIdentity?: boolean;
}

export interface CreatedServicePrincipal {
  appId: string;
  objectId: string;
  displayName: string;
  /** The secret: returned once, never stored in plaintext. */
  password: string;
  keyId: string;
  tenant: string;
}

export interface LocalIdentityProvider extends IdentityProvider {
  readonly tenantId: string;
  readonly subscriptionId: string;
  /** Default issuer base, e.g. "https://127.0.0.1:8443" (routes use the Host the client used). */
  readonly issuer: string;
  /** The signing keys; registry tokens (data-plane/registry-auth/mint.ts) are signed with them too. */
  readonly keys: TokenKeys;
  createServicePrincipal(displayName: string): Promise<CreatedServicePrincipal>;
  listServicePrincipals(): Promise<ServicePrincipalInfo[]>;
  /** By application (client) id or object id, case-insensitive. */
  getServicePrincipal(appIdOrObjectId: string): Promise<ServicePrincipalInfo | undefined>;
  deleteServicePrincipal(appIdOrObjectId: string): Promise<boolean>;
  /** undefined when the service principal does not exist. */
  addSecret(appIdOrObjectId: string): Promise<{ keyId: string; secret: string } | undefined>;
  removeSecret(appIdOrObjectId: string, keyId: string): Promise<boolean>;
  /**
   * A signed access token for `principal`. `scope` is what the client asked for
   * ("https://host:8443//.default", "https://containerregistry.azure.net/.default"); its resource
   * becomes `aud`. `issuer` defaults to `<opts.issuer>/<tenant>/v2.0`.
   */
  issueAccessToken(principal: Principal, scope: string, ttlSeconds?: number, issuer?: string): Promise<string>;
  /**
   * Verifies an identity-provider access token for a surface that accepts `audiences`, and says
   * why not: "invalid" (signature, expiry, kind, tenant, deleted principal) or "audience" (a real
   * token of ours, minted for another resource; the principal is named so the refusal is audited).
   */
  checkAccessToken(token: string, audiences: AudienceSet): Promise<AccessTokenCheck>;
  /** Creates the "cove-bootstrap" service principal, Owner of the subscription. */
  bootstrap(): Promise<BootstrapCredentials>;
}

export type AccessTokenCheck =
  | { ok: true; principal: Principal; audience: string }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "audience"; audience: string; principal: Principal };

export interface IdentityProviderOptions {
  meta: MetadataStore;
  dataDir: string;
  /** e.g. "https://127.0.0.1:8443" */
  issuer: string;
}

/** "https://h:8443//.default" -> "https://h:8443/"; "api://x/.default" -> "api://x"; first of several scopes. */
export function resourceFromScope(scope: string): string {
  const first = scope.trim().split(/\s+/).find((s) => s.endsWith("/.default")) ?? scope.trim().split(/\s+/)[0] ?? "";
  return first.endsWith("/.default") ? first.slice(0, -"/.default".length) : first;
}

function info(sp: StoredServicePrincipal): ServicePrincipalInfo {
  return {
    appId: sp.appId,
    objectId: sp.objectId,
    displayName: sp.displayName,
    createdDateTime: sp.createdDateTime,
    passwordCredentials: sp.passwordCredentials.map(({ keyId, hint, startDateTime }) => ({ keyId, hint, startDateTime })),
    ...(sp.managedIdentity ? { managedIdentity: true } : {}),
  };
}

function spRecord(sp: StoredServicePrincipal): ResourceRecord {
  return { id: `${SERVICE_PRINCIPALS_ROOT}/${sp.objectId}`, type: SERVICE_PRINCIPAL_TYPE, body: { ...sp } };
}

function asStored(rec: ResourceRecord): StoredServicePrincipal | undefined {
  const b = rec.body as any;
  if (typeof b?.objectId !== "string" || typeof b?.appId !== "string") return undefined;
  return {
    objectId: b.objectId,
    appId: b.appId,
    displayName: String(b.displayName ?? ""),
    createdDateTime: String(b.createdDateTime ?? ""),
    passwordCredentials: Array.isArray(b.passwordCredentials) ? b.passwordCredentials : [],
    ...(b.managedIdentity === true ? { managedIdentity: true } : {}),
  };
}

function principalOf(sp: StoredServicePrincipal, tenantId: string): Principal {
  return { kind: "servicePrincipal", id: sp.objectId, clientId: sp.appId, displayName: sp.displayName, tenantId };
}

async function loadOrCreateSettings(meta: MetadataStore): Promise<{ tenantId: string; subscriptionId: string }> {
  const existing = await meta.getResource(SETTINGS_ID);
  const b = existing?.body as any;
  if (typeof b?.tenantId === "string" && typeof b?.subscriptionId === "string") return b;
  const settings = { tenantId: randomUUID(), subscriptionId: randomUUID(), createdOn: new Date().toISOString() };
  await meta.putResource({ id: SETTINGS_ID, type: SETTINGS_TYPE, body: settings });
  return settings;
}

export async function createIdentityProvider(opts: IdentityProviderOptions): Promise<LocalIdentityProvider> {
  const { meta } = opts;
  const { tenantId, subscriptionId } = await loadOrCreateSettings(meta);
  const keys = await loadSigningKeys(opts.dataDir);
  const issuerBase = opts.issuer.replace(/\/+$/, "");

  async function find(idOrAppId: string, byObjectId = true): Promise<StoredServicePrincipal | undefined> {
    const want = String(idOrAppId ?? "").toLowerCase();
    if (!/^[0-9a-f-]{36}$/.test(want)) return undefined; // ids are GUIDs: anything else cannot match
    if (byObjectId) {
      const direct = await meta.getResource(`${SERVICE_PRINCIPALS_ROOT}/${want}`);
      const sp = direct && asStored(direct);
      if (sp) return sp;
    }
    for (const rec of await meta.listResources({ type: SERVICE_PRINCIPAL_TYPE, underId: SERVICE_PRINCIPALS_ROOT })) {
      const sp = asStored(rec);
      if (sp && sp.appId.toLowerCase() === want) return sp;
    }
    return undefined;
  }

  function newCredential(): { cred: StoredCredential; secret: string } {
    const secret = newSecret();
    return {
      secret,
      cred: { keyId: randomUUID(), hint: secret.slice(0, 3), startDateTime: new Date().toISOString(), secretHash: hashSecret(secret) },
    };
  }

  const idp: LocalIdentityProvider = {
    tenantId,
    subscriptionId,
    issuer: issuerBase,
    keys,

    async createServicePrincipal(displayName) {
      const name = String(displayName ?? "").trim();
      if (!name || name.length > 256 || /[\u0000-\u001f\u007f]/.test(name)) {
        throw new DomainError("InvalidRequestContent", "displayName must be 1-256 printable characters.");
      }
      const { cred, secret } = newCredential();
      const sp: StoredServicePrincipal = {
        objectId: randomUUID(),
        appId: randomUUID(),
        displayName: name,
        createdDateTime: cred.startDateTime,
        passwordCredentials: [cred],
      };
      await meta.putResource(spRecord(sp));
      return { appId: sp.appId, objectId: sp.objectId, displayName: sp.displayName, password: secret, keyId: cred.keyId, tenant: tenantId };
    },

    async listServicePrincipals() {
      const out: ServicePrincipalInfo[] = [];
      for (const rec of await meta.listResources({ type: SERVICE_PRINCIPAL_TYPE, underId: SERVICE_PRINCIPALS_ROOT })) {
        const sp = asStored(rec);
        if (sp) out.push(info(sp));
      }
      return out;
    },

    async getServicePrincipal(id) {
      const sp = await find(id);
      return sp && info(sp);
    },

    async deleteServicePrincipal(id) {
      const sp = await find(id);
      if (!sp) return false;
      // Role assignments naming it stay, as in Azure (they show an unknown principal); they grant
      // nothing because no credential or token can name this object id again.
      return meta.deleteResource(`${SERVICE_PRINCIPALS_ROOT}/${sp.objectId}`);
    },

    async addSecret(id) {
      const sp = await find(id);
      if (!sp) return undefined;
      if (sp.managedIdentity) throw new DomainError("InvalidRequestContent", "A managed identity holds no secrets.");
      if (sp.passwordCredentials.length >= MAX_SECRETS) {
        throw new DomainError("QuotaExceeded", `A service principal can hold at most ${MAX_SECRETS} secrets; remove one first.`);
      }
      const { cred, secret } = newCredential();
      sp.passwordCredentials.push(cred);
      await meta.putResource(spRecord(sp));
      return { keyId: cred.keyId, secret };
    },

    async removeSecret(id, keyId) {
      const sp = await find(id);
      if (!sp) return false;
      const kept = sp.passwordCredentials.filter((c) => c.keyId.toLowerCase() !== String(keyId).toLowerCase());
      if (kept.length === sp.passwordCredentials.length) return false;
      sp.passwordCredentials = kept;
      await meta.putResource(spRecord(sp));
      return true;
    },

    async verifyClientSecret(clientId, secret) {
      // The same work whatever clientId is (a real appId, an unknown GUID, the admin user's name,
      // junk): one scan of the service principals and MAX_SECRETS hash checks, real or dummy, no
      // early exit. So the time taken does not tell a caller which names exist.
      const want = String(clientId ?? "").toLowerCase();
      const usable = typeof secret === "string" && secret.length > 0 && secret.length <= 1024;
      let sp: StoredServicePrincipal | undefined;
      for (const rec of await meta.listResources({ type: SERVICE_PRINCIPAL_TYPE, underId: SERVICE_PRINCIPALS_ROOT })) {
        const s = asStored(rec);
        if (s && s.appId.toLowerCase() === want) sp = s;
      }
      const creds = sp?.passwordCredentials ?? [];
      const candidate = usable ? secret : "";
      let ok = false;
      for (let i = 0; i < Math.max(MAX_SECRETS, creds.length); i++) {
        const c = creds[i];
        ok = (verifySecret(candidate, c ? c.secretHash : DUMMY_HASH) && c !== undefined) || ok;
      }
      return ok && usable && sp ? principalOf(sp, tenantId) : undefined;
    },

    async checkAccessToken(token, audiences) {
      const claims = await keys.verify(token, { use: "aad_access" });
      if (!claims || String(claims.tid ?? "").toLowerCase() !== tenantId.toLowerCase()) return { ok: false, reason: "invalid" };
      const sp = await find(String(claims.oid ?? ""));
      // A deleted service principal's tokens die with it.
      if (!sp) return { ok: false, reason: "invalid" };
      const principal = principalOf(sp, tenantId);
      const audience = audiencesOf(claims.aud).join(" ");
      // A genuine token minted for another resource: the caller refuses it and says why.
      if (!audiences.accepts(claims.aud)) return { ok: false, reason: "audience", audience, principal };
      return { ok: true, principal, audience };
    },

    async verifyAccessToken(token, audiences) {
      const r = await idp.checkAccessToken(token, audiences);
      return r.ok ? r.principal : undefined;
    },

    async issueAccessToken(principal, scope, ttlSeconds = ACCESS_TOKEN_TTL, issuer) {
      return keys.sign(
        {
          token_use: "aad_access",
          iss: issuer ?? `${issuerBase}/${tenantId}/v2.0`,
          aud: resourceFromScope(scope),
          sub: principal.id,
          oid: principal.id,
          appid: principal.clientId,
          azp: principal.clientId,
          tid: tenantId,
          idtyp: "app",
          ver: "2.0",
        },
        ttlSeconds,
      );
    },

    bootstrap: () => bootstrapOwner(idp, meta),
  };
  return idp;
}
