// Microsoft.ContainerRegistry/registries/privateEndpointConnections: list, get, PUT (approve or
// reject through `privateLinkServiceConnectionState`), DELETE; and the one place where a connection
// changes state (domain/connection-state.ts decides; this module stores, mirrors and audits).
//
// Every state change, in the same serialised write: the connection record, the state mirrored on the
// endpoint's privateLinkServiceConnections entry, the registry's read-only
// `privateEndpointConnections` list (and its data endpoint, turned on by a connection as Azure does),
// and ONE audit event {kind:"private-endpoint-connection", action, resourceId, actor, from, to,
// description, requestId, time}.
//
// Names: Azure's own format for connections created from the network side is not public
// (acr-networking.md 8); Cove names them `<registry>.<guid>` (lower-case registry name).
// Deleting the endpoint audits a `disconnect` and removes the record (Azure shows Disconnected
// briefly, then drops it); deleting the connection from the registry side (or deleting the
// registry) removes the record and leaves the endpoint showing Disconnected, so its owner sees why.

import { randomUUID } from "node:crypto";
import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import type { ArmCall, ArmResult, ManagementApiDeps } from "../arm/types.js";
import { transition, CONNECTION_STATUSES, type ConnectionStatus, type TransitionCause } from "../../domain/connection-state.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getRegistry } from "../arm/scopes.js";
import { asObject, onlyKeys, optEnum, optObject, optString, invalid, type Json } from "../arm/strict-json.js";
import { PEC_TYPE, PRIVATE_ENDPOINT_TYPE, REGISTRY_TYPE } from "../../domain/resource-types.js";
import { getTyped } from "../arm/resource-kit.js";
import { dataHostNames, replicaLocations } from "./replication-records.js";
import { appendAudit } from "../../audit/log.js";
import type { PrivateEndpointConnectionEvent } from "../../audit/event.js";

export const PEC_READ = "Microsoft.ContainerRegistry/registries/privateEndpointConnections/read";
export const PEC_DELETE = "Microsoft.ContainerRegistry/registries/privateEndpointConnections/delete";
/** The permission that approves (or rejects) connections on a registry; Owner and Contributor hold it. */
export const PEC_APPROVAL = "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action";
/** Azure: "maximum of 200 private endpoints" per registry (acr-networking.md 7). */
export const MAX_CONNECTIONS_PER_REGISTRY = 200;

export interface ConnectionState {
  status: ConnectionStatus;
  description: string;
  actionsRequired: "None" | "Recreate";
}

export const connectionStateOf = (rec: ResourceRecord) =>
  ((rec.body.properties as Json).privateLinkServiceConnectionState ?? {}) as ConnectionState;

export async function connectionsOf(meta: MetadataStore, registryId: string): Promise<ResourceRecord[]> {
  return meta.listResources({ type: PEC_TYPE, underId: registryId + "/" });
}

/** Records (on any registry of the subscription) that belong to this endpoint. */
export async function connectionsForEndpoint(meta: MetadataStore, endpointId: string): Promise<ResourceRecord[]> {
  const sub = endpointId.split("/").slice(0, 3).join("/") + "/";
  const all = await meta.listResources({ type: PEC_TYPE, underId: sub });
  const key = endpointId.toLowerCase();
  return all.filter((r) => String(((r.body.properties as Json).privateEndpoint as Json)?.id ?? "").toLowerCase() === key);
}

/** The registry's read-only list, and its dedicated data endpoint (on as soon as a connection exists). */
export async function refreshRegistryConnections(deps: Pick<ManagementApiDeps, "meta" | "loginServerSuffix">, registryId: string): Promise<void> {
  const reg = await getTyped(deps.meta, registryId, REGISTRY_TYPE);
  if (!reg) return;
  const list = (await connectionsOf(deps.meta, reg.id)).map((r) => r.body);
  const props: Json = { ...(reg.body.properties as Json), privateEndpointConnections: list };
  if (list.length > 0 && props.dataEndpointEnabled !== true) {
    props.dataEndpointEnabled = true;
    props.dataEndpointHostNames = dataHostNames(String(reg.body.name), String(reg.body.location), await replicaLocations(deps.meta, reg.id), deps.loginServerSuffix);
  }
  await deps.meta.putResource({ id: reg.id, type: REGISTRY_TYPE, body: { ...reg.body, properties: props } });
}

