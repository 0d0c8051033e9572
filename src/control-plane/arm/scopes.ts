// Resource ids and scopes: how ids are spelled (ARM casing: `resourceGroups`, provider namespaces
// as registered), which scopes Cove knows (tenant, subscription, resource group, registry), and the
// existence checks handlers run after authorization. Lookups are case-insensitive; returned ids keep
// the case the resource was created with.

import type { ResourceRecord } from "../../storage/types.js";
import type { ManagementApiDeps } from "./types.js";
import { armError } from "./errors.js";
import { REGISTRY_TYPE, RESOURCE_GROUP_TYPE } from "../../domain/resource-types.js";
import { registryId, resourceGroupId, subscriptionId } from "../../domain/resource-ids.js";


/** Cove runs exactly one subscription; any other id is unknown, as Azure answers for a foreign one. */
export function assertSubscription(deps: ManagementApiDeps, s: string): string {
  if (s.toLowerCase() !== deps.subscriptionId.toLowerCase()) throw armError("SubscriptionNotFound", { subscriptionId: s });
  return deps.subscriptionId;
}

export async function getResourceGroup(deps: ManagementApiDeps, rg: string): Promise<ResourceRecord> {
  const rec = await deps.meta.getResource(resourceGroupId(deps.subscriptionId, rg));
  if (!rec || rec.type.toLowerCase() !== RESOURCE_GROUP_TYPE.toLowerCase()) throw armError("ResourceGroupNotFound", { name: rg });
  return rec;
}

export async function getRegistry(deps: ManagementApiDeps, rg: string, name: string): Promise<ResourceRecord> {
  const group = await getResourceGroup(deps, rg);
  const rec = await deps.meta.getResource(registryId(deps.subscriptionId, String(group.body.name), name));
  if (!rec || rec.type.toLowerCase() !== REGISTRY_TYPE.toLowerCase()) {
    throw armError("ResourceNotFound", { type: REGISTRY_TYPE, name, resourceGroup: rg });
  }
  return rec;
}

export type ScopeKind = "tenant" | "subscription" | "resourceGroup" | "registry";

/** Scope id for the path prefix of a Microsoft.Authorization route, checked to exist. */
export async function resolveScope(deps: ManagementApiDeps, scope: string): Promise<{ kind: ScopeKind; id: string }> {
  const segs = scope.split("/").filter((s) => s !== "");
  if (segs.length === 0) return { kind: "tenant", id: "/" };
  const lower = segs.map((s) => s.toLowerCase());
  if (lower[0] !== "subscriptions" || segs.length < 2) throw armError("NotFound", { path: scope });
  assertSubscription(deps, segs[1]!);
  if (segs.length === 2) return { kind: "subscription", id: subscriptionId(deps.subscriptionId) };
  if (lower[2] === "resourcegroups" && segs.length >= 4) {
    const rg = await getResourceGroup(deps, segs[3]!);
    const rgName = String(rg.body.name);
    if (segs.length === 4) return { kind: "resourceGroup", id: rg.id };
    if (lower[4] === "providers" && segs.length >= 6) {
      if (lower[5] !== "microsoft.containerregistry") throw armError("InvalidResourceNamespace", { namespace: segs[5]! });
      if (segs.length === 8 && lower[6] === "registries") {
        const reg = await getRegistry(deps, rgName, segs[7]!);
        return { kind: "registry", id: reg.id };
      }
      throw armError("InvalidResourceType", { type: segs[6] ?? "", namespace: segs[5]!, apiVersion: "" });
    }
  }
  throw armError("NotFound", { path: scope });
}

/** Is `inner` equal to or below `outer`? The one rule, shared with access control. */
export { scopeCovers } from "../../auth/role-assignments.js";

/** The resource group name inside an id, or "" when the id is not under a resource group. */
export function resourceGroupOf(id: string): string {
  const m = /\/resourceGroups\/([^/]+)/i.exec(id);
  return m ? m[1]! : "";
}
