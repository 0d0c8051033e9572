// Graph's application + servicePrincipal pair over Cove's ONE principal record (identity-provider.ts).
//
// In Entra an application (its object `id`, its `appId`) and the service principal made for it
// (another object `id`) are two directory objects. Cove keeps one record per principal: its
// `objectId` is what role assignments name and tokens carry (`oid`), its `appId` the client id
// a secret logs in with. So:
//
//   servicePrincipal.id   = the principal's objectId (role assignments made through Graph's id work)
//   application.appId     = servicePrincipal.appId = the principal's appId
//   application.id        = a UUID derived from the objectId (sha256, version-5 layout): stable
//                           across restarts and for principals made before Graph or by
//                           /cove/identity, never equal to any objectId, and needs no record.
//
// What Graph has and the principal record has not lives beside it, one record per principal,
// written only when it differs from the default:
//   /cove/graph/principals/<objectId>   type Cove.Identity/graphObjects
//     {objectId, servicePrincipal, identifierUris, passwords: {<keyId>: {displayName, endDateTime}}}
// `servicePrincipal: false` is the moment between POST /applications and POST /servicePrincipals
// (create-for-rbac's order): the application exists, its service principal not yet. A principal
// without a record is a full pair (bootstrap, /cove/identity, everything before Graph).
//
// A policy assignment's managed identity is a servicePrincipal of type ManagedIdentity with no
// application, as in Entra. Deleting either object of a pair deletes the one principal (Cove has
// no principal that lives on without signing in); docs/graph.md says so.

import { createHash } from "node:crypto";
import type { MetadataStore } from "../../storage/types.js";
import type { LocalIdentityProvider, ServicePrincipalInfo } from "../identity-provider.js";
import { graphError } from "./errors.js";

export const GRAPH_OBJECTS_ROOT = "/cove/graph/principals";
export const GRAPH_OBJECT_TYPE = "Cove.Identity/graphObjects";

export interface PasswordNote {
  displayName: string | null;
  endDateTime: string | null;
}

interface Extras {
  servicePrincipal: boolean;
  identifierUris: string[];
  passwords: Record<string, PasswordNote>;
}

export interface DirectoryEntry {
  principal: ServicePrincipalInfo;
  /** The Graph application's object id; undefined for a managed identity (it has none). */
  applicationId: string | undefined;
  /** Whether Graph's servicePrincipal object exists (false between the two creates). */
  servicePrincipal: boolean;
  identifierUris: string[];
  passwords: Record<string, PasswordNote>;
}

