// Which fields of evidence.json the signed manifest lists a digest for, and how verify uses them
// to name the first field that changed. The file's own digest proves that a byte changed; these
// say where, as a JSON path (`connections[0].status`). Every top-level section is listed. Below
// that, breadth first, a container's children are listed all together while they fit in the
// budget; a container whose children do not fit (a long audit excerpt) is named as a whole.
import { canonicalJson, isPlainContainer, sha256Hex, SpooledArray, valueAt, type ExpandPlan, type FieldDigest, type JsonPath } from "./canonical.js";

/** Field digests per manifest at most (under 0.5 MB of manifest). */
export const FIELD_BUDGET = 4_000;

const isContainer = (v: unknown): v is object => isPlainContainer(v) || v instanceof SpooledArray;

/**
 * The audit excerpt's records are listed one by one when they fit, but never field by field:
 * while exporting they are a SpooledArray (on disk, with a digest per record), and the plan must
 * be the same for the file verify reads back.
 */
const LEAF_ELEMENTS: readonly (readonly string[])[] = [["audit", "records"]];
const elementsAreLeaves = (path: readonly (string | number)[]) => LEAF_ELEMENTS.some((p) => p.length === path.length && p.every((x, i) => x === path[i]));

function childCount(v: object): number {
  if (v instanceof SpooledArray) return v.length;
  return Array.isArray(v) ? v.length : Object.values(v).filter((x) => x !== undefined).length;
}

function containerChildren(v: object, path: (string | number)[]): { node: object; path: (string | number)[] }[] {
  if (v instanceof SpooledArray || elementsAreLeaves(path)) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => (isContainer(x) ? [{ node: x, path: [...path, i] }] : []));
  return Object.keys(v).sort().flatMap((k) => {
    const x = (v as Record<string, unknown>)[k];
    return isContainer(x) ? [{ node: x, path: [...path, k] }] : [];
  });
}

/** The root is always expanded (its children are the sections); then breadth first within the budget. */
export function planFields(doc: object, budget = FIELD_BUDGET): ExpandPlan {
  const expanded = new Set<object>([doc]);
  let used = childCount(doc);
  const queue = containerChildren(doc, []);
  for (let i = 0; i < queue.length; i++) {
    const { node, path } = queue[i]!;
    const n = childCount(node);
    if (used + n > budget) continue;
    if (node instanceof SpooledArray && !node.elementDigests) continue; // (it has them whenever it fits)
    used += n;
    expanded.add(node);
    queue.push(...containerChildren(node, path));
  }
  return (node) => expanded.has(node);
}

export interface FieldChange {
  path: JsonPath;
  change: "changed" | "added" | "removed";
}

const keyOf = (path: JsonPath) => JSON.stringify(path);

function digestOf(v: unknown): string | undefined {
  try {
    return sha256Hex(canonicalJson(v));
  } catch {
    return undefined; // e.g. a number JSON.parse read as Infinity: it cannot be what was signed
  }
}

/**
 * The first listed field (document order, deepest first) whose digest differs from the manifest's,
 * or a member that is not listed at all; undefined when every listed field matches.
 */
export function locateChange(doc: unknown, listed: readonly FieldDigest[]): FieldChange | undefined {
  const byParent = new Map<string, FieldDigest[]>();
  for (const f of listed) {
    const k = keyOf(f.path.slice(0, -1));
    byParent.set(k, [...(byParent.get(k) ?? []), f]);
  }
  const descend = (path: JsonPath, entries: readonly FieldDigest[]): FieldChange | undefined => {
    const node = path.length === 0 ? doc : valueAt(doc, path);
    const wantArray = typeof entries[0]?.path.at(-1) === "number";
    if (!isContainer(node) || Array.isArray(node) !== wantArray) return path.length ? { path, change: "changed" } : undefined;
    for (const e of entries) {
      const v = valueAt(doc, e.path);
      if (v === undefined) return { path: e.path, change: "removed" };
      if (digestOf(v) === e.sha256) continue;
      const below = byParent.get(keyOf(e.path));
      return (below && descend(e.path, below)) || { path: e.path, change: "changed" };
    }
    const names = new Set(entries.map((e) => e.path.at(-1)));
    if (Array.isArray(node)) {
      if (node.length > entries.length) return { path: [...path, entries.length], change: "added" };
    } else {
      const extra = Object.keys(node).sort().find((k) => !names.has(k));
      if (extra !== undefined) return { path: [...path, extra], change: "added" };
    }
    return undefined;
  };
  return descend([], byParent.get(keyOf([])) ?? []);
}
