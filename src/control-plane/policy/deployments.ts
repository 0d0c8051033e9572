// The template runner of DeployIfNotExists remediation: an ARM template deployed into a resource
// group as the assignment's identity, the way ARM's deployment engine does it for the parts the
// built-ins use. Parameters (declared, given or defaulted, allowedValues checked), variables
// (evaluated when first read), resources in dependsOn order (a condition skips one), nested inline
// deployments (Microsoft.Resources/deployments with expressionEvaluationOptions.scope inner or
// outer), child resources named "parent/child". Each resource is one PUT through the management
// API's own route table (the caller's `send`), so its permission, api-version, body validation,
// policy gate and audit are the client's; a deployment itself needs
// Microsoft.Resources/deployments/write on the group, as in ARM. Everything is checked before the
// first request (an unsupported function, a copy loop, a templateLink, a cycle): such a template
// fails whole with InvalidTemplate and deploys nothing. Deployments are not stored as resources.
import { checkExpressions, parseTemplateValue, evaluateTemplateExpr, resolveTemplateValue, TemplateError, type TemplateContext } from "./template-functions.js";

type Json = Record<string, unknown>;

export class DeploymentError extends Error {
  constructor(readonly code: string, message: string, readonly target?: string) {
    super(message);
    this.name = "DeploymentError";
  }
}

export interface Sent { status: number; body: unknown }

export interface DeploymentTarget {
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  /** The resource group's document (resourceGroup() is deployment metadata, not a read as the identity). */
  readGroup(): Promise<Json>;
  /** One request through the management API as the deploying identity. */
  send(method: "GET" | "PUT", id: string, apiVersion: string, body?: Json): Promise<Sent>;
  /** Throws DeploymentError(AuthorizationFailed) when the identity may not perform `action` at `scope`. */
  demand(action: string, scope: string): Promise<void>;
  /** The newest api-version Cove serves for a resource type (reference() without one). */
  apiVersionFor(type: string): string | undefined;
}

const DEPLOYMENTS_TYPE = "microsoft.resources/deployments";
const TEMPLATE_ONLY = new Set(["type", "apiversion", "name", "dependson", "condition", "comments", "metadata"]);
const UNSUPPORTED = ["copy", "resources", "scope", "extendedLocation"];
const MAX_NESTING = 5;

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
function invalid(reason: string): never {
  throw new DeploymentError("InvalidTemplate", `Deployment template validation failed: '${reason}'.`);
}

/** The checks ARM makes before it deploys anything. */
function validate(template: Json, at: string): void {
  if (!Array.isArray(template.resources)) invalid(`The template${at} has no 'resources' array.`);
  if (template.functions !== undefined) invalid(`User-defined functions (the template${at}'s 'functions') are not supported by Cove.`);
  try {
    checkExpressions({ parameters: template.parameters, variables: template.variables, resources: template.resources }, at.trim());
  } catch (err) {
    invalid((err as Error).message);
  }
  for (const [i, raw] of (template.resources as unknown[]).entries()) {
    const r = obj(raw);
    for (const k of UNSUPPORTED) if (r[k] !== undefined) invalid(`The template resource ${i}${at} uses '${k}', which Cove's template runner does not support.`);
    if (typeof r.type !== "string" || typeof r.name !== "string") invalid(`The template resource ${i}${at} needs a 'type' and a 'name'.`);
    if (String(r.type).toLowerCase() === DEPLOYMENTS_TYPE) {
      const p = obj(r.properties);
      if (p.templateLink !== undefined) invalid(`The nested deployment ${i}${at} uses a templateLink; Cove runs inline templates only.`);
      if (p.mode !== undefined && String(p.mode).toLowerCase() !== "incremental") invalid(`The nested deployment ${i}${at} has mode '${String(p.mode)}'; Cove runs Incremental deployments only.`);
      validate(obj(p.template), `${at} (nested deployment ${i})`);
    }
  }
}

interface Planned { raw: Json; type: string; name: string; id: string }

function childId(group: string, type: string, name: string): string {
  const [ns, ...types] = type.split("/");
  const names = name.split("/");
  if (types.length === 0 || types.length !== names.length) invalid(`The resource name '${name}' does not fit its type '${type}': a child resource is named 'parent/child'.`);
  return `${group}/providers/${ns}/${types.map((t, i) => `${t}/${names[i]}`).join("/")}`;
}

