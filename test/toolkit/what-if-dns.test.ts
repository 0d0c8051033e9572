// --what-if on the DNS side's destructive commands (issue 9 section 5), the real `cove` against a
// real Cove (what-if-zone.ts: hub and two spokes, two registries sharing one privatelink zone). For
// each command: --what-if changes nothing (the resource is still there, and a client in the subnet
// still resolves the endpoint with the real dig from its own address) and names exactly the rows it
// would cut; the same command without it warns with the same rows and the change happens; a change
// that cuts nothing prints no warning. The tests run in order: each restores what it broke.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EXIT_NOT_FOUND, EXIT_USAGE } from "../../src/cli/exit-codes.js";
import { G, REGISTRIES, SUBNETS, allSubnets, cuts, landingZone, warned, whatIf, type Zone } from "./what-if-zone.js";

let z: Zone;
let alphaIp: string;
let betaIp: string;
const AKS = SUBNETS["spoke/aks"]!;

before(async () => {
  z = await landingZone();
  alphaIp = await z.endpointIp("pe-alpha", "lzalpha");
  betaIp = await z.endpointIp("pe-beta", "lzbeta");
  for (const source of Object.values(SUBNETS)) {
    assert.deepEqual(await z.resolve(source, "lzalpha"), [alphaIp], `the landing zone resolves privately from ${source}`);
    assert.deepEqual(await z.resolve(source, "lzbeta"), [betaIp]);
  }
});
after(async () => { await z?.cli.close(); });

const dnsCmd = (...args: string[]) => ["network", "private-dns", ...args, ...G];
const noWarnings = (stderr: string) => assert.doesNotMatch(stderr, /WARNING/, stderr);

test("zone delete --what-if on the shared zone lists every VNet/registry pair it breaks; the delete is refused while links exist and warns about nothing", async () => {
  const r = await whatIf(z.cli, ...dnsCmd("zone", "delete", "-n", z.zone));
  assert.deepEqual(cuts(r), [...allSubnets("lzalpha", "DNS_PUBLIC_ANSWER"), ...allSubnets("lzbeta", "DNS_PUBLIC_ANSWER")].sort());
  assert.equal(r.cutOff, 8);
  assert.deepEqual(r.registries.map((x: any) => x.name).sort(), [...REGISTRIES]);
  assert.match(r.notes.join("\n"), /CannotDeleteResource.*3 link\(s\) first \(hub-link, spoke-link, spoke2-link\)/);

  const table = await z.cli.run(...dnsCmd("zone", "delete", "-n", z.zone), "--what-if", "-o", "table");
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^Registry\s+VNet\s+Subnet\s+Before\s+After\s+Now\s+Path$/);
  assert.equal(lines.length, 2 + 8, table.stdout);
  assert.match(table.stdout, new RegExp(`^lzbeta\\s+spoke2\\s+app\\s+allow\\s+deny\\s+DNS_PUBLIC_ANSWER\\s+private:pe-beta \\(${betaIp.replace(/\./g, "\\.")}\\) -> none$`, "m"));
  assert.match(table.stderr, /^WARNING: the service refuses to delete a zone that has virtual network links/m, "the refusal is said on stderr too");

  assert.equal((await z.cli.json(...dnsCmd("zone", "show", "-n", z.zone))).numberOfVirtualNetworkLinks, 3);
  assert.deepEqual(await z.resolve(AKS, "lzbeta"), [betaIp]);

  const refused = await z.cli.run(...dnsCmd("zone", "delete", "-n", z.zone, "--yes"));
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /^ERROR: \(CannotDeleteResource\)/m);
  noWarnings(refused.stderr);
  assert.equal((await z.cli.json(...dnsCmd("zone", "show", "-n", z.zone))).name, z.zone);
});