/** Writes the registry-side state onto the endpoint's connection entry (either array). */
export async function mirrorOnEndpoint(meta: MetadataStore, endpointId: string, state: ConnectionState): Promise<void> {
  const pe = await getTyped(meta, endpointId, PRIVATE_ENDPOINT_TYPE);
  if (!pe) return;
  const props = { ...(pe.body.properties as Json) };
  for (const key of ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]) {
    props[key] = ((props[key] ?? []) as Json[]).map((conn) => ({
      ...conn,
      properties: { ...(conn.properties as Json), privateLinkServiceConnectionState: { ...state } },
    }));
  }
  await meta.putResource({ id: pe.id, type: PRIVATE_ENDPOINT_TYPE, body: { ...pe.body, properties: props } });
}

interface Who {
  actor: string;
  requestId: string;
}

async function auditTransition(meta: MetadataStore, who: Who, action: PrivateEndpointConnectionEvent["action"], resourceId: string, from: string | null, to: string, description: string) {
  await appendAudit(meta, {
    kind: "private-endpoint-connection", action, resourceId, actor: who.actor, from, to, description, requestId: who.requestId, time: new Date().toISOString(),
  });
}

/** A new connection on the registry, named `<registry>.<guid>`; audited as `create`. */
export async function createConnection(
  deps: Pick<ManagementApiDeps, "meta" | "loginServerSuffix">, registry: ResourceRecord, endpointId: string, state: ConnectionState, who: Who,
): Promise<ResourceRecord> {
  const name = `${String(registry.body.name).toLowerCase()}.${randomUUID()}`;
  const id = `${registry.id}/privateEndpointConnections/${name}`;
  const rec: ResourceRecord = {
    id, type: PEC_TYPE,
    body: {
      id, name, type: PEC_TYPE,
      properties: { provisioningState: "Succeeded", privateEndpoint: { id: endpointId }, privateLinkServiceConnectionState: { ...state } },
    },
  };
  await deps.meta.putResource(rec);
  await refreshRegistryConnections(deps, registry.id);
  await auditTransition(deps.meta, who, "create", id, null, state.status, state.description);
  return rec;
}

/**
 * Moves a connection to `to` by the transition table, or throws the catalogued error. An owner's
 * change is stored and mirrored; a system disconnect removes the record (`mirror` says whether the
 * endpoint, which still exists, should show Disconnected).
 */
export async function changeState(
  deps: Pick<ManagementApiDeps, "meta" | "loginServerSuffix">, rec: ResourceRecord, to: ConnectionStatus, cause: TransitionCause,
  who: Who, description: string | undefined, opts: { mirror?: boolean; actionsRequired?: "None" | "Recreate" } = {},
): Promise<ResourceRecord> {
  const cur = connectionStateOf(rec);
  const t = transition(cur.status, to, cause);
  if (!t.ok) {
    const reason = cur.status === "Rejected" || cur.status === "Disconnected"
      ? `A ${cur.status.toLowerCase()} connection is final: delete the private endpoint and create it again.`
      : to === "Disconnected" ? "A connection is disconnected only by deleting it or its private endpoint."
      : to === "Pending" ? "A connection cannot return to Pending." : "The transition is not allowed.";
    throw armError("PrivateEndpointConnectionStateTransitionNotAllowed", { name: String(rec.body.name), from: cur.status, to, reason });
  }
  if (t.action === "none") return rec;
  const state: ConnectionState = { status: to, description: description ?? cur.description ?? "", actionsRequired: opts.actionsRequired ?? "None" };
  const endpointId = String(((rec.body.properties as Json).privateEndpoint as Json)?.id ?? "");
  const registryId = rec.id.split("/").slice(0, -2).join("/");
  let out = rec;
  if (to === "Disconnected") {
    await deps.meta.deleteResource(rec.id);
  } else {
    out = { ...rec, body: { ...rec.body, properties: { ...(rec.body.properties as Json), privateLinkServiceConnectionState: state } } };
    await deps.meta.putResource(out);
  }
  if (to !== "Disconnected" || opts.mirror) await mirrorOnEndpoint(deps.meta, endpointId, state);
  await refreshRegistryConnections(deps, registryId);
  await auditTransition(deps.meta, who, t.action, rec.id, cur.status, to, state.description);
  return out;
}

