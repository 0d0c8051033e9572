// GET /subscriptions/{s}/resources and .../resourceGroups/{rg}/resources (Microsoft.Resources
// "list resources"): `az acr login` and `az acr check-health` find a registry's group this way, with
// `$filter=resourceType eq 'Microsoft.ContainerRegistry/registries'` (reference/az-cli.md 4.5).
// Only tracked resources are listed (registries today), filtered to what the caller may read.

import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getResourceGroup } from "../arm/scopes.js";
import { REGISTRY_TYPE } from "../../domain/resource-types.js";

const LISTED_TYPES = [REGISTRY_TYPE];

function parseFilter(filter: string | null): { type?: string; name?: string } {
  const out: { type?: string; name?: string } = {};
  if (filter === null || filter.trim() === "") return out;
  for (const term of filter.split(/\s+and\s+/i)) {
    const m = /^\s*(resourceType|name)\s+eq\s+'([^']*)'\s*$/i.exec(term);
    if (!m) {
      throw armError("InvalidParameter", {
        target: "$filter",
        reason: `The filter '${filter}' is not supported. Supported: resourceType eq '<type>', name eq '<name>'.`,
      }, { target: "$filter" });
    }
    if (m[1]!.toLowerCase() === "resourcetype") out.type = m[2]!;
    else out.name = m[2]!;
  }
  return out;
}

export async function listResources(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const f = parseFilter(c.ctx.query.get("$filter"));
  let under = `/subscriptions/${s}/`;
  if (c.params.resourceGroupName !== undefined) under = (await getResourceGroup(c.deps, c.params.resourceGroupName)).id + "/";
  const value: unknown[] = [];
  for (const type of LISTED_TYPES) {
    if (f.type !== undefined && f.type.toLowerCase() !== type.toLowerCase()) continue;
    for (const r of await c.deps.meta.listResources({ type, underId: under })) {
      const b = r.body as Record<string, unknown>;
      if (f.name !== undefined && String(b.name).toLowerCase() !== f.name.toLowerCase()) continue;
      if (!(await c.deps.access.authorize(c.principal, `${type}/read`, r.id))) continue;
      value.push({ id: b.id, name: b.name, type: b.type, location: b.location, ...(b.tags ? { tags: b.tags } : {}), ...(b.sku ? { sku: b.sku } : {}) });
    }
  }
  return { status: 200, body: { value } };
}
