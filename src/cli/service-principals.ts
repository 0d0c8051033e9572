// Client of Cove's service principal endpoint (docs/identity.md), which stands in for
// Microsoft Graph: POST/GET /cove/identity/servicePrincipals, GET/DELETE .../{appId},
// POST .../{appId}/secrets, DELETE .../{appId}/secrets/{keyId}.
import { CliError, notFound } from "./errors.js";
import type { Session } from "./session.js";

export interface ServicePrincipal {
  appId: string;
  objectId: string;
  displayName: string;
  tenant?: string;
  [k: string]: unknown;
}

export interface CreatedServicePrincipal extends ServicePrincipal {
  password: string;
}

const BASE = "/cove/identity/servicePrincipals";

export async function listServicePrincipals(s: Session): Promise<ServicePrincipal[]> {
  const body = await s.request<unknown>("GET", BASE);
  const items = Array.isArray(body) ? body : (body as { value?: unknown[] } | undefined)?.value;
  if (!Array.isArray(items)) throw new CliError(`GET ${BASE} answered without a list`);
  return items as ServicePrincipal[];
}

export async function createServicePrincipal(s: Session, displayName: string): Promise<CreatedServicePrincipal> {
  const sp = await s.request<CreatedServicePrincipal>("POST", BASE, { displayName });
  if (!sp?.appId || !sp.objectId || typeof sp.password !== "string") throw new CliError(`POST ${BASE} answered without appId, objectId and password`);
  return sp;
}

/** Adds a client secret; returns its key id and its text (only shown once). */
export async function addSecret(s: Session, appId: string): Promise<{ keyId?: string; secret: string }> {
  const r = await s.request<Record<string, unknown>>("POST", `${BASE}/${encodeURIComponent(appId)}/secrets`, {});
  const secret = r?.password ?? r?.secretText ?? r?.secret;
  if (typeof secret !== "string") throw new CliError(`POST ${BASE}/{appId}/secrets answered without the secret`);
  return { keyId: typeof r.keyId === "string" ? r.keyId : undefined, secret };
}

export async function removeSecret(s: Session, appId: string, keyId: string): Promise<void> {
  await s.request("DELETE", `${BASE}/${encodeURIComponent(appId)}/secrets/${encodeURIComponent(keyId)}`);
}

/** Key ids of the principal's client secrets, as the listing shows them (never the secrets). */
export function secretKeyIds(sp: ServicePrincipal): string[] {
  const creds = Array.isArray(sp.passwordCredentials) ? sp.passwordCredentials as { keyId?: unknown }[] : [];
  return creds.map((c) => c.keyId).filter((k): k is string => typeof k === "string");
}

export async function deleteServicePrincipal(s: Session, appId: string): Promise<void> {
  await s.request("DELETE", `${BASE}/${encodeURIComponent(appId)}`);
}

/** The service principal whose appId or objectId is `idOrAppId` (case-insensitive), as az resolves --assignee and --id. */
export async function findServicePrincipal(s: Session, idOrAppId: string): Promise<ServicePrincipal | undefined> {
  const want = idOrAppId.toLowerCase();
  return (await listServicePrincipals(s)).find((sp) => sp.appId?.toLowerCase() === want || sp.objectId?.toLowerCase() === want);
}

export async function resolveServicePrincipal(s: Session, idOrAppId: string): Promise<ServicePrincipal> {
  const sp = await findServicePrincipal(s, idOrAppId);
  if (!sp) throw notFound(`Cannot find user or service principal in graph database for '${idOrAppId}'.`, "PrincipalNotFound");
  return sp;
}
