// GET .../registries/{r}/publicAccessReadiness[?since=<ISO time>] (a Cove extension,
// docs/management-api.md): before public network access is switched off, every client that used the
// registry's public endpoint in the window and whether it would break, the report `cove acr
// public-access readiness -o json` prints, for the networking page. The CLI reads the audit log
// through GET /cove/audit and the documents through the SDKs; this handler reads the same records
// from the store and the same documents as networkReport (what the caller may read), and both run
// them through network-policy/reachability/readiness.ts. The audit log is behind its own right, so
// the route demands it too (the right GET /cove/audit demands), beside the registry read.
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { demand } from "../arm/authorize.js";
import { assertSubscription, getRegistry } from "../arm/scopes.js";
import { AUDIT_READ_ACTION } from "../../audit/routes.js";
import { readFiltered } from "../../audit/read-filter.js";
import { buildModel } from "../../network-policy/reachability/model.js";
import { PublicUses, READINESS_KINDS, readinessReport } from "../../network-policy/reachability/readiness.js";
import { inventoryFor } from "./network-report.js";

/** The window's default start, as the CLI's `--since 7d`. */
const DEFAULT_WINDOW_MS = 7 * 86_400_000;
const PAGE = 1000;

/** `since` as GET /cove/audit takes it (an ISO 8601 time), in the form records carry. */
function sinceParam(v: string | null): string {
  if (v === null) return new Date(Date.now() - DEFAULT_WINDOW_MS).toISOString();
  const t = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw armError("InvalidParameter", { target: "since", reason: "It must be an ISO 8601 time, e.g. 2026-12-01T10:00:00Z." }, { target: "since" });
  return new Date(t).toISOString();
}

export async function getPublicAccessReadiness(c: ArmCall): Promise<ArmResult> {
  const subscription = assertSubscription(c.deps, c.params.subscriptionId!);
  const since = sinceParam(c.ctx.query.get("since"));
  const registry = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  await demand(c.deps, c.principal, AUDIT_READ_ACTION, `/subscriptions/${subscription}`);

  await c.deps.flushAudit?.();
  const uses = new PublicUses(registry.id);
  const read = (after: number, limit: number) => c.deps.meta.readAudit(after, limit);
  const kinds = new Set<string>(READINESS_KINDS);
  // Page by page (readFiltered bounds each scan), so the whole log is never held at once.
  for (let after = 0; ;) {
    const page = await readFiltered(read, { after, limit: PAGE, since, kinds });
    for (const r of page.value) uses.add(r);
    if (page.next === undefined || page.next <= after) break;
    after = page.next;
  }

  const inventory = await inventoryFor(c, subscription);
  const model = buildModel(inventory);
  const reg = model.registry(registry.id)!;
  return { status: 200, body: readinessReport(inventory, model, reg, uses.list(), since) };
}
