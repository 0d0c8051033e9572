// The doc-sync tests are only as good as their reader: a table it misreads, or a missing table it
// reads as empty, would let a doc drift silently.
import { test } from "node:test";
import assert from "node:assert/strict";
import { codeSpans, linkTargets, tableUnder } from "./doc-table.js";

const DOC = `# Title

## First

Intro with \`a span\` and a [link](other.md#part).

| code | status | message |
| --- | ---: | --- |
| A_B | 400 | with \\| a pipe |
| C | 500 | \`x\` |

### Nested

| k | v |
| --- | --- |
| n | 1 |

Reasons (\`code\`; more):

| code | meaning |
| --- | --- |
| r-one | one |

## Second

No table here.

\`\`\`bash
echo \`src/inside-fence\`
\`\`\`

A span that \`wraps
onto the next line\` and \`\`a \` tick\`\`.
`;

test("rows come back keyed by the header, escaped pipes read as pipes", () => {
  assert.deepEqual(tableUnder(DOC, "## First"), [
    { code: "A_B", status: "400", message: "with | a pipe" },
    { code: "C", status: "500", message: "`x`" },
  ]);
  assert.deepEqual(tableUnder(DOC, "### Nested"), [{ k: "n", v: "1" }]);
  assert.deepEqual(tableUnder(DOC, "Reasons (`code`"), [{ code: "r-one", meaning: "one" }]);
});

test("a missing, ambiguous or ragged table is a failure, not an empty list", () => {
  assert.throws(() => tableUnder(DOC, "## Second"), /no table under/);
  assert.throws(() => tableUnder(DOC, "## Third"), /exactly one line/);
  assert.throws(() => tableUnder(`${DOC}\n## First\n`, "## First"), /found 2/);
  assert.throws(() => tableUnder("## T\n\n| a | b |\n| --- | --- |\n| 1 |\n", "## T"), /row 1 has 1 cells/);
  assert.throws(() => tableUnder("## T\n\n| a | b |\n| 1 | 2 |\n", "## T"), /header and a --- line/);
  // A heading anchor does not reach into the next section of its level.
  assert.throws(() => tableUnder("## T\n\ntext\n\n## U\n\n| a |\n| --- |\n| 1 |\n", "## T"), /before "## U"/);
});

test("code spans pair backtick runs within a paragraph and skip fenced code", () => {
  assert.deepEqual(codeSpans(DOC).map((s) => `${s.line}:${s.text}`), [
    "5:a span",
    "10:x",
    "18:code",
    "32:wraps onto the next line",
    "33:a ` tick",
  ]);
});

test("link targets carry their line", () => {
  assert.deepEqual(linkTargets(DOC), [{ line: 5, text: "other.md#part" }]);
});
