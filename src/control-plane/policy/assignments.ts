// Microsoft.Authorization/policyAssignments at subscription, resource-group and resource scope. A PUT
// names a definition that exists, gives only declared parameters (every required one, each within
// its allowedValues, compared case-sensitively as Azure), and, when the effect it resolves to is
// Modify or DeployIfNotExists, carries a system-assigned identity: Cove creates that identity as a
// service principal with no secret (a managed identity), which remediation runs as, so its role
// assignments decide what it may change. Deleting the assignment deletes its identity.
import { randomUUID } from "node:crypto";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { asObject, asString, onlyKeys, optEnum, optObject, optString } from "../arm/strict-json.js";
import { resolveScope } from "../arm/scopes.js";
import { SERVICE_PRINCIPALS_ROOT, SERVICE_PRINCIPAL_TYPE } from "../../identity/identity-provider.js";
import { builtinDefinition } from "./builtins.js";
import { compileRule, ruleEffect } from "./rules.js";
import { POLICY_ASSIGNMENT_TYPE, assignmentView, definitionView, lower, obj, within, type DefinitionView } from "./records.js";
import { customDefinitionId } from "./definitions.js";
import { effectiveParameters } from "./engine.js";

export const PA_READ = "Microsoft.Authorization/policyAssignments/read";
export const PA_WRITE = "Microsoft.Authorization/policyAssignments/write";
export const PA_DELETE = "Microsoft.Authorization/policyAssignments/delete";

type Json = Record<string, unknown>;

export const assignmentId = (scope: string, name: string) => `${scope}/providers/Microsoft.Authorization/policyAssignments/${name}`;

/** A definition by id: a built-in (tenant root) or one of this subscription's custom definitions. */
export async function findDefinition(c: ArmCall, id: string): Promise<DefinitionView | undefined> {
  const t = id.trim().replace(/\/+$/, "");
  if (/^\/providers\/Microsoft\.Authorization\/policyDefinitions\/[^/]+$/i.test(t)) {
    const b = builtinDefinition(t.split("/").pop()!);
    return b ? definitionView(b) : undefined;
  }
  const m = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Authorization\/policyDefinitions\/([^/]+)$/i.exec(t);
  if (!m || lower(m[1]!) !== lower(c.deps.subscriptionId)) return undefined;
  const rec = await c.deps.meta.getResource(customDefinitionId(c.deps.subscriptionId, m[2]!));
  return rec ? definitionView(rec.body) : undefined;
}

function checkParameters(name: string, def: DefinitionView, given: Json): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) values[k] = asObject(v, `properties.parameters.${k}`).value;
  const declared = Object.keys(def.parameters);
  const undeclared = Object.keys(values).filter((k) => !declared.some((d) => d.toLowerCase() === k.toLowerCase()));
  if (undeclared.length) throw armError("UndefinedPolicyParameter", { name, parameters: undeclared.join(","), definition: def.name });
  const missing = declared.filter((d) => def.parameters[d]!.defaultValue === undefined && !Object.keys(values).some((k) => k.toLowerCase() === d.toLowerCase()));
  if (missing.length) throw armError("MissingPolicyParameter", { name, parameters: missing.join(","), definition: def.name });
  for (const [k, v] of Object.entries(values)) {
    const decl = def.parameters[declared.find((d) => d.toLowerCase() === k.toLowerCase())!]!;
    const allowed = decl.allowedValues as unknown[] | undefined;
    if (allowed && !allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) {
      throw armError("PolicyParameterValueNotAllowed", {
        value: typeof v === "string" ? v : JSON.stringify(v), parameter: k,
        definition: def.version ? `${def.name} version ${def.version}` : def.name, allowed: allowed.map(String).join(", "),
      });
    }
  }
  return values;
}

async function createIdentity(c: ArmCall, displayName: string): Promise<string> {
  const objectId = randomUUID();
  await c.deps.meta.putResource({
    id: `${SERVICE_PRINCIPALS_ROOT}/${objectId}`,
    type: SERVICE_PRINCIPAL_TYPE,
    body: { objectId, appId: randomUUID(), displayName, createdDateTime: new Date().toISOString(), passwordCredentials: [], managedIdentity: true },
  });
  return objectId;
}

