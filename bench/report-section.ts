// docs/benchmarks.md is written by several benchmarks: each owns one section between its own
// begin/end comments, below the registry bench's `<!-- notes -->` marker (which that bench keeps).
import { readFile, writeFile } from "node:fs/promises";

/** Replaces the section `id` of the report, or appends it when it is not there yet. */
export async function replaceSection(path: string, id: string, lines: string[]): Promise<void> {
  const begin = `<!-- ${id}:begin -->`;
  const end = `<!-- ${id}:end -->`;
  const doc = await readFile(path, "utf8").catch(() => "<!-- notes -->\n");
  const block = [begin, ...lines, end].join("\n");
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  const next = a >= 0 && b > a ? doc.slice(0, a) + block + doc.slice(b + end.length) : doc.replace(/\n*$/, "\n\n") + block + "\n";
  await writeFile(path, next);
}
