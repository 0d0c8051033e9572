// Microsoft.PolicyInsights/remediations at subscription, resource-group and resource scope: PUT,
// GET, list, DELETE, cancel and listDeployments, with Azure's properties. A remediation names a
// DeployIfNotExists or Modify assignment; once written it runs in the background, as Azure's
// (provisioningState Accepted -> Evaluating -> Running -> Succeeded | Failed | Canceled; it takes
// seconds in Cove), as the assignment's identity (remediation-run.ts). Each deployment is a record
// under the remediation, so it goes with it (and with its group).
import { randomUUID } from "node:crypto";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { asObject, asString, onlyKeys, optArray, optEnum, optInteger, optObject, optString } from "../arm/strict-json.js";
import { getResourceGroup } from "../arm/scopes.js";
import { readable } from "../arm/authorize.js";
import { loadPolicySet } from "./load.js";
import { effectiveParameters } from "./engine.js";
import { ruleEffect } from "./rules.js";
import { REMEDIATION_TYPE, assignmentView, lower, obj, within } from "./records.js";
import { REMEDIATION_DEPLOYMENT_TYPE, deploymentsPrefix, startRemediation } from "./remediation-run.js";
import { typeOfId } from "./deployments.js";

export const REM_READ = "Microsoft.PolicyInsights/remediations/read";
export const REM_WRITE = "Microsoft.PolicyInsights/remediations/write";
export const REM_DELETE = "Microsoft.PolicyInsights/remediations/delete";
export const REM_CANCEL = "Microsoft.PolicyInsights/remediations/cancel/action";
export const REM_DEPLOYMENTS = "Microsoft.PolicyInsights/remediations/listDeployments/read";

type Json = Record<string, unknown>;
const RUNNING = new Set(["Accepted", "Evaluating", "Running", "Cancelling"]);

export const remediationId = (scope: string, name: string) => `${scope}/providers/Microsoft.PolicyInsights/remediations/${name}`;

/** The scope of a remediation route: the subscription, a group that exists, or a stored resource. */
async function remediationScope(c: ArmCall): Promise<string> {
  const scope = c.params.scope ?? "";
  const segs = scope.split("/").filter(Boolean);
  if (segs[0]?.toLowerCase() !== "subscriptions" || segs.length < 2) throw armError("NotFound", { path: scope || "/" });
  if (segs.length === 2) return `/subscriptions/${c.deps.subscriptionId}`;
  const group = segs[2]?.toLowerCase() === "resourcegroups" && segs[3] ? await getResourceGroup(c.deps, segs[3]) : undefined;
  if (!group) throw armError("NotFound", { path: scope });
  if (segs.length === 4) return group.id;
  const rec = await c.deps.meta.getResource(scope);
  if (!rec) throw armError("ResourceNotFound", { type: typeOfId(scope) || "resource", name: segs[segs.length - 1]!, resourceGroup: segs[3]! });
  return rec.id;
}

function invalid(reason: string): never {
  throw armError("InvalidCreateRemediationRequest", { reason });
}

async function getRecord(c: ArmCall) {
  const id = remediationId(await remediationScope(c), c.params.remediationName!);
  const rec = await c.deps.meta.getResource(id);
  if (!rec || rec.type.toLowerCase() !== REMEDIATION_TYPE.toLowerCase()) throw armError("RemediationNotFound", { name: c.params.remediationName! });
  return rec;
}

