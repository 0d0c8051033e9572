// The compliance record of each evaluated resource (records.ts ResourceStates): written after every
// evaluation, read by the PolicyInsights queries, removed with the resource. One record per
// resource, so a scan of N resources is N writes whatever the number of assignments.
import type { MetadataStore } from "../../storage/types.js";
import { RESOURCE_STATES_TYPE, obj, resourceStatesId, type ResourceStates } from "./records.js";

export async function recordStates(meta: MetadataStore, s: ResourceStates): Promise<void> {
  const id = resourceStatesId(s.resourceId);
  if (s.states.length === 0) {
    await meta.deleteResource(id, false);
    return;
  }
  await meta.putResource({ id, type: RESOURCE_STATES_TYPE, body: s as unknown as Record<string, unknown> });
}

export async function forgetStates(meta: MetadataStore, resourceId: string): Promise<void> {
  await meta.deleteResource(resourceStatesId(resourceId), false);
}

export async function readStates(meta: MetadataStore, resourceId: string): Promise<ResourceStates | undefined> {
  const rec = await meta.getResource(resourceStatesId(resourceId));
  return rec ? (rec.body as unknown as ResourceStates) : undefined;
}

export async function allStates(meta: MetadataStore): Promise<ResourceStates[]> {
  const recs = await meta.listResources({ type: RESOURCE_STATES_TYPE });
  return recs.map((r) => obj(r.body) as unknown as ResourceStates);
}