/** ARM's resourceId([subscriptionId], [resourceGroupName], type, name1, [name2, ...]). */
function resourceIdOf(t: DeploymentTarget, args: string[]): string {
  const at = args.findIndex((a) => a.includes("/"));
  if (at < 0 || at > 2) throw new TemplateError(`resourceId() needs a resource type such as 'Microsoft.Network/virtualNetworks': ${JSON.stringify(args)}.`);
  const sub = at === 2 ? args[0]! : t.subscriptionId;
  const rg = at >= 1 ? args[at - 1]! : t.resourceGroup;
  return childId(`/subscriptions/${sub}/resourceGroups/${rg}`, args[at]!, args.slice(at + 1).join("/"));
}

function errorOf(sent: Sent, id: string): DeploymentError {
  const e = obj(obj(sent.body).error);
  return new DeploymentError(String(e.code ?? `Status${sent.status}`), String(e.message ?? `The request for '${id}' answered ${sent.status}.`), id);
}

function lookup<T>(bag: Map<string, T>, name: string, kind: string): T {
  const hit = bag.get(name.toLowerCase());
  if (hit === undefined) throw new TemplateError(`The template ${kind} '${name}' is not found.`);
  return hit;
}

/**
 * Deploys `template` with `given` ({ name: { value } }) as the deployment `name` into the target's
 * group; returns the ids written, in order. Throws DeploymentError (nothing after the failing request is sent).
 */
export async function deploy(template: Json, given: Json, name: string, t: DeploymentTarget, depth = 0): Promise<string[]> {
  if (depth === 0) validate(template, "");
  if (depth > MAX_NESTING) invalid(`Deployments nest deeper than ${MAX_NESTING} levels.`);
  const group = `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}`;
  await t.demand("Microsoft.Resources/deployments/write", group);
  try {
    return await run(template, given, name, t, group, depth);
  } catch (err) {
    if (err instanceof TemplateError) invalid(err.message);
    throw err;
  }
}

async function run(template: Json, given: Json, name: string, t: DeploymentTarget, group: string, depth: number, outer?: TemplateContext): Promise<string[]> {
  const declared = obj(template.parameters);
  const givenNames = new Map(Object.keys(given).map((k) => [k.toLowerCase(), k]));
  for (const k of givenNames.values()) {
    if (!Object.keys(declared).some((d) => d.toLowerCase() === k.toLowerCase())) invalid(`The template parameter '${k}' is given but not declared in the template.`);
  }
  const params = new Map<string, unknown>();
  const variables = new Map<string, unknown>(Object.entries(obj(template.variables)).map(([k, v]) => [k.toLowerCase(), v]));
  const resolved = new Map<string, unknown>();
  const resolving = new Set<string>();
  const planned: Planned[] = [];
  const ctx: TemplateContext = outer ?? {
    parameter: (n) => lookup(params, n, "parameter"),
    async variable(n) {
      const k = n.toLowerCase();
      if (resolved.has(k)) return resolved.get(k);
      if (resolving.has(k)) throw new TemplateError(`The template variable '${n}' refers to itself.`);
      resolving.add(k);
      const v = await resolveTemplateValue(lookup(variables, n, "variable"), ctx);
      resolving.delete(k);
      resolved.set(k, v);
      return v;
    },
    deployment: () => ({ name, properties: { template, parameters: given, mode: "Incremental" } }),
    subscription: () => ({ id: `/subscriptions/${t.subscriptionId}`, subscriptionId: t.subscriptionId, tenantId: t.tenantId, displayName: t.subscriptionId }),
    resourceGroup: () => t.readGroup(),
    async reference(idOrName, apiVersion, full) {
      const inTemplate = idOrName.includes("/") ? undefined : planned.find((p) => p.name.toLowerCase() === idOrName.toLowerCase());
      const id = inTemplate?.id ?? idOrName;
      const version = apiVersion ?? (inTemplate ? String(inTemplate.raw.apiVersion) : t.apiVersionFor(typeOfId(id)));
      if (!version) throw new TemplateError(`reference('${idOrName}') needs an api-version: Cove serves no resource type '${typeOfId(id)}'.`);
      const sent = await t.send("GET", id, version);
      if (sent.status !== 200) throw errorOf(sent, id);
      return full ? sent.body : obj(sent.body).properties;
    },
    resourceId: (args) => resourceIdOf(t, args),
  };
  if (!outer) {
    for (const [k, decl] of Object.entries(declared)) {
      const d = obj(decl);
      const g = givenNames.get(k.toLowerCase());
      const value = g !== undefined ? obj(given[g]).value : d.defaultValue === undefined ? undefined : await resolveTemplateValue(d.defaultValue, ctx);
      if (value === undefined) invalid(`The value for the template parameter '${k}' is not provided.`);
      if (Array.isArray(d.allowedValues) && !d.allowedValues.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
        invalid(`The provided value '${String(value)}' for the template parameter '${k}' is not valid. The parameter value is not part of the allowed value(s): '${d.allowedValues.join(",")}'.`);
      }
      params.set(k.toLowerCase(), value);
    }
  }
  for (const raw of template.resources as Json[]) {
    const type = String(await resolveTemplateValue(raw.type, ctx));
    const rname = String(await resolveTemplateValue(raw.name, ctx));
    const id = type.toLowerCase() === DEPLOYMENTS_TYPE ? `${group}/providers/Microsoft.Resources/deployments/${rname}` : childId(group, type, rname);
    planned.push({ raw, type, name: rname, id });
  }
  const written: string[] = [];
  for (const p of await ordered(planned, ctx)) {
    if (p.raw.condition !== undefined && (await resolveTemplateValue(p.raw.condition, ctx)) !== true) continue;
    if (p.type.toLowerCase() === DEPLOYMENTS_TYPE) {
      written.push(...(await nested(p, ctx, t, group, depth)));
      continue;
    }
    const body: Json = {};
    for (const [k, v] of Object.entries(p.raw)) if (!TEMPLATE_ONLY.has(k.toLowerCase())) body[k] = await resolveTemplateValue(v, ctx);
    // ARM sends `location` with every resource and the providers ignore it on child (proxy)
    // resources; Cove's providers refuse keys a resource does not have, so it is left out there.
    if (p.type.split("/").length > 2) delete body.location;
    const sent = await t.send("PUT", p.id, String(await resolveTemplateValue(p.raw.apiVersion, ctx)), body);
    if (sent.status >= 300) throw errorOf(sent, p.id);
    written.push(p.id);
  }
  return written;
}

