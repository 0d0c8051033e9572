// Every audit event goes through appendAudit() in src/audit/log.ts, which takes the typed
// AuditEvent: a module that called the store's appendAudit itself could write a record of no
// documented kind. The store's own method and its drivers are below the type, so only log.ts may
// call it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** Compiled to dist/test/audit/, so the repository root is three levels up. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WRITER = "src/audit/log.ts";

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

test("only src/audit/log.ts calls the store's appendAudit", () => {
  const callers = sources(join(ROOT, "src")).flatMap((p) => {
    const rel = relative(ROOT, p).split("\\").join("/");
    return readFileSync(p, "utf8").split("\n").flatMap((line, i) => (/\.appendAudits?\s*\(/.test(line) ? [`${rel}:${i + 1}`] : []));
  });
  assert.ok(callers.some((c) => c.startsWith(`${WRITER}:`)), `${WRITER} appends`);
  assert.deepEqual(callers.filter((c) => !c.startsWith(`${WRITER}:`)), []);
});
