// The regional DNS trap through the real `cove` binary against a real Cove: one registry with an
// endpoint in a westeurope hub and one in a northeurope hub, one shared privatelink zone linked to
// both. `dns-zone-group create --what-if` for the second region writes nothing and warns which
// record sets it would overwrite and which networks would lose the registry; written anyway, the
// report flags the zone; preflight, for a caller who may not read the audit log, still names
// DNS_WRONG_ADDRESS and says the record's history is unavailable (with Owner it carries it:
// preflight-dns-causes.test.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realCli, runCove, type RealCli } from "../cli/real-cli.js";
import { assignRole, clients, createServicePrincipal, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { landing, ZONE, type Landing } from "./landing.js";

let cli: RealCli;
let lz: Landing;
let regId: string;
const RG = "rg-trap";
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

before(async () => {
  cli = await realCli();
  lz = await landing(cli.cove, RG);
  regId = await lz.registry("trapacr");
  await lz.vnet("trapweu", 86);
  await lz.vnet("trapneu", 87, "northeurope");
  await lz.zone();
  await lz.link("trapweu");
  await lz.link("trapneu");
  await lz.endpoint("trap-pe-weu", "trapweu", regId);
  await lz.zoneGroup("trap-pe-weu");
  await lz.endpoint("trap-pe-neu", "trapneu", regId, false, "northeurope");
});
after(async () => { await cli?.close(); });

const record = async (name: string) => (await cli.json("network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ZONE, "-n", name)).aRecords.map((a: any) => a.ipv4Address);
const createArgs = ["network", "private-endpoint", "dns-zone-group", "create", "-g", RG, "--endpoint-name", "trap-pe-neu", "-n", "default", "--private-dns-zone", ZONE, "--zone-name", "cove"];

test("dns-zone-group create --what-if warns which records the second region's group would overwrite and who loses the registry, and writes nothing; without it, the group is written as before", async () => {
  const shown = await cli.run(...createArgs, "--what-if");
  assert.equal(shown.code, 0, shown.stderr);
  const r = JSON.parse(shown.stdout);
  assert.deepEqual(r.overwrites.map((o: any) => [o.record, o.before[0], o.after[0], o.writtenBy]), [
    ["trapacr", "127.86.1.4", "127.87.1.4", "trap-pe-weu"], ["trapacr.westeurope.data", "127.86.1.5", "127.87.1.5", "trap-pe-weu"],
  ]);
  assert.match(shown.stderr, /^WARNING: overwrites record set trapacr of zone privatelink\.cove\.test \(127\.86\.1\.4, written by private endpoint trap-pe-weu's zone group\) with 127\.87\.1\.4$/m);
  assert.match(shown.stderr, /^WARNING: subnet trapweu\/app would lose its private path to trapacr \(then: DNS_WRONG_ADDRESS\)$/m);
  assert.deepEqual(await record("trapacr"), ["127.86.1.4"], "--what-if wrote nothing");
  assert.equal((await cli.json("network", "private-endpoint", "dns-zone-group", "list", "-g", RG, "--endpoint-name", "trap-pe-neu")).length, 0);
  const table = await cli.run(...createArgs, "--what-if", "-o", "table");
  assert.match(table.stdout, /trapacr\s+trapweu\s+app\s+allow\s+deny\s+DNS_WRONG_ADDRESS/);

  const written = await cli.run(...createArgs);
  assert.equal(written.code, 0, written.stderr);
  assert.equal(written.stderr, "", "without --what-if the command warns about nothing, as before");
  assert.equal(JSON.parse(written.stdout).name, "default");
  assert.deepEqual(await record("trapacr"), ["127.87.1.4"], "the shared zone's record now points at the second region");
});

test("network-report flags the shared zone: its record points at the northeurope endpoint, which the linked westeurope hub cannot reach", async () => {
  const r = await cli.run("acr", "network-report", "-n", "trapacr");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^WARNING: Zone ${esc(ZONE)} \\(resource group ${RG}\\) answers trapacr with 127\\.87\\.1\\.4, private endpoint trap-pe-neu in VNet trapneu \\(northeurope\\), which the linked VNet trapweu cannot reach .* give each region its own zone`, "m"));
  const rows = JSON.parse(r.stdout);
  assert.equal(rows.find((x: any) => x.vnet === "trapweu" && x.subnet === "app").reason, "DNS_WRONG_ADDRESS");
  const res = await fetchJson(`${cli.cove.managementUrl}${regId}/networkReport?api-version=2025-11-01`, await managementToken(cli.cove));
  assert.deepEqual(res.zoneFindings.map((f: any) => [f.record, f.endpoint, f.location, f.unreachableFrom.map((u: any) => u.vnet).join()]), [
    ["trapacr", "trap-pe-neu", "northeurope", "trapweu"], ["trapacr.westeurope.data", "trap-pe-neu", "northeurope", "trapweu"],
  ]);
});

test("preflight by a caller who may read the network but not the audit log: DNS_WRONG_ADDRESS all the same, the history said to be unavailable", async () => {
  const sub = `/subscriptions/${lz.sub}`;
  const guid = randomUUID();
  await clients(cli.cove).authz.roleDefinitions.createOrUpdate(sub, guid, {
    roleName: "Network reader", roleType: "CustomRole", description: "reads networks and registries, not the activity log",
    permissions: [{ actions: ["Microsoft.Network/*/read", "Microsoft.ContainerRegistry/registries/read", "Microsoft.ContainerRegistry/registries/*/read", "Microsoft.Resources/subscriptions/resourceGroups/read"], notActions: [], dataActions: [], notDataActions: [] }],
    assignableScopes: [sub],
  } as never);
  const sp = await createServicePrincipal(cli.cove, "network-reader");
  await assignRole(cli.cove, sub, sp.objectId, guid);
  const dir = await mkdtemp(join(tmpdir(), "cove-trap-reader-"));
  try {
    const env = { PATH: process.env.PATH, HOME: dir, COVE_CONFIG_DIR: dir };
    const c = cli.cove.credentials;
    const login = await runCove(["login", "--service-principal", "-u", sp.appId, "-p", sp.password, "--tenant", c.tenantId, "--management-endpoint", c.managementEndpoint, "--ca-cert", c.caCertPath], env);
    assert.equal(login.code, 0, login.stderr);
    const r = await runCove(["acr", "preflight", "-n", "trapacr", "--from", "trapweu/app", "--modelled", "--json"], env);
    const json = JSON.parse(r.stdout);
    assert.equal(json.cause, "DNS_WRONG_ADDRESS", r.stdout + r.stderr);
    assert.equal(json.recordHistory, undefined);
    assert.match(json.historyUnavailable, /this identity may not read the audit log \(GET \/cove\/audit answered 403; it needs Microsoft\.Insights\/eventtypes\/values\/read/);
    assert.match(json.evidence.history, /^unavailable: /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function fetchJson(url: string, token: string): Promise<any> {
  const r = await https(url, { method: "GET", ca: cli.cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, r.body.toString());
  return r.json();
}
