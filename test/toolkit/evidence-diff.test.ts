// `cove acr evidence diff` end to end: a bundle of the fixture's estate, then changes made through
// the API (the SDK clients and the real CLI, as operators make them), a second bundle, and the
// diff must name each kind of changed fact in a sentence: the registry's settings, an IP rule, a
// connection's transition with who made it and when, an endpoint added, a record set changed, a
// zone removed, a zone link removed, a role granted, a subnet that lost its private path, a new
// public client for readiness, a preflight that now fails, a log that no longer verifies, new
// denials and hygiene findings. Two registries' bundles (drift between spokes) differ in their
// private link resource. Both bundles are verified first: a broken one exits 5 and is named.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { EXIT_CHECK_FAILED, EXIT_OK } from "../../src/cli/exit-codes.js";
import { FACT_KINDS, POLICY_FACT_KINDS } from "../../src/cli/toolkit/evidence/diff.js";
import { evidenceLab, LAPTOP, REG, RG, SPOKE_CLIENT, ZONE, type Lab } from "./evidence-fixture.js";

const LAPTOP2 = "127.149.0.20";
let lab: Lab;
let work: string;
let pub: string;
let changes: { fact: string; change: string }[];
let before1: string;
let after1: string;

async function exportTo(dir: string, registry = REG, ...extra: string[]) {
  const r = await lab.run("acr", "evidence", "export", "-n", registry, "--output-dir", dir, "--since", "1h", ...extra);
  assert.equal(r.code, EXIT_OK, r.stderr);
}

async function preflight(file: string) {
  const r = await lab.run("acr", "preflight", "-n", REG, "--source-address", SPOKE_CLIENT, "--json");
  await writeFile(join(work, file), r.stdout);
  return join(work, file);
}

