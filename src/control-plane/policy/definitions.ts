// Microsoft.Authorization/policyDefinitions: the built-ins (listed and read at the tenant root and
// in the subscription's list), and custom definitions written at subscription scope. A custom rule
// is compiled when it is written (rules.ts): an unsupported part of the language, an unknown alias or
// an undeclared parameter is refused with Azure's error, never stored to be ignored later.
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { asObject, onlyKeys, optEnum, optObject, optString } from "../arm/strict-json.js";
import { BUILTIN_POLICY_DEFINITIONS, builtinDefinition } from "./builtins.js";
import { compileRule, PolicyLanguageError } from "./rules.js";
import { aliasType, ALIASES } from "./aliases.js";
import { POLICY_DEFINITION_TYPE, obj } from "./records.js";

export const PD_READ = "Microsoft.Authorization/policyDefinitions/read";
export const PD_WRITE = "Microsoft.Authorization/policyDefinitions/write";
export const PD_DELETE = "Microsoft.Authorization/policyDefinitions/delete";

type Json = Record<string, unknown>;
const PARAMETER_TYPES = ["String", "Array", "Object", "Boolean", "Integer", "Float", "DateTime"] as const;

export const customDefinitionId = (sub: string, name: string) => `/subscriptions/${sub}/providers/Microsoft.Authorization/policyDefinitions/${name}`;

/** az and the SDKs filter lists with $filter=policyType eq 'BuiltIn' | 'Custom' (or category eq '...'). */
function listFilter(filter: string | null): (d: Json) => boolean {
  if (!filter || filter.trim() === "") return () => true;
  const m = /^\s*(policyType|category)\s+-?eq\s+'([^']*)'\s*$/i.exec(filter);
  if (!m) throw armError("InvalidParameter", { target: "$filter", reason: `The filter '${filter}' is not supported. Supported: policyType eq '<type>', category eq '<category>'.` }, { target: "$filter" });
  const want = m[2]!.toLowerCase();
  return m[1]!.toLowerCase() === "policytype"
    ? (d) => String(obj(d.properties).policyType ?? "").toLowerCase() === want
    : (d) => String(obj(obj(d.properties).metadata).category ?? "").toLowerCase() === want;
}

export async function listBuiltInDefinitions(c: ArmCall): Promise<ArmResult> {
  const keep = listFilter(c.ctx.query.get("$filter"));
  return { status: 200, body: { value: BUILTIN_POLICY_DEFINITIONS.filter((d) => keep(d as Json)) } };
}

export async function getBuiltInDefinition(c: ArmCall): Promise<ArmResult> {
  const d = builtinDefinition(c.params.policyDefinitionName!);
  if (!d) throw armError("PolicyDefinitionNotFound", { name: c.params.policyDefinitionName! });
  return { status: 200, body: d };
}

export async function listDefinitions(c: ArmCall): Promise<ArmResult> {
  const keep = listFilter(c.ctx.query.get("$filter"));
  const custom = await c.deps.meta.listResources({ type: POLICY_DEFINITION_TYPE, underId: `/subscriptions/${c.deps.subscriptionId}/` });
  return { status: 200, body: { value: [...BUILTIN_POLICY_DEFINITIONS, ...custom.map((r) => r.body)].filter((d) => keep(d as Json)) } };
}

export async function getDefinition(c: ArmCall): Promise<ArmResult> {
  const rec = await c.deps.meta.getResource(customDefinitionId(c.deps.subscriptionId, c.params.policyDefinitionName!));
  if (!rec) throw armError("PolicyDefinitionNotFound", { name: c.params.policyDefinitionName! });
  return { status: 200, body: rec.body };
}

/** Deleting a definition that assignments use is allowed, as Azure: those assignments evaluate nothing until it is back. */
export async function deleteDefinition(c: ArmCall): Promise<ArmResult> {
  const id = customDefinitionId(c.deps.subscriptionId, c.params.policyDefinitionName!);
  const rec = await c.deps.meta.getResource(id);
  if (!rec) return { status: 204 };
  await c.deps.meta.deleteResource(rec.id, false);
  return { status: 200, body: rec.body };
}

