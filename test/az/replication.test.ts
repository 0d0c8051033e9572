// `az acr replication create/list/show/update/delete`, the real az (Debian's 2.45) through `cove az`
// against a real Cove. These are management-endpoint requests only (no login server is resolved),
// so they run here and not on a lab host. az sends ACR's 2022-02-01-preview for replications, and
// its long-running-operation pollers (begin_create, begin_update, begin_delete) must finish on
// Cove's synchronous answers (201/200 with provisioningState Succeeded, 200/204 on delete).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { azHarness, requireAz, type AzHarness } from "./support.js";

let h: AzHarness;
const RG = "geo-az-rg";

before(async () => {
  h = await azHarness();
});
after(async () => { await h?.close(); });

/** The replication requests of an `az --debug` run, as "METHOD path api-version". */
function replicationRequests(stderr: string): string[] {
  return [...stderr.matchAll(/Request URL: '([^']+)'[\s\S]*?Request method: '(\w+)'/g)]
    .map((m) => ({ url: new URL(m[1]), method: m[2] }))
    .filter((r) => /\/replications/.test(r.url.pathname))
    .map((r) => `${r.method} ${r.url.pathname.replace(/.*\/registries\//, "")} ${r.url.searchParams.get("api-version")}`);
}

test("az acr replication create/list/show/update/delete work against Cove; az's own refusals too", async () => {
  requireAz();
  await h.json("--", "group", "create", "--name", RG, "--location", "westeurope", "-o", "none");
  await h.json("--", "acr", "create", "--name", "geoazreg", "--resource-group", RG, "--sku", "Premium", "-o", "none");
  await h.json("--", "acr", "create", "--name", "geoazbasic", "--resource-group", RG, "--sku", "Basic", "-o", "none");

  const create = await h.az("--", "acr", "replication", "create", "-r", "geoazreg", "-l", "eastus", "--tags", "team=payments", "--debug");
  assert.equal(create.code, 0, create.stderr);
  const created = JSON.parse(create.stdout);
  assert.equal(created.name, "eastus");
  assert.equal(created.location, "eastus");
  assert.equal(created.provisioningState, "Succeeded");
  assert.equal(created.regionEndpointEnabled, true);
  assert.deepEqual(created.tags, { team: "payments" });
  // One PUT and no polling: the synchronous 201 ends az's poller.
  assert.deepEqual(replicationRequests(create.stderr), ["PUT geoazreg/replications/eastus 2022-02-01-preview"]);

  const list = await h.json("--", "acr", "replication", "list", "-r", "geoazreg", "--query", "[].{name:name,location:location,status:status.displayStatus}");
  assert.deepEqual(list, [{ name: "westeurope", location: "westeurope", status: "Ready" }, { name: "eastus", location: "eastus", status: list[1].status }]);
  assert.match(list[1].status, /^(Ready|Syncing)$/);
  const table = (await h.az("--", "acr", "replication", "list", "-r", "geoazreg", "-o", "table")).stdout.split("\n");
  assert.match(table[0], /^NAME\s+LOCATION\s+PROVISIONING STATE\s+STATUS\s+REGION ENDPOINT ENABLED/);
  assert.match(table.find((l) => l.startsWith("eastus")) ?? "", /^eastus\s+eastus\s+Succeeded\s+(Ready|Syncing)\s+True/);

  const update = await h.az("--", "acr", "replication", "update", "-r", "geoazreg", "-n", "eastus", "--region-endpoint-enabled", "false", "--debug");
  assert.equal(update.code, 0, update.stderr);
  assert.equal(JSON.parse(update.stdout).regionEndpointEnabled, false);
  assert.deepEqual(replicationRequests(update.stderr), ["PATCH geoazreg/replications/eastus 2022-02-01-preview"]);
  const shown = await h.json("--", "acr", "replication", "show", "-r", "geoazreg", "-n", "eastus");
  assert.equal(shown.regionEndpointEnabled, false);
  assert.deepEqual(shown.tags, { team: "payments" }, "a PATCH without --tags keeps them");

  // az refuses these itself, after reading the registry.
  const home = await h.az("--", "acr", "replication", "create", "-r", "geoazreg", "-l", "westeurope", "-n", "again");
  assert.equal(home.code, 1, home.stderr);
  assert.match(home.stderr, /Replication could not be created in the same location as the registry\./);
  const basic = await h.az("--", "acr", "replication", "list", "-r", "geoazbasic");
  assert.equal(basic.code, 1, basic.stderr);
  assert.match(basic.stderr, /Replications are only supported for managed registries in Premium SKU\./);
  // ... but not this one: Cove's refusal comes through az.
  const homeDelete = await h.az("--", "acr", "replication", "delete", "-r", "geoazreg", "-n", "westeurope");
  assert.equal(homeDelete.code, 1, homeDelete.stderr);
  assert.match(homeDelete.stderr, /HomeReplicationCannotBeDeleted/);

  const del = await h.az("--", "acr", "replication", "delete", "-r", "geoazreg", "-n", "eastus", "--debug");
  assert.equal(del.code, 0, del.stderr);
  assert.deepEqual(replicationRequests(del.stderr), ["DELETE geoazreg/replications/eastus 2022-02-01-preview"]);
  assert.deepEqual(await h.json("--", "acr", "replication", "list", "-r", "geoazreg", "--query", "[].name"), ["westeurope"]);
  const gone = await h.az("--", "acr", "replication", "show", "-r", "geoazreg", "-n", "eastus");
  assert.equal(gone.code, 3, gone.stderr);
});
