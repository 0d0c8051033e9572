// GET .../registries/{r}/networkReport (a Cove extension, docs/management-api.md): the reachability
// matrix of `cove acr network-report`, for the networking page. One model, two sources of facts:
// the CLI reads the ARM documents through the SDK clients, this handler reads the very same
// documents from the store (the records ARE the served documents) and both run them through
// network-policy/reachability. The inventory is what the caller could have listed through the API,
// item by item, so a caller sees in the report no network it could not read on its own: the route
// demands registry read; every other document is kept only when the caller may read it (ARM's read
// action of a type is `<type>/read`), and children (record sets, links, zone groups) only with
// their readable parent, as the CLI lists them.
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getRegistry, scopeCovers } from "../arm/scopes.js";
import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import type { AccessControl } from "../../auth/types.js";
import { createAccessControl } from "../../auth/access-control.js";
import {
  A_RECORD_SET_TYPE, LINK_TYPE, NIC_TYPE, PRIVATE_ENDPOINT_TYPE, REGISTRY_TYPE, ROLE_ASSIGNMENT_TYPE, ROLE_DEFINITION_TYPE,
  VNET_TYPE, ZONE_GROUP_TYPE, ZONE_TYPE,
} from "../../domain/resource-types.js";
import { assignmentView } from "../../auth/role-assignments.js";
import { renderRoleDefinition, roleFromBody, type RoleDefinition } from "../../auth/roles.js";
import { SERVICE_PRINCIPAL_TYPE, SERVICE_PRINCIPALS_ROOT } from "../../identity/identity-provider.js";
import { MANAGE_PRINCIPALS_ACTION } from "../../identity/service-principal-routes.js";
import { emptyInventory, type ArmInventory } from "../../network-policy/reachability/inventory.js";
import { withListenerStatus } from "../network/private-endpoints.js";
import type { Json } from "../arm/strict-json.js";
import { buildModel } from "../../network-policy/reachability/model.js";
import { networkReport } from "../../network-policy/reachability/report.js";
import { reportSvg } from "../../network-policy/reachability/svg.js";

const read = (type: string) => `${type}/read`;

/**
 * The caller's rights as one snapshot for the whole report: access control's own rules over one read
 * of the role assignments and definitions. A report checks several hundred documents; each check
 * re-reading the store cost more than the report itself (about 650 checks, 0.3-0.6 s, for the
 * budget's 50 VNets and 200 endpoints), and one snapshot also makes the report one consistent picture.
 */
function snapshotAccess(meta: MetadataStore): AccessControl {
  const lists = new Map<string, Promise<ResourceRecord[]>>();
  const once = new Proxy(meta, {
    get(target, key) {
      if (key === "listResources") {
        return (f: { type?: string; underId?: string }) => {
          const k = JSON.stringify([f.type, f.underId]);
          let p = lists.get(k);
          if (!p) lists.set(k, (p = target.listResources(f)));
          return p;
        };
      }
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return createAccessControl(once);
}

/** The ARM documents of the subscription the caller may read, shaped as collectInventory reads them. */
export async function inventoryFor(c: ArmCall, subscription: string): Promise<ArmInventory> {
  const { meta } = c.deps;
  const access = snapshotAccess(meta);
  const sub = `/subscriptions/${subscription}`;
  const may = (action: string, scope: string) => access.authorize(c.principal, action, scope);
  const list = async (type: string) => {
    const out: ResourceRecord[] = [];
    for (const r of await meta.listResources({ type, underId: sub + "/" })) if (await may(read(type), r.id)) out.push(r);
    return out;
  };
  /** Children of readable parents, where the caller may list that type under the parent. */
  const under = async (type: string, parents: ResourceRecord[]) => {
    const out: ResourceRecord[] = [];
    for (const p of parents) if (await may(read(type), p.id)) out.push(...(await meta.listResources({ type, underId: p.id + "/" })));
    return out;
  };
  const bodies = (recs: ResourceRecord[]) => recs.map((r) => r.body);

  const inv = emptyInventory();
  const [registries, vnets, endpoints, nics, zones] = await Promise.all([
    list(REGISTRY_TYPE), list(VNET_TYPE), list(PRIVATE_ENDPOINT_TYPE), list(NIC_TYPE), list(ZONE_TYPE),
  ]);
  // Connections, subnets and peerings are inline in their parents' documents, as the CLI reads them.
  inv.registries = bodies(registries);
  inv.virtualNetworks = bodies(vnets);
  // As GET serves them: with Cove's listenerStatus, so the report says which endpoint IPs nothing answers on.
  inv.privateEndpoints = endpoints.map((r) => withListenerStatus(c, r.body as Json));
  inv.networkInterfaces = bodies(nics);
  inv.privateDnsZones = bodies(zones);
  inv.aRecordSets = bodies(await under(A_RECORD_SET_TYPE, zones));
  inv.virtualNetworkLinks = bodies(await under(LINK_TYPE, zones));
  inv.zoneGroups = bodies(await under(ZONE_GROUP_TYPE, endpoints));

  if (await may(read(ROLE_ASSIGNMENT_TYPE), sub)) {
    // As the list for a subscription: assignments at, above and below it.
    for (const rec of await meta.listResources({ type: ROLE_ASSIGNMENT_TYPE })) {
      const v = assignmentView(rec);
      if (v && (scopeCovers(v.scope, sub) || scopeCovers(sub, v.scope))) inv.roleAssignments.push(rec.body);
    }
  }
  if (await may(read(ROLE_DEFINITION_TYPE), sub)) {
    for (const rec of await meta.listResources({ type: ROLE_DEFINITION_TYPE })) {
      const role: RoleDefinition | undefined = roleFromBody(rec.body);
      if (role && role.assignableScopes.some((s) => scopeCovers(s, sub) || scopeCovers(sub, s))) inv.roleDefinitions.push(renderRoleDefinition(role, sub));
    }
  }
  // The directory is readable to whoever manages principals (the identity API's rule); others see object ids.
  if (await may(MANAGE_PRINCIPALS_ACTION, sub)) {
    for (const rec of await meta.listResources({ type: SERVICE_PRINCIPAL_TYPE, underId: SERVICE_PRINCIPALS_ROOT })) {
      const b = rec.body as { objectId?: unknown; appId?: unknown; displayName?: unknown };
      if (typeof b.objectId !== "string") continue;
      inv.principals.push({ objectId: b.objectId, appId: typeof b.appId === "string" ? b.appId : undefined, displayName: typeof b.displayName === "string" ? b.displayName : undefined });
    }
  }
  return inv;
}

export async function getNetworkReport(c: ArmCall): Promise<ArmResult> {
  const subscription = assertSubscription(c.deps, c.params.subscriptionId!);
  const format = c.ctx.query.get("format") ?? "json";
  if (format !== "json" && format !== "svg") {
    throw armError("InvalidParameter", { target: "format", reason: "Supported: json (the default) and svg." }, { target: "format" });
  }
  const registry = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  const model = buildModel(await inventoryFor(c, subscription));
  const reg = model.registry(registry.id)!;
  const report = networkReport(model, reg);
  if (format === "svg") return { status: 200, body: reportSvg(model, report), headers: { "content-type": "image/svg+xml; charset=utf-8" } };
  return { status: 200, body: report };
}