test("link vnet delete: --what-if names the spoke's rows of both registries and keeps the link; the delete warns the same and the spoke resolves publicly", async () => {
  const link = ["link", "vnet", "delete", "-z", z.zone, "-n", "spoke2-link"];
  const want = ["lzalpha spoke2/app DNS_PUBLIC_ANSWER", "lzbeta spoke2/app DNS_PUBLIC_ANSWER"];
  assert.deepEqual(cuts(await whatIf(z.cli, ...dnsCmd(...link))), want);
  assert.match((await z.cli.json(...dnsCmd("link", "vnet", "show", "-z", z.zone, "-n", "spoke2-link"))).virtualNetwork.id, /\/spoke2$/);
  assert.deepEqual(await z.resolve(SUBNETS["spoke2/app"]!, "lzalpha"), [alphaIp]);

  const done = await z.cli.run(...dnsCmd(...link, "--yes"));
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, "");
  assert.deepEqual(warned(done), want);
  assert.equal((await z.cli.run(...dnsCmd("link", "vnet", "show", "-z", z.zone, "-n", "spoke2-link"))).code, EXIT_NOT_FOUND);
  assert.notDeepEqual(await z.resolve(SUBNETS["spoke2/app"]!, "lzalpha"), [alphaIp], "spoke2 no longer sees the zone");
  assert.deepEqual(await z.resolve(AKS, "lzalpha"), [alphaIp], "the other spoke is untouched");
  await z.link("spoke2-link");
});

test("record-set a remove-record: removing the last address deletes the set, so every subnet of that registry is cut, and no other registry's", async () => {
  const remove = ["record-set", "a", "remove-record", "-z", z.zone, "-n", "lzalpha", "-a", alphaIp];
  const r = await whatIf(z.cli, ...dnsCmd(...remove));
  assert.deepEqual(cuts(r), allSubnets("lzalpha", "DNS_NXDOMAIN"));
  assert.deepEqual(r.registries.map((x: any) => x.name), ["lzalpha"]);
  assert.match(r.notes.join("\n"), /last address/);
  // Kept empty, the set answers no address: the same subnets are cut, the set is not said to go.
  const kept = await whatIf(z.cli, ...dnsCmd(...remove, "--keep-empty-record-set"));
  assert.equal(kept.cutOff, 4);
  assert.deepEqual(kept.notes, []);
  assert.deepEqual(await z.cli.json(...dnsCmd("record-set", "a", "show", "-z", z.zone, "-n", "lzalpha", "--query", "aRecords[].ipv4Address")), [alphaIp]);
  assert.deepEqual(await z.resolve(AKS, "lzalpha"), [alphaIp]);

  const done = await z.cli.run(...dnsCmd(...remove));
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(warned(done), allSubnets("lzalpha", "DNS_NXDOMAIN"));
  assert.equal((await z.cli.run(...dnsCmd("record-set", "a", "show", "-z", z.zone, "-n", "lzalpha"))).code, EXIT_NOT_FOUND);
  assert.equal(await z.resolve(AKS, "lzalpha"), "NXDOMAIN");
  assert.deepEqual(await z.resolve(AKS, "lzbeta"), [betaIp]);

  // A set no registry's name lives in: removing its address cuts nothing and says nothing.
  await z.cli.ok(...dnsCmd("record-set", "a", "add-record", "-z", z.zone, "-n", "unused", "-a", "127.40.1.200"));
  const quiet = await z.cli.run(...dnsCmd("record-set", "a", "remove-record", "-z", z.zone, "-n", "unused", "-a", "127.40.1.200"));
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
  assert.equal((await z.cli.run(...dnsCmd("record-set", "a", "show", "-z", z.zone, "-n", "unused"))).code, EXIT_NOT_FOUND);

  await z.zoneGroup("pe-alpha"); // the zone group writes its records again
  assert.deepEqual(await z.resolve(AKS, "lzalpha"), [alphaIp]);
});

test("record-set a delete (az's verb, confirmed with --yes): the data endpoint's record goes, every subnet of that registry loses its private path", async () => {
  const del = ["record-set", "a", "delete", "-z", z.zone, "-n", "lzbeta.westeurope.data"];
  const refused = await z.cli.run(...dnsCmd(...del));
  assert.equal(refused.code, EXIT_USAGE, "without a terminal and without --yes nothing is deleted, as az");
  const r = await whatIf(z.cli, ...dnsCmd(...del));
  assert.deepEqual(cuts(r), allSubnets("lzbeta", "DNS_NO_DATA_RECORD"));
  assert.equal(r.cutOff, 4);
  assert.ok(Array.isArray(await z.resolve(AKS, "lzbeta", true)), "the data endpoint still resolves");

  const done = await z.cli.run(...dnsCmd(...del, "--yes"));
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(warned(done), allSubnets("lzbeta", "DNS_NO_DATA_RECORD"));
  assert.equal((await z.cli.run(...dnsCmd("record-set", "a", "show", "-z", z.zone, "-n", "lzbeta.westeurope.data"))).code, EXIT_NOT_FOUND);
  assert.equal(await z.resolve(AKS, "lzbeta", true), "NXDOMAIN");

  await z.cli.ok(...dnsCmd("record-set", "a", "add-record", "-z", z.zone, "-n", "unused2", "-a", "127.40.1.201"));
  const quiet = await z.cli.run(...dnsCmd("record-set", "a", "delete", "-z", z.zone, "-n", "unused2", "-y"));
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
  await z.zoneGroup("pe-beta");
  assert.ok(Array.isArray(await z.resolve(AKS, "lzbeta", true)));
});

