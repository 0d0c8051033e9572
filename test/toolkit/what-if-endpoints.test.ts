// --what-if on the endpoint side's destructive commands (issue 9 section 5): private-endpoint delete,
// private-endpoint-connection reject and delete, the real `cove` against a real Cove (the landing
// zone of what-if-zone.ts). For each: --what-if changes nothing (the endpoint or connection is still
// there, in the same state) and names exactly the rows it would cut; without it the command warns
// with the same rows and the change happens; a change that cuts nothing prints no warning.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXIT_NOT_FOUND } from "../../src/cli/exit-codes.js";
import { G, SUBNETS, allSubnets, cuts, landingZone, warned, whatIf, type Zone } from "./what-if-zone.js";

let z: Zone;
const AKS = SUBNETS["spoke/aks"]!;

before(async () => { z = await landingZone(); });
after(async () => { await z?.cli.close(); });

const connectionOf = (registry: string, endpoint: string) =>
  z.cli.json<string>("acr", "private-endpoint-connection", "list", "-r", registry, "--query", `[?ends_with(privateEndpoint.id, '/${endpoint}')].name | [0]`);
const stateOf = (registry: string, name: string) =>
  z.cli.json<string>("acr", "private-endpoint-connection", "show", "-r", registry, "-n", name, "--query", "privateLinkServiceConnectionState.status");

test("private-endpoint delete: --what-if names every subnet of its registry (the zone group's records go with it) and deletes nothing; the delete warns the same", async () => {
  const alphaIp = await z.endpointIp("pe-alpha", "lzalpha");
  const del = ["network", "private-endpoint", "delete", "-n", "pe-alpha", ...G];
  const r = await whatIf(z.cli, ...del);
  assert.equal(r.change, "delete private endpoint pe-alpha");
  assert.deepEqual(cuts(r), allSubnets("lzalpha", "DNS_NXDOMAIN"));
  assert.deepEqual(r.registries.map((x: any) => x.name), ["lzalpha"], "the other registry of the shared zone keeps its rows");
  assert.equal(await z.endpointIp("pe-alpha", "lzalpha"), alphaIp, "the endpoint is still there");
  assert.deepEqual(await z.resolve(AKS, "lzalpha"), [alphaIp]);

  const done = await z.cli.run(...del);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, "");
  assert.deepEqual(warned(done), allSubnets("lzalpha", "DNS_NXDOMAIN"));
  assert.equal((await z.cli.run("network", "private-endpoint", "show", "-n", "pe-alpha", ...G)).code, EXIT_NOT_FOUND);
  assert.equal(await z.resolve(AKS, "lzalpha"), "NXDOMAIN");
  assert.equal(await connectionOf("lzalpha", "pe-alpha"), null, "its connection went with it");

  // A Pending endpoint carries no traffic: deleting it cuts nothing and says nothing.
  const pending = await whatIf(z.cli, "network", "private-endpoint", "delete", "-n", "pe-wait", ...G);
  assert.deepEqual([pending.found, pending.registries, pending.cutOff], [true, [], 0]);
  const quiet = await z.cli.run("network", "private-endpoint", "delete", "-n", "pe-wait", ...G);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");

  const gone = await whatIf(z.cli, "network", "private-endpoint", "delete", "-n", "no-such-pe", ...G);
  assert.equal(gone.found, false);
  assert.match(gone.notes.join("\n"), /does not exist, nothing would change/);

  await z.createEndpoint("pe-alpha", "lzalpha");
  assert.deepEqual(await z.resolve(AKS, "lzalpha"), [await z.endpointIp("pe-alpha", "lzalpha")]);
});

test("private-endpoint-connection reject: --what-if names every subnet (ENDPOINT_REJECTED) and leaves it Approved; reject warns the same and prints the connection; rejecting again is quiet", async () => {
  const name = await connectionOf("lzalpha", "pe-alpha");
  assert.ok(name);
  const reject = ["acr", "private-endpoint-connection", "reject", "-r", "lzalpha", "-n", name, "--description", "decommissioned"];
  assert.deepEqual(cuts(await whatIf(z.cli, ...reject)), allSubnets("lzalpha", "ENDPOINT_REJECTED"));
  const table = await z.cli.run(...reject, "--what-if", "-o", "table");
  assert.equal(table.stdout.trimEnd().split("\n").length, 2 + 4, table.stdout);
  assert.match(table.stdout, /^lzalpha\s+spoke\s+aks\s+allow\s+deny\s+ENDPOINT_REJECTED\s+private:pe-alpha \(\S+\)$/m, "the path stays: DNS still answers the endpoint, whose traffic is dropped");
  assert.equal(await stateOf("lzalpha", name), "Approved");

  const done = await z.cli.run(...reject);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(JSON.parse(done.stdout).privateLinkServiceConnectionState.status, "Rejected", "the command's own output is kept");
  assert.deepEqual(warned(done), allSubnets("lzalpha", "ENDPOINT_REJECTED"));
  assert.equal(await stateOf("lzalpha", name), "Rejected");

  // Rejecting again is a no-op for the service (the same state, domain/connection-state.ts): it cuts nothing more.
  const again = await whatIf(z.cli, ...reject);
  assert.deepEqual([again.registries, again.cutOff], [[], 0]);
  const quiet = await z.cli.run(...reject);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
});

test("private-endpoint-connection delete: --what-if names every subnet (ENDPOINT_DISCONNECTED) and keeps the connection; the delete warns the same; deleting a connection that carried nothing is quiet", async () => {
  const name = await connectionOf("lzbeta", "pe-beta");
  assert.ok(name);
  const del = ["acr", "private-endpoint-connection", "delete", "-r", "lzbeta", "-g", "rg-lz", "-n", name];
  const r = await whatIf(z.cli, ...del);
  assert.deepEqual(cuts(r), allSubnets("lzbeta", "ENDPOINT_DISCONNECTED"));
  assert.deepEqual(r.registries.map((x: any) => x.name), ["lzbeta"]);
  assert.equal(await stateOf("lzbeta", name), "Approved");

  const done = await z.cli.run(...del);
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(warned(done), allSubnets("lzbeta", "ENDPOINT_DISCONNECTED"));
  assert.equal((await z.cli.run("acr", "private-endpoint-connection", "show", "-r", "lzbeta", "-n", name)).code, EXIT_NOT_FOUND);
  assert.equal(await z.cli.json("network", "private-endpoint", "show", "-n", "pe-beta", ...G, "--query", "privateLinkServiceConnections[0].privateLinkServiceConnectionState.status"), "Disconnected");

  // lzalpha's connection was rejected by the test before: nothing goes through it any more.
  const rejected = await connectionOf("lzalpha", "pe-alpha");
  const quiet = await z.cli.run("acr", "private-endpoint-connection", "delete", "-r", "lzalpha", "-n", rejected);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
  assert.equal(await connectionOf("lzalpha", "pe-alpha"), null);
});
