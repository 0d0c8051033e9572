// The bundle's `compliance` section: what Azure Policy says of the registry's estate at export
// time, read through Microsoft's SDKs only (the CLI never reads Cove's internals):
//   - assignments    @azure/arm-policy 7 policyAssignments.list, each definition's display name
//                    from policyDefinitions.getBuiltIn (tenant ids) or .get (the subscription's own);
//   - exemptions     @azure/arm-policy-5 (5.1, the last release with them) policyExemptions.list;
//   - states         @azure/arm-policyinsights 6 policyStates.listQueryResultsForSubscription,
//                    "latest", filtered to NonCompliant, and to Exempt (so a diff can tell an
//                    exempted resource from one that became compliant).
// Only what concerns the bundle is kept: assignments and exemptions at a scope that holds the
// registry, one of its endpoints or zones (the subscription, their groups, the resources), and the
// states of those resources and their children. An ARM without Azure Policy (or a caller who may
// not read it) gives `status: "unknown"` with the reason, never a guess.
import type { Session } from "../../session.js";
import type { ComplianceEvidence, ComplianceStateEvidence, ExemptionEvidence, PolicyAssignmentEvidence } from "./types.js";

type Json = Record<string, any>;

const low = (v: unknown) => String(v ?? "").toLowerCase().replace(/\/+$/, "");
const lastSegment = (id: string) => id.slice(id.lastIndexOf("/") + 1);
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ASSIGNMENTS = "/providers/microsoft.authorization/policyassignments/";
const EXEMPTIONS = "/providers/microsoft.authorization/policyexemptions/";
const TENANT_DEFINITIONS = "/providers/microsoft.authorization/policydefinitions/";

/** A scope above (or at) one of the bundle's resources. */
const holds = (scope: string, resources: readonly string[]) => resources.some((r) => r === low(scope) || r.startsWith(low(scope) + "/"));
/** A resource that is one of the bundle's, or a child of one. */
const within = (resourceId: string, resources: readonly string[]) => resources.some((r) => low(resourceId) === r || low(resourceId).startsWith(r + "/"));

function scopeOf(id: string, marker: string): string {
  const at = low(id).lastIndexOf(marker);
  return at < 0 ? "" : id.slice(0, at);
}

/** The pages as the server sent them: the SDKs drop fields their models do not know (a state's policyEvaluationDetails.reason). */
function rawPages(into: Json[]) {
  return {
    onResponse(raw: { bodyAsText?: string | null; parsedBody?: unknown }) {
      let body: unknown = raw.parsedBody;
      if (typeof raw.bodyAsText === "string" && raw.bodyAsText !== "") {
        try { body = JSON.parse(raw.bodyAsText); } catch { body = undefined; }
      }
      const value = (body as { value?: unknown } | undefined)?.value;
      if (Array.isArray(value)) into.push(...(value as Json[]));
    },
  };
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Why a read of Azure Policy gives no answer the bundle can use (undefined: a failure to report as such). */
function unanswered(e: unknown, what: string): string | undefined {
  const err = e as { statusCode?: number; code?: string; message?: string };
  if (err?.statusCode === 404) return `the management endpoint does not serve ${what} (404${err.code ? ` ${err.code}` : ""})`;
  if (err?.statusCode === 403) return `the caller may not read ${what} (403${err.code ? ` ${err.code}` : ""})`;
  if (err?.statusCode === 400 && err.code === "InvalidResourceType") return `the management endpoint does not serve ${what} (${err.code})`;
  return undefined;
}

/** The text a reviewer reads for a state: the server's reason, else the expressions that decided it. */
export function reasonOf(state: Json): string {
  const details = (state.policyEvaluationDetails ?? {}) as Json;
  if (typeof details.reason === "string" && details.reason) return details.reason;
  const decided = ((details.evaluatedExpressions ?? []) as Json[]).filter((x) => String(x.result).toLowerCase() === "true" && x.path);
  if (decided.length) return decided.map((x) => `${x.path} ${x.operator} ${JSON.stringify(x.targetValue)} (is ${JSON.stringify(x.expressionValue ?? null)})`).join("; ");
  return "";
}

type PolicyStates = Awaited<ReturnType<Session["policyInsights"]>>["policyStates"];

/** Non-compliant resources asked about at once for their reasons. */
const PARALLEL = 8;

/**
 * The reasons: the SDK sends $expand=PolicyEvaluationDetails only with a resource's own query, so
 * each non-compliant resource is asked once more. A resource whose details cannot be read keeps
 * its state without a reason.
 */
async function withReasons(insights: PolicyStates, rows: ComplianceStateEvidence[]): Promise<void> {
  const ids = [...new Set(rows.map((r) => low(r.resourceId)))];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(PARALLEL, ids.length) }, async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const raw: Json[] = [];
      try {
        const resourceId = rows.find((r) => low(r.resourceId) === id)!.resourceId;
        await drain(insights.listQueryResultsForResource("latest", resourceId, {
          queryOptions: { filter: "complianceState eq 'NonCompliant'", expand: "PolicyEvaluationDetails" }, ...rawPages(raw),
        } as never));
      } catch {
        continue;
      }
      for (const x of raw) {
        const reason = reasonOf(x);
        const row = rows.find((r) => low(r.resourceId) === low(x.resourceId) && low(r.assignmentId) === low(x.policyAssignmentId));
        if (row && reason) row.reason = reason;
      }
    }
  }));
}

