// The regional DNS trap with real clients on lab hosts (root, as CI runs it): one Premium registry
// with a private endpoint in a westeurope hub and one in a northeurope hub, the hubs not peered,
// public network access off. One shared `privatelink.cove.test` zone is linked to both hubs:
//   1. region 1's zone group alone: the westeurope host pushes and pulls with skopeo;
//   2. region 2's zone group written into the same zone (`--what-if` warned first) overwrites the
//      login server's record: the westeurope host now resolves the northeurope endpoint, which it
//      has no route to, and its pull fails; `cove acr preflight --host` there names DNS_WRONG_ADDRESS
//      with the record's history, and the report flags the zone;
//   3. the pattern, one zone per region: a second zone in the northeurope resource group linked
//      only to its hub, region 1's group writing the shared zone again, region 2's group moved to its
//      own zone: both hosts pull, each through its own region's endpoint.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runCove, type CliRun } from "../cli/real-cli.js";
import { isRoot, startLab, type TestLab } from "./support.js";

const run = promisify(execFile);
const REG = "trapreg";
const LOGIN = `${REG}.cove.test`;
const ZONE = "privatelink.cove.test";
const TIMEOUT_S = 5;

let lab: TestLab;
let work: string;
let creds: string;
let layout: string;
let digest: string;
const ip: Record<"weu" | "neu", string> = { weu: "", neu: "" };
let sub: string;

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does): they create network namespaces");
  lab = await startLab();
  work = await mkdtemp(join(tmpdir(), "cove-dns-trap-"));
  const c = (...a: string[]) => lab.ok(...a, "-o", "none");
  await c("group", "create", "-n", "rg-weu", "-l", "westeurope");
  await c("group", "create", "-n", "rg-neu", "-l", "northeurope");
  await c("acr", "create", "-g", "rg-weu", "-n", REG, "--sku", "Premium");
  const registryId = (await lab.ok("acr", "show", "-n", REG, "--query", "id", "-o", "tsv")).trim();
  sub = registryId.split("/")[2]!;
  await c("network", "vnet", "create", "-g", "rg-weu", "-n", "hub-weu", "--address-prefixes", "198.18.0.0/20", "--subnet-name", "endpoints", "--subnet-prefixes", "198.18.1.0/24");
  await c("network", "vnet", "create", "-g", "rg-neu", "-n", "hub-neu", "--address-prefixes", "198.18.16.0/20", "--subnet-name", "endpoints", "--subnet-prefixes", "198.18.17.0/24");
  for (const [g, r] of [["rg-weu", "weu"], ["rg-neu", "neu"]] as const) {
    const pe = await lab.json("network", "private-endpoint", "create", "-g", g, "-n", `pe-${r}`, "--vnet-name", `hub-${r}`, "--subnet", "endpoints",
      "--private-connection-resource-id", registryId, "--group-id", "registry", "--connection-name", `${r}-conn`);
    ip[r] = pe.customDnsConfigs.find((x: any) => x.fqdn === LOGIN).ipAddresses[0];
  }
  await c("network", "private-dns", "zone", "create", "-g", "rg-weu", "-n", ZONE);
  await c("network", "private-dns", "link", "vnet", "create", "-g", "rg-weu", "-z", ZONE, "-n", "hub-weu-link", "-v", vnetId("rg-weu", "hub-weu"), "-e", "false");
  await c("network", "private-dns", "link", "vnet", "create", "-g", "rg-weu", "-z", ZONE, "-n", "hub-neu-link", "-v", vnetId("rg-neu", "hub-neu"), "-e", "false");
  await c("network", "private-endpoint", "dns-zone-group", "create", "-g", "rg-weu", "--endpoint-name", "pe-weu", "-n", "default", "--private-dns-zone", ZONE, "--zone-name", "registry");
  await c("acr", "update", "-n", REG, "--public-network-enabled", "false");
  const sp = await lab.json("ad", "sp", "create-for-rbac", "-n", "trap-pusher", "--role", "AcrPush", "--scopes", registryId);
  creds = `${sp.appId}:${sp.password}`;
  await lab.up([{ name: "weu", subnet: "hub-weu/endpoints" }, { name: "neu", subnet: "hub-neu/endpoints" }]);
  await mkdir(join(work, "certs"));
  await copyFile(lab.caPath, join(work, "certs", "ca.crt"));
  layout = join(work, "image");
  digest = (await run(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "64", "16"])).stdout.trim();
});

