// /v1.0/servicePrincipals: what az 2.45 sends for `ad sp create/list/show/update/delete`, the second
// half of `ad sp create-for-rbac`, and `role assignment create --assignee` (role/custom.py
// _create_service_principal, _resolve_service_principal, _resolve_object_id_and_type):
//
//   GET    /servicePrincipals?$filter=...          -> 200 {value:[servicePrincipal]}
//   POST   /servicePrincipals {appId, accountEnabled:true}
//                                                  -> 201 servicePrincipal (its id is the principal's
//                                                     objectId: role assignments name it)
//   GET    /servicePrincipals/{id}                 -> 200 servicePrincipal
//   PATCH  /servicePrincipals/{id} {}              -> 204 (az ad sp update sends an empty patch)
//   DELETE /servicePrincipals/{id}                 -> 204 (the principal, and so its application)
//
// A policy assignment's managed identity is listed here (servicePrincipalType ManagedIdentity) and
// cannot be deleted: it goes with its assignment.

import { guidOf, onlyProperties, readGraphBody, type JsonObject } from "./body.js";
import { graphError } from "./errors.js";
import { matches } from "./filter.js";
import { context, servicePrincipal } from "./objects.js";
import { clausesOf, collection, entryOr404, noContent, ok, type GraphCall, type GraphHandler } from "./call.js";

const TYPE = "microsoft.graph.servicePrincipal";
const FILTER = { eq: ["id", "appId", "displayName", "servicePrincipalType"], startswith: ["displayName"], any: ["servicePrincipalNames"] };

export const lookupServicePrincipal = (c: GraphCall) => (id: string) => c.dir.servicePrincipal(id);

/** accountEnabled: Cove's principals cannot be disabled, only deleted. */
function checkEnabled(body: JsonObject): void {
  if (body.accountEnabled !== undefined && body.accountEnabled !== true && body.accountEnabled !== "True") {
    throw graphError("InvalidProperty", { property: "accountEnabled", reason: "Cove's service principals are always enabled; delete one to stop it signing in." });
  }
}

export const listServicePrincipals: GraphHandler = async (c) => {
  const clauses = clausesOf(c, FILTER);
  const items = (await c.dir.entries()).filter((e) => e.servicePrincipal).map((e) => servicePrincipal(e, c.tenantId)).filter((o) => matches(o, clauses));
  return collection(c, "servicePrincipals", items);
};

export const getServicePrincipal: GraphHandler = async (c) => {
  const e = await entryOr404(c, lookupServicePrincipal(c));
  return ok({ "@odata.context": context(c.base, "servicePrincipals/$entity"), ...servicePrincipal(e, c.tenantId) });
};

export const createServicePrincipal: GraphHandler = async (c) => {
  const body = await readGraphBody(c.ctx);
  onlyProperties(body, ["appId", "accountEnabled"], TYPE);
  if (body.appId === undefined) throw graphError("InvalidProperty", { property: "appId", reason: "it is required." });
  const appId = guidOf(body.appId, "appId");
  checkEnabled(body);
  const e = await c.dir.byAppId(appId);
  if (!e) throw graphError("AppIdNotFound", { appId });
  if (e.servicePrincipal) throw graphError("ServicePrincipalExists", { appId });
  const made = await c.dir.createServicePrincipal(e);
  return ok({ "@odata.context": context(c.base, "servicePrincipals/$entity"), ...servicePrincipal(made, c.tenantId) }, 201);
};

export const patchServicePrincipal: GraphHandler = async (c) => {
  await entryOr404(c, lookupServicePrincipal(c));
  const body = await readGraphBody(c.ctx, true);
  onlyProperties(body, ["accountEnabled"], TYPE);
  checkEnabled(body);
  return noContent();
};

export const deleteServicePrincipal: GraphHandler = async (c) => {
  const e = await entryOr404(c, lookupServicePrincipal(c));
  if (e.principal.managedIdentity) throw graphError("ManagedIdentity", { id: e.principal.objectId, what: "is deleted with its policy assignment; delete the assignment" });
  if (!(await c.dir.remove(e))) throw graphError("ResourceNotFound", { id: c.id });
  await c.audit({ kind: "identity.servicePrincipal.delete", appId: e.principal.appId, objectId: e.principal.objectId });
  return noContent();
};
