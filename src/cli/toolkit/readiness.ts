// `cove acr public-access readiness`, the CLI's I/O (issue 9 section 4): the audit log read through
// the management API as `cove audit` reads it (GET /cove/audit, page by page), the inventory through
// the SDK clients (toolkit/collect.ts), and `--since`. The verdicts themselves are pure and shared
// with the server's publicAccessReadiness route: network-policy/reachability/readiness.ts.
import { buildModel } from "../../network-policy/reachability/model.js";
import { PublicUses, READINESS_KINDS, readinessReport, type PublicUse, type ReadinessReport } from "../../network-policy/reachability/readiness.js";
import { CliError, notFound, usageError } from "../errors.js";
import { collectInventory } from "./collect.js";
import { EXIT_ERROR } from "../exit-codes.js";
import type { Session } from "../session.js";

export {
  PublicUses, READINESS_KINDS, privatePathFix, readinessReport, readinessVerdicts, withPublicAccessDisabled,
  type PublicUse, type ReadinessClient, type ReadinessReport, type ReadinessVerdict,
} from "../../network-policy/reachability/readiness.js";

type Event = Record<string, any>;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: a duration back from now (30m, 24h, 7d, 2w) or an ISO 8601 time; the window's start as ISO. */
export function parseSince(v: string, nowMs = Date.now()): string {
  const m = /^(\d{1,6})([smhdw])$/.exec(v.trim());
  if (m) return new Date(nowMs - Number(m[1]) * UNITS[m[2]!]!).toISOString();
  const t = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw usageError(`argument --since: '${v}' is neither a duration (30m, 24h, 7d, 2w) nor an ISO 8601 time.`);
  return new Date(t).toISOString();
}

const PAGE = 1000;
/** Pages fetched at most: the loop always ends. */
const MAX_PAGES = 100_000;

/** Reads the window's records of READINESS_KINDS page by page (never the whole log in memory). */
export async function readPublicUses(s: Session, registryId: string, since: string): Promise<PublicUse[]> {
  const uses = new PublicUses(registryId);
  let path = `/cove/audit?limit=${PAGE}&since=${encodeURIComponent(since)}&kind=${READINESS_KINDS.join(",")}`;
  for (let i = 0; ; i++) {
    if (i >= MAX_PAGES) throw new CliError("the audit log did not end after 100,000 pages", EXIT_ERROR);
    const page = await s.request<{ value: { time: string; event: Event }[]; nextLink?: string }>("GET", path);
    for (const r of page.value) uses.add(r);
    if (!page.nextLink) break;
    const next = new URL(page.nextLink);
    path = next.pathname + next.search;
  }
  return uses.list();
}

/** The readiness report of registry `name` (in group `group`, or any): inventory, audit window, verdicts. */
export async function registryReadiness(s: Session, o: { name: string; group?: string; since: string }): Promise<ReadinessReport> {
  const inventory = await collectInventory(s);
  const model = buildModel(inventory);
  const wanted = o.name.toLowerCase();
  const reg = model.registries.find((r) => r.name.toLowerCase() === wanted && (o.group === undefined || r.group.toLowerCase() === o.group.toLowerCase()));
  if (!reg) {
    const where = o.group ? `resource group '${o.group}'` : `subscription '${s.profile.subscriptionId}'`;
    throw notFound(`The resource with name '${o.name}' and type 'Microsoft.ContainerRegistry/registries' could not be found in ${where}.`);
  }
  const uses = await readPublicUses(s, reg.id, o.since);
  return readinessReport(inventory, model, reg, uses, o.since);
}