export async function putAssignment(c: ArmCall): Promise<ArmResult> {
  const name = c.params.policyAssignmentName!;
  if (!/^[^<>*%&:\\?+/#|]{1,128}$/.test(name)) throw armError("InvalidCreatePolicyAssignmentRequest", { reason: `The policy assignment name '${name}' is invalid.` });
  const body = c.body!;
  onlyKeys(body, ["properties", "identity", "location", "id", "name", "type", "systemData"], "");
  const p = asObject(body.properties, "properties");
  onlyKeys(p, ["displayName", "policyDefinitionId", "definitionVersion", "scope", "notScopes", "parameters", "description", "metadata",
    "enforcementMode", "nonComplianceMessages", "resourceSelectors", "overrides", "assignmentType", "instanceId", "effectiveDefinitionVersion", "latestDefinitionVersion"], "properties");
  const scope = await resolveScope(c.deps, c.params.scope!);
  if (scope.kind === "tenant") throw armError("InvalidCreatePolicyAssignmentRequest", { reason: "Cove assigns policies at subscription, resource group or resource scope." });
  if (p.resourceSelectors || p.overrides) throw armError("InvalidCreatePolicyAssignmentRequest", { reason: "resourceSelectors and overrides are not supported by Cove." });
  const definitionId = asString(p.policyDefinitionId, "properties.policyDefinitionId");
  if (/\/policySetDefinitions\//i.test(definitionId)) throw armError("InvalidCreatePolicyAssignmentRequest", { reason: "Policy set definitions (initiatives) are not supported by Cove: assign each definition." });
  const def = await findDefinition(c, definitionId);
  if (!def) throw armError("PolicyDefinitionNotFound", { name: definitionId.split("/").pop() ?? definitionId });
  const given = optObject(p.parameters, "properties.parameters") ?? {};
  const values = checkParameters(name, def, given);
  const notScopes = p.notScopes === undefined || p.notScopes === null ? [] : (() => {
    if (!Array.isArray(p.notScopes)) throw armError("InvalidRequestContent", { reason: "notScopes must be an array of scope ids. Path 'properties.notScopes'." });
    return p.notScopes.map((s, i) => asString(s, `properties.notScopes[${i}]`));
  })();
  const enforcementMode = optEnum(p.enforcementMode, ["Default", "DoNotEnforce"] as const, "properties.enforcementMode") ?? "Default";
  const identity = optObject(body.identity, "identity");
  const identityType = identity ? optEnum(identity.type, ["SystemAssigned", "UserAssigned", "None"] as const, "identity.type") : undefined;
  if (identityType === "UserAssigned") throw armError("InvalidCreatePolicyAssignmentRequest", { reason: "User-assigned identities are not supported by Cove; use SystemAssigned." });
  const location = optString(body.location, "location");

  const effect = ruleEffect(compileRule(def.policyRule), effectiveParameters(def, { ...assignmentView({ properties: {} }), parameters: values }));
  const needsIdentity = effect === "modify" || effect === "deployIfNotExists";
  if (needsIdentity && identityType !== "SystemAssigned") {
    throw armError("ResourceIdentityRequired", { name, effect: effect === "modify" ? "Modify" : "DeployIfNotExists" });
  }
  if (identityType === "SystemAssigned" && !location) throw armError("LocationRequired");

  const id = assignmentId(scope.id, name);
  const existing = await c.deps.meta.getResource(id);
  const prev = existing ? assignmentView(existing.body) : undefined;
  let principalId = prev?.identityPrincipalId;
  if (identityType === "SystemAssigned" && !principalId) principalId = await createIdentity(c, `policy-assignment-${name}`);
  if (identityType !== "SystemAssigned" && principalId) {
    await c.deps.meta.deleteResource(`${SERVICE_PRINCIPALS_ROOT}/${principalId}`, false);
    principalId = undefined;
  }
  const now = new Date().toISOString();
  const sys = obj(existing?.body.systemData);
  const doc: Json = {
    properties: {
      displayName: optString(p.displayName, "properties.displayName") ?? name,
      policyDefinitionId: def.id,
      ...(def.version ? { definitionVersion: String(def.version).split(".")[0] + ".*.*" } : {}),
      scope: scope.id,
      notScopes,
      parameters: given,
      ...(p.description !== undefined ? { description: optString(p.description, "properties.description") } : {}),
      metadata: { ...(optObject(p.metadata, "properties.metadata") ?? {}), createdBy: sys.createdBy ?? c.principal.id, createdOn: sys.createdAt ?? now },
      enforcementMode,
      ...(p.nonComplianceMessages !== undefined ? { nonComplianceMessages: p.nonComplianceMessages } : {}),
      assignmentType: "Custom",
    },
    ...(principalId ? { identity: { type: "SystemAssigned", principalId, tenantId: c.deps.tenantId } } : {}),
    ...(location ? { location } : {}),
    id,
    type: POLICY_ASSIGNMENT_TYPE,
    name,
    systemData: {
      createdBy: sys.createdBy ?? c.principal.id, createdByType: "Application", createdAt: sys.createdAt ?? now,
      lastModifiedBy: c.principal.id, lastModifiedByType: "Application", lastModifiedAt: now,
    },
  };
  await c.deps.meta.putResource({ id, type: POLICY_ASSIGNMENT_TYPE, body: doc });
  return { status: 201, body: doc };
}

export async function getAssignment(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const rec = await c.deps.meta.getResource(assignmentId(scope.id, c.params.policyAssignmentName!));
  if (!rec) throw armError("PolicyAssignmentNotFound", { name: c.params.policyAssignmentName! });
  return { status: 200, body: rec.body };
}

/** 200 with the deleted assignment (its identity deleted too); 204 when there was none, as Azure. */
export async function deleteAssignment(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const rec = await c.deps.meta.getResource(assignmentId(scope.id, c.params.policyAssignmentName!));
  if (!rec) return { status: 204 };
  const principalId = assignmentView(rec.body).identityPrincipalId;
  if (principalId) await c.deps.meta.deleteResource(`${SERVICE_PRINCIPALS_ROOT}/${principalId}`, false);
  await c.deps.meta.deleteResource(rec.id, false);
  return { status: 200, body: rec.body };
}

/**
 * As Azure's lists: without a filter, the assignments that apply at the scope (at it and above) and
 * those below it; `atScope()` keeps those at or above, `atExactScope()` those at it, `atScopeAndBelow()`
 * those at or below it (what az sends); `policyDefinitionId eq '<id>'` one definition's.
 */
export async function listAssignments(c: ArmCall): Promise<ArmResult> {
  const scope = await resolveScope(c.deps, c.params.scope!);
  const filter = (c.ctx.query.get("$filter") ?? "").trim();
  let atScope = false;
  let definition: string | undefined;
  let exact = false;
  let andBelow = false;
  for (const term of filter === "" ? [] : filter.split(/\s+and\s+/i)) {
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(term.trim())) atScope = true;
    else if (/^atExactScope\(\)$/i.test(term.trim())) exact = true;
    else if (/^atScopeAndBelow\(\)$/i.test(term.trim())) andBelow = true;
    else if ((m = /^policyDefinitionId\s+eq\s+'([^']*)'$/i.exec(term.trim()))) definition = m[1]!;
    else throw armError("InvalidParameter", { target: "$filter", reason: `The filter '${filter}' is not supported. Supported: atScope(), atExactScope(), atScopeAndBelow(), policyDefinitionId eq '<id>'.` }, { target: "$filter" });
  }
  const all = await c.deps.meta.listResources({ type: POLICY_ASSIGNMENT_TYPE });
  const value = all.map((r) => r.body).filter((b) => {
    const a = assignmentView(b);
    const above = within(scope.id, a.scope);
    const below = within(a.scope, scope.id);
    const keep = exact ? lower(a.scope) === lower(scope.id) : andBelow ? below : above || (!atScope && below);
    if (!keep) return false;
    return definition === undefined || lower(a.policyDefinitionId) === lower(definition);
  });
  return { status: 200, body: { value } };
}
