// The documentation a user of Cove reads (README.md, docs/, examples/) must not point at things that
// user does not have: the design notes and reference files outside this repository, issue numbers
// of the project's own tracker, files that were moved or renamed, or a stale CA path. Each check
// names the file and line, so a failure says exactly what to fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { codeSpans, linkTargets } from "../support/doc-table.js";

async function markdownFiles(): Promise<string[]> {
  const out = ["README.md"];
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".md")) out.push(p);
    }
  }
  await walk("docs");
  await walk("examples");
  return out;
}

interface Hit { file: string; line: number; text: string }

async function grep(pattern: RegExp): Promise<Hit[]> {
  const hits: Hit[] = [];
  for (const file of await markdownFiles()) {
    const lines = (await readFile(file, "utf8")).split("\n");
    lines.forEach((text, i) => { if (pattern.test(text)) hits.push({ file, line: i + 1, text: text.trim() }); });
  }
  return hits;
}

const show = (hits: Hit[]) => hits.map((h) => `${h.file}:${h.line}: ${h.text}`).join("\n");

test("the docs never point outside the repository: no ../shared/, DESIGN.md or reference/*.md", async () => {
  const hits = await grep(/\.\.\/shared\/|\bDESIGN\.md\b|(^|[\s`(])reference\/[\w.-]+\.md/);
  assert.deepEqual(hits, [], `these lines name files a user of Cove does not have:\n${show(hits)}`);
});

test("the docs carry no issue numbers of the project's tracker", async () => {
  const hits = await grep(/\bissues?\s+#?\d+/i);
  assert.deepEqual(hits, [], `rephrase without the issue number:\n${show(hits)}`);
});

test("no stale text: the DNS server exists, and the CA is at .cove/ca/ca.crt", async () => {
  const hits = await grep(/Until Cove's DNS server arrives|\.cove\/ca\.crt\b/);
  assert.deepEqual(hits, [], show(hits));
});

test("every relative Markdown link, and every repository path in backticks, names a file that exists", async () => {
  const missing: string[] = [];
  for (const file of await markdownFiles()) {
    const text = await readFile(file, "utf8");
    // [text](target): relative to the Markdown file; web links and anchors are not files.
    for (const { line, text: link } of linkTargets(text)) {
      const target = link.split("#")[0]!;
      if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      if (!existsSync(resolve(dirname(file), target))) missing.push(`${file}:${line}: link ${link}`);
    }
    // `src/...`, `docs/...` and the like: relative to the repository root. Patterns and
    // placeholders (`*`, `<name>`, `{x}`, `...`) are descriptions, not paths.
    for (const { line, text: path } of codeSpans(text)) {
      if (!/^(?:src|docs|test|scripts|examples|bin|bench)\/\S*$/.test(path)) continue;
      if (/[*<>{}]|\.\.\./.test(path)) continue;
      if (!existsSync(path)) missing.push(`${file}:${line}: path ${path}`);
    }
  }
  assert.deepEqual(missing, [], `these links and paths name nothing in the repository:\n${missing.join("\n")}`);
});
