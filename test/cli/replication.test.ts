// `cove acr replication create|list|show|update|delete`, the real `cove` binary against a real Cove:
// az's flags and client-side refusals (nothing sent, as `--debug` shows), the home location listed
// and undeletable (the server's error comes through), Cove's syncStatus that the SDK would drop,
// az's table columns plus SYNC and LAG, and the replica's data endpoint member appearing on the
// registry's private link resource and going with the replica.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { realCli, type RealCli } from "./real-cli.js";

let cli: RealCli;
const RG = "geo-rg";

before(async () => {
  cli = await realCli();
  await cli.ok("group", "create", "-n", RG, "-l", "westeurope");
  await cli.ok("acr", "create", "-n", "georeg", "-g", RG, "--sku", "Premium");
  await cli.ok("acr", "create", "-n", "basicgeo", "-g", RG, "--sku", "Basic");
});
after(async () => { await cli?.close(); });

/** The requests a `--debug` run sent, as "METHOD path". */
const sent = (stderr: string) => [...stderr.matchAll(/Request: (\w+) https?:\/\/[^/]+(\S*)/g)].map((m) => `${m[1]} ${m[2].split("?")[0]}`);

test("create refuses the home location and a non-Premium registry before sending anything, with az's messages", async () => {
  const home = await cli.run("acr", "replication", "create", "-r", "georeg", "-l", "West Europe", "-n", "other", "--debug");
  assert.equal(home.code, 1, home.stderr);
  assert.match(home.stderr, /^ERROR: Replication could not be created in the same location as the registry\.$/m);
  assert.ok(sent(home.stderr).some((r) => r.startsWith("GET /subscriptions/")), "the registry was read");
  assert.deepEqual(sent(home.stderr).filter((r) => /replications/.test(r)), [], "no replication request was sent");

  for (const args of [["create", "-l", "eastus"], ["list"]]) {
    const basic = await cli.run("acr", "replication", ...args, "-r", "basicgeo", "--debug");
    assert.equal(basic.code, 1, basic.stderr);
    assert.match(basic.stderr, /^ERROR: Replications are only supported for managed registries in Premium SKU\.$/m);
    assert.ok(!sent(basic.stderr).some((r) => /replications/.test(r)), "no replication request was sent");
  }

  const bad = await cli.run("acr", "replication", "create", "-r", "georeg", "-l", "eastus", "--zone-redundancy", "Maybe");
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /Allowed values: Enabled, Disabled/);
  const noLocation = await cli.run("acr", "replication", "create", "-r", "georeg");
  assert.equal(noLocation.code, 2, noLocation.stderr);
  assert.deepEqual((await cli.json("acr", "replication", "list", "-r", "georeg")).map((r: any) => r.name), ["westeurope"]);
});

test("create, list, show (with syncStatus), table, update, delete; the home replication cannot be deleted", async () => {
  const created = await cli.json("acr", "replication", "create", "-r", "georeg", "-l", "East US", "--tags", "team=payments", "dr");
  assert.equal(created.name, "eastus", "the name defaults to the location");
  assert.equal(created.location, "eastus");
  assert.equal(created.type, "Microsoft.ContainerRegistry/registries/replications");
  assert.equal(created.provisioningState, "Succeeded");
  assert.equal(created.regionEndpointEnabled, true);
  assert.equal(created.zoneRedundancy, "Disabled");
  assert.deepEqual(created.tags, { team: "payments", dr: "" });
  assert.match(created.id, /\/registries\/georeg\/replications\/eastus$/);

  const list = await cli.json("acr", "replication", "list", "-r", "georeg");
  assert.deepEqual(list.map((r: any) => [r.name, r.location]), [["westeurope", "westeurope"], ["eastus", "eastus"]]);

  // An empty registry has nothing to replicate: the replica reports itself caught up.
  let shown: any;
  for (const deadline = Date.now() + 10_000; ;) {
    shown = await cli.json("acr", "replication", "show", "-r", "georeg", "-n", "eastus");
    if (shown.syncStatus?.state === "Synced" || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(shown.syncStatus?.state, "Synced", JSON.stringify(shown));
  assert.equal(shown.syncStatus.lagSeconds, 0);
  assert.equal(shown.syncStatus.pendingManifests, 0);
  assert.equal(shown.status.displayStatus, "Ready");

  const table = (await cli.ok("acr", "replication", "list", "-r", "georeg", "-o", "table")).split("\n");
  assert.match(table[0], /^NAME\s+LOCATION\s+PROVISIONING STATE\s+STATUS\s+REGION ENDPOINT ENABLED\s+SYNC\s+LAG\s*$/);
  assert.match(table.find((l) => l.startsWith("eastus")) ?? "", /^eastus\s+eastus\s+Succeeded\s+Ready\s+True\s+Synced\s+0 s\s*$/i);

  // The replica's data member is on the private link resource, as Azure's requiredMembers.
  const members = await cli.json("acr", "private-link-resource", "list", "-r", "georeg", "--query", "[0].requiredMembers");
  assert.deepEqual(members, ["registry", "registry_data_westeurope", "registry_data_eastus"]);

  const off = await cli.run("acr", "replication", "update", "-r", "georeg", "-n", "eastus", "--region-endpoint-enabled", "false", "--debug");
  assert.equal(off.code, 0, off.stderr);
  assert.equal(JSON.parse(off.stdout).regionEndpointEnabled, false);
  assert.ok(sent(off.stderr).includes(`PATCH ${created.id}`), "update is a PATCH of the replication");
  assert.deepEqual(JSON.parse(off.stdout).tags, { team: "payments", dr: "" }, "tags not given are kept");
  assert.equal((await cli.json("acr", "replication", "show", "-r", "georeg", "-n", "eastus")).regionEndpointEnabled, false);
  const cleared = await cli.json("acr", "replication", "update", "-r", "georeg", "-n", "eastus", "--tags", "");
  assert.deepEqual(cleared.tags ?? {}, {});
  assert.equal(cleared.regionEndpointEnabled, false);

  const home = await cli.run("acr", "replication", "delete", "-r", "georeg", "-n", "westeurope", "--yes");
  assert.equal(home.code, 1, home.stderr);
  assert.match(home.stderr, /HomeReplicationCannotBeDeleted/);

  const unconfirmed = await cli.run("acr", "replication", "delete", "-r", "georeg", "-n", "eastus");
  assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
  assert.match(unconfirmed.stderr, /Use --yes/);
  assert.equal((await cli.json("acr", "replication", "list", "-r", "georeg")).length, 2, "nothing deleted without --yes");

  await cli.ok("acr", "replication", "delete", "-r", "georeg", "-n", "eastus", "--yes");
  assert.deepEqual((await cli.json("acr", "replication", "list", "-r", "georeg")).map((r: any) => r.name), ["westeurope"]);
  assert.deepEqual(await cli.json("acr", "private-link-resource", "list", "-r", "georeg", "--query", "[0].requiredMembers"), ["registry", "registry_data_westeurope"]);
  const gone = await cli.run("acr", "replication", "show", "-r", "georeg", "-n", "eastus");
  assert.equal(gone.code, 3, gone.stderr);
});
