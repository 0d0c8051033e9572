// addPassword and removePassword, on applications and on service principals alike: Cove keeps one
// set of secrets per principal (objects.ts), so both objects' actions reach the same secrets.
//
//   POST .../addPassword    {"passwordCredential":{"displayName","endDateTime","startDateTime"}} (all optional)
//                           -> 200 passwordCredential with `secretText`, the secret shown this once
//   POST .../removePassword {"keyId":"<guid>"} -> 204
//
// The secret is Cove's (identity-provider.ts: 40 random characters, stored as a salted hash); the
// display name and end date are recorded beside it and shown, as Graph does. Cove's token endpoint
// does not expire secrets at endDateTime (docs/graph.md). A managed identity holds no secret: it
// gets none here either, as on /cove/identity.

import { MAX_SECRETS } from "../identity-provider.js";
import type { DirectoryEntry } from "./directory.js";
import { graphError } from "./errors.js";
import { dateTimeOf, guidOf, onlyProperties, readGraphBody, type JsonObject } from "./body.js";
import { context, passwordCredential } from "./objects.js";
import { entryOr404, noContent, ok, type GraphCall, type GraphHandler } from "./call.js";

type Lookup = (c: GraphCall) => (id: string) => Promise<DirectoryEntry | undefined>;

function refuseManaged(e: DirectoryEntry, what: string): void {
  if (e.principal.managedIdentity) throw graphError("ManagedIdentity", { id: e.principal.objectId, what });
}

function noteOf(body: JsonObject): { displayName: string | null; endDateTime: string | null } {
  onlyProperties(body, ["passwordCredential"], "the addPassword action");
  const pc = body.passwordCredential ?? {};
  if (pc === null || typeof pc !== "object" || Array.isArray(pc)) {
    throw graphError("InvalidProperty", { property: "passwordCredential", reason: "it must be an object." });
  }
  const p = pc as JsonObject;
  onlyProperties(p, ["displayName", "endDateTime", "startDateTime", "customKeyIdentifier", "keyId", "hint", "secretText"], "microsoft.graph.passwordCredential");
  for (const k of ["customKeyIdentifier", "keyId", "hint", "secretText"]) {
    // Graph generates these itself; a client cannot choose its secret or its key id.
    if (p[k] !== undefined && p[k] !== null) throw graphError("InvalidProperty", { property: k, reason: "Graph sets it; leave it out." });
  }
  const displayName = p.displayName === undefined || p.displayName === null ? null : String(p.displayName);
  if (displayName !== null && (typeof p.displayName !== "string" || displayName.length > 256 || /[\u0000-\u001f\u007f]/.test(displayName))) {
    throw graphError("InvalidProperty", { property: "displayName", reason: "it must be a string of at most 256 printable characters." });
  }
  const start = dateTimeOf(p.startDateTime, "startDateTime");
  const end = dateTimeOf(p.endDateTime, "endDateTime");
  if (end !== null && Date.parse(end) <= Math.max(Date.now(), start ? Date.parse(start) : 0)) {
    throw graphError("InvalidProperty", { property: "endDateTime", reason: "it must lie in the future and after startDateTime." });
  }
  return { displayName, endDateTime: end };
}

export function addPassword(lookup: Lookup): GraphHandler {
  return async (c) => {
    const entry = await entryOr404(c, lookup(c));
    refuseManaged(entry, "holds no secrets: nobody signs in as it, Cove's remediation acts as it");
    const note = noteOf(await readGraphBody(c.ctx, true));
    if (entry.principal.passwordCredentials.length >= MAX_SECRETS) throw graphError("TooManyPasswords", { max: MAX_SECRETS });
    const added = await c.dir.addPassword(entry, note);
    if (!added) throw graphError("ResourceNotFound", { id: c.id });
    await c.audit({ kind: "identity.servicePrincipal.addSecret", appId: entry.principal.appId, keyId: added.keyId });
    // The credential as stored (its hint and start), with the secret this once.
    const after = (await lookup(c)(c.id)) ?? entry;
    const cred = after.principal.passwordCredentials.find((k) => k.keyId === added.keyId);
    const body = passwordCredential(after, added.keyId, cred?.hint ?? added.secret.slice(0, 3), cred?.startDateTime ?? new Date().toISOString(), added.secret);
    return ok({ "@odata.context": context(c.base, "microsoft.graph.passwordCredential"), ...body }, 200, { "Cache-Control": "no-store" });
  };
}

export function removePassword(lookup: Lookup): GraphHandler {
  return async (c) => {
    const entry = await entryOr404(c, lookup(c));
    const body = await readGraphBody(c.ctx);
    onlyProperties(body, ["keyId"], "the removePassword action");
    const keyId = guidOf(body.keyId, "keyId");
    if (!(await c.dir.removePassword(entry, keyId))) throw graphError("PasswordNotFound", { keyId, id: c.id });
    await c.audit({ kind: "identity.servicePrincipal.removeSecret", appId: entry.principal.appId, keyId });
    return noContent();
  };
}
