// What Azure Policy stores, as Cove keeps it: the resource types and ids of definitions,
// assignments and exemptions (plain ARM documents in the metadata store, like every resource), the
// typed views the engine reads them through, and the compliance record kept for each evaluated
// resource. Pure: no store, no wire.

export const POLICY_DEFINITION_TYPE = "Microsoft.Authorization/policyDefinitions";
export const POLICY_ASSIGNMENT_TYPE = "Microsoft.Authorization/policyAssignments";
export const POLICY_EXEMPTION_TYPE = "Microsoft.Authorization/policyExemptions";
export const REMEDIATION_TYPE = "Microsoft.PolicyInsights/remediations";
/**
 * One record per evaluated resource, holding its state under every assignment (ResourceStates).
 * Kept outside any subscription's id space, so no ARM list, generic or by group, ever shows it.
 */
export const RESOURCE_STATES_TYPE = "Cove.PolicyInsights/resourceStates";
export const RESOURCE_STATES_ROOT = "/providers/Cove.PolicyInsights/resourceStates";

import type { TraceEntry } from "./rules.js";

type Json = Record<string, unknown>;

export const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
export const lower = (s: string) => s.toLowerCase().replace(/\/+$/, "");
const text = (v: unknown) => (typeof v === "string" ? v : undefined);

export interface DefinitionView {
  id: string;
  name: string;
  displayName: string;
  policyType: "BuiltIn" | "Custom";
  mode: string;
  /** Declared parameters: name -> { type, defaultValue?, allowedValues?, metadata? }. */
  parameters: Record<string, Json>;
  policyRule: Json;
  version?: string;
  body: Json;
}

export type EnforcementMode = "Default" | "DoNotEnforce";

export interface AssignmentView {
  id: string;
  name: string;
  displayName: string;
  scope: string;
  notScopes: string[];
  policyDefinitionId: string;
  /** The values given: name -> value (unwrapped from { value }). */
  parameters: Record<string, unknown>;
  enforcementMode: EnforcementMode;
  /** The system-assigned identity's object id, when the assignment has one. */
  identityPrincipalId?: string;
  body: Json;
}

export type ExemptionCategory = "Waiver" | "Mitigated";

export interface ExemptionView {
  id: string;
  name: string;
  scope: string;
  policyAssignmentId: string;
  category: ExemptionCategory;
  /** ISO time, absent: never expires. */
  expiresOn?: string;
  description?: string;
  displayName?: string;
  body: Json;
}

export function definitionView(body: Json): DefinitionView {
  const p = obj(body.properties);
  return {
    id: String(body.id),
    name: String(body.name),
    displayName: text(p.displayName) ?? String(body.name),
    policyType: p.policyType === "BuiltIn" ? "BuiltIn" : "Custom",
    mode: text(p.mode) ?? "Indexed",
    parameters: obj(p.parameters) as Record<string, Json>,
    policyRule: obj(p.policyRule),
    version: text(p.version),
    body,
  };
}

export function assignmentView(body: Json): AssignmentView {
  const p = obj(body.properties);
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj(p.parameters))) params[k] = obj(v).value;
  const identity = obj(body.identity);
  return {
    id: String(body.id),
    name: String(body.name),
    displayName: text(p.displayName) ?? String(body.name),
    scope: String(p.scope ?? ""),
    notScopes: Array.isArray(p.notScopes) ? p.notScopes.map(String) : [],
    policyDefinitionId: String(p.policyDefinitionId ?? ""),
    parameters: params,
    enforcementMode: p.enforcementMode === "DoNotEnforce" ? "DoNotEnforce" : "Default",
    identityPrincipalId: text(identity.principalId),
    body,
  };
}

export function exemptionView(body: Json): ExemptionView {
  const p = obj(body.properties);
  const id = String(body.id);
  return {
    id,
    name: String(body.name),
    scope: id.replace(/\/providers\/Microsoft\.Authorization\/policyExemptions\/[^/]+$/i, ""),
    policyAssignmentId: String(p.policyAssignmentId ?? ""),
    category: p.exemptionCategory === "Mitigated" ? "Mitigated" : "Waiver",
    expiresOn: text(p.expiresOn),
    description: text(p.description),
    displayName: text(p.displayName),
    body,
  };
}

/** Is `inner` the scope `outer` or below it (whole segments, any case)? */
export function within(inner: string, outer: string): boolean {
  const i = lower(inner);
  const o = lower(outer);
  return o === "" || i === o || i.startsWith(o + "/");
}

export function resourceStatesId(resourceId: string): string {
  return `${RESOURCE_STATES_ROOT}/${Buffer.from(lower(resourceId)).toString("base64url")}`;
}

/** A resource's compliance under one assignment, with when and why. */
export interface StateEntry {
  policyAssignmentId: string;
  policyAssignmentName: string;
  policyAssignmentScope: string;
  policyDefinitionId: string;
  policyDefinitionName: string;
  /** The effect the assignment's parameters give the definition (lower camel, as Azure reports: audit, deny, ...). */
  policyDefinitionAction: string;
  complianceState: "Compliant" | "NonCompliant" | "Exempt";
  /** Why, one sentence per deciding test. */
  reasons: string[];
  evaluatedExpressions: EvaluatedExpression[];
  exemptionId?: string;
  effectiveParameters: Record<string, unknown>;
}

/** One leaf test as Azure reports it: the engine's trace entry, its result the string "True" or "False". */
export type EvaluatedExpression = Omit<TraceEntry, "result"> & { result: "True" | "False" };

/** The record stored for one resource after each evaluation. */
export interface ResourceStates {
  resourceId: string;
  resourceType: string;
  resourceLocation: string;
  timestamp: string;
  /** What caused the evaluation: the write (its request id), an assignment change, or a scan. */
  trigger: string;
  states: StateEntry[];
}
