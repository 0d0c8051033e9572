// Runs a remediation in the background, as the assignment's system-assigned identity (a principal
// whose role assignments decide what it may change, as Azure's managed identity):
//   1. (serialised) which resources: the assignment's NonCompliant records under the remediation's
//      scope (ExistingNonCompliant), or those found NonCompliant by evaluating them now
//      (ReEvaluateCompliance); filters.locations / resourceIds; at most resourceCount;
//   2. each one, parallelDeployments at a time: DeployIfNotExists deploys the rule's template
//      (deployments.ts) with its parameters' policy expressions resolved against the resource;
//      Modify re-sends the resource with the operations applied (PATCH, else PUT). Every request
//      goes through the management API's route table as the identity; each outcome is recorded;
//      once failures pass failureThreshold, no more are started;
//   3. (serialised) the remediated resources are evaluated again, and the remediation ends
//      Succeeded, Failed (a deployment failed) or Canceled.
// A remediation deleted or cancelled meanwhile stops before its next deployment.
import { randomUUID } from "node:crypto";
import type { InternalApi, ManagementApiDeps } from "../arm/types.js";
import type { Principal } from "../../auth/types.js";
import { armError } from "../arm/errors.js";
import { API_VERSIONS, type ProviderKey } from "../arm/api-versions.js";
import { SERVICE_PRINCIPALS_ROOT } from "../../identity/identity-provider.js";
import { applyOperations, evaluate, type Outcome } from "./engine.js";
import { evaluateExpr, parseValue } from "./expressions.js";
import { fieldPath } from "./aliases.js";
import { loadPolicySet } from "./load.js";
import { evaluateAndRecord, relatedFrom, resourcesUnder } from "./evaluation.js";
import { allStates } from "./states.js";
import { lower, obj, within } from "./records.js";
import { deploy, DeploymentError, type DeploymentTarget } from "./deployments.js";
import { sendAs, type Send } from "./internal-request.js";

type Json = Record<string, unknown>;

export const REMEDIATION_DEPLOYMENT_TYPE = "Cove.PolicyInsights/remediationDeployments";
export const deploymentsPrefix = (id: string) => `${id}/deployments`;

interface Target { doc: Json; outcome: Outcome }
interface Plan { deps: ManagementApiDeps; principal: Principal; targets: Target[]; parallel: number; threshold: number; correlationId: string; name: string }

/** The newest api-version Cove serves for a type: its provider's (the longest provider key that prefixes the type). */
export function apiVersionFor(type: string): string | undefined {
  const keys = (Object.keys(API_VERSIONS) as ProviderKey[]).filter((k) => type.toLowerCase() === k.toLowerCase() || type.toLowerCase().startsWith(k.toLowerCase() + "/"));
  const key = keys.sort((a, b) => b.length - a.length)[0];
  return key ? API_VERSIONS[key][0] : undefined;
}

async function update(deps: ManagementApiDeps, id: string, change: (p: Json) => Json): Promise<Json | undefined> {
  const rec = await deps.meta.getResource(id);
  if (!rec) return undefined;
  const properties = { ...change(obj(rec.body.properties)), lastUpdatedOn: new Date().toISOString() };
  await deps.meta.putResource({ id: rec.id, type: rec.type, body: { ...rec.body, properties } });
  return properties;
}

const fail = (deps: ManagementApiDeps, id: string, statusMessage: string) =>
  update(deps, id, (p) => ({ ...p, provisioningState: "Failed", statusMessage })).then(() => undefined);

