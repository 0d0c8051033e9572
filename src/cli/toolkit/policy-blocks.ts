// Would Azure Policy refuse the fix a verdict proposes? Asked of the server with Azure's own API,
// Microsoft.PolicyInsights checkPolicyRestrictions (@azure/arm-policyinsights 6,
// policyRestrictions.checkAtResourceGroupScope), with the resource as each fix command would leave
// it (policy-changes.ts). A Deny outcome marks the command: "blocked by policy assignment '<display
// name>' (<id>), definition '<display name>'". One call per distinct proposed resource, however
// many rows propose it (a network report's 200 subnets share their `acr update`), a few at a time;
// the names of assignments and definitions are read once each (@azure/arm-policy 7).
// An ARM without the API (404, InvalidResourceType: an older Cove) gets no call after the first
// and the fixes are shown as they are; any other failure is said once, never fails the command.
import { canonicalJson } from "./evidence/canonical.js";
import type { FixCommand } from "../../network-policy/reachability/fixes.js";
import type { ArmInventory } from "../../network-policy/reachability/inventory.js";
import type { Session } from "../session.js";
import { proposedChanges, type ProposedChange } from "./policy-changes.js";

export interface PolicyBlock {
  assignmentId: string;
  assignment: string;
  definitionId: string;
  definition: string;
}

/** A fix command, and when a Deny assignment would refuse it, which and the sentence that says so. */
export type CheckedFix = FixCommand & { blocked?: string; blockedBy?: PolicyBlock[] };

export interface FixCheck {
  fix: CheckedFix[];
  /** Set when the check could not be made (other than on an ARM without the API). */
  policyCheck?: string;
}

/** Calls in flight at once: a report of many subnets proposes many distinct IP rules. */
const PARALLEL = 8;
const TENANT_DEFINITIONS = "/providers/microsoft.authorization/policydefinitions/";
const ASSIGNMENTS = "/providers/microsoft.authorization/policyassignments/";
const low = (v: unknown) => String(v ?? "").toLowerCase();
const lastSegment = (id: string) => id.slice(id.lastIndexOf("/") + 1);

export function blockedText(blocks: readonly PolicyBlock[]): string {
  return blocks.map((b) => `blocked by policy assignment '${b.assignment}' (${b.assignmentId}), definition '${b.definition}'`).join("; ");
}

const absent = (e: unknown) => {
  const err = e as { statusCode?: number; code?: string };
  return err?.statusCode === 404 || err?.code === "InvalidResourceType" || err?.code === "NoRegisteredProviderFound";
};

async function pool<T>(items: readonly T[], run: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

export class PolicyChecker {
  private readonly verdicts = new Map<string, Promise<PolicyBlock[]>>();
  private readonly names = new Map<string, Promise<string>>();
  private unsupported = false;
  private failure?: string;

  constructor(private readonly s: Session, private readonly inv: ArmInventory) {}

  /** Every fix list checked; the same proposed resource is asked about once for all of them. */
  async checkAll(fixes: readonly (readonly FixCommand[])[]): Promise<FixCheck[]> {
    const changes = fixes.map((f) => proposedChanges(this.inv, this.s.profile.subscriptionId, f));
    const distinct = [...new Map(changes.flat().map((c) => [this.key(c), c])).values()];
    await pool(distinct, async (c) => { await this.verdict(c); });
    return Promise.all(fixes.map(async (fix, i) => {
      const out: CheckedFix[] = fix.map((f) => ({ ...f }));
      for (const c of changes[i]!) {
        const blocks = await this.verdict(c);
        if (blocks.length === 0) continue;
        const f = out[c.fixIndex]!;
        f.blockedBy = [...(f.blockedBy ?? []), ...blocks];
        f.blocked = blockedText(f.blockedBy);
      }
      return { fix: out, ...(this.failure ? { policyCheck: this.failure } : {}) };
    }));
  }

  async check(fix: readonly FixCommand[]): Promise<FixCheck> {
    return (await this.checkAll([fix]))[0]!;
  }

  private key(c: ProposedChange): string {
    return canonicalJson({ group: low(c.group), scope: low(c.scope), apiVersion: c.apiVersion, content: c.content });
  }

  private verdict(c: ProposedChange): Promise<PolicyBlock[]> {
    const key = this.key(c);
    let p = this.verdicts.get(key);
    if (!p) {
      p = this.ask(c);
      this.verdicts.set(key, p);
    }
    return p;
  }

  private async ask(c: ProposedChange): Promise<PolicyBlock[]> {
    if (this.unsupported || this.failure) return [];
    let result;
    try {
      const insights = await this.s.policyInsights();
      result = await insights.policyRestrictions.checkAtResourceGroupScope(c.group, {
        resourceDetails: { resourceContent: c.content, apiVersion: c.apiVersion, ...(c.scope ? { scope: c.scope } : {}) },
      });
    } catch (e) {
      // The group a fix would create the resource in does not exist yet (`acr create` of a missing registry): nothing to ask.
      if ((e as { code?: string }).code === "ResourceGroupNotFound") return [];
      if (absent(e)) this.unsupported = true;
      else this.failure ??= `Azure Policy was not asked whether it would refuse the fix: ${(e as { code?: string }).code ?? (e as Error).message}`;
      return [];
    }
    const denies = (result.contentEvaluationResult?.policyEvaluations ?? []).filter((x) =>
      low(x.effectDetails?.policyEffect) === "deny" && low(x.evaluationResult ?? "NonCompliant") === "noncompliant" && x.policyInfo?.policyAssignmentId);
    const seen = new Set<string>();
    const out: PolicyBlock[] = [];
    for (const d of denies) {
      const assignmentId = d.policyInfo!.policyAssignmentId!;
      if (seen.has(low(assignmentId))) continue;
      seen.add(low(assignmentId));
      const definitionId = d.policyInfo!.policyDefinitionId ?? "";
      out.push({ assignmentId, assignment: await this.assignmentName(assignmentId), definitionId, definition: await this.definitionName(definitionId) });
    }
    return out;
  }

  /** Display names, read once per id; a name that cannot be read is the id's last segment. */
  private named(id: string, read: () => Promise<{ displayName?: string } | undefined>): Promise<string> {
    let p = this.names.get(low(id));
    if (!p) {
      p = read().then((x) => x?.displayName || lastSegment(id), () => lastSegment(id));
      this.names.set(low(id), p);
    }
    return p;
  }

  private assignmentName(id: string): Promise<string> {
    return this.named(id, async () => {
      const at = low(id).lastIndexOf(ASSIGNMENTS);
      if (at < 0) return undefined;
      return (await this.s.policy()).policyAssignments.get(id.slice(0, at).replace(/^\/+/, ""), id.slice(at + ASSIGNMENTS.length));
    });
  }

  private definitionName(id: string): Promise<string> {
    return this.named(id, async () => {
      const defs = (await this.s.policy()).policyDefinitions;
      if (low(id).startsWith(TENANT_DEFINITIONS)) return defs.getBuiltIn(lastSegment(id));
      if (low(id).includes(TENANT_DEFINITIONS)) return defs.get(lastSegment(id));
      return undefined;
    });
  }
}
