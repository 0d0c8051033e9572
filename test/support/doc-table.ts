// The one Markdown reader of the doc-sync tests (docs/errors.md against the error catalogues, the
// CLI's exit codes, the audit log's reasons and kinds, the docs' links and paths). Each test says
// which table it means by the heading, or the sentence, above it, and gets the rows back keyed by
// the table's own header cells, so a test reads as the comparison it makes. A table that is
// missing, ragged or ambiguous is an assertion failure here, never silently no rows.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type DocRow = Record<string, string>;

/** Compiled to dist/test/support/, so the repository root is three levels up. */
const ROOT = new URL("../../../", import.meta.url);

/** A file of the repository (e.g. "docs/errors.md"), whatever the working directory. */
export function readDoc(path: string): string {
  return readFileSync(fileURLToPath(new URL(path, ROOT)), "utf8");
}

const HEADING = /^(#{1,6})\s/;
const isTableLine = (l: string) => l.trimStart().startsWith("|");

/**
 * The rows of the first table after `anchor`. An anchor that starts with "#" is a heading, matched
 * whole ("## DNS"), and the table must lie in its section (before the next heading of the same or a
 * higher level); any other anchor is the start of the line that introduces the table (a sentence
 * such as "Failure reasons (`code`"), and the table must come before the next heading.
 */
export function tableUnder(markdown: string, anchor: string, what = anchor): DocRow[] {
  const lines = markdown.split("\n");
  const heading = anchor.startsWith("#");
  const at = lines.flatMap((l, i) => ((heading ? l.trimEnd() === anchor : l.startsWith(anchor)) ? [i] : []));
  assert.equal(at.length, 1, `${what}: expected exactly one line ${JSON.stringify(anchor)}, found ${at.length}`);
  const level = heading ? HEADING.exec(anchor)![1]!.length : 7;
  let i = at[0]! + 1;
  for (; i < lines.length && !isTableLine(lines[i]!); i++) {
    const h = HEADING.exec(lines[i]!);
    assert.ok(!h || h[1]!.length > level, `${what}: no table under ${JSON.stringify(anchor)} before ${JSON.stringify(lines[i])}`);
  }
  assert.ok(i < lines.length, `${what}: no table under ${JSON.stringify(anchor)}`);
  const table: string[] = [];
  for (; i < lines.length && isTableLine(lines[i]!); i++) table.push(lines[i]!);
  const [head, rule, ...body] = table.map(cells);
  assert.ok(head && rule?.every((c) => /^:?-+:?$/.test(c)), `${what}: a table needs a header and a --- line`);
  return body.map((row, n) => {
    assert.equal(row.length, head.length, `${what}: row ${n + 1} has ${row.length} cells, the header ${head.length}: ${row.join(" | ")}`);
    return Object.fromEntries(head.map((h, k) => [h, row[k]!]));
  });
}

/** The cells of one table line: split at unescaped pipes, trimmed, `\|` read as `|`. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "");
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

export interface Located {
  /** 1-based line number. */
  line: number;
  text: string;
}

/**
 * Every code span, as CommonMark reads them: a run of backticks up to the next run of the same
 * length, within one paragraph (a span may wrap onto the next line; the line break reads as a
 * space). Fenced code blocks are not prose and are skipped. `line` is where the span starts.
 */
export function codeSpans(markdown: string): Located[] {
  const out: Located[] = [];
  let fence: string | undefined;
  // The paragraph being read, as lines with their numbers; spans never cross a blank line.
  let para: { line: number; text: string }[] = [];
  const flush = () => {
    out.push(...spansIn(para));
    para = [];
  };
  markdown.split("\n").forEach((text, i) => {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence !== undefined) {
      if (f && f[0] === fence[0] && f.length >= fence.length && text.trim() === f) fence = undefined;
      return;
    }
    if (f) {
      flush();
      fence = f;
    } else if (text.trim() === "") flush();
    else para.push({ line: i + 1, text });
  });
  flush();
  return out;
}

function spansIn(para: { line: number; text: string }[]): Located[] {
  const text = para.map((p) => p.text).join("\n");
  const lineAt = (offset: number) => para[text.slice(0, offset).split("\n").length - 1]!.line;
  const out: Located[] = [];
  const runs = [...text.matchAll(/`+/g)].map((m) => ({ at: m.index!, len: m[0].length }));
  for (let k = 0; k < runs.length; k++) {
    const open = runs[k]!;
    const close = runs.findIndex((r, j) => j > k && r.len === open.len);
    if (close < 0) continue;
    let body = text.slice(open.at + open.len, runs[close]!.at).replace(/\n/g, " ");
    if (/^ .*[^ ].* $/.test(body)) body = body.slice(1, -1);
    out.push({ line: lineAt(open.at), text: body });
    k = close;
  }
  return out;
}

/** The target of every inline link `[text](target)`, web links and anchors included. */
export function linkTargets(markdown: string): Located[] {
  return markdown.split("\n").flatMap((l, i) => [...l.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => ({ line: i + 1, text: m[1]! })));
}
