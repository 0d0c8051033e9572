// policyStates/latest/triggerEvaluation at subscription and resource-group scope, as Azure: 202
// with a Location (.../asyncOperationResults/{id}) that answers 202 while the scan runs and 200
// {"status":"Succeeded"} once it is done, which the SDK's poller
// (beginTriggerSubscriptionEvaluationAndWait) follows. The scan (evaluation.ts scan: every resource
// under the scope evaluated again, with exemptions as of now, and the records of resources that are
// gone dropped) runs right after the request, in the front door's serialised section: it writes
// state records, and a write's own compliance record, written in that section too, must never be
// overwritten by a scan that read the resource before the write.
//
// The route is audited: a scan changes what the compliance records say (and so the evidence), and
// the audit log names who asked for it. Its operation record lives outside any subscription's ids.
import { randomUUID } from "node:crypto";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { getResourceGroup } from "../arm/scopes.js";
import { loadPolicySet } from "./load.js";
import { scan } from "./evaluation.js";
import { INSIGHTS_API_VERSION } from "./insights.js";

export const PS_TRIGGER = "Microsoft.PolicyInsights/policyStates/triggerEvaluation/action";
export const ASYNC_READ = "Microsoft.PolicyInsights/asyncOperationResults/read";

const OPERATION_TYPE = "Cove.PolicyInsights/asyncOperations";
const operationId = (token: string) => `/providers/Cove.PolicyInsights/asyncOperations/${token}`;

interface Operation {
  status: "Running" | "Succeeded" | "Failed";
  scope: string;
  requestedBy: string;
  startedAt: string;
  endedAt?: string;
  evaluatedResources?: number;
}

function location(c: ArmCall, token: string): string {
  const host = String(c.ctx.headers.host ?? "management.azure.com");
  return `https://${host}/subscriptions/${c.deps.subscriptionId}/providers/Microsoft.PolicyInsights/asyncOperationResults/${token}?api-version=${INSIGHTS_API_VERSION}`;
}

export async function triggerEvaluation(c: ArmCall): Promise<ArmResult> {
  const scope = c.params.resourceGroupName !== undefined
    ? (await getResourceGroup(c.deps, c.params.resourceGroupName)).id
    : `/subscriptions/${c.deps.subscriptionId}`;
  const internal = c.deps.internal;
  if (!internal) throw new Error("triggerEvaluation needs the front door's internal API");
  const token = randomUUID();
  const op: Operation = { status: "Running", scope, requestedBy: c.principal.id, startedAt: new Date().toISOString() };
  await c.deps.meta.putResource({ id: operationId(token), type: OPERATION_TYPE, body: op as never });
  // Queued behind this request's own section (never awaited here: that would wait for itself).
  void internal.exclusively(async (deps) => {
    let done: Operation;
    try {
      const n = await scan(deps.meta, await loadPolicySet(deps.meta), scope, `triggerEvaluation ${c.ctx.requestId}`);
      done = { ...op, status: "Succeeded", endedAt: new Date().toISOString(), evaluatedResources: n };
    } catch (err) {
      deps.log.error({ requestId: c.ctx.requestId, err: (err as Error).message }, "policy evaluation scan failed");
      done = { ...op, status: "Failed", endedAt: new Date().toISOString() };
    }
    await deps.meta.putResource({ id: operationId(token), type: OPERATION_TYPE, body: done as never });
  }).catch((err) => c.deps.log.error({ requestId: c.ctx.requestId, err: (err as Error).message }, "policy evaluation scan was not recorded"));
  return { status: 202, headers: { location: location(c, token) } };
}

/** The poll: 202 (and the Location again) while the scan runs, 200 {"status":"Succeeded"} when done. */
export async function getOperationResult(c: ArmCall): Promise<ArmResult> {
  const token = c.params.operationId!;
  const rec = /^[0-9a-f-]{36}$/i.test(token) ? await c.deps.meta.getResource(operationId(token)) : undefined;
  if (!rec) throw armError("NotFound", { path: c.ctx.rawPath });
  const op = rec.body as unknown as Operation;
  // Whoever asked for the scan may follow it, and so may anyone who may read what it evaluated.
  if (op.requestedBy !== c.principal.id && !(await c.deps.access.authorize(c.principal, ASYNC_READ, op.scope))) throw armError("NotFound", { path: c.ctx.rawPath });
  if (op.status === "Running") return { status: 202, headers: { location: location(c, token) } };
  if (op.status === "Failed") throw armError("InternalServerError");
  return { status: 200, body: { status: "Succeeded" } };
}
