// Directory objects of any type, and the collections Cove's directory has but keeps empty.
//
//   POST /directoryObjects/getByIds {ids:[...], types:[...]} -> 200 {value:[object with @odata.type]}
//        az: `role assignment create --assignee <objectId>` (the ARM principalType from
//        @odata.type), `role assignment list` (principal names), `--assignee-object-id` without a type
//   GET  /directoryObjects/{id}                              -> 200 the object, or 404
//   GET  /users?$filter=..., GET /groups?$filter=...          -> 200 {value:[]}: Cove's directory
//        holds service principals only, so `--assignee someone@example.com` ends in az's own
//        "Cannot find user or service principal in graph database" rather than an HTTP error;
//        GET /users/{id or upn} and /groups/{id} are 404, /me Graph's refusal for an app-only token

import type { DirectoryEntry } from "./directory.js";
import { graphError } from "./errors.js";
import { GUID, onlyProperties, readGraphBody } from "./body.js";
import { application, ODATA_TYPE, servicePrincipal, type GraphObject } from "./objects.js";
import { clausesOf, collection, notFound, objectId, ok, type GraphCall, type GraphHandler } from "./call.js";

/** Graph's limit for one getByIds call. */
export const MAX_IDS = 1000;
/** The directoryObject types getByIds takes (Graph's list); Cove has objects of the first two only. */
const TYPES = ["servicePrincipal", "application", "user", "group", "device", "orgContact", "directoryRole", "directoryObjectPartnerReference", "administrativeUnit"];

function typed(c: GraphCall, e: DirectoryEntry, type: "servicePrincipal" | "application"): GraphObject {
  return type === "servicePrincipal"
    ? { "@odata.type": ODATA_TYPE.servicePrincipal, ...servicePrincipal(e, c.tenantId) }
    : { "@odata.type": ODATA_TYPE.application, ...application(e) };
}

/** The object `id` names among the wanted types, or undefined. */
function findObject(c: GraphCall, entries: DirectoryEntry[], id: string, want: Set<string>): GraphObject | undefined {
  const lower = id.toLowerCase();
  if (want.has("servicePrincipal")) {
    const sp = entries.find((e) => e.servicePrincipal && e.principal.objectId.toLowerCase() === lower);
    if (sp) return typed(c, sp, "servicePrincipal");
  }
  if (want.has("application")) {
    const app = entries.find((e) => e.applicationId === lower);
    if (app) return typed(c, app, "application");
  }
  return undefined;
}

export const getByIds: GraphHandler = async (c) => {
  const body = await readGraphBody(c.ctx);
  onlyProperties(body, ["ids", "types"], "the getByIds action");
  const ids = body.ids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_IDS) {
    throw graphError("InvalidProperty", { property: "ids", reason: `it must be a list of 1 to ${MAX_IDS} object ids.` });
  }
  for (const id of ids) if (typeof id !== "string" || !GUID.test(id)) throw graphError("InvalidObjectId", { id: String(id) });
  let want = new Set(TYPES);
  if (body.types !== undefined) {
    if (!Array.isArray(body.types) || body.types.length > TYPES.length) throw graphError("InvalidProperty", { property: "types", reason: `it must be a list of ${TYPES.join(", ")}.` });
    want = new Set();
    for (const t of body.types) {
      const known = TYPES.find((k) => typeof t === "string" && k.toLowerCase() === t.replace(/^#?microsoft\.graph\./i, "").toLowerCase());
      if (!known) throw graphError("InvalidProperty", { property: "types", reason: `'${String(t)}' is not one of ${TYPES.join(", ")}.` });
      want.add(known);
    }
  }
  const entries = await c.dir.entries();
  const seen = new Set<string>();
  const value: GraphObject[] = [];
  for (const id of ids as string[]) {
    if (seen.has(id.toLowerCase())) continue;
    seen.add(id.toLowerCase());
    const o = findObject(c, entries, id, want);
    if (o) value.push(o);
  }
  return collection(c, "directoryObjects", value);
};

export const getDirectoryObject: GraphHandler = async (c) => {
  const id = objectId(c);
  const o = findObject(c, await c.dir.entries(), id, new Set(TYPES));
  return o ? ok({ "@odata.context": `${c.base}/v1.0/$metadata#directoryObjects/$entity`, ...o }) : notFound(id);
};

/** An object of a collection Cove's directory keeps empty (a user by id or user principal name). */
export const noSuchObject: GraphHandler = async (c) => notFound(c.id);

/**
 * `/me` is the signed-in user; an az login to Cove is always a service principal (app-only token),
 * which Graph answers so too.
 */
export const me: GraphHandler = async () => {
  throw graphError("MeNotDelegated");
};

/** A collection Cove's directory has no objects of: the filter is still checked, the answer is empty. */
export function emptyCollection(what: string, spec: { eq: string[]; startswith: string[]; any: string[] }): GraphHandler {
  return async (c) => {
    clausesOf(c, spec);
    return collection(c, what, []);
  };
}
