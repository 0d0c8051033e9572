// Cove's service-principal endpoint (docs/identity.md), on the management listener behind
// authentication. Azure keeps applications in Microsoft Graph, which Cove does not emulate; the CLI's
// `cove ad sp create-for-rbac` and `cove ad sp credential ...` call this small endpoint instead:
//
//   POST   /cove/identity/servicePrincipals                       {displayName} -> 201 {appId, objectId, displayName, password, tenant, keyId}
//   GET    /cove/identity/servicePrincipals                       -> 200 {value: [...]}
//   GET    /cove/identity/servicePrincipals/{appId|objectId}      -> 200 | 404
//   DELETE /cove/identity/servicePrincipals/{appId|objectId}      -> 204 | 404
//   POST   /cove/identity/servicePrincipals/{id}/secrets          -> 201 {keyId, secret, hint, startDateTime}
//   DELETE /cove/identity/servicePrincipals/{id}/secrets/{keyId}  -> 204 | 404
//
// Every call needs Microsoft.Authorization/roleAssignments/write at the subscription (Owner, or a
// custom role with it): whoever can mint credentials and assign roles can grant anything, so the
// two permissions are one. Errors are the ARM catalogue's (control-plane/arm/errors.ts), rendered by
// the management surface's one mapper.

import type { HandlerResult, RequestContext } from "../http/types.js";
import type { AccessControl } from "../auth/types.js";
import { MAX_SECRETS, type LocalIdentityProvider } from "./identity-provider.js";
import { armError } from "../control-plane/arm/errors.js";
import { readJsonBody } from "../control-plane/arm/request-body.js";
import type { AuditSink } from "../audit/event.js";

export const SERVICE_PRINCIPALS_PATH = "/cove/identity/servicePrincipals";
export const MANAGE_PRINCIPALS_ACTION = "Microsoft.Authorization/roleAssignments/write";
const MAX_BODY = 64 * 1024;

export interface ServicePrincipalRoutesOptions {
  audit?: AuditSink;
}

const ROUTE = /^\/cove\/identity\/serviceprincipals(?:\/([^/]+)(?:\/(secrets)(?:\/([^/]+))?)?)?\/?$/i;

/** A policy assignment's managed identity is not a service principal anyone may sign in as or delete. */
function managed(what: string) {
  return armError("InvalidParameter", { target: "managedIdentity", reason: `This service principal is a policy assignment's managed identity; it ${what}.` }, { target: "managedIdentity" });
}

function segment(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    throw armError("InvalidRequestContent", { reason: "The request path is malformed." });
  }
}

async function readDisplayName(ctx: RequestContext): Promise<string> {
  const body = await readJsonBody(ctx, MAX_BODY);
  for (const k of Object.keys(body)) {
    if (k !== "displayName") throw armError("InvalidRequestContent", { reason: `Could not find member '${k}' on object of type 'ServicePrincipal'.` }, { target: k });
  }
  const name = body.displayName;
  if (typeof name !== "string" || !name.trim() || name.length > 256 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw armError("InvalidParameter", { target: "displayName", reason: "It must be a string of 1-256 printable characters." }, { target: "displayName" });
  }
  return name.trim();
}

export function createServicePrincipalRoutes(idp: LocalIdentityProvider, access: AccessControl, opts: ServicePrincipalRoutesOptions = {}) {
  const subscriptionScope = `/subscriptions/${idp.subscriptionId}`;

  return async function servicePrincipalRoutes(ctx: RequestContext): Promise<HandlerResult | undefined> {
    const m = ROUTE.exec(ctx.rawPath);
    if (!m) return undefined;
    const [, rawId, secrets, rawKeyId] = m;

    const principal = ctx.principal;
    if (!principal) {
      // The pipeline sets no principal for a missing token and for an invalid one alike.
      throw ctx.headers.authorization ? armError("InvalidAuthenticationToken") : armError("AuthenticationFailed");
    }
    if (!(await access.authorize(principal, MANAGE_PRINCIPALS_ACTION, subscriptionScope))) {
      throw armError("AuthorizationFailed", {
        clientId: principal.clientId ?? principal.id,
        objectId: principal.id,
        action: MANAGE_PRINCIPALS_ACTION,
        scope: subscriptionScope,
      });
    }

    const id = segment(rawId);
    const keyId = segment(rawKeyId);
    const actor = { actorId: principal.id, requestId: ctx.requestId, clientIp: ctx.clientIp };
    const notFound = () => armError("NotFound", { path: ctx.rawPath });
    const method = ctx.method;

    if (id === undefined) {
      if (method === "GET") return { status: 200, body: { value: await idp.listServicePrincipals() } };
      if (method === "POST") {
        const created = await idp.createServicePrincipal(await readDisplayName(ctx));
        await opts.audit?.({ kind: "identity.servicePrincipal.create", appId: created.appId, objectId: created.objectId, ...actor });
        return { status: 201, headers: { "Cache-Control": "no-store" }, body: created };
      }
    } else if (!secrets) {
      if (method === "GET") {
        const sp = await idp.getServicePrincipal(id);
        if (!sp) throw notFound();
        return { status: 200, body: sp };
      }
      if (method === "DELETE") {
        const sp = await idp.getServicePrincipal(id);
        if (sp?.managedIdentity) throw managed("is deleted with its policy assignment; delete the assignment");
        if (!sp || !(await idp.deleteServicePrincipal(sp.objectId))) throw notFound();
        await opts.audit?.({ kind: "identity.servicePrincipal.delete", appId: sp.appId, objectId: sp.objectId, ...actor });
        return { status: 204 };
      }
    } else if (keyId === undefined) {
      if (method === "POST") {
        const existing = await idp.getServicePrincipal(id);
        if (!existing) throw notFound();
        if (existing.managedIdentity) throw managed("holds no secrets: nobody signs in as it, Cove's remediation acts as it");
        if (existing.passwordCredentials.length >= MAX_SECRETS) {
          throw armError("InvalidParameter", { target: "passwordCredentials", reason: `A service principal holds at most ${MAX_SECRETS} secrets; remove one first.` }, { target: "passwordCredentials" });
        }
        const added = await idp.addSecret(id);
        if (!added) throw notFound();
        const sp = await idp.getServicePrincipal(id);
        const cred = sp?.passwordCredentials.find((c) => c.keyId === added.keyId);
        await opts.audit?.({ kind: "identity.servicePrincipal.addSecret", appId: sp?.appId, keyId: added.keyId, ...actor });
        return { status: 201, headers: { "Cache-Control": "no-store" }, body: { keyId: added.keyId, secret: added.secret, hint: cred?.hint, startDateTime: cred?.startDateTime } };
      }
    } else if (method === "DELETE") {
      const sp = await idp.getServicePrincipal(id);
      if (!sp) throw notFound();
      if (!(await idp.removeSecret(sp.objectId, keyId))) {
        throw notFound();
      }
      await opts.audit?.({ kind: "identity.servicePrincipal.removeSecret", appId: sp.appId, keyId, ...actor });
      return { status: 204 };
    }
    throw armError("MethodNotAllowed", { method });
  };
}