/** The application object id of the principal `objectId`: a name-based UUID (RFC 9562 version 5 layout). */
export function applicationObjectId(objectId: string): string {
  const h = createHash("sha256").update(`cove/graph/application/${objectId.toLowerCase()}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const DEFAULT: Extras = { servicePrincipal: true, identifierUris: [], passwords: {} };

function extrasOf(body: Record<string, unknown>): Extras {
  const passwords: Record<string, PasswordNote> = {};
  const p = body.passwords;
  if (p && typeof p === "object") {
    for (const [k, v] of Object.entries(p as Record<string, any>)) {
      passwords[k.toLowerCase()] = { displayName: typeof v?.displayName === "string" ? v.displayName : null, endDateTime: typeof v?.endDateTime === "string" ? v.endDateTime : null };
    }
  }
  return {
    servicePrincipal: body.servicePrincipal !== false,
    identifierUris: Array.isArray(body.identifierUris) ? body.identifierUris.filter((u): u is string => typeof u === "string") : [],
    passwords,
  };
}

export interface Directory {
  entries(): Promise<DirectoryEntry[]>;
  application(id: string): Promise<DirectoryEntry | undefined>;
  servicePrincipal(id: string): Promise<DirectoryEntry | undefined>;
  byAppId(appId: string): Promise<DirectoryEntry | undefined>;
  /** A new principal, Graph's application only; its service principal comes with createServicePrincipal. */
  createApplication(displayName: string, identifierUris: string[]): Promise<DirectoryEntry>;
  createServicePrincipal(entry: DirectoryEntry): Promise<DirectoryEntry>;
  setIdentifierUris(entry: DirectoryEntry, uris: string[]): Promise<void>;
  /** Deletes the principal (both Graph objects). */
  remove(entry: DirectoryEntry): Promise<boolean>;
  addPassword(entry: DirectoryEntry, note: PasswordNote): Promise<{ keyId: string; secret: string } | undefined>;
  removePassword(entry: DirectoryEntry, keyId: string): Promise<boolean>;
}

export function createDirectory(idp: LocalIdentityProvider, meta: MetadataStore): Directory {
  const recordId = (objectId: string) => `${GRAPH_OBJECTS_ROOT}/${objectId.toLowerCase()}`;

  async function save(objectId: string, x: Extras): Promise<void> {
    const isDefault = x.servicePrincipal && x.identifierUris.length === 0 && Object.keys(x.passwords).length === 0;
    if (isDefault) await meta.deleteResource(recordId(objectId));
    else await meta.putResource({ id: recordId(objectId), type: GRAPH_OBJECT_TYPE, body: { objectId: objectId.toLowerCase(), ...x } });
  }

  function entryOf(p: ServicePrincipalInfo, x: Extras): DirectoryEntry {
    // Notes of secrets removed elsewhere (cove ad sp credential delete) are not shown.
    const live = new Set(p.passwordCredentials.map((c) => c.keyId.toLowerCase()));
    const passwords = Object.fromEntries(Object.entries(x.passwords).filter(([k]) => live.has(k)));
    return {
      principal: p,
      applicationId: p.managedIdentity ? undefined : applicationObjectId(p.objectId),
      servicePrincipal: p.managedIdentity ? true : x.servicePrincipal,
      identifierUris: p.managedIdentity ? [] : x.identifierUris,
      passwords,
    };
  }

  function extrasFrom(e: DirectoryEntry): Extras {
    return { servicePrincipal: e.servicePrincipal, identifierUris: [...e.identifierUris], passwords: { ...e.passwords } };
  }

  async function entries(): Promise<DirectoryEntry[]> {
    const extras = new Map<string, Extras>();
    for (const rec of await meta.listResources({ type: GRAPH_OBJECT_TYPE, underId: GRAPH_OBJECTS_ROOT })) {
      const id = (rec.body as { objectId?: unknown }).objectId;
      if (typeof id === "string") extras.set(id.toLowerCase(), extrasOf(rec.body));
    }
    return (await idp.listServicePrincipals()).map((p) => entryOf(p, extras.get(p.objectId.toLowerCase()) ?? DEFAULT));
  }

  const find = async (pred: (e: DirectoryEntry) => boolean) => (await entries()).find(pred);
  const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

  return {
    entries,
    application: (id) => find((e) => same(e.applicationId, id)),
    servicePrincipal: (id) => find((e) => e.servicePrincipal && same(e.principal.objectId, id)),
    byAppId: (appId) => find((e) => !e.principal.managedIdentity && same(e.principal.appId, appId)),

    async createApplication(displayName, identifierUris) {
      const created = await idp.createServicePrincipal(displayName);
      // Cove's identity provider mints a first secret with every principal; Graph's new application
      // has none. The secret was never shown to anyone; it goes before the application is answered.
      await idp.removeSecret(created.objectId, created.keyId);
      const x: Extras = { servicePrincipal: false, identifierUris, passwords: {} };
      await save(created.objectId, x);
      const p = await idp.getServicePrincipal(created.objectId);
      if (!p) throw graphError("InternalError");
      return entryOf(p, x);
    },

    async createServicePrincipal(entry) {
      const x = { ...extrasFrom(entry), servicePrincipal: true };
      await save(entry.principal.objectId, x);
      return { ...entry, servicePrincipal: true };
    },

    async setIdentifierUris(entry, uris) {
      await save(entry.principal.objectId, { ...extrasFrom(entry), identifierUris: uris });
    },

    async remove(entry) {
      const gone = await idp.deleteServicePrincipal(entry.principal.objectId);
      await meta.deleteResource(recordId(entry.principal.objectId));
      return gone;
    },

    async addPassword(entry, note) {
      const added = await idp.addSecret(entry.principal.objectId);
      if (!added) return undefined;
      const x = extrasFrom(entry);
      x.passwords[added.keyId.toLowerCase()] = note;
      await save(entry.principal.objectId, x);
      return added;
    },

    async removePassword(entry, keyId) {
      if (!(await idp.removeSecret(entry.principal.objectId, keyId))) return false;
      const x = extrasFrom(entry);
      delete x.passwords[keyId.toLowerCase()];
      await save(entry.principal.objectId, x);
      return true;
    },
  };
}