async function prepare(deps: ManagementApiDeps, id: string): Promise<Plan | undefined> {
  const rec = await deps.meta.getResource(id);
  const p = obj(rec?.body.properties);
  if (!rec || p.provisioningState !== "Accepted") return undefined;
  const scope = id.replace(/\/providers\/Microsoft\.PolicyInsights\/remediations\/[^/]+$/i, "");
  const set = await loadPolicySet(deps.meta);
  const a = set.assignments.find((x) => lower(x.id) === lower(String(p.policyAssignmentId)));
  if (!a) return fail(deps, id, `The policy assignment '${String(p.policyAssignmentId)}' no longer exists.`);
  const sp = a.identityPrincipalId ? await deps.meta.getResource(`${SERVICE_PRINCIPALS_ROOT}/${a.identityPrincipalId}`) : undefined;
  if (!sp) return fail(deps, id, `The policy assignment '${a.id}' has no managed identity to remediate with.`);
  const principal: Principal = { kind: "servicePrincipal", id: a.identityPrincipalId!, clientId: String(sp.body.appId), displayName: String(sp.body.displayName ?? ""), tenantId: deps.tenantId };
  await update(deps, id, (q) => ({ ...q, provisioningState: p.resourceDiscoveryMode === "ReEvaluateCompliance" ? "Evaluating" : "Running" }));

  // Only the resources both scopes cover.
  const narrow = within(scope, a.scope) ? scope : a.scope;
  let ids: string[];
  if (p.resourceDiscoveryMode === "ReEvaluateCompliance") {
    const docs = (await resourcesUnder(deps.meta, narrow)).map((r) => r.body);
    const outcomes = await evaluateAndRecord(deps.meta, set, docs, `remediation ${String(rec.body.name)}`);
    ids = docs.map((d) => String(d.id)).filter((d) => outcomes.get(lower(d))?.some((o) => lower(o.assignment.id) === lower(a.id) && o.state.complianceState === "NonCompliant"));
  } else {
    ids = (await allStates(deps.meta)).filter((s) => within(s.resourceId, narrow) &&
      s.states.some((e) => lower(e.policyAssignmentId) === lower(a.id) && e.complianceState === "NonCompliant")).map((s) => s.resourceId);
  }
  const filters = obj(p.filters);
  const locations = Array.isArray(filters.locations) ? filters.locations.map((l) => String(l).replace(/\s+/g, "").toLowerCase()) : undefined;
  const only = Array.isArray(filters.resourceIds) ? new Set(filters.resourceIds.map((r) => lower(String(r)))) : undefined;
  const related = await relatedFrom(deps.meta, set);
  const now = Date.now();
  const targets: Target[] = [];
  for (const rid of ids) {
    if (targets.length >= Number(p.resourceCount ?? 500)) break;
    if (only && !only.has(lower(rid))) continue;
    const doc = (await deps.meta.getResource(rid))?.body;
    if (!doc || (locations && !locations.includes(String(doc.location ?? "").toLowerCase()))) continue;
    // The outcome as of now: the operations and the deployment parameters come from the current document.
    const outcome = evaluate(doc, set, { now, related }).find((o) => lower(o.assignment.id) === lower(a.id));
    if (outcome?.matched && !outcome.exemption) targets.push({ doc, outcome });
  }
  await update(deps, id, (q) => ({ ...q, provisioningState: "Running", deploymentStatus: { totalDeployments: targets.length, successfulDeployments: 0, failedDeployments: 0 } }));
  return {
    deps, principal, targets, parallel: Number(p.parallelDeployments ?? 10), threshold: Number(obj(p.failureThreshold).percentage ?? 1),
    correlationId: String(p.correlationId ?? randomUUID()), name: String(rec.body.name),
  };
}

/** A policy expression of a DeployIfNotExists deployment parameter, against the non-compliant resource. */
function policyValue(v: unknown, doc: Json, parameters: Record<string, unknown>): unknown {
  return evaluateExpr(parseValue(v), {
    parameter: (n) => {
      const k = Object.keys(parameters).find((x) => x.toLowerCase() === n.toLowerCase());
      if (k === undefined) throw new DeploymentError("InvalidTemplate", `The policy parameter '${n}' is not defined.`);
      return parameters[k];
    },
    field: (alias) => {
      const f = fieldPath(alias);
      let at: unknown = doc;
      for (const seg of f?.segments ?? []) {
        const o = obj(at);
        at = o[Object.keys(o).find((k) => k.toLowerCase() === seg.toLowerCase()) ?? seg];
      }
      return f ? at : undefined;
    },
  });
}

async function remediateOne(plan: Plan, send: Send, t: Target): Promise<{ deploymentId?: string; error?: DeploymentError }> {
  const { deps } = plan;
  const id = String(t.doc.id);
  try {
    if (t.outcome.effect === "modify") {
      const ops = t.outcome.operations ?? [];
      const version = apiVersionFor(String(t.doc.type)) ?? "";
      const touchesTags = ops.some((o) => fieldPath(o.field)?.segments[0] === "tags");
      let sent = await send("PATCH", id, version, applyOperations(touchesTags ? { tags: obj(t.doc.tags) } : {}, ops));
      // A type with no PATCH takes the whole document again.
      if (sent.status === 405) sent = await send("PUT", id, version, applyOperations(t.doc, ops));
      if (sent.status >= 300) {
        const e = obj(obj(sent.body).error);
        throw new DeploymentError(String(e.code ?? `Status${sent.status}`), String(e.message ?? ""), id);
      }
      return {};
    }
    const details = obj(t.outcome.details);
    const scope = String(details.deploymentScope ?? "resourceGroup").toLowerCase();
    if (scope !== "resourcegroup") throw new DeploymentError("InvalidTemplate", `Deployment scope '${String(details.deploymentScope)}' is not supported by Cove; it deploys into the resource's group.`);
    const props = obj(obj(details.deployment).properties);
    const group = /\/resourceGroups\/([^/]+)/i.exec(id)?.[1];
    if (!group) throw new DeploymentError("InvalidTemplate", `The resource '${id}' is not in a resource group.`);
    const parameters: Json = {};
    for (const [k, v] of Object.entries(obj(props.parameters))) parameters[k] = { value: policyValue(obj(v).value, t.doc, t.outcome.state.effectiveParameters) };
    const name = randomUUID();
    const deploymentId = `/subscriptions/${deps.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Resources/deployments/${name}`;
    const target: DeploymentTarget = {
      subscriptionId: deps.subscriptionId,
      tenantId: deps.tenantId,
      resourceGroup: group,
      readGroup: async () => obj((await deps.meta.getResource(`/subscriptions/${deps.subscriptionId}/resourceGroups/${group}`))?.body),
      send: (method, rid, apiVersion, body) => send(method, rid, apiVersion, body),
      async demand(action, at) {
        if (await deps.access.authorize(plan.principal, action, at)) return;
        const e = armError("AuthorizationFailed", { clientId: plan.principal.clientId ?? plan.principal.id, objectId: plan.principal.id, action, scope: at });
        throw new DeploymentError(e.code, e.message, at);
      },
      apiVersionFor: (type) => apiVersionFor(type),
    };
    try {
      await deploy(obj(props.template), parameters, name, target);
    } catch (err) {
      return { deploymentId, error: err instanceof DeploymentError ? err : new DeploymentError("DeploymentFailed", (err as Error).message, id) };
    }
    return { deploymentId };
  } catch (err) {
    return { error: err instanceof DeploymentError ? err : new DeploymentError("DeploymentFailed", (err as Error).message, id) };
  }
}

