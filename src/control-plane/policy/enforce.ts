// The policy gate of every audited control-plane write (arm/front-door.ts): the handler runs against
// a write buffer (overlay.ts) and the resources it would write are evaluated. As ARM does, Deny and
// Modify act on the request's own resource: an enforced Modify rewrites the request body and runs the
// handler again (so the resource provider validates the rewritten request: a Standard registry
// forced to publicNetworkAccess Disabled meets DisablingPublicNetworkAccessNotSupported, as in
// Azure); an enforced Deny refuses the whole write with RequestDisallowedByPolicy, and nothing the
// handler wrote (the endpoint's NIC, the registry's connection) is stored. What a provider writes on
// the side is evaluated for compliance, not denied: ARM never sees those writes. Otherwise the buffer
// is committed and the compliance of what changed is recorded. The data plane never comes here.
import type { ArmCall, ArmHandler, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { applyOperations, type EvalOptions, type Outcome, type PolicySet } from "./engine.js";
import { loadPolicySet } from "./load.js";
import { overlay, type Overlay } from "./overlay.js";
import { evaluable, evaluateAndRecord, relatedFrom, relatedTypes, scan } from "./evaluation.js";
import { forgetStates } from "./states.js";
import { POLICY_ASSIGNMENT_TYPE, POLICY_EXEMPTION_TYPE, lower, obj, assignmentView, exemptionView } from "./records.js";
import { evaluate } from "./engine.js";
import { appendAudit } from "../../audit/log.js";
import type { PolicyEffectEvent } from "../../audit/event.js";

type Json = Record<string, unknown>;

async function attempt(call: ArmCall, handler: ArmHandler, set: PolicySet, body: Json | undefined) {
  const ov = overlay(call.deps.meta);
  const result = await handler({ ...call, body, deps: { ...call.deps, meta: ov.store } });
  const related = await relatedFrom(ov.store, set);
  const now = Date.now();
  const outcomes = new Map<string, Outcome[]>();
  for (const rec of ov.puts()) if (evaluable(rec.type)) outcomes.set(lower(rec.id), evaluate(rec.body, set, { now, related }));
  return { ov, result, outcomes, related, now };
}

const modifying = (os: Outcome[] | undefined) => (os ?? []).filter((o) => o.effect === "modify" && o.enforced && o.matched && (o.operations?.length ?? 0) > 0);

export async function withPolicy(call: ArmCall, handler: ArmHandler, addressedId: string): Promise<ArmResult> {
  const set = await loadPolicySet(call.deps.meta);
  let run = await attempt(call, handler, set, call.body);
  // Modify on the addressed resource: the request itself is rewritten and sent to the provider again.
  const applied: Array<{ resourceId: string; o: Outcome }> = [];
  const mods = modifying(run.outcomes.get(lower(addressedId)));
  if (mods.length > 0 && call.body) {
    for (const o of mods) applied.push({ resourceId: addressedId, o });
    const rewritten = applyOperations(call.body, mods.flatMap((o) => o.operations!));
    run = await attempt(call, handler, set, rewritten);
  }
  const events: PolicyEffectEvent[] = [];
  const event = (outcome: PolicyEffectEvent["outcome"], resourceId: string, o: Outcome, extra: Partial<PolicyEffectEvent> = {}) =>
    events.push({
      kind: "policy.effect", outcome, resourceId, policyAssignmentId: o.assignment.id, policyDefinitionId: o.definition.id,
      effect: o.effect, actor: call.principal.id, requestId: call.ctx.requestId, ...extra,
    });
  const addressed = run.ov.puts().find((r) => lower(r.id) === lower(addressedId));
  if (addressed) {
    const matched = (run.outcomes.get(lower(addressed.id)) ?? []).filter((o) => o.effect === "deny" && o.matched);
    const denies = matched.filter((o) => o.enforced);
    if (denies.length > 0) {
      for (const o of denies) event("denied", addressed.id, o);
      await audit(call, events);
      throw disallowed(addressed.body, denies);
    }
    for (const o of matched) event("not-enforced", addressed.id, o, o.exemption ? { exemptionId: o.exemption.id } : {});
  }
  for (const a of applied) event("modified", a.resourceId, a.o, { operations: a.o.operations });
  await run.ov.commit();
  await audit(call, events);
  await afterCommit(call, run.ov, set, run.related);
  return run.result;
}

async function audit(call: ArmCall, events: PolicyEffectEvent[]): Promise<void> {
  for (const e of events) {
    try {
      await appendAudit(call.deps.meta, e);
    } catch (err) {
      call.deps.log.error({ requestId: call.ctx.requestId, err: (err as Error).message }, "policy audit append failed");
    }
  }
}

/** Records the compliance of what the write changed. Failures are logged: the write has committed. */
async function afterCommit(call: ArmCall, ov: Overlay, before: PolicySet, related: EvalOptions["related"]): Promise<void> {
  const meta = call.deps.meta;
  const trigger = `write ${call.ctx.requestId}`;
  try {
    const puts = ov.puts();
    const policyChanged = puts.some((r) => isPolicyScoped(r.type)) || ov.deletes().some((id) => /\/providers\/Microsoft\.Authorization\/policy(Assignments|Exemptions|Definitions)\//i.test(id));
    const set = policyChanged ? await loadPolicySet(meta) : before;
    for (const id of ov.deletes()) if (!isPolicyId(id)) await forgetStates(meta, id);
    if (policyChanged) {
      // An assignment or exemption written or deleted: everything under its scope is evaluated again.
      const scopes = new Set<string>();
      for (const r of puts) {
        if (r.type.toLowerCase() === POLICY_ASSIGNMENT_TYPE.toLowerCase()) scopes.add(assignmentView(r.body).scope);
        else if (r.type.toLowerCase() === POLICY_EXEMPTION_TYPE.toLowerCase()) scopes.add(exemptionView(r.body).scope);
      }
      for (const id of ov.deletes()) if (isPolicyId(id)) scopes.add(id.replace(/\/providers\/Microsoft\.Authorization\/.*$/i, ""));
      for (const s of scopes) await scan(meta, set, s, trigger);
      return;
    }
    if (set.assignments.length === 0) return;
    const written = puts.filter((r) => evaluable(r.type)).map((r) => r.body);
    // Resources whose AuditIfNotExists/DeployIfNotExists state depends on a written or deleted type.
    const touched = new Set([...puts.map((r) => r.type.toLowerCase()), ...ov.deletes().map(typeOfId)]);
    const dependents: Json[] = [];
    if (relatedTypes(set).some((t) => touched.has(t.toLowerCase()))) {
      const groups = new Set([...puts.map((r) => r.id), ...ov.deletes()].map(groupOf).filter(Boolean));
      for (const g of groups) for (const r of await meta.listResources({ underId: g + "/" })) {
        if (evaluable(r.type) && !written.some((w) => lower(String(w.id)) === lower(r.id))) dependents.push(r.body);
      }
    }
    // The related lists the gate read through the write buffer are the store's now that it committed.
    await evaluateAndRecord(meta, set, [...written, ...dependents], trigger, related);
  } catch (err) {
    call.deps.log.error({ requestId: call.ctx.requestId, err: (err as Error).message }, "policy compliance was not recorded for a write");
  }
}

const isPolicyScoped = (type: string) => /^microsoft\.authorization\/policy(assignments|exemptions|definitions)$/i.test(type);
const isPolicyId = (id: string) => /\/providers\/Microsoft\.Authorization\/policy(Assignments|Exemptions|Definitions)\//i.test(id);
const groupOf = (id: string) => /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)/i.exec(id)?.[1] ?? "";

/** The ARM type an id names ("Microsoft.Network/privateEndpoints/privateDnsZoneGroups"), lower-cased. */
function typeOfId(id: string): string {
  const m = /\/providers\/([^/]+)\/(.+)$/i.exec(id);
  if (!m) return "";
  const parts = m[2]!.split("/");
  return [m[1], ...parts.filter((_, i) => i % 2 === 0)].join("/").toLowerCase();
}

/** Azure's 403: the message lists each denying assignment and definition; additionalInfo says why. */
function disallowed(doc: Json, denies: Outcome[]) {
  const identifiers = JSON.stringify(denies.map((o) => ({
    policyAssignment: { name: o.assignment.displayName, id: o.assignment.id },
    policyDefinition: { name: o.definition.displayName, id: o.definition.id, ...(o.definition.version ? { version: o.definition.version } : {}) },
  })));
  return armError("RequestDisallowedByPolicy", { name: String(doc.name ?? ""), identifiers }, {
    target: String(doc.name ?? ""),
    additionalInfo: denies.map((o) => ({
      type: "PolicyViolation",
      info: {
        policyDefinitionDisplayName: o.definition.displayName,
        evaluationDetails: { evaluatedExpressions: o.state.evaluatedExpressions.filter((e) => e.result === "True") },
        policyDefinitionId: o.definition.id,
        policyDefinitionName: o.definition.name,
        policyDefinitionEffect: "Deny",
        policyAssignmentId: o.assignment.id,
        policyAssignmentName: o.assignment.name,
        policyAssignmentDisplayName: o.assignment.displayName,
        policyAssignmentScope: o.assignment.scope,
        policyAssignmentParameters: obj(obj(o.assignment.body.properties).parameters),
      },
    })),
  });
}
