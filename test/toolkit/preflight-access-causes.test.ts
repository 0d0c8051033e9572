// Preflight's public-endpoint and identity causes, made through the API and fixed by the printed
// commands: PUBLIC_ACCESS_DISABLED, FIREWALL_DENIED (internet clients), AUTH_FAILED (a pipeline
// identity that was deleted), ROLE_MISSING (one with no AcrPull/AcrPush), REGISTRY_NOT_FOUND; and
// the output forms pipelines read (--junit, plain lines, --modelled).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { harness, type Harness } from "./preflight-harness.js";

let h: Harness;
before(async () => { h = await harness(); });
after(async () => { await h?.cli.close(); });

const LAPTOP = "127.99.7.10";

test("PUBLIC_ACCESS_DISABLED: an internet client of a registry whose public access is off; the fix opens it to that client only", async () => {
  await h.lz.registry("pfpna");
  await h.cli.ok("acr", "update", "-n", "pfpna", "--public-network-enabled", "false");
  const r = await h.causeThenFix(["-n", "pfpna", "--source-address", LAPTOP], "PUBLIC_ACCESS_DISABLED");
  assert.equal(r.network, "internet");
  const shown = await h.cli.json("acr", "show", "-n", "pfpna");
  assert.equal(shown.networkRuleSet.defaultAction, "Deny", "the fix does not open the registry to everyone");
  assert.deepEqual(shown.networkRuleSet.ipRules.map((x: any) => x.iPAddressOrRange), [LAPTOP]);
});

test("FIREWALL_DENIED: default action Deny without a rule for the client; the fix adds its address", async () => {
  await h.lz.registry("pffirewall");
  await h.cli.ok("acr", "update", "-n", "pffirewall", "--default-action", "Deny");
  const r = await h.causeThenFix(["-n", "pffirewall", "--source-address", LAPTOP], "FIREWALL_DENIED");
  assert.match(r.fix[0].cove, new RegExp(`^cove acr network-rule add -n pffirewall -g rg-toolkit --ip-address ${LAPTOP.replace(/\./g, "\\.")}$`));
});

test("ROLE_MISSING: a pipeline identity without AcrPull; the fix assigns it", async () => {
  const regId = await h.lz.registry("pfrole");
  const sp = await h.cli.json("ad", "sp", "create-for-rbac", "-n", "pf-role-sp", "--role", "AcrPull", "--scopes", regId);
  const assignments = await h.cli.json("role", "assignment", "list", "--assignee", sp.appId, "--all");
  await h.cli.ok("role", "assignment", "delete", "--ids", assignments[0].id);
  const env = { PF_SECRET: sp.password };
  const args = ["-n", "pfrole", "--source-address", LAPTOP, "--as", sp.appId, "--secret-env", "PF_SECRET"];
  const saved = { ...h.cli.env };
  Object.assign(h.cli.env, env);
  try {
    const r = await h.causeThenFix(args, "ROLE_MISSING");
    assert.match(r.fix[0].cove, new RegExp(`^cove role assignment create --assignee ${sp.appId} --role AcrPull --scope /subscriptions/`));
    const push = await h.preflight(...args, "--push");
    assert.equal(push.json.cause, "ROLE_MISSING", "AcrPull does not push");
    assert.match(push.json.fix[0].cove, /--role AcrPush/);
  } finally {
    for (const k of Object.keys(env)) delete (h.cli.env as Record<string, unknown>)[k];
    Object.assign(h.cli.env, saved);
  }
});

test("AUTH_FAILED: the pipeline's service principal was deleted; the fix makes a new one with the role, and preflight passes as it", async () => {
  const regId = await h.lz.registry("pfauth");
  const sp = await h.cli.json("ad", "sp", "create-for-rbac", "-n", "pf-auth-sp", "--role", "AcrPull", "--scopes", regId);
  await h.cli.ok("ad", "sp", "delete", "--id", sp.appId);
  Object.assign(h.cli.env, { PF_SECRET: sp.password });
  try {
    const args = ["-n", "pfauth", "--source-address", LAPTOP, "--as", sp.appId, "--secret-env", "PF_SECRET"];
    const r = await h.preflight(...args);
    assert.equal(r.json.cause, "AUTH_FAILED", JSON.stringify(r.json, null, 2));
    assert.equal(r.json.modelled.cause, "AUTH_FAILED");
    assert.equal(r.code, 5);
    const [out] = await h.runFixes(r.json.fix);
    const created = JSON.parse(out!);
    Object.assign(h.cli.env, { PF_SECRET: created.password });
    const fixed = await h.preflight("-n", "pfauth", "--source-address", LAPTOP, "--as", created.appId, "--secret-env", "PF_SECRET");
    assert.equal(fixed.json.ok, true, JSON.stringify(fixed.json, null, 2));
  } finally {
    delete (h.cli.env as Record<string, unknown>).PF_SECRET;
  }
});

