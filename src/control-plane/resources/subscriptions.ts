// Subscriptions, tenants and cloud metadata: what `az login` (GET /subscriptions, api 2019-11-01),
// `az cloud register` (GET /metadata/endpoints, api 2015-01-01) and the SDKs ask before anything
// else (reference/az-cli.md 2-3). az needs `id` and `displayName` on every subscription.

import type { ArmCall, ArmResult, ManagementApiDeps } from "../arm/types.js";
import type { Principal } from "../../auth/types.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, scopeCovers } from "../arm/scopes.js";
import { subscriptionId } from "../../domain/resource-ids.js";
import { ROLE_ASSIGNMENT_TYPE } from "../../domain/resource-types.js";


function subscriptionBody(deps: ManagementApiDeps) {
  return {
    id: subscriptionId(deps.subscriptionId),
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId: deps.subscriptionId,
    tenantId: deps.tenantId,
    displayName: deps.subscriptionDisplayName ?? "cove-local",
    state: "Enabled",
    subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "Internal_2014-09-01", spendingLimit: "Off" },
  };
}

/**
 * As Azure, a subscription is visible to a principal holding any role assignment in it, at any
 * scope (a service principal with AcrPush on one registry still sees it at `az login`).
 */
async function canSee(deps: ManagementApiDeps, principal: Principal): Promise<boolean> {
  const sub = subscriptionId(deps.subscriptionId);
  if (await deps.access.authorize(principal, "Microsoft.Resources/subscriptions/read", sub)) return true;
  const all = await deps.meta.listResources({ type: ROLE_ASSIGNMENT_TYPE });
  return all.some((a) => {
    const p = (a.body.properties ?? {}) as Record<string, unknown>;
    return p.principalId === principal.id && scopeCovers(sub, String(p.scope ?? ""));
  });
}

export async function listSubscriptions(c: ArmCall): Promise<ArmResult> {
  const value = (await canSee(c.deps, c.principal)) ? [subscriptionBody(c.deps)] : [];
  return { status: 200, body: { value, count: { type: "Total", value: value.length } } };
}

export async function getSubscription(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  if (!(await canSee(c.deps, c.principal))) {
    throw armError("AuthorizationFailed", {
      clientId: c.principal.clientId ?? c.principal.id,
      objectId: c.principal.id,
      action: "Microsoft.Resources/subscriptions/read",
      scope: subscriptionId(c.params.subscriptionId!),
    });
  }
  return { status: 200, body: subscriptionBody(c.deps) };
}

export async function listTenants(c: ArmCall): Promise<ArmResult> {
  const t = c.deps.tenantId;
  return {
    status: 200,
    body: { value: [{ id: `/tenants/${t}`, tenantId: t, tenantCategory: "Home", displayName: "Cove", defaultDomain: "cove.local" }] },
  };
}

/**
 * Cloud discovery. api 2015-01-01 / 2018-01-01 return one object (what az 2.45 parses); newer
 * versions return an array of clouds. URLs are built from the Host the client used, so the answer
 * is right whichever address the management endpoint is reached on.
 */
export async function getCloudMetadata(c: ArmCall): Promise<ArmResult> {
  const host = String(c.ctx.headers.host ?? `${c.ctx.listener.address}:${c.ctx.listener.port}`);
  const base = `https://${host}`;
  const login = `${base}${c.deps.authorityPath ?? "/adfs"}`;
  const audiences = [`${base}/`];
  if (c.apiVersion === "2015-01-01" || c.apiVersion === "2018-01-01") {
    return {
      status: 200,
      body: {
        galleryEndpoint: `${base}/`,
        graphEndpoint: `${base}/`,
        portalEndpoint: `${base}/`,
        authentication: { loginEndpoint: login, audiences },
      },
    };
  }
  return {
    status: 200,
    body: [
      {
        name: "Cove",
        portal: `${base}/`,
        resourceManager: `${base}/`,
        graph: `${base}/`,
        graphAudience: `${base}/`,
        authentication: { loginEndpoint: login, audiences, tenant: "common", identityProvider: "AAD" },
        suffixes: { acrLoginServer: c.deps.loginServerSuffix },
      },
    ],
  };
}