async function nested(p: Planned, ctx: TemplateContext, t: DeploymentTarget, group: string, depth: number): Promise<string[]> {
  const props = obj(p.raw.properties);
  const inner = String(obj(props.expressionEvaluationOptions).scope ?? "outer").toLowerCase() === "inner";
  if (props.resourceGroup !== undefined || props.subscriptionId !== undefined) {
    const rg = props.resourceGroup === undefined ? t.resourceGroup : String(await resolveTemplateValue(props.resourceGroup, ctx));
    const sub = props.subscriptionId === undefined ? t.subscriptionId : String(await resolveTemplateValue(props.subscriptionId, ctx));
    if (rg.toLowerCase() !== t.resourceGroup.toLowerCase() || sub.toLowerCase() !== t.subscriptionId.toLowerCase()) {
      invalid(`The nested deployment '${p.name}' targets another resource group or subscription; Cove deploys into the remediated resource's group only.`);
    }
  }
  await t.demand("Microsoft.Resources/deployments/write", group);
  const template = obj(props.template);
  if (depth + 1 > MAX_NESTING) invalid(`Deployments nest deeper than ${MAX_NESTING} levels.`);
  // Inner scope: the nested template has its own parameters, whose values are evaluated here, in
  // the outer one; outer scope: its expressions are the outer template's.
  if (inner) return run(template, obj(await resolveTemplateValue(props.parameters ?? {}, ctx)), p.name, t, group, depth + 1);
  return run(template, {}, p.name, t, group, depth + 1, ctx);
}

/** The resources in dependsOn order (each after those it names), or InvalidTemplate for an unknown name or a cycle. */
async function ordered(planned: Planned[], ctx: TemplateContext): Promise<Planned[]> {
  const deps = new Map<Planned, Planned[]>();
  for (const p of planned) {
    const list: Planned[] = [];
    for (const d of Array.isArray(p.raw.dependsOn) ? p.raw.dependsOn : []) {
      const ref = String(await evaluateTemplateExpr(parseTemplateValue(d), ctx)).toLowerCase();
      const hit = planned.find((q) => q.id.toLowerCase() === ref || q.name.toLowerCase() === ref || `${q.type}/${q.name}`.toLowerCase() === ref || q.id.toLowerCase().endsWith("/" + ref));
      if (!hit) invalid(`The resource '${ref}' is not defined in the template.`);
      list.push(hit);
    }
    deps.set(p, list);
  }
  const out: Planned[] = [];
  const state = new Map<Planned, "visiting" | "done">();
  const visit = (p: Planned) => {
    if (state.get(p) === "done") return;
    if (state.get(p) === "visiting") invalid(`Circular dependency detected on resource '${p.id}'.`);
    state.set(p, "visiting");
    for (const d of deps.get(p)!) visit(d);
    state.set(p, "done");
    out.push(p);
  };
  planned.forEach(visit);
  return out;
}

/** "Microsoft.Network/virtualNetworks" from a resource id (child types joined). */
export function typeOfId(id: string): string {
  const m = /\/providers\/([^/]+)\/(.+)$/i.exec(id);
  if (!m) return "";
  return [m[1], ...m[2]!.split("/").filter((_, i) => i % 2 === 0)].join("/");
}
