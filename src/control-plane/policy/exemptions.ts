// Microsoft.Authorization/policyExemptions: an exception to one assignment for a scope, Waiver or
// Mitigated, until `expiresOn` (absent: until deleted). The engine stops enforcing the assignment on
// resources under the exemption's scope while it runs, and reports them Exempt; once it expires,
// the next write or scan enforces and evaluates again. Writes are audited by the front door.
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { asObject, asString, onlyKeys, optEnum, optObject, optString } from "../arm/strict-json.js";
import { resolveScope } from "../arm/scopes.js";
import { POLICY_ASSIGNMENT_TYPE, POLICY_EXEMPTION_TYPE, assignmentView, exemptionView, lower, obj, within } from "./records.js";

export const PE_READ = "Microsoft.Authorization/policyExemptions/read";
export const PE_WRITE = "Microsoft.Authorization/policyExemptions/write";
export const PE_DELETE = "Microsoft.Authorization/policyExemptions/delete";

type Json = Record<string, unknown>;

export const exemptionId = (scope: string, name: string) => `${scope}/providers/Microsoft.Authorization/policyExemptions/${name}`;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;

export async function putExemption(c: ArmCall): Promise<ArmResult> {
  const name = c.params.policyExemptionName!;
  if (!/^[^<>*%&:\\?+/#|]{1,128}$/.test(name)) throw armError("InvalidPolicyExemptionRequest", { reason: `The policy exemption name '${name}' is invalid.` });
  const body = c.body!;
  onlyKeys(body, ["properties", "id", "name", "type", "systemData"], "");
  const p = asObject(body.properties, "properties");
  onlyKeys(p, ["policyAssignmentId", "policyDefinitionReferenceIds", "exemptionCategory", "expiresOn", "displayName", "description", "metadata",
    "assignmentScopeValidation", "resourceSelectors"], "properties");
  const scope = await resolveScope(c.deps, c.params.scope!);
  if (scope.kind === "tenant") throw armError("InvalidPolicyExemptionRequest", { reason: "Cove exempts at subscription, resource group or resource scope." });
  const assignmentId = asString(p.policyAssignmentId, "properties.policyAssignmentId");
  const category = optEnum(p.exemptionCategory, ["Waiver", "Mitigated"] as const, "properties.exemptionCategory");
  if (!category) throw armError("InvalidRequestContent", { reason: "Required property 'exemptionCategory' not found in JSON. Path 'properties'." }, { target: "properties.exemptionCategory" });
  const assignment = (await c.deps.meta.listResources({ type: POLICY_ASSIGNMENT_TYPE })).find((r) => lower(r.id) === lower(assignmentId));
  if (!assignment) throw armError("PolicyAssignmentNotFound", { name: assignmentId.split("/").pop() ?? assignmentId });
  const validation = optEnum(p.assignmentScopeValidation, ["Default", "DoNotValidate"] as const, "properties.assignmentScopeValidation") ?? "Default";
  const aScope = assignmentView(assignment.body).scope;
  if (validation === "Default" && !within(scope.id, aScope)) {
    throw armError("InvalidPolicyExemptionRequest", { reason: `The policy exemption scope '${scope.id}' is not at or under the policy assignment's scope '${aScope}'.` });
  }
  const expiresOn = optString(p.expiresOn, "properties.expiresOn");
  if (expiresOn !== undefined) {
    if (!ISO.test(expiresOn) || Number.isNaN(Date.parse(expiresOn))) {
      throw armError("InvalidRequestContent", { reason: `Could not convert string to DateTime: ${expiresOn}. Path 'properties.expiresOn'.` }, { target: "properties.expiresOn" });
    }
    if (Date.parse(expiresOn) <= Date.now()) throw armError("InvalidPolicyExemptionRequest", { reason: `The policy exemption expiration '${expiresOn}' is in the past; it must be a future time.` });
  }
  if (p.resourceSelectors) throw armError("InvalidPolicyExemptionRequest", { reason: "resourceSelectors are not supported by Cove." });
  const refs = p.policyDefinitionReferenceIds;
  if (refs !== undefined && refs !== null && (!Array.isArray(refs) || refs.length > 0)) {
    throw armError("InvalidPolicyExemptionRequest", { reason: "policyDefinitionReferenceIds name members of policy set definitions, which Cove does not support." });
  }
  const id = exemptionId(scope.id, name);
  const existing = await c.deps.meta.getResource(id);
  const sys = obj(existing?.body.systemData);
  const now = new Date().toISOString();
  const doc: Json = {
    properties: {
      policyAssignmentId: assignment.id,
      policyDefinitionReferenceIds: [],
      exemptionCategory: category,
      ...(expiresOn !== undefined ? { expiresOn: new Date(Date.parse(expiresOn)).toISOString() } : {}),
      ...(p.displayName !== undefined ? { displayName: optString(p.displayName, "properties.displayName") } : {}),
      ...(p.description !== undefined ? { description: optString(p.description, "properties.description") } : {}),
      metadata: optObject(p.metadata, "properties.metadata") ?? {},
      assignmentScopeValidation: validation,
    },
    id,
    type: POLICY_EXEMPTION_TYPE,
    name,
    systemData: {
      createdBy: sys.createdBy ?? c.principal.id, createdByType: "Application", createdAt: sys.createdAt ?? now,
      lastModifiedBy: c.principal.id, lastModifiedByType: "Application", lastModifiedAt: now,
    },
  };
  await c.deps.meta.putResource({ id, type: POLICY_EXEMPTION_TYPE, body: doc });
  return { status: existing ? 200 : 201, body: doc };
}

export async function getExemption(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const rec = await c.deps.meta.getResource(exemptionId(scope.id, c.params.policyExemptionName!));
  if (!rec) throw armError("PolicyExemptionNotFound", { name: c.params.policyExemptionName! });
  return { status: 200, body: rec.body };
}

export async function deleteExemption(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const rec = await c.deps.meta.getResource(exemptionId(scope.id, c.params.policyExemptionName!));
  if (!rec) return { status: 204 };
  await c.deps.meta.deleteResource(rec.id, false);
  return { status: 200, body: rec.body };
}

/**
 * Without a filter: at, above and below the scope; atScope(): at or above; atExactScope(): at it;
 * atScopeAndBelow(): at or below (az sends these two); excludeExpired(); policyAssignmentId eq '<id>'.
 */
export async function listExemptions(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const filter = (c.ctx.query.get("$filter") ?? "").trim();
  let atScope = false;
  let exact = false;
  let andBelow = false;
  let excludeExpired = false;
  let assignment: string | undefined;
  for (const term of filter === "" ? [] : filter.split(/\s+and\s+/i)) {
    let m: RegExpExecArray | null;
    const t = term.trim();
    if (/^atScope\(\)$/i.test(t)) atScope = true;
    else if (/^atExactScope\(\)$/i.test(t)) exact = true;
    else if (/^atScopeAndBelow\(\)$/i.test(t)) andBelow = true;
    else if (/^excludeExpired\(\)$/i.test(t)) excludeExpired = true;
    else if ((m = /^policyAssignmentId\s+eq\s+'([^']*)'$/i.exec(t))) assignment = m[1]!;
    else throw armError("InvalidParameter", { target: "$filter", reason: `The filter '${filter}' is not supported. Supported: atScope(), atExactScope(), atScopeAndBelow(), excludeExpired(), policyAssignmentId eq '<id>'.` }, { target: "$filter" });
  }
  const now = Date.now();
  const value = (await c.deps.meta.listResources({ type: POLICY_EXEMPTION_TYPE })).map((r) => r.body).filter((b) => {
    const e = exemptionView(b);
    const above = within(scope.id, e.scope);
    const below = within(e.scope, scope.id);
    const keep = exact ? lower(e.scope) === lower(scope.id) : andBelow ? below : above || (!atScope && below);
    if (!keep) return false;
    if (excludeExpired && e.expiresOn !== undefined && Date.parse(e.expiresOn) <= now) return false;
    return assignment === undefined || lower(e.policyAssignmentId) === lower(assignment);
  });
  return { status: 200, body: { value } };
}