export interface ComplianceInput {
  /** The registry's id and the ids of its endpoints and zones (any case). */
  resources: readonly string[];
  /** The export's time: an exemption whose expiresOn is before it has expired. */
  now: string;
}

export async function complianceSection(s: Session, input: ComplianceInput): Promise<ComplianceEvidence> {
  const resources = input.resources.map(low);
  // States carry ids lower-cased (as Azure's do): the bundle's own resources are named as ARM spells them.
  const spelled = new Map(input.resources.map((r) => [low(r), r]));
  let what = "Azure Policy assignments (Microsoft.Authorization/policyAssignments)";
  try {
    const policy = await s.policy();
    const assigned = (await drain(policy.policyAssignments.list())).filter((a) => holds(a.scope ?? scopeOf(a.id ?? "", ASSIGNMENTS), resources));

    const definitionNames = new Map<string, Promise<string>>();
    const definitionName = (id: string) => {
      const key = low(id);
      let p = definitionNames.get(key);
      if (!p) {
        const name = lastSegment(id);
        const read = key.startsWith(TENANT_DEFINITIONS) ? policy.policyDefinitions.getBuiltIn(name) : key.includes(TENANT_DEFINITIONS) ? policy.policyDefinitions.get(name) : undefined;
        // A set definition, or one the caller may not read: named by its id's last segment.
        p = read ? read.then((d) => d.displayName ?? name, () => name) : Promise.resolve(name);
        definitionNames.set(key, p);
      }
      return p;
    };
    const assignments: PolicyAssignmentEvidence[] = await Promise.all(assigned.map(async (a) => {
      const definitionId = String(a.policyDefinitionId ?? "");
      return {
        id: String(a.id), name: String(a.name ?? lastSegment(String(a.id))), displayName: a.displayName || String(a.name ?? ""),
        definitionId, definitionName: await definitionName(definitionId),
        scope: a.scope ?? scopeOf(String(a.id), ASSIGNMENTS), notScopes: [...(a.notScopes ?? [])].sort(byText),
        enforcementMode: String(a.enforcementMode ?? "Default"),
        parameters: Object.fromEntries(Object.entries(a.parameters ?? {}).sort(([x], [y]) => byText(x, y)).map(([k, v]) => [k, (v as { value?: unknown })?.value ?? null])),
      };
    }));
    assignments.sort((x, y) => byText(low(x.id), low(y.id)));
    const known = new Map(assignments.map((a) => [low(a.id), a]));
    const nameOfAssignment = (id: string) => known.get(low(id))?.displayName ?? lastSegment(id);

    what = "Azure Policy exemptions (Microsoft.Authorization/policyExemptions)";
    const exempted = (await drain((await s.policyExemptions()).policyExemptions.list()))
      .filter((x) => holds(scopeOf(String(x.id ?? ""), EXEMPTIONS), resources) || within(scopeOf(String(x.id ?? ""), EXEMPTIONS), resources));
    const exemptions: ExemptionEvidence[] = exempted.map((x) => {
      const expiresOn = x.expiresOn ? new Date(x.expiresOn).toISOString() : null;
      return {
        id: String(x.id), name: String(x.name ?? lastSegment(String(x.id))),
        ...(x.displayName ? { displayName: x.displayName } : {}),
        category: String(x.exemptionCategory), scope: scopeOf(String(x.id), EXEMPTIONS),
        assignmentId: String(x.policyAssignmentId), assignment: nameOfAssignment(String(x.policyAssignmentId)),
        expiresOn, expired: expiresOn !== null && expiresOn <= input.now,
        ...(x.description ? { description: x.description } : {}),
      };
    }).sort((a, b) => byText(low(a.id), low(b.id)));

    what = "Azure Policy compliance states (Microsoft.PolicyInsights/policyStates)";
    const insights = (await s.policyInsights()).policyStates;
    const states = async (complianceState: "NonCompliant" | "Exempt"): Promise<ComplianceStateEvidence[]> => {
      const raw: Json[] = [];
      await drain(insights.listQueryResultsForSubscription("latest", s.profile.subscriptionId, {
        queryOptions: { filter: `complianceState eq '${complianceState}'` }, ...rawPages(raw),
      } as never));
      const rows = await Promise.all(raw.filter((x) => within(String(x.resourceId ?? ""), resources)).map(async (x) => {
        // Azure lower-cases the ids in states: they are given as the assignment spells them.
        const assignmentId = String(x.policyAssignmentId ?? "");
        const definitionId = known.get(low(assignmentId))?.definitionId ?? String(x.policyDefinitionId ?? "");
        const reason = reasonOf(x);
        return {
          resourceId: spelled.get(low(x.resourceId)) ?? String(x.resourceId), resourceType: String(x.resourceType ?? ""),
          assignmentId: known.get(low(assignmentId))?.id ?? assignmentId, assignment: nameOfAssignment(assignmentId),
          definitionId, definition: await definitionName(definitionId),
          complianceState: String(x.complianceState ?? complianceState), ...(reason ? { reason } : {}), timestamp: String(x.timestamp ?? ""),
        };
      }));
      return rows.sort((a, b) => byText(low(a.resourceId), low(b.resourceId)) || byText(low(a.assignmentId), low(b.assignmentId)));
    };
    const [nonCompliant, exempt] = await Promise.all([states("NonCompliant"), states("Exempt")]);
    await withReasons(insights, nonCompliant);
    return { status: "known", assignments, nonCompliant, exempt, exemptions };
  } catch (e) {
    const why = unanswered(e, what);
    if (why) return { status: "unknown", reason: why };
    throw e;
  }
}
