// Evaluating stored resources and recording what the engine says of them: after a committed write
// (the written resources, and those whose *IfNotExists state depends on what was written), after a
// change to an assignment or exemption (everything under its scope), and on triggerEvaluation (a
// scan). Each evaluated resource's ResourceStates record is replaced whole.
import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import { evaluate, type EvalOptions, type Outcome, type PolicySet } from "./engine.js";
import { forgetStates, recordStates, allStates } from "./states.js";
import { lower, obj, within } from "./records.js";

type Json = Record<string, unknown>;

/** Types never evaluated: policy's own resources, role assignments and Cove's records. */
export function evaluable(type: string): boolean {
  const t = type.toLowerCase();
  return !t.startsWith("microsoft.authorization/") && !t.startsWith("microsoft.policyinsights/") && !t.startsWith("cove.") &&
    t.includes("/") && !t.startsWith("microsoft.resources/");
}

/** The related types the assigned *IfNotExists rules look for. */
export function relatedTypes(set: PolicySet): string[] {
  const out = new Set<string>();
  for (const a of set.assignments) {
    const d = set.definitions.get(lower(a.policyDefinitionId));
    const t = obj(d?.rule.details).type;
    if (typeof t === "string") out.add(t);
  }
  return [...out];
}

/** An engine `related` over lists read beforehand (the engine is synchronous and pure). */
export async function relatedFrom(meta: MetadataStore, set: PolicySet): Promise<EvalOptions["related"]> {
  const lists = new Map<string, Json[]>();
  for (const t of relatedTypes(set)) lists.set(t.toLowerCase(), (await meta.listResources({ type: t })).map((r) => r.body));
  return (type, under) => (lists.get(type.toLowerCase()) ?? []).filter((d) => lower(String(d.id ?? "")).startsWith(under.toLowerCase()));
}

export async function evaluateAndRecord(meta: MetadataStore, set: PolicySet, docs: Json[], trigger: string, related?: EvalOptions["related"]): Promise<Map<string, Outcome[]>> {
  const rel = related ?? await relatedFrom(meta, set);
  const now = Date.now();
  const timestamp = new Date(now).toISOString();
  const out = new Map<string, Outcome[]>();
  for (const doc of docs) {
    const outcomes = evaluate(doc, set, { now, related: rel });
    out.set(lower(String(doc.id)), outcomes);
    await recordStates(meta, {
      resourceId: String(doc.id),
      resourceType: String(doc.type ?? ""),
      resourceLocation: String(doc.location ?? ""),
      timestamp,
      trigger,
      states: outcomes.map((o) => o.state),
    });
  }
  return out;
}

/** Every evaluable resource under `scope` (a subscription, resource group or resource id). */
export async function resourcesUnder(meta: MetadataStore, scope: string): Promise<ResourceRecord[]> {
  const all = await meta.listResources({ underId: lower(scope) === "" ? "/subscriptions/" : scope });
  return all.filter((r) => evaluable(r.type) && (within(r.id, scope)));
}

/** Re-evaluates everything under `scope` and drops the states of resources that are gone. */
export async function scan(meta: MetadataStore, set: PolicySet, scope: string, trigger: string): Promise<number> {
  const recs = await resourcesUnder(meta, scope);
  const live = new Set(recs.map((r) => lower(r.id)));
  for (const s of await allStates(meta)) if (within(s.resourceId, scope) && !live.has(lower(s.resourceId))) await forgetStates(meta, s.resourceId);
  await evaluateAndRecord(meta, set, recs.map((r) => r.body), trigger);
  return recs.length;
}