after(async () => {
  const left = await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  assert.deepEqual(left, [], "the lab left nothing behind");
});

function vnetId(group: string, name: string): string {
  return `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.Network/virtualNetworks/${name}`;
}
const zoneId = (group: string) => `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.Network/privateDnsZones/${ZONE}`;

const onHost = (host: string, cmd: string[], timeoutMs = 60_000): Promise<CliRun> => runCove(["lab", "exec", host, "--", ...cmd], lab.env, timeoutMs);
const skopeo = (host: string, args: string[]) => onHost(host, ["skopeo", "--command-timeout", `${TIMEOUT_S}s`, ...args]);
const ref = `docker://${LOGIN}/apps/web:v1`;
const push = (host: string) => skopeo(host, ["copy", "--dest-cert-dir", join(work, "certs"), "--dest-creds", creds, `oci:${layout}:v1`, ref]);
let pulls = 0;
async function pull(host: string): Promise<CliRun & { digest?: string }> {
  const into = join(work, `pulled-${host}-${++pulls}`);
  const r = await skopeo(host, ["copy", "--src-cert-dir", join(work, "certs"), "--src-creds", creds, ref, `oci:${into}:v1`]);
  if (r.code !== 0) return r;
  return { ...r, digest: JSON.parse(await readFile(join(into, "index.json"), "utf8")).manifests[0].digest };
}
/** Runs a client while watching the host's sockets for a SYN to `dst`:443 nobody answers (as clients-support.ts). */
async function withSynWatch<T>(host: string, dst: string, client: () => Promise<T>): Promise<T & { synSent: boolean }> {
  let synSent = false;
  let done = false;
  const watch = (async () => {
    while (!done && !synSent) {
      const r = await run("ip", ["netns", "exec", `cove-${host}`, "ss", "-Htn", "state", "syn-sent", "dst", `${dst}:443`]).catch(() => ({ stdout: "" }));
      if (r.stdout.trim()) synSent = true;
      else await new Promise((w) => setTimeout(w, 100));
    }
  })();
  const r = await client();
  done = true;
  await watch;
  return { ...r, synSent };
}
const resolves = async (host: string) => (await onHost(host, ["getent", "hosts", LOGIN])).stdout.split(/\s+/)[0];
const dnsZoneGroup = (group: string, endpoint: string, zone: string, ...extra: string[]) =>
  lab.run("network", "private-endpoint", "dns-zone-group", "create", "-g", group, "--endpoint-name", endpoint, "-n", "default", "--private-dns-zone", zone, "--zone-name", "registry", ...extra);

test("region 1's zone group alone: the westeurope hub resolves its own endpoint, pushes and pulls with skopeo", async () => {
  assert.equal(await resolves("weu"), ip.weu);
  const up = await push("weu");
  assert.equal(up.code, 0, up.stderr);
  const down = await pull("weu");
  assert.equal(down.code, 0, down.stderr);
  assert.equal(down.digest, digest);
});

