// Flag values of the `policy` commands, read as az reads them. JSON flags (--rules, --params,
// --metadata) take the JSON itself, a file's path or @path, and also az's documented one-line
// shorthand with single quotes ("{ 'if': { 'field': 'type', ... } }"); a value that is none of
// these is a usage error naming the flag, before anything is sent. The scope comes from --scope or
// -g (never both), names az generates when -n is left out, and a resource from --resource as an id
// or as a name with --namespace/--resource-type/--parent, as az's resource_id() builds it.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import type { OptionSpec } from "../command.js";
import { usageError } from "../errors.js";
import { parseGroupName } from "../flags.js";
import type { Session } from "../session.js";

/** A policy document is at most a few hundred KiB in Azure (a rule is capped at 1 MiB there too). */
const MAX_JSON_FILE_BYTES = 1024 * 1024;

/** Rewrites az's single-quoted shorthand to JSON: 'text' -> "text", \' -> ', a bare " escaped. */
function singleQuotesToJson(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // A double-quoted JSON string: copy it whole, escapes included.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === "'") {
      let s = "";
      let j = i + 1;
      for (; j < text.length && text[j] !== "'"; j++) {
        if (text[j] === "\\" && text[j + 1] === "'") { s += "'"; j++; }
        else if (text[j] === "\\") { s += text[j] + (text[j + 1] ?? ""); j++; }
        else s += text[j] === '"' ? '\\"' : text[j];
      }
      out += `"${s}"`;
      i = j;
    } else out += c;
  }
  return out;
}

function parseJsonText(flag: string, text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    try {
      return JSON.parse(singleQuotesToJson(text));
    } catch {
      throw usageError(`argument ${flag}: ${source} is not valid JSON (${(first as Error).message}).`);
    }
  }
}

