// docs/policy.md lists every alias, operator, effect and template function the rule language
// accepts, and every built-in with its id and display name: this keeps the page and the code in
// step, both ways for the aliases (a documented alias the code refuses is as wrong as a missing one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { ALIASES } from "../../src/control-plane/policy/aliases.js";
import { EFFECTS, OPERATORS } from "../../src/control-plane/policy/rules.js";
import { BUILTIN_POLICY_DEFINITIONS } from "../../src/control-plane/policy/builtins.js";

const doc = await readFile(new URL("../../../docs/policy.md", import.meta.url), "utf8");

test("every alias is documented, and every documented alias is accepted", () => {
  for (const a of ALIASES) assert.ok(doc.includes(`| \`${a}\` |`), `docs/policy.md lacks the alias ${a}`);
  const listed = [...doc.matchAll(/^\| `(Microsoft\.[^`]+)` \|$/gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), [...ALIASES].sort());
});

test("every operator, effect and function is documented", () => {
  for (const op of OPERATORS) assert.ok(doc.includes(`\`${op}\``), `docs/policy.md lacks the operator ${op}`);
  for (const e of EFFECTS) assert.ok(doc.includes(`\`${e}\``), `docs/policy.md lacks the effect ${e}`);
  for (const f of ["parameters('name')", "field('alias')", "concat(...)", "count", "allOf", "anyOf", "not"]) assert.ok(doc.includes(`\`${f}\``), f);
});

test("every built-in is listed with Azure's id and display name", () => {
  for (const d of BUILTIN_POLICY_DEFINITIONS) {
    const p = d.properties as Record<string, unknown>;
    assert.ok(doc.includes(`| \`${String(d.name)}\` | ${String(p.displayName)} |`), `docs/policy.md lacks ${String(d.name)} ${String(p.displayName)}`);
  }
});
