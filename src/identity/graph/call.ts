// What every Graph handler is given, and the small helpers they share. Handlers return values
// (house style habit 6) and throw catalogued Graph errors (errors.ts); routes.ts does the rest.

import type { HandlerResult, RequestContext } from "../../http/types.js";
import type {
  ServicePrincipalAddSecretEvent, ServicePrincipalCreateEvent, ServicePrincipalDeleteEvent, ServicePrincipalRemoveSecretEvent,
} from "../../audit/event.js";
import type { Principal } from "../../auth/types.js";
import type { Directory, DirectoryEntry } from "./directory.js";
import { graphError } from "./errors.js";
import { GUID } from "./body.js";
import type { GraphObject } from "./objects.js";
import { parseFilter, type Clause, type FilterSpec } from "./filter.js";

type WithoutActor<T> = T extends unknown ? Omit<T, "actorId" | "requestId" | "clientIp"> : never;
/** A principal or secret change, as /cove/identity audits it; routes.ts adds who and from where. */
export type AuditDraft = WithoutActor<ServicePrincipalCreateEvent | ServicePrincipalDeleteEvent | ServicePrincipalAddSecretEvent | ServicePrincipalRemoveSecretEvent>;

export interface GraphCall {
  ctx: RequestContext;
  principal: Principal;
  dir: Directory;
  tenantId: string;
  /** "https://<host:port>" as the client addressed Cove, for @odata.context. */
  base: string;
  /** The `{id}` of the path, percent-decoded (not yet checked). */
  id: string;
  audit(event: AuditDraft): Promise<void>;
}

export type GraphHandler = (c: GraphCall) => Promise<HandlerResult>;

/** Graph's JSON answers carry OData's content type. */
export const ODATA_JSON = { "content-type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8", "OData-Version": "4.0" };

export function ok(body: GraphObject, status = 200, extra: Record<string, string> = {}): HandlerResult {
  return { status, headers: { ...ODATA_JSON, ...extra }, body };
}

export const noContent = (): HandlerResult => ({ status: 204 });

/** The path's object id: a GUID, else Graph's "Invalid object identifier". */
export function objectId(c: GraphCall): string {
  if (!GUID.test(c.id)) throw graphError("InvalidObjectId", { id: c.id });
  return c.id.toLowerCase();
}

export function notFound(id: string): never {
  throw graphError("ResourceNotFound", { id });
}

/** The entry named by the path, or 404. */
export async function entryOr404(c: GraphCall, lookup: (id: string) => Promise<DirectoryEntry | undefined>): Promise<DirectoryEntry> {
  const id = objectId(c);
  return (await lookup(id)) ?? notFound(id);
}

/** A collection answer: every object, as Graph pages it (one page: Cove's directory is small). */
export function collection(c: GraphCall, what: string, items: GraphObject[]): HandlerResult {
  return ok({ "@odata.context": `${c.base}/v1.0/$metadata#${what}`, value: items });
}

/** The list's `$filter` clauses (none without one); routes.ts has refused every other query option. */
export function clausesOf(c: GraphCall, spec: FilterSpec): Clause[] {
  const key = [...c.ctx.query.keys()].find((k) => k.toLowerCase() === "$filter");
  return key === undefined ? [] : parseFilter(c.ctx.query.get(key)!, spec);
}
