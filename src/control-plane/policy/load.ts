// Reads the policy set the engine evaluates with: the built-in definitions, the subscription's
// custom ones, every assignment and exemption. Definitions are compiled once per stored body (a
// body that does not compile was refused when written; one that still fails is skipped, logged by
// the caller, never half-evaluated).
import type { MetadataStore } from "../../storage/types.js";
import { BUILTIN_POLICY_DEFINITIONS } from "./builtins.js";
import { compileDefinition, type CompiledDefinition, type PolicySet } from "./engine.js";
import {
  POLICY_ASSIGNMENT_TYPE, POLICY_DEFINITION_TYPE, POLICY_EXEMPTION_TYPE, assignmentView, definitionView, exemptionView, lower,
} from "./records.js";

const compiled = new WeakMap<object, CompiledDefinition | null>();

function compileOnce(body: Record<string, unknown>): CompiledDefinition | undefined {
  let hit = compiled.get(body);
  if (hit === undefined) {
    try {
      hit = compileDefinition(definitionView(body));
    } catch {
      hit = null;
    }
    compiled.set(body, hit);
  }
  return hit ?? undefined;
}

const builtins = new Map<string, CompiledDefinition>();
for (const b of BUILTIN_POLICY_DEFINITIONS) {
  const c = compileOnce(b as Record<string, unknown>);
  if (c) builtins.set(lower(c.view.id), c);
}

/** The built-in definitions, compiled, by lower-cased id. */
export function builtinSet(): ReadonlyMap<string, CompiledDefinition> {
  return builtins;
}

export async function loadPolicySet(meta: MetadataStore): Promise<PolicySet> {
  const [defs, assignments, exemptions] = await Promise.all([
    meta.listResources({ type: POLICY_DEFINITION_TYPE }),
    meta.listResources({ type: POLICY_ASSIGNMENT_TYPE }),
    meta.listResources({ type: POLICY_EXEMPTION_TYPE }),
  ]);
  const definitions = new Map(builtins);
  for (const d of defs) {
    const c = compileOnce(d.body);
    if (c) definitions.set(lower(c.view.id), c);
  }
  return {
    definitions,
    assignments: assignments.map((r) => assignmentView(r.body)),
    exemptions: exemptions.map((r) => exemptionView(r.body)),
  };
}