test("REGISTRY_NOT_FOUND: exit 3 with the cause; the printed create makes it, and preflight passes", async () => {
  const r = await h.causeThenFix(["-n", "pfnosuchreg", "--source-address", LAPTOP], "REGISTRY_NOT_FOUND");
  assert.match(r.fix[0].cove, /^cove acr create -n pfnosuchreg -g rg-toolkit -l westeurope --sku Premium$/);
});

test("--junit writes one test case per step with the root cause as the failure; plain lines name the fix; --modelled sends nothing", async () => {
  await h.lz.registry("pfjunit");
  await h.cli.ok("acr", "update", "-n", "pfjunit", "--default-action", "Deny");
  const dir = await mkdtemp(join(tmpdir(), "cove-junit-"));
  const file = join(dir, "preflight.xml");
  const plain = await h.cli.run("acr", "preflight", "-n", "pfjunit", "--source-address", LAPTOP, "--junit", file);
  assert.equal(plain.code, 5);
  assert.match(plain.stdout, /^  ok +resolve +pfjunit\.cove\.test/m);
  assert.match(plain.stdout, /^FAILED: FIREWALL_DENIED$/m);
  assert.match(plain.stdout, /^ {4}cove acr network-rule add -n pfjunit -g rg-toolkit --ip-address 127\.99\.7\.10$/m);
  assert.match(plain.stdout, /^ {4}az acr network-rule add -n pfjunit -g rg-toolkit --ip-address 127\.99\.7\.10$/m);
  const xml = await readFile(file, "utf8");
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
  assert.equal((xml.match(/<testcase /g) ?? []).length, (xml.match(/tests="(\d+)"/) ?? [])[1] ? Number(xml.match(/tests="(\d+)"/)![1]) : -1);
  assert.equal((xml.match(/<failure /g) ?? []).length, 1);
  assert.match(xml, /<failure message="FIREWALL_DENIED: [^"]+" type="FIREWALL_DENIED">/);
  const modelled = await h.preflight("-n", "pfjunit", "--source-address", LAPTOP, "--modelled");
  assert.equal(modelled.json.mode, "modelled");
  assert.equal(modelled.json.cause, "FIREWALL_DENIED");
  assert.ok(modelled.json.steps.every((s: any) => s.ms === 0));
});

test("bad input: unknown subnet, an address in no VNet as --from, --as without --secret-env, an unset variable: clear errors, documented exit codes", async () => {
  await h.lz.registry("pfbadin");
  const cases: Array<[string[], number, RegExp]> = [
    [["--from", "novnet/nosubnet"], 3, /Subnet 'novnet\/nosubnet' not found/],
    [["--from", "127.99.9.9"], 3, /is in no subnet of any virtual network/],
    [["--from", "a/b/c"], 2, /--from expects a subnet id/],
    [["--as", "00000000-0000-0000-0000-000000000001"], 2, /--as needs --secret-env/],
    [["--as", "00000000-0000-0000-0000-000000000001", "--secret-env", "PF_UNSET_VAR"], 2, /PF_UNSET_VAR .* is not set/],
    [["--secret-env", "1BAD"], 2, /--secret-env takes a variable name/],
    [["--source-address", "not-an-ip"], 2, /Expected an IPv4 or IPv6 address/],
    [["--source-address", LAPTOP, "--from", "x/y"], 2, /either --source-address or --from/],
    [["--timeout", "0"], 2, /--timeout takes seconds/],
  ];
  for (const [extra, code, message] of cases) {
    const r = await h.cli.run("acr", "preflight", "-n", "pfbadin", ...extra);
    assert.equal(r.code, code, `${extra.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});