/** When a registry is deleted: each endpoint that pointed at it shows Disconnected (records go with the registry). */
export async function disconnectRegistry(deps: Pick<ManagementApiDeps, "meta" | "loginServerSuffix">, registryId: string, who: Who): Promise<void> {
  for (const rec of await connectionsOf(deps.meta, registryId)) {
    await changeState(deps, rec, "Disconnected", "system", who, "The private link resource was deleted.", { mirror: true, actionsRequired: "Recreate" });
  }
}

function whoOf(c: ArmCall): Who {
  return { actor: c.principal.id, requestId: c.ctx.requestId };
}

async function loadConnection(c: ArmCall): Promise<{ registry: ResourceRecord; rec: ResourceRecord | undefined; id: string }> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const registry = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  const id = `${registry.id}/privateEndpointConnections/${c.params.privateEndpointConnectionName!}`;
  return { registry, rec: await getTyped(c.deps.meta, id, PEC_TYPE), id };
}

function notFound(c: ArmCall): never {
  throw armError("ResourceNotFound", { type: PEC_TYPE, name: `${c.params.registryName}/${c.params.privateEndpointConnectionName}`, resourceGroup: c.params.resourceGroupName! });
}

export async function listConnections(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const registry = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  return { status: 200, body: { value: (await connectionsOf(c.deps.meta, registry.id)).map((r) => r.body) } };
}

export async function getConnection(c: ArmCall): Promise<ArmResult> {
  const { rec } = await loadConnection(c);
  if (!rec) notFound(c);
  return { status: 200, body: rec.body };
}

/** Approve or reject: the route already demanded the approval permission on the registry. */
export async function putConnection(c: ArmCall): Promise<ArmResult> {
  const body = c.body!;
  onlyKeys(body, ["properties", "id", "name", "type", "systemData"], "");
  const p = optObject(body.properties, "properties");
  if (!p) invalid("properties", "Required property 'properties' not found in JSON.");
  onlyKeys(p, ["privateLinkServiceConnectionState", "privateEndpoint", "provisioningState"], "properties");
  const s = p.privateLinkServiceConnectionState === undefined || p.privateLinkServiceConnectionState === null
    ? invalid("properties.privateLinkServiceConnectionState", "Required property 'privateLinkServiceConnectionState' not found in JSON.")
    : asObject(p.privateLinkServiceConnectionState, "properties.privateLinkServiceConnectionState");
  const path = "properties.privateLinkServiceConnectionState";
  onlyKeys(s, ["status", "description", "actionsRequired"], path);
  const status = optEnum(s.status, CONNECTION_STATUSES, `${path}.status`);
  if (!status) invalid(`${path}.status`, "Required property 'status' not found in JSON.");
  const description = optString(s.description, `${path}.description`);
  optEnum(s.actionsRequired, ["None", "Recreate"] as const, `${path}.actionsRequired`);
  const { rec } = await loadConnection(c);
  if (!rec) notFound(c);
  const pe = optObject(p.privateEndpoint, "properties.privateEndpoint");
  if (pe && pe.id !== undefined && String(pe.id).toLowerCase() !== String(((rec.body.properties as Json).privateEndpoint as Json).id).toLowerCase()) {
    throw armError("InvalidParameter", { target: "properties.privateEndpoint.id", reason: "The private endpoint of a connection cannot change." }, { target: "properties.privateEndpoint.id" });
  }
  const out = await changeState(c.deps, rec, status, "owner", whoOf(c), description);
  return { status: 200, body: out.body };
}

/** Removes the connection; the endpoint stays and shows Disconnected. 200, or 204 when absent. */
export async function deleteConnection(c: ArmCall): Promise<ArmResult> {
  const { rec } = await loadConnection(c);
  if (!rec) return { status: 204 };
  await changeState(c.deps, rec, "Disconnected", "system", whoOf(c), "The connection was deleted by the registry owner.", { mirror: true, actionsRequired: "Recreate" });
  return { status: 200 };
}