export async function putRemediation(c: ArmCall): Promise<ArmResult> {
  const name = c.params.remediationName!;
  if (!/^[^<>*%&:\\?+/#|]{1,260}$/.test(name)) invalid(`The remediation name '${name}' is invalid.`);
  const scope = await remediationScope(c);
  const body = c.body!;
  onlyKeys(body, ["properties", "id", "name", "type", "systemData"], "");
  const p = asObject(body.properties, "properties");
  onlyKeys(p, ["policyAssignmentId", "policyDefinitionReferenceId", "resourceDiscoveryMode", "filters", "resourceCount", "parallelDeployments",
    "failureThreshold", "provisioningState", "createdOn", "lastUpdatedOn", "deploymentStatus", "statusMessage", "correlationId"], "properties");
  const assignmentIdGiven = asString(p.policyAssignmentId, "properties.policyAssignmentId");
  const reference = optString(p.policyDefinitionReferenceId, "properties.policyDefinitionReferenceId");
  if (reference) invalid("policyDefinitionReferenceId names a definition of a policy set; Cove has no policy set definitions.");
  const mode = optEnum(p.resourceDiscoveryMode, ["ExistingNonCompliant", "ReEvaluateCompliance"] as const, "properties.resourceDiscoveryMode") ?? "ExistingNonCompliant";
  const filters = optObject(p.filters, "properties.filters");
  if (filters) onlyKeys(filters, ["locations", "resourceIds"], "properties.filters");
  const list = (k: string) => optArray(filters?.[k], `properties.filters.${k}`)?.map((v, i) => asString(v, `properties.filters.${k}[${i}]`));
  const locations = list("locations");
  const resourceIds = list("resourceIds");
  const resourceCount = optInteger(p.resourceCount, "properties.resourceCount", 1, 50_000) ?? 500;
  const parallelDeployments = optInteger(p.parallelDeployments, "properties.parallelDeployments", 1, 30) ?? 10;
  const threshold = optObject(p.failureThreshold, "properties.failureThreshold");
  if (threshold) onlyKeys(threshold, ["percentage"], "properties.failureThreshold");
  const percentage = threshold?.percentage === undefined ? 1 : Number(threshold.percentage);
  if (!(percentage >= 0 && percentage <= 1)) invalid("failureThreshold.percentage must be a number between 0 and 1.");

  const arec = await c.deps.meta.getResource(assignmentIdGiven);
  if (!arec || !/\/providers\/Microsoft\.Authorization\/policyAssignments\/[^/]+$/i.test(arec.id)) {
    throw armError("PolicyAssignmentNotFound", { name: assignmentIdGiven });
  }
  const a = assignmentView(arec.body);
  const def = (await loadPolicySet(c.deps.meta)).definitions.get(lower(a.policyDefinitionId));
  const effect = def ? ruleEffect(def.rule, effectiveParameters(def.view, a)) : undefined;
  if (effect !== "deployIfNotExists" && effect !== "modify") {
    invalid(`The policy assignment '${a.id}' gives its definition the effect '${effect ?? "unknown"}'; only DeployIfNotExists and Modify policies can be remediated.`);
  }
  if (!within(scope, a.scope) && !within(a.scope, scope)) invalid(`The remediation scope '${scope}' and the policy assignment's scope '${a.scope}' do not overlap.`);

  const id = remediationId(scope, name);
  const existing = await c.deps.meta.getResource(id);
  const prev = obj(existing?.body.properties);
  if (existing && RUNNING.has(String(prev.provisioningState))) invalid(`The remediation '${name}' is ${String(prev.provisioningState)}; cancel it or wait until it ends.`);
  const now = new Date().toISOString();
  const sys = obj(existing?.body.systemData);
  const doc: Json = {
    id,
    type: REMEDIATION_TYPE,
    name,
    systemData: {
      createdBy: sys.createdBy ?? c.principal.id, createdByType: "Application", createdAt: sys.createdAt ?? now,
      lastModifiedBy: c.principal.id, lastModifiedByType: "Application", lastModifiedAt: now,
    },
    properties: {
      policyAssignmentId: a.id,
      resourceDiscoveryMode: mode,
      provisioningState: "Accepted",
      createdOn: now,
      lastUpdatedOn: now,
      ...(locations || resourceIds ? { filters: { ...(locations ? { locations } : {}), ...(resourceIds ? { resourceIds } : {}) } } : {}),
      deploymentStatus: { totalDeployments: 0, successfulDeployments: 0, failedDeployments: 0 },
      correlationId: randomUUID(),
      resourceCount,
      parallelDeployments,
      failureThreshold: { percentage },
    },
  };
  await c.deps.meta.deleteResource(deploymentsPrefix(id), true);
  await c.deps.meta.putResource({ id, type: REMEDIATION_TYPE, body: doc });
  if (!c.deps.internal) throw new Error("remediation needs the front door's internal API");
  startRemediation(c.deps.internal, id, String(c.ctx.headers.host ?? "management.azure.com"), c.ctx.requestId);
  return { status: existing ? 200 : 201, body: doc };
}

export async function getRemediation(c: ArmCall): Promise<ArmResult> {
  return { status: 200, body: (await getRecord(c)).body };
}

/** The remediations at the scope and below it that the caller may read; $filter "PolicyAssignmentId eq '<id>'", $top. */
export async function listRemediations(c: ArmCall): Promise<ArmResult> {
  const scope = await remediationScope(c);
  const filter = (c.ctx.query.get("$filter") ?? "").trim();
  const m = /^policyAssignmentId\s+eq\s+'([^']*)'$/i.exec(filter);
  if (filter !== "" && !m) throw armError("InvalidQueryParameterValue", { parameter: "$filter", reason: `'${filter}' is not supported; Cove filters remediations by PolicyAssignmentId eq '<id>'.` }, { target: "$filter" });
  const top = c.ctx.query.get("$top");
  if (top !== null && !/^\d{1,9}$/.test(top)) throw armError("InvalidQueryParameterValue", { parameter: "$top", reason: `'${top}' is not a non-negative integer.` }, { target: "$top" });
  const all = (await c.deps.meta.listResources({ type: REMEDIATION_TYPE, underId: scope === "" ? "/" : scope }))
    .filter((r) => within(r.id, scope) && (!m || lower(String(obj(r.body.properties).policyAssignmentId)) === lower(m[1]!)));
  const value = (await readable(c.deps, c.principal, REM_READ, all)).map((r) => r.body);
  return { status: 200, body: { value: top === null ? value : value.slice(0, Number(top)) } };
}

