// docs/toolkit.md ("Root causes") lists exactly the catalogue diagnose() names from, in its order,
// with the same steps and meanings (src/network-policy/reachability/causes.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CAUSES, UNEXPECTED } from "../../src/network-policy/reachability/causes.js";
import { readDoc, tableUnder } from "../support/doc-table.js";

test("docs/toolkit.md lists the root-cause catalogue exactly", () => {
  const rows = tableUnder(readDoc("docs/toolkit.md"), "## Root causes", "docs/toolkit.md");
  assert.deepEqual(
    rows.map((r) => ({ code: r.code!.replace(/`/g, ""), step: r.step!, title: r.meaning! })),
    CAUSES.map((c) => ({ code: c.code, step: c.step, title: c.title })),
  );
});

test("the catalogue has the causes the issue names, each once, and UNEXPECTED stays outside it", () => {
  const codes = CAUSES.map((c) => c.code as string);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of ["DNS_PUBLIC_ANSWER", "DNS_NXDOMAIN", "DNS_WRONG_ADDRESS", "DNS_NO_DATA_RECORD", "ENDPOINT_PENDING", "ENDPOINT_REJECTED",
    "ENDPOINT_DISCONNECTED", "NO_ROUTE", "PUBLIC_ACCESS_DISABLED", "FIREWALL_DENIED", "TLS_NAME_MISMATCH", "AUTH_FAILED", "ROLE_MISSING",
    "SKU_UNSUPPORTED", "REGISTRY_NOT_FOUND"]) assert.ok(codes.includes(c), c);
  assert.ok(!codes.includes(UNEXPECTED.code));
});
