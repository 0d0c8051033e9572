// `cove acr check-health` as a user runs it: the real `cove` binary against a real Cove (one per
// file) and a landing zone built through the API. The lines, codes and exit codes are az's
// (azure-cli acr/check_health.py, _errors.py); the registry checks run from --source-address's
// network, and Cove's own checks follow with the one root cause and a fix that is run as printed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { client, LONE, liveZone, RG, SPOKE, ZONE, type LiveZone } from "./live-zone.js";

let z: LiveZone;
let login: string;
type Run = Awaited<ReturnType<LiveZone["cli"]["run"]>>;
/** The runs that change nothing, started together (each is a process loading the SDKs; two cores). */
let runs: Record<string, Promise<Run>>;
before(async () => {
  z = await liveZone();
  login = `liveacr.cove.test:${z.port}`;
  const from = (n: number) => ["-n", "liveacr", "--source-address", client(n)];
  runs = Object.fromEntries(Object.entries({
    ok: [...from(SPOKE), "--yes"],
    forbidden: from(LONE),
    ignored: [...from(LONE), "--ignore-errors"],
    vnet: [...from(SPOKE), "--vnet", "hub"],
    vnetElsewhere: [...from(SPOKE), "--vnet", "spoke"],
    vnetBadId: [...from(SPOKE), "--vnet", "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/networkInterfaces/n"],
    unknown: ["-n", "nosuchacr"],
    unknownIgnored: ["-n", "nosuchacr", "--ignore-errors"],
    malformed: ["-n", "liveacr", "--source-address", "127.45.2"],
    badDns: ["-n", "liveacr", "--dns-server", "127.0.0.1:99999"],
  }).map(([k, args]) => [k, z.cli.run("acr", "check-health", ...args)]));
  // A failed run must not be left unhandled while an earlier test fails.
  for (const p of Object.values(runs)) p.catch(() => {});
});
after(async () => { await z?.close(); });

const STAMP = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}/.source;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const health = (...args: string[]) => z.cli.run("acr", "check-health", ...args);

test("a client on the private path: az's lines in az's order, each OK, then Cove's checks; exit 0, nothing on stdout", async () => {
  const r = await runs.ok;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n");
  const at = (re: RegExp) => { const i = lines.findIndex((l) => re.test(l)); assert.ok(i >= 0, `no line ${re} in:\n${r.stderr}`); return i; };
  const order = [
    at(/^WARNING: Docker daemon status: skipped/),
    at(/^WARNING: Docker pull of 'mcr\.microsoft\.com\/mcr\/hello-world:latest' : skipped/),
    at(/^WARNING: Cove CLI version: \d+\.\d+\.\d+$/),
    at(new RegExp(`^WARNING: DNS lookup to ${esc(login)} at IP ${esc(z.hubIp)} : OK$`)),
    at(new RegExp(`^WARNING: Challenge endpoint https://${esc(login)}/v2/ : OK$`)),
    at(new RegExp(`^WARNING: Fetch refresh token for registry '${esc(login)}' : OK$`)),
    at(new RegExp(`^WARNING: Fetch access token for registry '${esc(login)}' : OK$`)),
    at(/^WARNING: Helm version: skipped/),
    at(/^WARNING: Notary version: skipped/),
    at(/^WARNING: Private endpoint hub-pe \(connection [^)]+\) on the path from spoke\/app: Approved : OK$/),
    at(/^WARNING: Route from spoke to hub-pe \(127\.44\.1\.\d+\): peered both ways with hub : OK$/),
    at(/^WARNING: Public network access Disabled, default action Allow, 0 IP rule\(s\) \(not on this client's path\)$/),
    at(/^WARNING: Data-plane role of .+ on liveacr: .*Owner.* token grants pull/),
    at(/^WARNING: SKU Premium: 2 of 200 private endpoints|^WARNING: SKU Premium: 1 of 200 private endpoints/),
    at(/^WARNING: Data endpoint liveacr\.westeurope\.data\.cove\.test at IP 127\.44\.1\.\d+ : OK$/),
    at(/^WARNING: Path from spoke\/app: .* : OK$/),
    at(/^Please refer to https:\/\/aka\.ms\/acr\/health-check for more information\.$/),
  ];
  assert.deepEqual([...order].sort((a, b) => a - b), order, `out of order:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /ERROR/);
});

test("public access disabled, client on the public path: CONNECTIVITY_FORBIDDEN_ERROR ends the command (exit 1) with Cove's root cause and fix", async () => {
  const r = await runs.forbidden;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^WARNING: DNS lookup to ${esc(login)} at IP 127\\.0\\.0\\.1 : OK$`, "m"));
  assert.match(r.stderr, new RegExp(
    `^ERROR: ${STAMP} An error occurred: CONNECTIVITY_FORBIDDEN_ERROR\\n` +
    `Looks like you don't have access to registry '${esc(login)}'\\. To see configured firewall rules, run 'az acr show --query networkRuleSet --name liveacr'\\. Details: https://learn\\.microsoft\\.com/azure/container-registry/container-registry-health-error-reference#connectivity_forbidden_error\\n` +
    `\\nPlease refer to https://aka\\.ms/acr/errors#connectivity_forbidden_error for more information\\.\\n` +
    `Cove's diagnosis: PUBLIC_ACCESS_DISABLED: `, "m"));
  assert.match(r.stderr, /^Fix: cove acr update -n liveacr -g live-rg --public-network-enabled true --default-action Deny$/m);
  assert.doesNotMatch(r.stderr, /Challenge endpoint|Helm version|health-check/, "az stops at the first error");
});

