// Evidence bundles end to end (issue 9 section 6): the real `cove` binary exports a bundle of the
// fixture's estate from a real Cove, then verifies it offline with the public key the auditor
// holds. What a reviewer checks is asserted: the registry's posture, the connections with their
// history from the audit log, the endpoints, zones and rights, the matrix, readiness, the given
// preflight results, the audit verification and excerpt, denials by client and network, and the
// hygiene findings. Tampering: a changed byte in every file is detected and the file (for
// evidence.json the field, for report.md the line) named; truncated, reordered and foreign
// bundles, a wrong key and a key file others can read are refused with their exit codes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_CHECK_FAILED, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from "../../src/cli/exit-codes.js";
import { verifyBundle } from "../../src/cli/toolkit/evidence/verify.js";
import { writeBundle } from "../../src/cli/toolkit/evidence/bundle.js";
import { loadSigningKey } from "../../src/cli/toolkit/evidence/keys.js";
import { evidenceLab, LAPTOP, REG, RG, SPOKE_CLIENT, ZONE, type Lab } from "./evidence-fixture.js";

let lab: Lab;
let work: string;
let bundle: string;
let pub: string;
let exported: any;
let n = 0;

const FILES = ["evidence.json", "manifest.json", "manifest.sig", "report.md"];

before(async () => {
  lab = await evidenceLab();
  work = await mkdtemp(join(tmpdir(), "cove-evidence-bundles-"));
  bundle = join(work, "bundle");
  pub = join(lab.cfg, "evidence", "signing-key.pub.pem");
  // Preflight results as a release pipeline keeps them: one passing, one naming a cause.
  for (const [file, source] of [["spoke.json", SPOKE_CLIENT], ["laptop.json", LAPTOP]] as const) {
    const r = await lab.run("acr", "preflight", "-n", REG, "--source-address", source, "--json");
    assert.ok(r.code === EXIT_OK || r.code === EXIT_CHECK_FAILED, r.stderr);
    await writeFile(join(work, file), r.stdout);
  }
  const r = await lab.run("acr", "evidence", "export", "-n", REG, "-g", RG, "--output-dir", bundle, "--since", "1h",
    "--preflight", join(work, "spoke.json"), join(work, "laptop.json"));
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.match(r.stderr, /Created the CLI's evidence signing key/);
  exported = JSON.parse(r.stdout);
});
after(async () => {
  await lab?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A copy of the bundle to tamper with. */
async function copy(from = bundle): Promise<string> {
  const to = join(work, `copy-${++n}`);
  await cp(from, to, { recursive: true });
  return to;
}

async function refused(dir: string, ...extra: string[]): Promise<string> {
  const r = await lab.run("acr", "evidence", "verify", dir, "--public-key", pub, ...extra);
  assert.equal(r.code, EXIT_CHECK_FAILED, `verify ${dir} exited ${r.code}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.equal(r.stdout, "");
  return r.stderr;
}

test("export writes the four files, signed with the CLI's own key (0600 in a 0700 dir); verify passes with --public-key", async () => {
  assert.deepEqual((await readdir(bundle)).sort(), FILES);
  assert.equal((await stat(join(lab.cfg, "evidence"))).mode & 0o777, 0o700);
  assert.equal((await stat(join(lab.cfg, "evidence", "signing-key.pem"))).mode & 0o777, 0o600);
  assert.equal(exported.signer.publicKey, pub);
  assert.equal(exported.audit.verified, true);

  const v = await lab.run("acr", "evidence", "verify", bundle, "--public-key", pub);
  assert.equal(v.code, EXIT_OK, v.stderr);
  const result = JSON.parse(v.stdout);
  assert.deepEqual([result.ok, result.signature.trusted, result.bundleId], [true, true, exported.bundleId]);
  assert.equal(result.signature.signerFingerprint, exported.signer.fingerprint);
  assert.equal(v.stderr, "", "no warning when checked against the auditor's key");
  // Canonical JSON: what is on disk is exactly the sorted, whitespace-free serialisation.
  const text = await readFile(join(bundle, "evidence.json"), "utf8");
  assert.doesNotMatch(text, /\n|": |, "/);
  assert.equal(text.indexOf('"audit"'), 1, "keys sorted: audit is the first section");
});

test("evidence.json holds the registry's posture, connections with history, endpoints, zones, rights, matrix, readiness and preflight", async () => {
  const e = JSON.parse(await readFile(join(bundle, "evidence.json"), "utf8"));
  assert.equal(e.registry.id, lab.registryId);
  assert.deepEqual([e.registry.sku, e.registry.publicNetworkAccess, e.registry.networkRuleSet.defaultAction], ["Premium", "Enabled", "Deny"]);
  assert.deepEqual(e.registry.networkRuleSet.ipRules, [{ action: "Allow", value: "127.0.0.1" }]);
  assert.deepEqual(e.registry.dataEndpointHostNames, [`${REG}.westeurope.data.cove.test`]);

  const byEndpoint = new Map<string, any>(e.connections.map((c: any) => [c.privateEndpointId.split("/").pop(), c]));
  const hub = byEndpoint.get("hub-pe");
  assert.equal(hub.status, "Approved");
  assert.deepEqual(hub.history.map((h: any) => [h.action, h.from, h.to, h.actorName]), [["create", null, "Approved", "cove-bootstrap"]]);
  const spoke = byEndpoint.get("spoke-pe");
  assert.deepEqual([spoke.status, spoke.description, spoke.history[0].to], ["Pending", "spoke team, ticket 7", "Pending"]);

  assert.deepEqual(e.privateLinkResources.map((p: any) => [p.groupId, p.requiredZoneNames]), [["registry", [ZONE]]]);
  const hubPe = e.endpoints.find((x: any) => x.name === "hub-pe");
  assert.deepEqual([hubPe.vnet, hubPe.subnet, hubPe.ips.map((i: any) => i.member)], ["hub", "pe", ["registry", "registry_data_westeurope"]]);
  assert.equal(hubPe.networkInterfaces.length, 1);
  assert.deepEqual(hubPe.zoneGroups.map((g: any) => g.name), ["default"]);

  const zone = e.zones.find((z: any) => z.resourceGroup === RG);
  assert.deepEqual(zone.records.map((r: any) => [r.name, r.ips]), [[REG, [hubPe.ips[0].ip]], [`${REG}.westeurope.data`, [hubPe.ips[1].ip]]]);
  assert.deepEqual(zone.links.map((l: any) => l.vnet).sort(), ["hub", "spoke"]);

  const holder = (name: string) => e.roleAssignments.find((h: any) => h.displayName === name);
  assert.deepEqual([holder("ci-puller").roles, holder("ci-puller").actions, holder("ci-puller").inherited], [["AcrPull"], ["pull"], false]);
  assert.deepEqual([holder("group-pusher").roles, holder("group-pusher").inherited], [["AcrPush"], true]);
  assert.match(holder("group-pusher").scopes[0], /\/resourceGroups\/rg-ev$/);

  const row = (vnet: string, subnet: string) => e.reachability.rows.find((r: any) => r.vnet === vnet && r.subnet === subnet);
  assert.deepEqual([row("spoke", "app").decision, row("spoke", "app").path], ["allow", `private:hub-pe (${hubPe.ips[0].ip})`]);
  assert.deepEqual([row("internet", "-").decision, row("internet", "-").reason], ["deny", "FIREWALL_DENIED"]);

  assert.deepEqual(e.readiness.clients.map((c: any) => [c.clientIp, c.network, c.verdict]), [[LAPTOP, "internet", "will-break"]]);
  assert.deepEqual(e.preflight.map((p: any) => [p.file, p.result.ok]), [["spoke.json", true], ["laptop.json", false]]);
  assert.equal(e.preflight[1].result.cause, "FIREWALL_DENIED");
  assert.match(e.preflight[0].sha256, /^[0-9a-f]{64}$/);
});

test("the audit section: chain verified on the client, the window's excerpt, token use by path, denials by client, network and reason", async () => {
  const e = JSON.parse(await readFile(join(bundle, "evidence.json"), "utf8"));
  const v = e.audit.verification;
  assert.deepEqual([v.result.ok, v.checkedOn], [true, "client"]);
  assert.ok(v.result.checkpoints >= 1, "the checkpoints were checked");
  const kinds = e.audit.records.map((r: any) => r.event.kind);
  assert.ok(kinds.includes("private-endpoint-connection") && kinds.includes("control-plane") && kinds.includes("data-plane-denied"), kinds.join(","));
  assert.ok(!kinds.includes("registry.token-aggregate"), "routine token use is counted, not listed");
  assert.ok(e.audit.records.every((r: any) => r.time >= e.audit.window.since && r.time <= e.audit.window.until && /^[0-9a-f]{64}$/.test(r.hash)));
  assert.equal(e.audit.counts.excerpt, e.audit.records.length);
  // The fixture's two pulls (the refused one got no token); the preflights' tokens may still be pending in this minute.
  assert.ok(e.audit.counts.tokenIssues >= 2 && e.audit.counts.tokenAggregates >= 1, JSON.stringify(e.audit.counts));

  // One client address may hold token use of several principals (the fixture's pull by ci-puller, the
  // preflights' by cove-bootstrap), in whichever order their minutes' aggregates were written: pick by both.
  const use = (client: string, principal?: string) => e.audit.tokenUse.find((u: any) => u.clientIp === client && (principal === undefined || u.principal === principal));
  const spoke = use(SPOKE_CLIENT, "ci-puller");
  assert.ok(spoke, JSON.stringify(e.audit.tokenUse));
  assert.deepEqual([spoke.path, spoke.network], ["private", "spoke/app"]);
  assert.match(spoke.endpointId, /privateendpoints\/hub-pe$/);
  assert.ok(e.audit.tokenUse.filter((u: any) => u.clientIp === SPOKE_CLIENT).every((u: any) => u.path === "private" && u.network === "spoke/app"), "the spoke client came only by the private path");
  assert.deepEqual([use(LAPTOP).path, use(LAPTOP).network], ["public", "internet"]);

  // The fixture's refused pull and the laptop's preflight: denials are exact.
  assert.deepEqual(e.denials.byClient.map((d: any) => [d.clientIp, d.network, d.reason, d.count, d.via]), [[LAPTOP, "internet", "ip-not-allowed", 2, ["public:127.0.0.1"]]]);
});

test("hygiene: the Pending endpoint is unused, two zones share a name, a Premium registry has no endpoint, the repository nobody pulled", async () => {
  const h = JSON.parse(await readFile(join(bundle, "evidence.json"), "utf8")).hygiene;
  assert.deepEqual(h.unusedEndpoints.map((x: any) => x.name), ["spoke-pe"]);
  assert.deepEqual(h.duplicateZones.map((z: any) => [z.name, z.zones.length]), [[ZONE, 2]]);
  assert.deepEqual(h.premiumWithoutEndpoints.map((r: any) => r.name), ["lonelyacr"]);
  // Token aggregates name the repositories their access tokens granted pull on: `hello` was pulled
  // (privately and publicly), `stale` was pushed and never pulled.
  assert.equal(h.unpulledRepositories.status, "known", JSON.stringify(h.unpulledRepositories));
  assert.deepEqual(h.unpulledRepositories.repositories, ["stale"]);
});

test("report.md tells the same facts for a reviewer", async () => {
  const md = await readFile(join(bundle, "report.md"), "utf8");
  assert.match(md, new RegExp(`^# Evidence: registry ${REG}$`, "m"));
  assert.match(md, new RegExp(`Bundle \`${exported.bundleId}\``));
  assert.match(md, /^\| firewall default action \| Deny \|$/m);
  assert.match(md, /^\| .* \| create: \(new\) -> Approved \| cove-bootstrap \(/m);
  assert.match(md, /^\| ci-puller \(.*\) \| AcrPull \| pull \| .* \| no \|$/m);
  assert.match(md, /^\| spoke \| app \| .* \| private:hub-pe .* \| allow \| ok \|/m);
  assert.match(md, /^will break: 1, has a private path: 0, unknown: 0$/m);
  assert.match(md, new RegExp(`^\\| ${LAPTOP.replace(/\./g, "\\.")} \\| internet \\| will-break \\| on the internet: `, "m"));
  assert.match(md, /^The hash chain verifies up to seq \d+/m);
  assert.match(md, new RegExp(`^\\| ${LAPTOP.replace(/\./g, "\\.")} \\| internet \\| ip-not-allowed \\| 2 \\|`, "m"));
  assert.match(md, /^- Endpoints unused in the window: spoke-pe$/m);
  assert.match(md, /^- Premium registries without private endpoints: lonelyacr$/m);
});

test("a changed byte in every file is detected and named: the file, evidence.json's field, report.md's line", async () => {
  // Through the CLI, one representative byte per file...
  const change = async (file: string, find: string | RegExp, replace: string) => {
    const dir = await copy();
    const text = await readFile(join(dir, file), "utf8");
    const next = text.replace(find, replace);
    assert.notEqual(next, text);
    await writeFile(join(dir, file), next);
    return refused(dir);
  };
  assert.match(await change("evidence.json", '"sku":"Premium"', '"sku":"Premiun"'), /\(digest-mismatch\): evidence\.json changed: the first changed field is registry\.sku \(changed\)/);
  assert.match(await change("evidence.json", '"status":"Pending"', '"status":"Approved"'), /evidence\.json changed: the first changed field is connections\[\d\]\.status/);
  assert.match(await change("report.md", "| firewall default action | Deny |", "| firewall default action | Allow |"), /\(digest-mismatch\): report\.md changed: the first changed line is line \d+/);
  assert.match(await change("manifest.json", /"sha256":"([0-9a-f])/, '"sha256":"x'), /\(manifest-invalid\): manifest\.json was changed/);
  const sigDir = await copy();
  const sig = await readFile(join(sigDir, "manifest.sig"));
  sig[10] = sig[10]! ^ 0x20;
  await writeFile(join(sigDir, "manifest.sig"), sig);
  assert.match(await refused(sigDir), /\(signature-invalid\): manifest\.sig does not verify with your public key/);

  // ...and through the same function, every file at ~150 positions: each change is refused and
  // the message names the file changed (manifest.sig: every byte).
  const { createPublicKey } = await import("node:crypto");
  const key = createPublicKey(await readFile(pub, "utf8"));
  const dir = await copy();
  for (const file of FILES) {
    const original = await readFile(join(bundle, file));
    const step = file === "manifest.sig" ? 1 : Math.max(1, Math.floor(original.length / 150));
    for (let i = 0; i < original.length; i += step) {
      const bytes = Buffer.from(original);
      bytes[i] = bytes[i] === 0x7a ? 0x79 : bytes[i]! + 1;
      await writeFile(join(dir, file), bytes);
      await assert.rejects(verifyBundle(dir, key), (e: any) => {
        assert.equal(e.exitCode, EXIT_CHECK_FAILED, e.message);
        assert.ok(e.message.includes(file), `byte ${i} of ${file}: ${e.message}`);
        return true;
      });
    }
    await writeFile(join(dir, file), original);
  }
  await verifyBundle(dir, key);
});

test("without --public-key verify says the signature was not checked against a trusted key and gives the signer's fingerprint", async () => {
  const r = await lab.run("acr", "evidence", "verify", bundle);
  assert.equal(r.code, EXIT_OK, r.stderr);
  assert.equal(JSON.parse(r.stdout).signature.trusted, false);
  assert.match(r.stderr, new RegExp(`^WARNING: The signature was not checked against a trusted key: .*fingerprint ${exported.signer.fingerprint}`, "m"));
});

test("a wrong public key fails with exit 5; a forged bundle re-signed with the forger's key (named in its manifest) is not trusted", async () => {
  const other = generateKeyPairSync("ed25519");
  const otherPub = join(work, "other.pub.pem");
  await writeFile(otherPub, String(other.publicKey.export({ format: "pem", type: "spki" })));
  const r = await lab.run("acr", "evidence", "verify", bundle, "--public-key", otherPub);
  assert.equal(r.code, EXIT_CHECK_FAILED, r.stderr);
  assert.match(r.stderr, /\(signature-invalid\): the bundle was not signed by your public key \([0-9a-f]{64}\); manifest\.json names the signer /);
  // A forger edits the evidence and re-signs it with a key of their own, embedded in the manifest:
  // without --public-key that verifies (and says it proves nothing); with the auditor's key it fails.
  const forgerKey = join(work, "forger.key");
  await writeFile(forgerKey, String(other.privateKey.export({ format: "pem", type: "pkcs8" })), { mode: 0o600 });
  const forged = join(work, "forged");
  await mkdir(forged);
  const doc = JSON.parse(await readFile(join(bundle, "evidence.json"), "utf8"));
  doc.registry.publicNetworkAccess = "Disabled";
  await writeBundle(forged, doc, await loadSigningKey(forgerKey));
  const untrusted = await lab.run("acr", "evidence", "verify", forged);
  assert.equal(untrusted.code, EXIT_OK, untrusted.stderr);
  assert.match(untrusted.stderr, /not checked against a trusted key/);
  assert.notEqual(JSON.parse(untrusted.stdout).signature.signerFingerprint, exported.signer.fingerprint);
  const caught = await lab.run("acr", "evidence", "verify", forged, "--public-key", pub);
  assert.equal(caught.code, EXIT_CHECK_FAILED, caught.stderr);
  assert.match(caught.stderr, /\(signature-invalid\): the bundle was not signed by your public key/);

  const notKey = join(work, "not-a-key.pem");
  await writeFile(notKey, "hello\n");
  const bad = await lab.run("acr", "evidence", "verify", bundle, "--public-key", notKey);
  assert.equal(bad.code, EXIT_USAGE);
  assert.match(bad.stderr, /is not an Ed25519 public key/);
});

test("--signing-key: a key file group or others can read is refused (nothing written); a 0600 key signs and its public key verifies", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const keyFile = join(work, "team.key");
  await writeFile(keyFile, String(privateKey.export({ format: "pem", type: "pkcs8" })));
  await chmod(keyFile, 0o644);
  const out = join(work, "team-bundle");
  const open = await lab.run("acr", "evidence", "export", "-n", REG, "--output-dir", out, "--signing-key", keyFile);
  assert.equal(open.code, EXIT_ERROR, open.stderr);
  assert.match(open.stderr, /^ERROR: Permissions 0644 for the signing key '.*team\.key' are too open: .*chmod 600/m);
  await assert.rejects(stat(out), "no bundle was written");
  await chmod(keyFile, 0o640);
  assert.equal((await lab.run("acr", "evidence", "export", "-n", REG, "--output-dir", out, "--signing-key", keyFile)).code, EXIT_ERROR);

  await chmod(keyFile, 0o600);
  const ok = await lab.run("acr", "evidence", "export", "-n", REG, "--output-dir", out, "--signing-key", keyFile, "--since", "2w");
  assert.equal(ok.code, EXIT_OK, ok.stderr);
  const teamPub = join(work, "team.pub.pem");
  await writeFile(teamPub, String(publicKey.export({ format: "pem", type: "spki" })));
  assert.equal((await lab.run("acr", "evidence", "verify", out, "--public-key", teamPub)).code, EXIT_OK);
  assert.equal((await lab.run("acr", "evidence", "verify", out, "--public-key", pub)).code, EXIT_CHECK_FAILED, "not signed by the CLI's own key");

  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const rsaFile = join(work, "rsa.key");
  await writeFile(rsaFile, String(rsa.privateKey.export({ format: "pem", type: "pkcs8" })), { mode: 0o600 });
  const wrongType = await lab.run("acr", "evidence", "export", "-n", REG, "--output-dir", join(work, "rsa-bundle"), "--signing-key", rsaFile);
  assert.equal(wrongType.code, EXIT_USAGE);
  assert.match(wrongType.stderr, /is not an Ed25519 private key/);
});

test("truncated, reordered and foreign bundles are refused with exit 5 and a reason; a missing directory is a usage error", async () => {
  // Truncated: a file cut short, a file missing.
  let dir = await copy();
  const text = await readFile(join(dir, "evidence.json"), "utf8");
  await writeFile(join(dir, "evidence.json"), text.slice(0, Math.floor(text.length / 2)));
  assert.match(await refused(dir), /\(digest-mismatch\): evidence\.json is not JSON .*truncated/);
  dir = await copy();
  await unlink(join(dir, "manifest.sig"));
  assert.match(await refused(dir), /\(file-missing\): manifest\.sig is missing/);
  dir = await copy();
  await unlink(join(dir, "report.md"));
  assert.match(await refused(dir), /\(file-missing\): report\.md is missing/);
  dir = await copy();
  await writeFile(join(dir, "manifest.sig"), (await readFile(join(dir, "manifest.sig"))).subarray(0, 40));
  assert.match(await refused(dir), /\(signature-invalid\): manifest\.sig is 40 bytes; an Ed25519 signature is 64/);

  // Reordered: sections of evidence.json, the excerpt's records, the manifest's keys.
  dir = await copy();
  const doc = JSON.parse(text);
  const reversed = Object.fromEntries(Object.entries(doc).reverse());
  await writeFile(join(dir, "evidence.json"), JSON.stringify(reversed));
  assert.match(await refused(dir), /\(evidence-invalid\): evidence\.json changed: every signed field is intact, but the file is not their canonical JSON any more/);
  dir = await copy();
  const swapped = { ...doc, audit: { ...doc.audit, records: [doc.audit.records[1], doc.audit.records[0], ...doc.audit.records.slice(2)] } };
  await writeFile(join(dir, "evidence.json"), JSON.stringify(Object.fromEntries(Object.keys(swapped).sort().map((k) => [k, swapped[k]]))));
  assert.match(await refused(dir), /evidence\.json changed: the first changed field is audit\.records/);
  dir = await copy();
  const m = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
  await writeFile(join(dir, "manifest.json"), JSON.stringify({ signer: m.signer, ...m }));
  assert.match(await refused(dir), /\(manifest-invalid\): manifest\.json is not in the canonical form it was signed in/);

  // Foreign: another bundle's manifest (and signature), another bundle's evidence.
  const second = join(work, "second");
  assert.equal((await lab.run("acr", "evidence", "export", "-n", REG, "--output-dir", second)).code, EXIT_OK);
  dir = await copy();
  await cp(join(second, "manifest.json"), join(dir, "manifest.json"));
  await cp(join(second, "manifest.sig"), join(dir, "manifest.sig"));
  assert.match(await refused(dir), /\(foreign-file\): evidence\.json belongs to bundle .*, manifest\.json to bundle .*: the files come from different bundles/);
  dir = await copy();
  await cp(join(second, "report.md"), join(dir, "report.md"));
  assert.match(await refused(dir), /\(foreign-file\): report\.md belongs to bundle /);
  dir = await copy();
  await writeFile(join(dir, "notes.txt"), "added later\n");
  assert.match(await refused(dir), /\(file-unexpected\): .*'notes\.txt', which no evidence bundle holds/);

  // Not a bundle at all.
  const empty = await mkdtemp(join(work, "empty-"));
  assert.match(await refused(empty), /\(not-a-bundle\): .* holds no manifest\.json: it is not an evidence bundle/);
  dir = await copy();
  await writeFile(join(dir, "manifest.json"), JSON.stringify({ format: "something-else" }));
  assert.match(await refused(dir), /\(not-a-bundle\): manifest\.json is not an evidence manifest/);
  const missing = await lab.run("acr", "evidence", "verify", join(work, "no-such-dir"), "--public-key", pub);
  assert.equal(missing.code, EXIT_USAGE);
  assert.match(missing.stderr, /^ERROR: Cannot read the bundle directory .*ENOENT/m);
});

test("export refuses bad input before writing: unknown registry, a non-empty directory, a bad --since, a preflight file that is not JSON", async () => {
  const unknown = await lab.run("acr", "evidence", "export", "-n", "nosuchacr", "--output-dir", join(work, "x1"));
  assert.equal(unknown.code, EXIT_NOT_FOUND, unknown.stderr);
  assert.match(unknown.stderr, /nosuchacr.*could not be found/);
  const busy = await lab.run("acr", "evidence", "export", "-n", REG, "--output-dir", bundle);
  assert.equal(busy.code, EXIT_USAGE);
  assert.match(busy.stderr, /is not empty/);
  const since = await lab.run("acr", "evidence", "export", "-n", REG, "--output-dir", join(work, "x2"), "--since", "yesterday");
  assert.equal(since.code, EXIT_USAGE);
  assert.match(since.stderr, /--since/);
  const notJson = join(work, "broken.json");
  await writeFile(notJson, "{ not json");
  const pf = await lab.run("acr", "evidence", "export", "-n", REG, "--output-dir", join(work, "x3"), "--preflight", notJson);
  assert.equal(pf.code, EXIT_USAGE);
  assert.match(pf.stderr, /broken\.json' is not JSON/);
  for (const d of ["x1", "x2", "x3"]) await assert.rejects(stat(join(work, d)));
  for (const r of [unknown, busy, since, pf]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});