async function record(deps: ManagementApiDeps, remId: string, n: number, t: Target, createdOn: string, r: { deploymentId?: string; error?: DeploymentError }) {
  if (!(await deps.meta.getResource(remId))) return;
  const id = `${deploymentsPrefix(remId)}/${String(n).padStart(6, "0")}`;
  const body: Json = {
    remediatedResourceId: String(t.doc.id),
    ...(r.deploymentId ? { deploymentId: r.deploymentId } : {}),
    status: r.error ? "Failed" : "Succeeded",
    resourceLocation: String(t.doc.location ?? ""),
    ...(r.error ? { error: { code: r.error.code, message: r.error.message, ...(r.error.target ? { target: r.error.target } : {}) } } : {}),
    createdOn,
    lastUpdatedOn: new Date().toISOString(),
  };
  await deps.meta.putResource({ id, type: REMEDIATION_DEPLOYMENT_TYPE, body });
  await update(deps, remId, (p) => {
    const s = obj(p.deploymentStatus);
    const ok = Number(s.successfulDeployments ?? 0) + (r.error ? 0 : 1);
    const failed = Number(s.failedDeployments ?? 0) + (r.error ? 1 : 0);
    return { ...p, deploymentStatus: { totalDeployments: Number(s.totalDeployments ?? 0), successfulDeployments: ok, failedDeployments: failed } };
  });
}

async function run(internal: InternalApi, id: string, host: string): Promise<void> {
  const plan = await internal.exclusively((deps) => prepare(deps, id));
  if (!plan) return;
  const send = sendAs(internal, plan.principal, host, plan.correlationId);
  const queue = plan.targets.map((t, i) => ({ t, i }));
  let failed = 0;
  let stopped = false;
  const stillWanted = async () => ["Running"].includes(String(obj((await plan.deps.meta.getResource(id))?.body.properties).provisioningState));
  const worker = async () => {
    for (let next = queue.shift(); next && !stopped; next = queue.shift()) {
      if (!(await stillWanted())) { stopped = true; break; }
      const createdOn = new Date().toISOString();
      const r = await remediateOne(plan, send, next.t);
      if (r.error) failed++;
      await internal.exclusively((deps) => record(deps, id, next.i, next.t, createdOn, r));
      if (failed / plan.targets.length > plan.threshold) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.parallel, plan.targets.length) }, worker));
  await internal.exclusively(async (deps) => {
    const rec = await deps.meta.getResource(id);
    if (!rec) return;
    const docs: Json[] = [];
    for (const t of plan.targets) {
      const now = await deps.meta.getResource(String(t.doc.id));
      if (now) docs.push(now.body);
    }
    await evaluateAndRecord(deps.meta, await loadPolicySet(deps.meta), docs, `remediation ${plan.name}`);
    await update(deps, id, (p) => {
      const s = obj(p.deploymentStatus);
      const cancelled = p.provisioningState === "Cancelling";
      const bad = Number(s.failedDeployments ?? 0);
      return {
        ...p,
        provisioningState: cancelled ? "Canceled" : bad > 0 ? "Failed" : "Succeeded",
        ...(bad > 0 ? { statusMessage: `${bad} of ${Number(s.totalDeployments ?? 0)} deployments failed; listDeployments names each error.` } : {}),
      };
    });
  });
}

/** Starts the run after the current write (never awaited by the request that created it). */
export function startRemediation(internal: InternalApi, id: string, host: string, requestId: string): void {
  void run(internal, id, host).catch((err) =>
    internal.exclusively(async (deps) => {
      deps.log.error({ requestId, remediation: id, err: (err as Error).message }, "remediation failed");
      await fail(deps, id, "The remediation stopped on an internal error; see Cove's log.");
    }),
  ).catch(() => undefined); // the store itself is gone (Cove is stopping): nothing left to record it in
}
