// How a preflight result reads: plain lines for a person or a log (one per step, then the verdict
// with its evidence and fix), and JUnit XML, which Azure Pipelines, GitHub Actions and GitLab show
// natively: one test suite per preflight, one test case per step, the root cause as the failure.
import type { StepResult } from "./live/observe.js";
import type { PreflightResult, PreflightStep } from "./preflight.js";
import { historyLines } from "../../network-policy/reachability/record-history.js";

const MARK = { ok: "ok", failed: "FAILED", skipped: "skipped" } as const;

export function stepLine(s: PreflightStep | StepResult): string {
  return `  ${MARK[s.result].padEnd(7)} ${s.name.padEnd(12)} ${s.detail}${s.result === "skipped" ? "" : ` (${s.ms} ms)`}`;
}

export function headerLine(r: Pick<PreflightResult, "host" | "source" | "network" | "identity" | "mode">): string {
  return `Preflight of ${r.host} from ${r.source || "this machine"} (${r.network}) as ${r.identity}${r.mode === "modelled" ? ", modelled (no packets sent)" : ""}`;
}

export function verdictText(r: PreflightResult): string {
  const lines: string[] = [];
  if (r.ok) lines.push(`PASSED: ${r.summary}`);
  else {
    lines.push(`FAILED: ${r.cause}`, `  ${r.summary}`);
    for (const [k, v] of Object.entries(r.evidence ?? {})) lines.push(`  ${k}: ${v}`);
    if (r.recordHistory?.changes.length) {
      lines.push(`  history of record ${r.recordHistory.record} in zone ${r.recordHistory.zone} (newest first):`);
      for (const l of historyLines(r.recordHistory)) lines.push(`    ${l}`);
    }
    if (r.fix?.length) {
      lines.push("  fix:");
      for (const f of r.fix) lines.push(`    ${f.cove}`, ...(f.blocked ? [`      ${f.blocked}`] : []));
      lines.push("  az equivalent:");
      for (const f of r.fix) lines.push(`    ${f.az}`);
    }
    if (r.policyCheck) lines.push(`  ${r.policyCheck}`);
  }
  if (!r.agree) lines.push(`WARNING: the model predicts ${r.modelled.ok ? "success" : r.modelled.cause} for this client, but the wire says ${r.ok ? "success" : r.cause}.`);
  return lines.join("\n") + "\n";
}

export function renderText(r: PreflightResult, stepsShown: boolean): string {
  const head = stepsShown ? "" : `${headerLine(r)}\n${r.steps.map(stepLine).join("\n")}\n`;
  return head + verdictText(r);
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!)
  // Characters XML 1.0 cannot carry at all.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

export function junit(r: PreflightResult, now = new Date()): string {
  const suite = `cove preflight ${r.registry} from ${r.source || "this machine"}`;
  const failed = r.ok ? 0 : 1;
  const total = r.steps.reduce((a, s) => a + s.ms, 0) / 1000;
  const causeStep = r.ok ? undefined : (r.steps.find((s) => s.result === "failed") ?? r.steps[r.steps.length - 1]);
  const cases = r.steps.map((s) => {
    const open = `    <testcase classname="cove.preflight.${xml(r.registry)}" name="${xml(s.name)}" time="${(s.ms / 1000).toFixed(3)}">`;
    if (s === causeStep) {
      const body = [r.summary, ...Object.entries(r.evidence ?? {}).map(([k, v]) => `${k}: ${v}`), ...(r.fix ?? []).map((f) => `fix: ${f.cove}${f.blocked ? ` (${f.blocked})` : ""}`)].join("\n");
      return `${open}\n      <failure message="${xml(`${r.cause}: ${r.summary}`)}" type="${xml(r.cause ?? "")}">${xml(body)}</failure>\n    </testcase>`;
    }
    if (s.result === "skipped") return `${open}<skipped/></testcase>`;
    return `${open}<system-out>${xml(s.detail)}</system-out></testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cove preflight" tests="${r.steps.length}" failures="${failed}" time="${total.toFixed(3)}">`,
    `  <testsuite name="${xml(suite)}" tests="${r.steps.length}" failures="${failed}" skipped="${r.steps.filter((s) => s.result === "skipped").length}" time="${total.toFixed(3)}" timestamp="${now.toISOString().slice(0, 19)}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
