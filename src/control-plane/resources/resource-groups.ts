// Microsoft.Resources/resourceGroups: PUT (create or update), GET, HEAD, PATCH, DELETE, list.
// Deleting a group deletes everything under it, as Azure: registries with their content and admin
// credentials, and role assignments at or below the group (so a new group of the same name never
// inherits an old grant).

import type { ArmCall, ArmResult } from "../arm/types.js";
import type { ResourceRecord } from "../../storage/types.js";
import { armError } from "../arm/errors.js";
import { readable } from "../arm/authorize.js";
import { assertSubscription, getResourceGroup } from "../arm/scopes.js";
import { asLocation, invalid, onlyKeys, optObject, optString, optTags } from "../arm/strict-json.js";
import { deletePrivateEndpoint } from "../network/private-endpoints.js";
import { disconnectRegistry } from "../containerregistry/private-endpoint-connections.js";
import { refreshPeeringsAround } from "../network/peerings.js";
import { REGISTRY_TYPE, RESOURCE_GROUP_TYPE, PRIVATE_ENDPOINT_TYPE, VNET_TYPE } from "../../domain/resource-types.js";
import { resourceGroupId } from "../../domain/resource-ids.js";

export const RG_READ = "Microsoft.Resources/subscriptions/resourceGroups/read";
export const RG_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write";
export const RG_DELETE = "Microsoft.Resources/subscriptions/resourceGroups/delete";

/** Azure's rule: 1-90 of letters, digits, `-._()`, not ending in a period. */
export function checkResourceGroupName(name: string): void {
  let reason = "";
  if (name.length < 1 || name.length > 90) reason = "it must be 1 to 90 characters long";
  else if (!/^[\p{L}\p{N}._()-]+$/u.test(name)) reason = "it contains characters that are not allowed";
  else if (name.endsWith(".")) reason = "it ends in a period";
  if (reason) throw armError("InvalidResourceGroup", { name, reason });
}

function render(rec: ResourceRecord): Record<string, unknown> {
  return rec.body;
}

export async function putResourceGroup(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const name = c.params.resourceGroupName!;
  checkResourceGroupName(name);
  const body = c.body!;
  onlyKeys(body, ["location", "tags", "managedBy", "properties", "id", "name", "type"], "");
  const location = asLocation(body.location);
  const tags = optTags(body.tags);
  const managedBy = optString(body.managedBy, "managedBy");
  const props = optObject(body.properties, "properties");
  if (props) onlyKeys(props, ["provisioningState"], "properties");

  const existing = await c.deps.meta.getResource(resourceGroupId(s, name));
  if (existing && existing.body.location !== location) {
    throw armError("InvalidResourceGroupLocation", { location, existing: String(existing.body.location) });
  }
  const id = existing?.id ?? resourceGroupId(s, name);
  const doc: Record<string, unknown> = {
    id,
    name: existing ? existing.body.name : name,
    type: RESOURCE_GROUP_TYPE,
    location,
    ...(tags ? { tags } : {}),
    ...(managedBy ? { managedBy } : {}),
    properties: { provisioningState: "Succeeded" },
  };
  await c.deps.meta.putResource({ id, type: RESOURCE_GROUP_TYPE, body: doc });
  return { status: existing ? 200 : 201, body: doc };
}

export async function getResourceGroupHandler(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  return { status: 200, body: render(await getResourceGroup(c.deps, c.params.resourceGroupName!)) };
}

/** HEAD: 204 when the group exists, 404 without a body otherwise (ARM "check existence"). */
export async function headResourceGroup(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const rec = await c.deps.meta.getResource(resourceGroupId(c.deps.subscriptionId, c.params.resourceGroupName!));
  return { status: rec && rec.type.toLowerCase() === RESOURCE_GROUP_TYPE.toLowerCase() ? 204 : 404 };
}

export async function patchResourceGroup(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const body = c.body!;
  onlyKeys(body, ["location", "tags", "managedBy", "properties", "name", "id", "type"], "");
  const tags = optTags(body.tags);
  const managedBy = optString(body.managedBy, "managedBy");
  const rec = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  if (body.location !== undefined && body.location !== null) {
    const location = asLocation(body.location);
    if (location !== rec.body.location) invalid("location", "The location of a resource group cannot be changed.");
  }
  const doc = { ...rec.body };
  if (tags) doc.tags = tags;
  if (managedBy !== undefined) doc.managedBy = managedBy;
  await c.deps.meta.putResource({ id: rec.id, type: RESOURCE_GROUP_TYPE, body: doc });
  return { status: 200, body: doc };
}

export async function deleteResourceGroup(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const rec = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const meta = c.deps.meta;
  const under = { underId: rec.id + "/" };
  // Resources in the group can be tied to resources elsewhere: delete them the way their own
  // DELETE does, so no registry keeps a connection to a vanished endpoint, no zone keeps records
  // a vanished zone group wrote, and peers of a vanished VNet turn Disconnected.
  for (const pe of await meta.listResources({ type: PRIVATE_ENDPOINT_TYPE, ...under })) {
    await deletePrivateEndpoint({ ...c, params: { ...c.params, privateEndpointName: String(pe.body.name) } });
  }
  const registries = await meta.listResources({ type: REGISTRY_TYPE, ...under });
  for (const r of registries) {
    await disconnectRegistry(c.deps, r.id, { actor: c.principal.id, requestId: c.ctx.requestId });
    await meta.deleteRegistryContent(r.id.toLowerCase());
  }
  const vnets = await meta.listResources({ type: VNET_TYPE, ...under });
  await meta.deleteResource(rec.id, true);
  for (const v of vnets) await refreshPeeringsAround(meta, v.id);
  return { status: 200 };
}

export async function listResourceGroups(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const all = await c.deps.meta.listResources({ type: RESOURCE_GROUP_TYPE, underId: `/subscriptions/${s}/` });
  // Only the groups themselves (ids with exactly four segments), filtered to what the caller may read.
  const groups = all.filter((r) => r.id.split("/").filter(Boolean).length === 4);
  const visible = await readable(c.deps, c.principal, RG_READ, groups);
  return { status: 200, body: { value: visible.map(render) } };
}