test("region 2's zone group in the same zone: --what-if warns first; written, it overwrites the record and the westeurope hub's pull fails; preflight there names DNS_WRONG_ADDRESS with the history", async () => {
  const warned = await dnsZoneGroup("rg-neu", "pe-neu", zoneId("rg-weu"), "--what-if");
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, new RegExp(`^WARNING: overwrites record set ${REG} of zone ${ZONE.replace(/\./g, "\\.")} \\(${ip.weu}, written by private endpoint pe-weu's zone group\\) with ${ip.neu}$`, "m"));
  assert.match(warned.stderr, /^WARNING: subnet hub-weu\/endpoints would lose its private path to trapreg \(then: DNS_WRONG_ADDRESS\)$/m);
  assert.equal(await resolves("weu"), ip.weu, "--what-if wrote nothing");

  const written = await dnsZoneGroup("rg-neu", "pe-neu", zoneId("rg-weu"));
  assert.equal(written.code, 0, written.stderr);
  assert.equal(await resolves("weu"), ip.neu, "the shared record now answers region 2's endpoint");
  const down = await withSynWatch("weu", ip.neu, () => pull("weu"));
  assert.equal(down.code, 1, "the westeurope hub has no route to the northeurope endpoint");
  // Go reports the dial's i/o timeout or the request's deadline, whichever it sees first (clients-skopeo.test.ts).
  assert.match(down.stderr, /pinging container registry trapreg\.cove\.test: Get \\?"https:\/\/trapreg\.cove\.test\/v2\/\\?": (dial tcp 198\.18\.17\.\d+:443: i\/o timeout|context deadline exceeded)/, down.stderr);
  assert.ok(down.synSent, "its SYN to the northeurope endpoint was never answered");

  const pf = await runCove(["acr", "preflight", "-n", REG, "--host", "weu", "--json"], lab.env, 120_000);
  const r = JSON.parse(pf.stdout);
  assert.equal(r.cause, "DNS_WRONG_ADDRESS", pf.stdout + pf.stderr);
  assert.deepEqual([r.evidence.answered, r.evidence.expected, r.evidence.record], [ip.neu, ip.weu, REG]);
  const [last, first] = r.recordHistory.changes;
  assert.deepEqual([last.writer.endpoint, last.writer.location, last.addresses], ["pe-neu", "northeurope", [ip.neu]]);
  assert.deepEqual([first.writer.endpoint, first.writer.location, first.addresses], ["pe-weu", "westeurope", [ip.weu]]);
  assert.match(r.evidence.history, new RegExp(`written by zone group default of endpoint pe-neu \\(northeurope\\) at \\S+ \\(${ip.neu.replace(/\./g, "\\.")}\\), overwriting zone group default of endpoint pe-weu \\(westeurope\\)'s ${ip.weu.replace(/\./g, "\\.")} written at `));

  const report = await lab.run("acr", "network-report", "-n", REG);
  assert.match(report.stderr, /^WARNING: Zone privatelink\.cove\.test \(resource group rg-weu\) answers trapreg with .* private endpoint pe-neu in VNet hub-neu \(northeurope\), which the linked VNet hub-weu cannot reach/m);
});

test("one zone per region: each hub's zone answers its own endpoint, both hubs pull, and the report flags nothing", async () => {
  const c = (...a: string[]) => lab.ok(...a, "-o", "none");
  // A VNet links to one zone of a name (Azure's BadRequest otherwise): the shared zone's link goes first.
  await c("network", "private-dns", "link", "vnet", "delete", "-g", "rg-weu", "-z", ZONE, "-n", "hub-neu-link", "--yes");
  await c("network", "private-dns", "zone", "create", "-g", "rg-neu", "-n", ZONE);
  await c("network", "private-dns", "link", "vnet", "create", "-g", "rg-neu", "-z", ZONE, "-n", "hub-neu-link", "-v", vnetId("rg-neu", "hub-neu"), "-e", "false");
  // Region 1's group writes the shared zone again (its records back), region 2's moves to its own zone.
  assert.equal((await dnsZoneGroup("rg-weu", "pe-weu", zoneId("rg-weu"))).code, 0);
  const moved = await dnsZoneGroup("rg-neu", "pe-neu", zoneId("rg-neu"));
  assert.equal(moved.code, 0, moved.stderr);
  assert.equal(await resolves("weu"), ip.weu);
  assert.equal(await resolves("neu"), ip.neu);
  for (const host of ["weu", "neu"]) {
    const down = await pull(host);
    assert.equal(down.code, 0, `${host}: ${down.stderr}`);
    assert.equal(down.digest, digest);
  }
  const report = await lab.run("acr", "network-report", "-n", REG);
  assert.equal(report.code, 0, report.stderr);
  assert.doesNotMatch(report.stderr, /answers trapreg/);
  const rows = JSON.parse(report.stdout);
  for (const r of ["weu", "neu"]) assert.equal(rows.find((x: any) => x.vnet === `hub-${r}`).path, `private:pe-${r} (${ip[r as "weu" | "neu"]})`);
});
