// What `evidence diff` says of two bundles' `compliance` sections (compliance.ts): an assignment
// added, removed or changed (enforcement, parameters, not scopes); an exemption added, removed,
// given another expiry, or expired since; and every resource whose state under an assignment
// changed, from -> to. A resource the first bundle lists neither as NonCompliant nor as Exempt under
// an assignment it holds was Compliant (Azure lists only what it evaluated; Cove evaluates every
// write), one under an assignment the bundle does not hold was "not assigned". Pure.
import type { ComplianceEvidence, ComplianceStateEvidence } from "./types.js";

type Known = Extract<ComplianceEvidence, { status: "known" }>;

const low = (v: unknown) => String(v ?? "").toLowerCase();
const list = (xs: readonly unknown[]) => (xs.length ? xs.join(", ") : "(none)");
const params = (p: Record<string, unknown>) => list(Object.entries(p).map(([k, v]) => `${k}=${JSON.stringify(v)}`));
const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);

function describe(c: ComplianceEvidence | undefined): string {
  if (!c) return "not in the bundle";
  return c.status === "known" ? "known" : `unknown (${c.reason})`;
}

function pair<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): [string, T | undefined, T | undefined][] {
  const before = new Map(a.map((x) => [key(x), x]));
  const after = new Map(b.map((x) => [key(x), x]));
  return [...new Set([...before.keys(), ...after.keys()])].map((k) => [k, before.get(k), after.get(k)]);
}

const stateKey = (s: ComplianceStateEvidence) => `${low(s.resourceId)} ${low(s.assignmentId)}`;

/** A resource's state under an assignment in one bundle. */
function stateIn(c: Known, key: string): { state: string; row?: ComplianceStateEvidence } {
  const row = [...c.nonCompliant, ...c.exempt].find((s) => stateKey(s) === key);
  if (row) return { state: row.complianceState, row };
  const assignment = key.slice(key.indexOf(" ") + 1);
  return { state: c.assignments.some((a) => low(a.id) === assignment) ? "Compliant" : "not assigned" };
}

export type PolicyFact = "policy-assignment" | "exemption" | "compliance";

export function diffCompliance(a: ComplianceEvidence | undefined, b: ComplianceEvidence | undefined, add: (fact: PolicyFact, change: string) => void): void {
  if (a?.status !== "known" || b?.status !== "known") {
    if (describe(a) !== describe(b)) add("compliance", `Azure Policy compliance: ${describe(a)} -> ${describe(b)}`);
    return;
  }
  for (const [, x, y] of pair(a.assignments, b.assignments, (p) => low(p.id))) {
    if (!x) { add("policy-assignment", `policy assignment '${y!.displayName}' added at ${y!.scope}: definition '${y!.definitionName}', enforcement ${y!.enforcementMode}, parameters ${params(y!.parameters)}`); continue; }
    if (!y) { add("policy-assignment", `policy assignment '${x.displayName}' removed (was at ${x.scope}, definition '${x.definitionName}')`); continue; }
    if (x.enforcementMode !== y.enforcementMode) add("policy-assignment", `policy assignment '${y.displayName}': enforcement ${x.enforcementMode} -> ${y.enforcementMode}`);
    if (params(x.parameters) !== params(y.parameters)) add("policy-assignment", `policy assignment '${y.displayName}': parameters ${params(x.parameters)} -> ${params(y.parameters)}`);
    if (list(x.notScopes) !== list(y.notScopes)) add("policy-assignment", `policy assignment '${y.displayName}': not scopes ${list(x.notScopes)} -> ${list(y.notScopes)}`);
    if (low(x.definitionId) !== low(y.definitionId)) add("policy-assignment", `policy assignment '${y.displayName}': definition '${x.definitionName}' -> '${y.definitionName}'`);
  }
  for (const [, x, y] of pair(a.exemptions, b.exemptions, (e) => low(e.id))) {
    const label = (e: NonNullable<typeof x>) => `exemption '${e.displayName ?? e.name}'`;
    if (!x) {
      add("exemption", `${label(y!)} (${y!.category}) added on ${y!.scope} for assignment '${y!.assignment}', ${y!.expiresOn ? `expires ${y!.expiresOn}` : "never expires"}${y!.expired ? " (already expired)" : ""}`);
      continue;
    }
    if (!y) { add("exemption", `${label(x)} removed (was ${x.category} on ${x.scope} for assignment '${x.assignment}')`); continue; }
    if (x.category !== y.category) add("exemption", `${label(y)}: category ${x.category} -> ${y.category}`);
    if (x.expiresOn !== y.expiresOn) add("exemption", `${label(y)}: expires ${x.expiresOn ?? "never"} -> ${y.expiresOn ?? "never"}`);
    else if (!x.expired && y.expired) add("exemption", `${label(y)} has expired (${y.expiresOn})`);
  }
  const keys = [...new Set([...a.nonCompliant, ...a.exempt, ...b.nonCompliant, ...b.exempt].map(stateKey))];
  for (const key of keys) {
    const x = stateIn(a, key), y = stateIn(b, key);
    if (x.state === y.state) continue;
    const row = (y.row ?? x.row)!;
    const why = y.state === "NonCompliant" && y.row?.reason ? ` (${y.row.reason})` : "";
    add("compliance", `resource ${nameOf(row.resourceId)} (${row.resourceId}): ${x.state} -> ${y.state} under assignment '${row.assignment}'${why}`);
  }
}