function readJsonFile(flag: string, path: string): unknown {
  let text: string;
  try {
    if (statSync(path).size > MAX_JSON_FILE_BYTES) throw usageError(`argument ${flag}: '${path}' is larger than ${MAX_JSON_FILE_BYTES} bytes.`);
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode !== undefined) throw e;
    throw usageError(`argument ${flag}: cannot read '${path}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  return parseJsonText(flag, text, `the file '${path}'`);
}

/** The JSON value of a flag: inline JSON (or az shorthand), `@file`, or the path of a file. */
export function jsonFlag(flag: string, value: string): unknown {
  const v = value.trim();
  if (v.startsWith("@")) return readJsonFile(flag, v.slice(1));
  if (/^[[{"]/.test(v) || !existsSync(v)) {
    if (!/^[[{]/.test(v)) throw usageError(`argument ${flag}: expected a JSON object, or the path of a file holding one; got '${v.slice(0, 40)}'.`);
    return parseJsonText(flag, v, "the value");
  }
  return readJsonFile(flag, v);
}

/** A JSON flag that must hold an object (a rule, parameter definitions or values, metadata). */
export function jsonObjectFlag(flag: string, value: string): Record<string, unknown> {
  const parsed = jsonFlag(flag, value);
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw usageError(`argument ${flag}: expected a JSON object.`);
  return parsed as Record<string, unknown>;
}

/** --params of an assignment: {"name": {"value": ...}}, as the REST API and az take them. */
export function parameterValuesFlag(value: string): Record<string, { value: unknown }> {
  const params = jsonObjectFlag("--params", value);
  for (const [name, v] of Object.entries(params)) {
    if (!v || typeof v !== "object" || Array.isArray(v) || !("value" in v)) {
      throw usageError(`argument --params: parameter '${name}' needs the form {"${name}": {"value": ...}}.`);
    }
  }
  return params as Record<string, { value: unknown }>;
}

/** --params of a definition: {"name": {"type": ..., ...}}. */
export function parameterDefinitionsFlag(value: string): Record<string, Record<string, unknown>> {
  const params = jsonObjectFlag("--params", value);
  for (const [name, v] of Object.entries(params)) {
    if (!v || typeof v !== "object" || Array.isArray(v)) throw usageError(`argument --params: parameter '${name}' must be an object such as {"type": "String"}.`);
  }
  return params as Record<string, Record<string, unknown>>;
}

/** The keys @azure/arm-policy 7 models in a parameter's metadata; it carries any other key in `additionalProperties`. */
const METADATA_KEYS = new Set(["displayName", "description", "strongType", "assignPermissions"]);

/** Parameter definitions as the SDK serializes them: a metadata key of its own (e.g. `category`) moved under additionalProperties, or it is dropped. */
export function toSdkParameters(params: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, p] of Object.entries(params)) {
    const m = p.metadata;
    if (!m || typeof m !== "object" || Array.isArray(m)) { out[name] = p; continue; }
    const metadata: Record<string, unknown> = { additionalProperties: {} };
    for (const [k, v] of Object.entries(m)) (METADATA_KEYS.has(k) ? metadata : (metadata.additionalProperties as Record<string, unknown>))[k] = v;
    out[name] = { ...p, metadata };
  }
  return out;
}

/** A definition as az prints it: each parameter's metadata whole again (the SDK's `additionalProperties` merged back). */
export function definitionAsAz<T extends { parameters?: Record<string, any> }>(d: T): T {
  if (!d.parameters) return d;
  const parameters: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(d.parameters)) {
    const { additionalProperties, ...known } = (p?.metadata ?? {}) as Record<string, unknown>;
    parameters[name] = p?.metadata ? { ...p, metadata: { ...(additionalProperties as object | undefined), ...known } } : p;
  }
  return { ...d, parameters };
}

/** Names as az's patterns allow them (definition: no <>%&:\?/; assignment: none of <>*%&:\?.+/ either). */
export function nameParser(kind: "definition" | "assignment" | "exemption"): (v: string) => string {
  const forbidden = kind === "assignment" ? /[<>*%&:\\?.+/]/ : /[<>%&:\\?/]/;
  return (v: string) => {
    if (v.trim() === "" || forbidden.test(v) || v.endsWith(" ") || v.length > 128) {
      throw new InvalidArgumentError(kind === "assignment"
        ? "Names are 1-128 characters without <, >, *, %, &, :, \\, ?, ., + or /, and do not end in a space."
        : "Names are 1-128 characters without <, >, %, &, :, \\, ? or /, and do not end in a space.");
    }
    return v;
  };
}

/** az's name for an assignment or exemption created without -n: a uuid's 16 bytes in url-safe base64 (22 characters). */
export function generatedName(): string {
  return Buffer.from(randomUUID().replace(/-/g, ""), "hex").toString("base64url");
}

export function parseDateTime(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(v) || Number.isNaN(Date.parse(v))) {
    throw new InvalidArgumentError("Expected an ISO 8601 date and time, e.g. 2026-01-31T23:00:00Z.");
  }
  return v;
}

export function parseTop(v: string): number {
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError("Expected a positive integer.");
  return Number(v);
}

/** az's timestamps of exemptions: "+00:00" rather than "Z", and no milliseconds when there are none. */
export function azTime(d: Date | string | undefined): string | undefined {
  if (d === undefined) return undefined;
  const iso = (d instanceof Date ? d : new Date(d)).toISOString();
  return iso.replace(/\.000Z$/, "Z").replace(/Z$/, "+00:00");
}

export const SCOPE_FLAGS: OptionSpec[] = [
  { flags: "--scope <scope>", description: "Scope, e.g. /subscriptions/<id>/resourceGroups/<group>[/providers/...]. Default: the subscription." },
  { flags: "-g, --resource-group <group>", description: "Resource group (the scope is then the group).", parse: parseGroupName },
];

/** The scope of --scope / -g, the subscription when neither is given (az's PopulateScopeFromContext). */
export function scopeOf(s: Session, opts: { scope?: string; resourceGroup?: string }): string {
  if (opts.scope !== undefined && opts.resourceGroup !== undefined) throw usageError("usage error: --scope SCOPE | --resource-group NAME");
  if (opts.scope !== undefined) return checkScope("--scope", opts.scope);
  if (opts.resourceGroup !== undefined) return `${s.subscriptionScope}/resourceGroups/${opts.resourceGroup}`;
  return s.subscriptionScope;
}

/** A subscription, resource group or resource scope (Cove has no management groups). */
export function checkScope(flag: string, v: string): string {
  const scope = v.replace(/\/+$/, "");
  if (!/^\/subscriptions\/[^/\s]+(\/resourceGroups\/[^/\s]+(\/providers\/[^/\s]+(\/[^/\s]+\/[^/\s]+)+)?)?$/i.test(scope)) {
    throw usageError(`Invalid value in ${flag}: '${v}'. Expected /subscriptions/<id>[/resourceGroups/<group>[/providers/<namespace>/<type>/<name>]].`);
  }
  return scope;
}

/** --not-scopes: az takes them space-separated in one value or as several values. */
export function notScopesOf(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const scopes = values.flatMap((v) => v.split(/\s+/)).filter((v) => v !== "");
  for (const sc of scopes) {
    if (!/^\/subscriptions\/[^/\s]+/i.test(sc)) throw usageError(`Invalid resource ID value in --not-scopes: '${sc}'`);
  }
  return scopes.map((sc) => sc.replace(/\/+$/, ""));
}

/** @azure/arm-policy 7 puts the scope after a slash of its own (`/{+scope}/providers/...`): give it without the leading one. */
export const sdkScope = (scope: string) => scope.replace(/^\/+/, "");

/** The client lists the login's subscription only; a --scope in another one would list the wrong place. */
export function sameSubscription(s: Session, scope: string): void {
  const sub = scopeParts(scope).subscription;
  if (sub.toLowerCase() !== s.profile.subscriptionId.toLowerCase()) {
    throw usageError(`The scope '${scope}' is in subscription '${sub}'; this login uses '${s.profile.subscriptionId}' (cove login --subscription ${sub}).`);
  }
}

export interface ScopeParts {
  subscription: string;
  group?: string;
  /** Of a resource scope: namespace, the parent path ("" when none), the type and the name. */
  resource?: { namespace: string; parent: string; type: string; name: string };
}

export function scopeParts(scope: string): ScopeParts {
  const seg = scope.split("/").filter((x) => x !== "");
  const parts: ScopeParts = { subscription: seg[1], group: seg[3] };
  if (seg.length > 5) {
    const tail = seg.slice(6);
    parts.resource = { namespace: seg[5], parent: tail.slice(0, -2).join("/"), type: tail[tail.length - 2], name: tail[tail.length - 1] };
  }
  return parts;
}

export const RESOURCE_FLAGS: OptionSpec[] = [
  { flags: "--resource <resource>", description: "Resource id, or a resource name with -g, --namespace and --resource-type." },
  { flags: "--namespace <namespace>", description: "Provider namespace of --resource given by name (e.g. Microsoft.ContainerRegistry)." },
  { flags: "--resource-type <type>", description: "Resource type of --resource given by name (e.g. registries)." },
  { flags: "--parent <path>", description: "Parent path of --resource given by name (e.g. typeA/nameA)." },
];

/** --resource as an id, or built from its name as az's resource_id(subscription, group, namespace, type, name). */
export function resourceIdOf(s: Session, opts: { resource?: string; resourceGroup?: string; namespace?: string; resourceType?: string; parent?: string }): string | undefined {
  if (opts.resource === undefined) {
    if (opts.namespace !== undefined || opts.resourceType !== undefined || opts.parent !== undefined) throw usageError("--namespace, --resource-type and --parent go with --resource.");
    return undefined;
  }
  if (opts.resource.startsWith("/")) return checkScope("--resource", opts.resource);
  if (!opts.resourceGroup) throw usageError("--resource-group is required if --resource is not a resource ID.");
  if (!opts.namespace) throw usageError("--namespace is required if --resource is not a resource ID.");
  if (!opts.resourceType) throw usageError("--resource-type is required if --resource is not a resource ID.");
  const parent = (opts.parent ?? "").replace(/^\/+|\/+$/g, "");
  const type = parent ? `${parent}/${opts.resourceType}` : opts.resourceType;
  return checkScope("--resource", `${s.subscriptionScope}/resourceGroups/${opts.resourceGroup}/providers/${opts.namespace}/${type}/${opts.resource}`);
}

/** Keeps what az keeps for a list: exactly at the scope, or (-d) also what applies from above and what sits below. */
export function atScope<T>(items: T[], scope: string, widen: boolean, scopeOfItem: (x: T) => string): T[] {
  const s = scope.toLowerCase();
  const under = (inner: string, outer: string) => inner === outer || inner.startsWith(outer + "/");
  return items.filter((x) => {
    const sc = scopeOfItem(x).toLowerCase().replace(/\/+$/, "");
    return widen ? under(s, sc) || under(sc, s) : sc === s;
  });
}