/** Checks a definition's parameters and rule; returns the properties to store. Shared with nothing else. */
export function checkDefinition(name: string, p: Json): Json {
  onlyKeys(p, ["policyType", "mode", "displayName", "description", "policyRule", "metadata", "parameters", "version", "versions", "externalEvaluationEnforcementSettings"], "properties");
  if (p.policyType !== undefined && p.policyType !== null && p.policyType !== "Custom") {
    throw armError("InvalidPolicyDefinitionRequest", { reason: `The policy definition '${name}' has policyType '${String(p.policyType)}'; only 'Custom' definitions can be written.` });
  }
  if (p.externalEvaluationEnforcementSettings !== undefined && p.externalEvaluationEnforcementSettings !== null) {
    throw armError("InvalidPolicyDefinitionRequest", { reason: "externalEvaluationEnforcementSettings is not supported by Cove." });
  }
  const mode = optString(p.mode, "properties.mode") ?? "Indexed";
  if (!["all", "indexed"].includes(mode.toLowerCase())) {
    throw armError("InvalidPolicyDefinitionRequest", { reason: `The policy definition mode '${mode}' is not supported by Cove; supported are 'All' and 'Indexed'.` });
  }
  const params = optObject(p.parameters, "properties.parameters") ?? {};
  for (const [k, v] of Object.entries(params)) {
    const decl = asObject(v, `properties.parameters.${k}`);
    onlyKeys(decl, ["type", "defaultValue", "allowedValues", "metadata", "schema"], `properties.parameters.${k}`);
    optEnum(decl.type, PARAMETER_TYPES, `properties.parameters.${k}.type`);
    if (decl.allowedValues !== undefined && !Array.isArray(decl.allowedValues)) {
      throw armError("InvalidRequestContent", { reason: `allowedValues must be an array. Path 'properties.parameters.${k}.allowedValues'.` });
    }
  }
  const rule = asObject(p.policyRule, "properties.policyRule");
  try {
    compileRule(rule);
  } catch (err) {
    if (!(err instanceof PolicyLanguageError)) throw err;
    const alias = /^The field '([^']+)' is not a supported alias\.$/.exec(err.message)?.[1];
    if (alias) {
      const ns = alias.includes("/") ? alias.split("/")[0]! : "";
      const type = alias.includes("/") ? alias.split("/").slice(0, -1).join("/") : "";
      const supported = ALIASES.filter((a) => aliasType(a)?.toLowerCase() === type.toLowerCase());
      throw armError("InvalidPolicyAlias", { name, alias, namespace: ns, type, supported: (supported.length ? supported : ALIASES).join(", ") });
    }
    throw armError("InvalidPolicyRule", { reason: err.message });
  }
  // Every parameters('x') the rule uses must be declared; a DeployIfNotExists template's own
  // parameters('x') are the template's, not the definition's, so the template is left out.
  const declared = new Set(Object.keys(params).map((k) => k.toLowerCase()));
  for (const m of JSON.stringify(withoutTemplate(rule)).matchAll(/parameters\(\s*'([^']+)'\s*\)/gi)) {
    if (!declared.has(m[1]!.toLowerCase())) {
      throw armError("InvalidPolicyParameters", {
        name,
        reason: `The policy '${name}' has undefined parameter '${m[1]}' which is used in the policy rule. Please either define it in policy definition or remove the reference in policy rule.`,
      });
    }
  }
  return { ...p, policyType: "Custom", mode, parameters: params };
}

function withoutTemplate(rule: Json): Json {
  const deployment = obj(obj(obj(rule.then).details).deployment);
  const props = obj(deployment.properties);
  if (props.template === undefined) return rule;
  const copy = structuredClone(rule);
  delete (obj(obj(obj(obj(copy.then).details).deployment).properties) as Json).template;
  return copy;
}

export async function putDefinition(c: ArmCall): Promise<ArmResult> {
  const name = c.params.policyDefinitionName!;
  if (!/^[^<>*%&:\\?+/]{1,128}$/.test(name)) throw armError("InvalidPolicyDefinitionRequest", { reason: `The policy definition name '${name}' is invalid: at most 128 characters, none of <>*%&:\\?+/.` });
  const body = c.body!;
  onlyKeys(body, ["properties", "id", "name", "type", "systemData"], "");
  const props = checkDefinition(name, asObject(body.properties, "properties"));
  const id = customDefinitionId(c.deps.subscriptionId, name);
  const existing = await c.deps.meta.getResource(id);
  const now = new Date().toISOString();
  const prev = obj(existing?.body.systemData);
  const doc: Json = {
    properties: props,
    id,
    type: POLICY_DEFINITION_TYPE,
    name,
    systemData: {
      createdBy: prev.createdBy ?? c.principal.id, createdByType: "Application", createdAt: prev.createdAt ?? now,
      lastModifiedBy: c.principal.id, lastModifiedByType: "Application", lastModifiedAt: now,
    },
  };
  await c.deps.meta.putResource({ id, type: POLICY_DEFINITION_TYPE, body: doc });
  return { status: existing ? 200 : 201, body: doc };
}