test("dns-zone-group delete: its A records go with it, so every subnet of that registry is cut", async () => {
  const del = ["network", "private-endpoint", "dns-zone-group", "delete", "--endpoint-name", "pe-beta", ...G, "-n", "default"];
  assert.deepEqual(cuts(await whatIf(z.cli, ...del)), allSubnets("lzbeta", "DNS_NXDOMAIN"));
  assert.equal((await z.cli.json("network", "private-endpoint", "dns-zone-group", "list", "--endpoint-name", "pe-beta", ...G)).length, 1);
  assert.deepEqual(await z.resolve(AKS, "lzbeta"), [betaIp]);

  const done = await z.cli.run(...del, "--yes");
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(warned(done), allSubnets("lzbeta", "DNS_NXDOMAIN"));
  assert.deepEqual(await z.cli.json("network", "private-endpoint", "dns-zone-group", "list", "--endpoint-name", "pe-beta", ...G), []);
  assert.equal(await z.resolve(AKS, "lzbeta"), "NXDOMAIN");
  await z.zoneGroup("pe-beta");
  assert.deepEqual(await z.resolve(AKS, "lzbeta"), [betaIp]);
});

test("the second-zone-group trap: a zone group whose records another endpoint's group overwrote owns none, so deleting it cuts nothing", async () => {
  await z.createEndpoint("pe-alpha2", "lzalpha", { vnet: "spoke", subnet: "aks" });
  const alpha2Ip = await z.endpointIp("pe-alpha2", "lzalpha");
  assert.deepEqual(await z.resolve(AKS, "lzalpha"), [alpha2Ip], "the second zone group overwrote the record");

  const first = ["network", "private-endpoint", "dns-zone-group", "delete", "--endpoint-name", "pe-alpha", ...G, "-n", "default"];
  const r = await whatIf(z.cli, ...first);
  assert.deepEqual(r.registries, []);
  assert.equal(r.cutOff, 0);
  const quiet = await z.cli.run(...first, "--yes");
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
  assert.deepEqual(await z.resolve(AKS, "lzalpha"), [alpha2Ip], "the records are the second group's: they stay");

  // The second group does own them; spoke2 is not peered with spoke, so its row was denied already.
  const second = await whatIf(z.cli, "network", "private-endpoint", "dns-zone-group", "delete", "--endpoint-name", "pe-alpha2", ...G, "-n", "default");
  assert.deepEqual(cuts(second), allSubnets("lzalpha", "DNS_NXDOMAIN", ["hub/pe", "spoke/aks", "spoke/build"]));
});

test("the shared zone's cleanup for real: each link delete warns about its VNet's rows, then the unlinked zone goes quietly", async () => {
  // After the trap, lzalpha is reached through pe-alpha2 in spoke (spoke2 has no route to it).
  const steps: Array<[string, string[]]> = [
    ["hub-link", ["lzalpha hub/pe DNS_PUBLIC_ANSWER", "lzbeta hub/pe DNS_PUBLIC_ANSWER"]],
    ["spoke-link", [...allSubnets("lzalpha", "DNS_PUBLIC_ANSWER", ["spoke/aks", "spoke/build"]), ...allSubnets("lzbeta", "DNS_PUBLIC_ANSWER", ["spoke/aks", "spoke/build"])].sort()],
    ["spoke2-link", ["lzbeta spoke2/app DNS_PUBLIC_ANSWER"]],
  ];
  for (const [name, want] of steps) {
    const done = await z.cli.run(...dnsCmd("link", "vnet", "delete", "-z", z.zone, "-n", name, "--yes"));
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(warned(done), want, name);
  }
  const r = await whatIf(z.cli, ...dnsCmd("zone", "delete", "-n", z.zone));
  assert.deepEqual([r.registries, r.notes], [[], []]);
  const quiet = await z.cli.run(...dnsCmd("zone", "delete", "-n", z.zone, "--yes"));
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
  assert.equal((await z.cli.run(...dnsCmd("zone", "show", "-n", z.zone))).code, EXIT_NOT_FOUND);
});