/** 200 with the deleted remediation (a running one stops before its next deployment); 204 when there was none. */
export async function deleteRemediation(c: ArmCall): Promise<ArmResult> {
  const id = remediationId(await remediationScope(c), c.params.remediationName!);
  const rec = await c.deps.meta.getResource(id);
  if (!rec) return { status: 204 };
  await c.deps.meta.deleteResource(id, true);
  return { status: 200, body: rec.body };
}

export async function cancelRemediation(c: ArmCall): Promise<ArmResult> {
  const rec = await getRecord(c);
  const p = obj(rec.body.properties);
  const state = String(p.provisioningState);
  if (!RUNNING.has(state)) throw armError("InvalidCancelRemediationRequest", { name: String(rec.body.name), state });
  const body = { ...rec.body, properties: { ...p, provisioningState: "Cancelling", lastUpdatedOn: new Date().toISOString() } };
  await c.deps.meta.putResource({ id: rec.id, type: rec.type, body });
  return { status: 200, body };
}

export async function listDeployments(c: ArmCall): Promise<ArmResult> {
  const rec = await getRecord(c);
  const top = c.ctx.query.get("$top");
  if (top !== null && !/^\d{1,9}$/.test(top)) throw armError("InvalidQueryParameterValue", { parameter: "$top", reason: `'${top}' is not a non-negative integer.` }, { target: "$top" });
  const value = (await c.deps.meta.listResources({ type: REMEDIATION_DEPLOYMENT_TYPE, underId: deploymentsPrefix(rec.id) + "/" })).map((r) => r.body);
  return { status: 200, body: { value: top === null ? value : value.slice(0, Number(top)) } };
}
