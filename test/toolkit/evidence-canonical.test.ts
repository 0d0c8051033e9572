// The evidence bundle's pure parts, table by table: canonical JSON in RFC 8785's style (member
// order by UTF-16 code units, ECMAScript number form, minimal escapes, no form for NaN or
// undefined), the field plan and the first changed field verify names, and the spool: an excerpt
// spooled to disk serialises, digests and plans exactly as the same records held in memory (so
// a bundle exported with a spool verifies against the file read back).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalize, canonicalJson, CanonicalJsonError, formatPath, PLACEHOLDER, sha256Hex, type FieldDigest } from "../../src/cli/toolkit/evidence/canonical.js";
import { locateChange, planFields } from "../../src/cli/toolkit/evidence/fields.js";
import { RecordSpool } from "../../src/cli/toolkit/evidence/spool.js";

test("canonical JSON: sorted members (UTF-16 order), no whitespace, ECMAScript numbers, minimal escapes", () => {
  const cases: [unknown, string][] = [
    [{ b: 1, a: [true, false, null] }, '{"a":[true,false,null],"b":1}'],
    // RFC 8785 3.2.3: "\u20ac" (Euro) sorts before "\ud83d\ude00" (an astral char) by UTF-16 code units, after "\r".
    [{ "\u20ac": 1, "\ud83d\ude00": 2, "\r": 3, "1": 4 }, '{"\\r":3,"1":4,"€":1,"😀":2}'],
    [[1e21, 1e-7, 0.1, -0, 333333333.33333329, 4.5, 2 ** 53], "[1e+21,1e-7,0.1,0,333333333.3333333,4.5,9007199254740992]"],
    ["\u0000\u001f\"\\/\u007f\u2028", '"\\u0000\\u001f\\"\\\\/\u007f\u2028"'],
    [{ skipped: undefined, kept: "x" }, '{"kept":"x"}'],
  ];
  for (const [value, expected] of cases) assert.equal(canonicalJson(value), expected);
});

test("canonical JSON refuses what has no canonical form, naming where", () => {
  for (const [value, where] of [[{ a: [1, NaN] }, "a[1]"], [{ x: { y: Infinity } }, "x.y"], [[undefined], "[0]"], [{ d: new Date(0) }, "d"], [{ n: 1n }, "n"]] as const) {
    assert.throws(() => canonicalJson(value), (e: Error) => e instanceof CanonicalJsonError && e.message.startsWith(`${where}:`), String(where));
  }
});

test("formatPath writes JSON paths a reviewer reads", () => {
  assert.equal(formatPath(["registry", "networkRuleSet", "ipRules", 0, "value"]), "registry.networkRuleSet.ipRules[0].value");
  assert.equal(formatPath(["zones", 1, "records", "a b"]), 'zones[1].records["a b"]');
  assert.equal(formatPath([]), "(the document)");
});

const doc = () => ({
  registry: { sku: "Premium", networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", value: "10.0.0.1" }] } },
  connections: [{ name: "c1", status: "Approved" }, { name: "c2", status: "Pending" }],
  audit: { counts: { excerpt: 2 }, records: [{ seq: 1, event: { kind: "x" } }, { seq: 2, event: { kind: "y" } }] },
});

function listed(d: object, budget?: number): FieldDigest[] {
  const fields: FieldDigest[] = [];
  canonicalize(d, planFields(d, budget), fields);
  return fields;
}

test("the first changed field: deepest listed path in document order; added and removed members; a budget names a container", () => {
  const signed = listed(doc());
  const change = (edit: (d: any) => void, budget?: number) => {
    const d = doc();
    edit(d);
    return locateChange(d, budget === undefined ? signed : listed(doc(), budget));
  };
  assert.deepEqual(change((d) => { d.registry.networkRuleSet.ipRules[0].value = "10.0.0.2"; }), { path: ["registry", "networkRuleSet", "ipRules", 0, "value"], change: "changed" });
  assert.deepEqual(change((d) => { d.connections[1].status = "Approved"; d.registry.sku = "Basic"; }), { path: ["connections", 1, "status"], change: "changed" });
  assert.deepEqual(change((d) => { d.registry.extra = 1; }), { path: ["registry", "extra"], change: "added" });
  assert.deepEqual(change((d) => { d.connections.pop(); }), { path: ["connections", 1], change: "removed" });
  assert.deepEqual(change((d) => { d.connections.reverse(); }), { path: ["connections", 0, "name"], change: "changed" });
  // The excerpt's records are listed one by one, never field by field.
  assert.deepEqual(change((d) => { d.audit.records[1].event.kind = "z"; }), { path: ["audit", "records", 1], change: "changed" });
  // With a budget of the sections and their children (and one more), a deep change is named by its container.
  assert.deepEqual(change((d) => { d.registry.networkRuleSet.ipRules[0].value = "x"; }, 10), { path: ["registry", "networkRuleSet"], change: "changed" });
  assert.equal(locateChange(doc(), signed), undefined);
});

test("a spooled excerpt serialises, digests and plans exactly as the records in memory", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-spool-"));
  try {
    const records = Array.from({ length: 50 }, (_, i) => ({ seq: i + 1, time: `t${i}`, hash: "h".repeat(64), event: { kind: "control-plane", n: i, s: "é\u0001" } }));
    const spool = new RecordSpool(join(dir, "records"));
    for (const r of records) spool.append(r);
    const spooled = spool.close();
    assert.equal(await readFile(spooled.file, "utf8"), canonicalJson(records));
    assert.equal(spooled.sha256, sha256Hex(canonicalJson(records)));
    assert.equal(spooled.length, 50);

    const inMemory = { ...doc(), audit: { counts: { excerpt: 50 }, records } };
    const onDisk = { ...doc(), audit: { counts: { excerpt: 50 }, records: spooled } };
    const a: FieldDigest[] = [];
    const b: FieldDigest[] = [];
    const textA = canonicalize(inMemory, planFields(inMemory), a);
    const textB = canonicalize(onDisk, planFields(onDisk), b);
    assert.equal(textB.replace(PLACEHOLDER, canonicalJson(records)), textA);
    // The same paths listed; the same digests, except those still waiting for the spool's bytes.
    assert.deepEqual(b.map((f) => f.path), a.map((f) => f.path));
    for (const [i, f] of b.entries()) {
      if (f.pending !== undefined) assert.equal(sha256Hex(f.pending.replace(PLACEHOLDER, canonicalJson(records))), a[i]!.sha256);
      else assert.equal(f.sha256, a[i]!.sha256, f.path.join("."));
    }
    assert.ok(a.some((f) => f.path.join(".") === "audit.records.49"), "each record is listed");
    spool.remove();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
