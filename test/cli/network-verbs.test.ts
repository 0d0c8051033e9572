// The network verbs users reached for and did not find (issue 7 item 20), with the real `cove`
// command against a real Cove: create -> list -> show -> delete -> list empty / show exit 3, with
// az's flag names (`--endpoint-name`, `-z/--zone-name`, `--vnet-name`, `--yes` where az confirms).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXIT_NOT_FOUND, EXIT_USAGE } from "../../src/cli/exit-codes.js";
import { realCli, type RealCli } from "./real-cli.js";

const G = ["-g", "rg-net"];
const ZONE = "privatelink.cove.test";
let cli: RealCli;
let registryId: string;

before(async () => {
  cli = await realCli();
  await cli.ok("group", "create", "-n", "rg-net", "-l", "westeurope");
  registryId = (await cli.json("acr", "create", "-n", "netreg1", ...G, "--sku", "Premium")).id;
  await cli.ok("network", "vnet", "create", "-n", "hub", ...G, "--address-prefixes", "127.30.0.0/16", "--subnet-name", "pe", "--subnet-prefixes", "127.30.1.0/24");
  await cli.ok("network", "vnet", "create", "-n", "spoke", ...G, "--address-prefixes", "127.31.0.0/16", "--subnet-name", "app", "--subnet-prefixes", "127.31.1.0/24");
});
after(async () => { await cli?.close(); });

async function missing(...args: string[]) {
  const r = await cli.run(...args);
  assert.equal(r.code, EXIT_NOT_FOUND, `${args.join(" ")}: ${r.code} ${r.stderr}`);
  assert.match(r.stderr, /^ERROR: \(\w*NotFound\w*\)/m);
}

test("network vnet peering create -> list -> show -> delete -> list empty, show exit 3", async () => {
  const peer = ["--vnet-name", "hub", ...G];
  await cli.ok("network", "vnet", "peering", "create", "-n", "hub-to-spoke", ...peer, "--remote-vnet", "spoke", "--allow-vnet-access");
  const tsv = await cli.ok("network", "vnet", "peering", "list", ...peer, "--query", "[].{vnet:name,remote:remoteVirtualNetwork.id,state:peeringState}", "-o", "tsv");
  assert.match(tsv, /^hub-to-spoke\t\/subscriptions\/[^\t]+\/virtualNetworks\/spoke\tInitiated\n$/);
  const shown = await cli.json("network", "vnet", "peering", "show", "-n", "hub-to-spoke", ...peer);
  assert.equal(shown.name, "hub-to-spoke");
  assert.equal(shown.allowVirtualNetworkAccess, true);
  assert.equal(await cli.ok("network", "vnet", "peering", "delete", "-n", "hub-to-spoke", ...peer), "");
  assert.deepEqual(await cli.json("network", "vnet", "peering", "list", ...peer), []);
  await missing("network", "vnet", "peering", "show", "-n", "hub-to-spoke", ...peer);
});

test("private-dns zone and link vnet: create -> list -> show -> delete (--yes, as az confirms) -> list empty, show exit 3", async () => {
  await cli.ok("network", "private-dns", "zone", "create", ...G, "-n", ZONE);
  assert.deepEqual((await cli.json("network", "private-dns", "zone", "list", ...G)).map((z: any) => z.name), [ZONE]);
  assert.equal((await cli.json("network", "private-dns", "zone", "show", ...G, "-n", ZONE)).name, ZONE);

  const link = [...G, "-z", ZONE];
  await cli.ok("network", "private-dns", "link", "vnet", "create", ...link, "-n", "spoke-link", "-v", "spoke", "-e", "false");
  assert.deepEqual((await cli.json("network", "private-dns", "link", "vnet", "list", ...link)).map((l: any) => l.name), ["spoke-link"]);
  const shown = await cli.json("network", "private-dns", "link", "vnet", "show", ...link, "-n", "spoke-link");
  assert.match(shown.virtualNetwork.id, /\/virtualNetworks\/spoke$/);
  assert.equal((await cli.json("network", "private-dns", "zone", "show", ...G, "-n", ZONE)).numberOfVirtualNetworkLinks, 1);

  // Without a terminal and without --yes nothing is deleted, as az.
  const refused = await cli.run("network", "private-dns", "link", "vnet", "delete", ...link, "-n", "spoke-link");
  assert.equal(refused.code, EXIT_USAGE, refused.stderr);
  assert.match(refused.stderr, /Use --yes/);
  assert.equal((await cli.json("network", "private-dns", "link", "vnet", "list", ...link)).length, 1);

  assert.equal(await cli.ok("network", "private-dns", "link", "vnet", "delete", ...link, "-n", "spoke-link", "--yes"), "");
  assert.deepEqual(await cli.json("network", "private-dns", "link", "vnet", "list", ...link), []);
  await missing("network", "private-dns", "link", "vnet", "show", ...link, "-n", "spoke-link");

  assert.equal(await cli.ok("network", "private-dns", "zone", "delete", ...G, "-n", ZONE, "-y"), "");
  assert.deepEqual(await cli.json("network", "private-dns", "zone", "list", ...G), []);
  await missing("network", "private-dns", "zone", "show", ...G, "-n", ZONE);
});

test("private-endpoint dns-zone-group: create -> list -> show -> delete -> list empty, show exit 3; its A records go with it", async () => {
  await cli.ok("network", "private-dns", "zone", "create", ...G, "-n", ZONE);
  await cli.ok("network", "private-endpoint", "create", "-n", "hub-pe", ...G, "--subnet", "pe", "--vnet-name", "hub",
    "--private-connection-resource-id", registryId, "--connection-name", "hub-conn", "--group-id", "registry");
  const zg = ["--endpoint-name", "hub-pe", ...G];
  await cli.ok("network", "private-endpoint", "dns-zone-group", "create", ...zg, "-n", "default", "--private-dns-zone", ZONE, "--zone-name", "privatelink");
  assert.deepEqual((await cli.json("network", "private-endpoint", "dns-zone-group", "list", ...zg)).map((g: any) => g.name), ["default"]);
  const shown = await cli.json("network", "private-endpoint", "dns-zone-group", "show", ...zg, "-n", "default");
  assert.equal(shown.privateDnsZoneConfigs[0].name, "privatelink");
  assert.match(shown.privateDnsZoneConfigs[0].privateDnsZoneId, new RegExp(`/privateDnsZones/${ZONE.replace(/\./g, "\\.")}$`));
  const records = () => cli.json("network", "private-dns", "record-set", "a", "list", ...G, "-z", ZONE, "--query", "sort([].name)");
  assert.deepEqual(await records(), ["netreg1", "netreg1.westeurope.data"]);

  assert.equal(await cli.ok("network", "private-endpoint", "dns-zone-group", "delete", ...zg, "-n", "default", "--yes"), "");
  assert.deepEqual(await cli.json("network", "private-endpoint", "dns-zone-group", "list", ...zg), []);
  await missing("network", "private-endpoint", "dns-zone-group", "show", ...zg, "-n", "default");
  assert.deepEqual(await records(), [], "the zone group's records are removed with it");
});