test("--ignore-errors: the error is an ERROR line, the checks go on (Cove's own error included), exit 0", async () => {
  const r = await runs.ignored;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^ERROR: ${STAMP} An error occurred: CONNECTIVITY_FORBIDDEN_ERROR\\nLooks like you don't have access`, "m"));
  assert.doesNotMatch(r.stderr, /errors#connectivity_forbidden_error/, "the deep link only when the error ends the command, as az");
  assert.match(r.stderr, /^WARNING: Helm version: skipped/m);
  assert.match(r.stderr, new RegExp(`^ERROR: ${STAMP} An error occurred: PUBLIC_ACCESS_DISABLED\\n`, "m"));
  assert.match(r.stderr, /^Please refer to https:\/\/aka\.ms\/acr\/health-check for more information\.$/m);
});

test("--vnet: the DNS routing to the endpoint in that VNet, resolved from the client's network", async () => {
  const r = await runs.vnet;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^WARNING: DNS routing to private endpoint : OK$/m);
  const none = await runs.vnetElsewhere;
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^ERROR: Registry "liveacr" doesn't have private endpoints in the vnet of "\/subscriptions\/[^"]+\/virtualNetworks\/spoke"\. Please make sure you provided correct vnet$/m);
  const bad = await runs.vnetBadId;
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^ERROR: "\/subscriptions\/x\/[^"]+" is not a valid resource id of a virtual network$/m);
});

test("a wrong record: the DNS routing check names the expected and the actual address and fails (exit 1, --ignore-errors too)", async () => {
  const dataIp = (await z.pdns.recordSets.get(RG, ZONE, "A", "liveacr.westeurope.data")).aRecords?.[0]?.ipv4Address;
  assert.ok(dataIp);
  // The login server's record now points at the data endpoint's address: a record overwritten by hand.
  await Promise.all(Object.values(runs));
  const set = (ip: string) => z.pdns.recordSets.createOrUpdate(RG, ZONE, "A", "liveacr", { ttl: 10, aRecords: [{ ipv4Address: ip }] });
  await set(dataIp);
  try {
    const [r, cove] = await Promise.all([
      health("-n", "liveacr", "--source-address", client(SPOKE), "--vnet", "hub", "--ignore-errors"),
      health("-n", "liveacr", "--source-address", client(SPOKE)),
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^WARNING: DNS routing to registry "liveacr" through private IP is incorrect\\. Expect: ${esc(z.hubIp)}, Actual: ${esc(dataIp)}$`, "m"));
    assert.match(r.stderr, /^ERROR: DNS routing verification failed$/m);
    assert.doesNotMatch(r.stderr, /Helm version/, "az's DNS-routing error ends the command even with --ignore-errors");
    // Without --vnet, Cove's own checks name the overwritten record, with the commands that put it back.
    assert.equal(cove.code, 1, cove.stderr);
    assert.match(cove.stderr, new RegExp(`^ERROR: ${STAMP} An error occurred: DNS_WRONG_ADDRESS\\n`, "m"));
    assert.match(cove.stderr, new RegExp(`^Fix: cove network private-dns record-set a add-record -g ${RG} -z ${esc(ZONE)} -n liveacr -a ${esc(z.hubIp)}$`, "m"));
  } finally {
    await set(z.hubIp);
  }
});

test("az's checks pass but the data endpoint has no record: Cove's check fails with DNS_NO_DATA_RECORD (exit 1); its printed fix makes it pass", async () => {
  await Promise.all(Object.values(runs));
  const dataIp = (await z.pdns.recordSets.get(RG, ZONE, "A", "liveacr.westeurope.data")).aRecords?.[0]?.ipv4Address;
  await z.pdns.recordSets.delete(RG, ZONE, "A", "liveacr.westeurope.data");
  const r = await health("-n", "liveacr", "--source-address", client(SPOKE));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^WARNING: Fetch access token for registry '${esc(login)}' : OK$`, "m"));
  assert.match(r.stderr, new RegExp(`^ERROR: ${STAMP} An error occurred: DNS_NO_DATA_RECORD\\n`, "m"));
  const fix = /^Fix: cove (.+)$/m.exec(r.stderr)?.[1];
  assert.equal(fix, `network private-dns record-set a add-record -g ${RG} -z ${ZONE} -n liveacr.westeurope.data -a ${dataIp}`);
  await z.cli.ok(...fix!.split(" "));
  const again = await health("-n", "liveacr", "--source-address", client(SPOKE));
  assert.equal(again.code, 0, again.stderr);
});

test("bad input: an unknown registry is LOGIN_SERVER_ERROR (exit 1; 0 with --ignore-errors); a malformed --source-address is a usage error (exit 2)", async () => {
  const r = await runs.unknown;
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^ERROR: ${STAMP} An error occurred: LOGIN_SERVER_ERROR\\nAn error occurred while retrieving the login server for registry 'nosuchacr'\\. Please check if the spelling is correct, if the CLI environment is on correct cloud and if you have the right permissions on it\\.\\n\\nPlease refer to https://aka\\.ms/acr/errors#login_server_error for more information\\.$`, "m"));
  const ignored = await runs.unknownIgnored;
  assert.equal(ignored.code, 0);
  assert.match(ignored.stderr, /^ERROR: .* LOGIN_SERVER_ERROR$/m);
  assert.doesNotMatch(ignored.stderr, /health-check/, "az returns right after LOGIN_SERVER_ERROR");
  const malformed = await runs.malformed;
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /^ERROR: option '--source-address <ip>' argument '127\.45\.2' is invalid/m);
  assert.doesNotMatch(malformed.stderr, /Docker|at .*\.js:\d+/, "nothing ran, no stack trace");
  const badDns = await runs.badDns;
  assert.equal(badDns.code, 2);
  assert.match(badDns.stderr, /^ERROR: option '--dns-server <host:port>' argument '127\.0\.0\.1:99999' is invalid/m);
});