before(async () => {
  lab = await evidenceLab();
  work = await mkdtemp(join(tmpdir(), "cove-evidence-diff-"));
  pub = join(lab.cfg, "evidence", "signing-key.pub.pem");
  before1 = join(work, "before");
  after1 = join(work, "after");
  await exportTo(before1, REG, "--preflight", await preflight("spoke.json"));

  const conns: any[] = [];
  for await (const c of lab.sdk.acr.privateEndpointConnections.list(RG, REG)) conns.push(c);
  const hubConn = conns.find((c) => c.privateEndpoint.id.endsWith("/hub-pe"));
  const spokeConn = conns.find((c) => c.privateEndpoint.id.endsWith("/spoke-pe"));
  const cli = async (...args: string[]) => {
    const r = await lab.run(...args);
    assert.equal(r.code, EXIT_OK, `${args.join(" ")}: ${r.stderr}`);
  };
  await cli("acr", "private-endpoint-connection", "approve", "-r", REG, "-n", spokeConn.name, "--description", "spoke approved");
  await cli("acr", "private-endpoint-connection", "reject", "-r", REG, "-n", hubConn.name, "--description", "security review");
  await cli("acr", "network-rule", "add", "-n", REG, "--ip-address", "127.149.0.0/24");
  await cli("acr", "update", "-n", REG, "--admin-enabled", "true");
  await cli("network", "private-dns", "record-set", "a", "add-record", "-g", RG, "-z", ZONE, "-n", REG, "-a", "127.142.1.4");
  await cli("network", "private-dns", "link", "vnet", "delete", "-g", RG, "-z", ZONE, "-n", "spoke-link", "--yes");
  await cli("network", "private-dns", "zone", "delete", "-g", `${RG}-dup`, "-n", ZONE, "--yes");
  await cli("role", "assignment", "create", "--assignee", lab.puller.appId, "--role", "AcrPush", "--scope", lab.registryId);
  await lab.sdk.acr.registries.create(RG, "newpremiumacr", { location: "westeurope", sku: { name: "Premium" } } as any);
  await lab.net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "extra-pe", {
    location: "westeurope", subnet: { id: `${lab.vnetId("hub")}/subnets/app` },
    privateLinkServiceConnections: [{ name: "extra-conn", privateLinkServiceId: lab.registryId, groupIds: ["registry"] }],
  });
  // A public client that now pulls through the new IP rule.
  assert.equal((await lab.pull(LAPTOP2)).status, 200);
  const failing = await preflight("spoke.json");
  // A record edited in place, as someone with the database file could: the log no longer verifies.
  await lab.restart(async () => {
    const db = new DatabaseSync(join(lab.dir, "cove.db"));
    db.prepare("UPDATE audit SET event = json_set(event, '$.clientIp', '10.9.9.9') WHERE seq = (SELECT min(seq) FROM audit WHERE event LIKE '%identity.token%')").run();
    db.close();
  });
  await exportTo(after1, REG, "--preflight", failing);

  const r = await lab.run("acr", "evidence", "diff", before1, after1, "--public-key", pub);
  assert.equal(r.code, EXIT_OK, r.stderr);
  changes = JSON.parse(r.stdout);
});
after(async () => {
  await lab?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const said = (fact: string, pattern: RegExp) => {
  const hit = changes.find((c) => c.fact === fact && pattern.test(c.change));
  assert.ok(hit, `no ${fact} change matching ${pattern} in:\n${changes.map((c) => `${c.fact}: ${c.change}`).join("\n")}`);
};

test("diff names the connections' transitions with who made them and when", () => {
  said("connection", /^connection evidenceacr\.[0-9a-f-]+: Approved -> Rejected by cove-bootstrap at \d{4}-\d\d-\d\dT[\d:.]+Z$/);
  said("connection", /^connection evidenceacr\.[0-9a-f-]+: Pending -> Approved by cove-bootstrap at /);
  said("connection", /^connection evidenceacr\.[0-9a-f-]+ added: Approved/);
});

test("diff names the registry's settings, the IP rule, the endpoint, the record set, the zone, the link and the role", () => {
  said("registry", /^registry evidenceacr: admin user enabled false -> true$/);
  said("ip-rule", /^ip rule added: Allow 127\.149\.0\.0\/24$/);
  said("endpoint", /^endpoint extra-pe added in subnet hub\/app \(127\.141\.2\.\d+, 127\.141\.2\.\d+\)$/);
  said("record-set", /^record set evidenceacr in privatelink\.cove\.test \(rg-ev\) changed: 127\.141\.1\.4 -> 127\.141\.1\.4, 127\.142\.1\.4/);
  said("zone", /^private DNS zone privatelink\.cove\.test \(rg-ev-dup\) removed$/);
  said("zone-link", /^zone link spoke-link removed: privatelink\.cove\.test no longer answers VNet spoke$/);
  said("role", /^AcrPush granted to ci-puller$/);
});

test("diff names the reachability, readiness, preflight, audit, denial and hygiene changes", () => {
  said("reachability", /^subnet app \(VNet hub\) lost its private path: now deny via private:hub-pe \(127\.141\.1\.4\) \(ENDPOINT_REJECTED\)$/);
  said("reachability", /^subnet app \(VNet spoke\) lost its private path: now deny \(DNS_PUBLIC_ANSWER\)$/);
  said("readiness", new RegExp(`^public client ${LAPTOP2.replace(/\./g, "\\.")} \\(internet\\) appeared: will-break$`));
  // The spoke's zone link is gone: its preflight now gets the public answer (and the firewall refuses it).
  said("preflight", /^preflight spoke\.json: ok -> failed \(DNS_PUBLIC_ANSWER\)$/);
  said("audit", /^audit log verification: ok -> failed \(hash-mismatch at seq \d+\)$/);
  said("denial", new RegExp(`^denials of ${SPOKE_CLIENT.replace(/\./g, "\\.")} \\(spoke/app\\) for ip-not-allowed appeared: \\d+$`));
  said("hygiene", /^the zones named privatelink\.cove\.test are no longer duplicated$/);
  said("hygiene", /^Premium registry newpremiumacr has no private endpoint$/);
  said("hygiene", /^endpoint extra-pe is unused in the window$/);
  // The laptop's public pulls through the new rule do not change its verdict: no sentence for it.
  assert.ok(!changes.some((c) => c.change.includes(`public client ${LAPTOP} `)), "an unchanged verdict is not a change");
});

test("two registries' bundles (drift between spokes): a private link resource differs; a bundle against itself has no changes", async () => {
  const lab2 = join(work, "north");
  await lab.sdk.acr.registries.create(RG, "northacr", { location: "northeurope", sku: { name: "Premium" } } as any);
  await exportTo(lab2, "northacr");
  const r = await lab.run("acr", "evidence", "diff", after1, lab2, "--public-key", pub, "-o", "table");
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.match(r.stdout, /^Fact\s+Change$/m);
  assert.match(r.stdout, /^registry\s+the bundles are of different registries: /m);
  assert.match(r.stdout, /^private-link-resource\s+private link resource registry: members registry, registry_data_westeurope -> registry, registry_data_northeurope/m);
  const drift = JSON.parse((await lab.run("acr", "evidence", "diff", after1, lab2, "--public-key", pub)).stdout) as typeof changes;
  // The policy facts have their own estate and diff: evidence-compliance.test.ts.
  const kinds = FACT_KINDS.filter((k) => !(POLICY_FACT_KINDS as readonly string[]).includes(k));
  assert.deepEqual([...new Set([...changes, ...drift].map((c) => c.fact))].sort(), [...kinds].sort(), "every kind of fact is named by one of the two diffs");
  const same = await lab.run("acr", "evidence", "diff", after1, after1, "--public-key", pub);
  assert.equal(same.code, EXIT_OK, same.stderr);
  assert.deepEqual(JSON.parse(same.stdout), []);
});

test("diff verifies both bundles first: a changed or foreign one exits 5 and is named", async () => {
  const broken = join(work, "broken");
  await cp(after1, broken, { recursive: true });
  const text = await readFile(join(broken, "evidence.json"), "utf8");
  await writeFile(join(broken, "evidence.json"), text.replace('"adminUserEnabled":true', '"adminUserEnabled":false'));
  const r = await lab.run("acr", "evidence", "diff", before1, broken, "--public-key", pub);
  assert.equal(r.code, EXIT_CHECK_FAILED, r.stderr);
  assert.match(r.stderr, new RegExp(`^ERROR: ${broken.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: Evidence verification failed \\(digest-mismatch\\): evidence\\.json changed: the first changed field is registry\\.adminUserEnabled`, "m"));
  assert.equal(r.stdout, "");
  const missing = await lab.run("acr", "evidence", "diff", join(work, randomUUID()), after1);
  assert.notEqual(missing.code, EXIT_OK);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});
