// POST .../registries/{r}/whatIf (a Cove extension, docs/management-api.md): what a network change
// would do to the reachability matrix of every registry, computed and changing nothing, for the
// networking page's confirmation ("These networks gain access: ..."). The body names one change of
// network-policy/reachability/what-if.ts; the answer is its WhatIfResult, from the same inventory
// as networkReport (what the caller may read), so the page and `--what-if` of the CLI agree.
import type { ArmCall, ArmResult } from "../arm/types.js";
import { assertSubscription, getRegistry } from "../arm/scopes.js";
import { asObject, asString, invalid, onlyKeys, optBoolean, optString, type Json } from "../arm/strict-json.js";
import { whatIf, type NetworkChange } from "../../network-policy/reachability/what-if.js";
import { inventoryFor } from "./network-report.js";

type Kind = NetworkChange["kind"];

/** Each kind's members: the required id(s) first, then the optional ones and their types. */
const MEMBERS: Record<Kind, { required: string[]; optional?: Record<string, "string" | "boolean"> }> = {
  "delete-endpoint": { required: ["endpointId"] },
  "delete-connection": { required: ["connectionId"] },
  "reject-connection": { required: ["connectionId"], optional: { description: "string" } },
  "approve-connection": { required: ["connectionId"], optional: { description: "string" } },
  "delete-zone": { required: ["zoneId"] },
  "delete-record-set": { required: ["recordSetId"] },
  "remove-address": { required: ["recordSetId", "ip"], optional: { keepEmpty: "boolean" } },
  "delete-link": { required: ["linkId"] },
  "delete-zone-group": { required: ["zoneGroupId"] },
  "create-zone-group": { required: ["zoneGroupId", "zoneId"], optional: { zoneConfigName: "string" } },
};
const KINDS = Object.keys(MEMBERS) as Kind[];

/** The body's change, checked member by member; anything else is InvalidRequestContent naming the member. */
export function parseChange(body: Json | undefined): NetworkChange {
  const b = asObject(body ?? null, "");
  onlyKeys(b, ["change"], "");
  if (b.change === undefined || b.change === null) invalid("change", "Required property 'change' not found in JSON.");
  const c = asObject(b.change, "change");
  if (c.kind === undefined || c.kind === null) invalid("change.kind", "Required property 'kind' not found in JSON.");
  const kind = asString(c.kind, "change.kind") as Kind;
  if (!KINDS.includes(kind)) invalid("change.kind", `Error converting value '${kind}': allowed values are ${KINDS.map((k) => `'${k}'`).join(", ")}.`);
  const m = MEMBERS[kind];
  onlyKeys(c, ["kind", ...m.required, ...Object.keys(m.optional ?? {})], "change");
  const out: Json = { kind };
  for (const key of m.required) {
    if (c[key] === undefined || c[key] === null) invalid(`change.${key}`, `Required property '${key}' not found in JSON.`);
    const v = asString(c[key], `change.${key}`).trim();
    if (v === "") invalid(`change.${key}`, `The property '${key}' must not be empty.`);
    out[key] = v;
  }
  for (const [key, type] of Object.entries(m.optional ?? {})) {
    const v = type === "string" ? optString(c[key], `change.${key}`) : optBoolean(c[key], `change.${key}`);
    if (v !== undefined) out[key] = v;
  }
  return out as unknown as NetworkChange;
}

export async function postWhatIf(c: ArmCall): Promise<ArmResult> {
  const subscription = assertSubscription(c.deps, c.params.subscriptionId!);
  const change = parseChange(c.body);
  await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  return { status: 200, body: whatIf(await inventoryFor(c, subscription), change) };
}
