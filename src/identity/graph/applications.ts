// /v1.0/applications: what az 2.45 sends for `ad app create/list/show/update/delete` and the first
// half of `ad sp create-for-rbac` (role/custom.py create_application, _resolve_application):
//
//   GET    /applications?$filter=...           -> 200 {value:[application]}
//   POST   /applications {displayName, keyCredentials:[], identifierUris?, signInAudience?}
//                                              -> 201 application (a new principal, no secret yet)
//   GET    /applications/{id}                  -> 200 application
//   PATCH  /applications/{id} {...}            -> 204 (az re-sends displayName when it reuses an app)
//   DELETE /applications/{id}                  -> 204 (the principal, and so its service principal)
//
// Cove stores displayName and identifierUris; signInAudience is AzureADMyOrg (one tenant) and
// keyCredentials empty (secrets only). Any other property is refused by name (body.ts).

import { displayNameOf, identifierUrisOf, onlyProperties, readGraphBody, type JsonObject } from "./body.js";
import type { DirectoryEntry } from "./directory.js";
import { graphError } from "./errors.js";
import { matches } from "./filter.js";
import { application, context } from "./objects.js";
import { clausesOf, collection, entryOr404, noContent, ok, type GraphCall, type GraphHandler } from "./call.js";

const TYPE = "microsoft.graph.application";
const ACCEPTED = ["displayName", "identifierUris", "signInAudience", "keyCredentials"] as const;
const FILTER = { eq: ["id", "appId", "displayName"], startswith: ["displayName"], any: ["identifierUris"] };

export const lookupApplication = (c: GraphCall) => (id: string) => c.dir.application(id);

function checkFixed(body: JsonObject): void {
  if (body.signInAudience !== undefined && body.signInAudience !== "AzureADMyOrg") {
    throw graphError("InvalidProperty", { property: "signInAudience", reason: "Cove's directory is one tenant: only 'AzureADMyOrg'." });
  }
  if (body.keyCredentials !== undefined && !(Array.isArray(body.keyCredentials) && body.keyCredentials.length === 0)) {
    throw graphError("InvalidProperty", { property: "keyCredentials", reason: "Cove's principals sign in with secrets (addPassword); certificate credentials are not supported." });
  }
}

/** identifierUris are unique in the tenant, as Graph's. */
async function checkUrisFree(c: GraphCall, uris: string[], self?: DirectoryEntry): Promise<void> {
  if (!uris.length) return;
  const taken = new Set((await c.dir.entries()).filter((e) => e !== self && e.principal.objectId !== self?.principal.objectId).flatMap((e) => e.identifierUris.map((u) => u.toLowerCase())));
  if (uris.some((u) => taken.has(u.toLowerCase()))) throw graphError("IdentifierUriInUse");
}

const render = (c: GraphCall, e: DirectoryEntry) => ({ "@odata.context": context(c.base, "applications/$entity"), ...application(e) });

export const listApplications: GraphHandler = async (c) => {
  const clauses = clausesOf(c, FILTER);
  const items = (await c.dir.entries()).filter((e) => e.applicationId !== undefined).map(application).filter((o) => matches(o, clauses));
  return collection(c, "applications", items);
};

export const getApplication: GraphHandler = async (c) => ok(render(c, await entryOr404(c, lookupApplication(c))));

export const createApplication: GraphHandler = async (c) => {
  const body = await readGraphBody(c.ctx);
  onlyProperties(body, ACCEPTED, TYPE);
  const displayName = displayNameOf(body.displayName);
  checkFixed(body);
  const uris = body.identifierUris === undefined ? [] : identifierUrisOf(body.identifierUris);
  await checkUrisFree(c, uris);
  const e = await c.dir.createApplication(displayName, uris);
  await c.audit({ kind: "identity.servicePrincipal.create", appId: e.principal.appId, objectId: e.principal.objectId });
  return ok(render(c, e), 201);
};

export const patchApplication: GraphHandler = async (c) => {
  const e = await entryOr404(c, lookupApplication(c));
  const body = await readGraphBody(c.ctx, true);
  onlyProperties(body, ACCEPTED, TYPE);
  checkFixed(body);
  if (body.displayName !== undefined && displayNameOf(body.displayName) !== e.principal.displayName) {
    throw graphError("InvalidProperty", { property: "displayName", reason: "Cove's identity provider does not rename a principal; create a new one." });
  }
  if (body.identifierUris !== undefined) {
    const uris = identifierUrisOf(body.identifierUris);
    await checkUrisFree(c, uris, e);
    await c.dir.setIdentifierUris(e, uris);
  }
  return noContent();
};

export const deleteApplication: GraphHandler = async (c) => {
  const e = await entryOr404(c, lookupApplication(c));
  if (!(await c.dir.remove(e))) throw graphError("ResourceNotFound", { id: c.id });
  await c.audit({ kind: "identity.servicePrincipal.delete", appId: e.principal.appId, objectId: e.principal.objectId });
  return noContent();
};
