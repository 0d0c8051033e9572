// Loopback mode, an endpoint IP the registry cannot listen on, and what the toolkit says of it: the
// real `cove` binary against a real `cove serve` (a child, so its log can be read). The landing zone:
//
//   azure-hub  10.20.0.0/16  pe   10.20.1.0/24  pe-ten  (tenacr): EADDRNOTAVAIL on this host
//   loop-hub   127.31.0.0/16 pe   127.31.1.0/24 pe-loop (loopacr): Listening
//   busy-hub   127.32.0.0/16 pe   127.32.1.0/24 pe-busy (busyacr): 127.32.1.4 held by this test (EADDRINUSE)
//   spoke      127.30.0.0/16 app  127.30.1.0/24 peered both ways with all three, linked to the zone
//
// Nothing is ever sent to 10.x: the 10.x rows are only modelled (network-report, preflight
// --modelled); check-health's live walk runs against the 127.x endpoints only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ClientSecretCredential } from "@azure/identity";
import { ResourceManagementClient } from "@azure/arm-resources";
import { EXIT_CHECK_FAILED } from "../../src/cli/exit-codes.js";
import { freePort, spawnCove, type SpawnedCove } from "../support/cove.js";
import { https } from "../support/http.js";
import { runCove, type CliRun } from "../cli/real-cli.js";
import { shellWords } from "./landing.js";

const exec = promisify(execFile);
const SPOKE_CLIENT = "127.30.1.254";
const ZONE = "privatelink.cove.test";

let work: string;
let cove: SpawnedCove;
let ca: string;
let rport: number;
let env: Record<string, string | undefined>;
let blocker: Server;
const ids: Record<string, string> = {};

const cli = (...args: string[]): Promise<CliRun> => runCove(args, env);
async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `cove ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}
const json = async (...args: string[]): Promise<any> => JSON.parse(await ok(...args, "-o", "json"));

function credential(): ClientSecretCredential {
  const c = cove.credentials;
  return new ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret, { authorityHost: c.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca } } as any);
}

/** The server's log lines (pino JSON) about binding `ip`, by level. */
function bindLines(ip: string): { warn: number; debug: number } {
  const lines = cove.output().split("\n").filter((l) => l.startsWith("{") && l.includes(`"address":"${ip}"`) && l.includes("EADDRNOTAVAIL"));
  const level = (n: number) => lines.filter((l) => JSON.parse(l).level === n).length;
  return { warn: level(40), debug: level(20) };
}

const warnings = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("WARNING:"));

before(async () => {
  const local = Object.values(networkInterfaces()).flat().map((a) => a?.address ?? "");
  assert.ok(!local.some((a) => a.startsWith("10.20.")), "this test needs a host without 10.20.x addresses");
  work = await mkdtemp(join(tmpdir(), "cove-report-listeners-"));
  rport = await freePort();
  // The registry port on pe-busy's IP (the subnet's first endpoint address, .4) is taken before Cove tries it.
  blocker = createServer((s) => s.destroy());
  await new Promise<void>((done, fail) => { blocker.once("error", fail); blocker.listen(rport, "127.32.1.4", done); });
  cove = await spawnCove(join(work, ".cove"), await freePort(), rport, { COVE_LOG_LEVEL: "debug" }, true);
  ca = await readFile(cove.credentials.caCertPath, "utf8");
  env = { PATH: process.env.PATH, HOME: work, COVE_CONFIG_DIR: join(work, "cli") };
  await ok("login", "--from-data-dir", join(work, ".cove"));
  await ok("group", "create", "--name", "lab", "--location", "westeurope");
  await ok("network", "private-dns", "zone", "create", "-g", "lab", "-n", ZONE);
  await ok("network", "vnet", "create", "-g", "lab", "-n", "spoke", "--address-prefixes", "127.30.0.0/16", "--subnet-name", "app", "--subnet-prefixes", "127.30.1.0/24");
  await ok("network", "private-dns", "link", "vnet", "create", "-g", "lab", "-z", ZONE, "-n", "spoke-link", "-v", "spoke", "-e", "false");
  for (const [reg, vnet, prefix, pe] of [["tenacr", "azure-hub", "10.20", "pe-ten"], ["loopacr", "loop-hub", "127.31", "pe-loop"], ["busyacr", "busy-hub", "127.32", "pe-busy"]] as const) {
    ids[reg] = JSON.parse(await ok("acr", "create", "-n", reg, "-g", "lab", "--sku", "Premium", "-o", "json")).id;
    await ok("network", "vnet", "create", "-g", "lab", "-n", vnet, "--address-prefixes", `${prefix}.0.0/16`, "--subnet-name", "pe", "--subnet-prefixes", `${prefix}.1.0/24`);
    await ok("network", "vnet", "peering", "create", "-g", "lab", "--vnet-name", "spoke", "-n", `spoke-to-${vnet}`, "--remote-vnet", vnet, "--allow-vnet-access");
    await ok("network", "vnet", "peering", "create", "-g", "lab", "--vnet-name", vnet, "-n", `${vnet}-to-spoke`, "--remote-vnet", "spoke", "--allow-vnet-access");
    await ok("network", "private-endpoint", "create", "-g", "lab", "-n", pe, "--vnet-name", vnet, "--subnet", "pe",
      "--private-connection-resource-id", ids[reg]!, "--group-id", "registry", "--connection-name", `${pe}-conn`);
    await ok("network", "private-endpoint", "dns-zone-group", "create", "-g", "lab", "--endpoint-name", pe, "-n", "default", "--private-dns-zone", ZONE, "--zone-name", "registry");
  }
});

after(async () => {
  if (cove) { cove.child.kill("SIGTERM"); await cove.waitExit(); }
  await new Promise((done) => (blocker ? blocker.close(done) : done(undefined)));
  if (work) await rm(work, { recursive: true, force: true });
});

const spokeRow = (rows: any[]) => rows.find((r) => r.vnet === "spoke" && r.subnet === "app");

test("network-report: the spoke's path to a 10.x endpoint is ENDPOINT_NOT_LISTENING with the fix, each unbindable IP a warning; a 127.x endpoint shows Listening", async () => {
  const r = await cli("acr", "network-report", "-n", "tenacr", "-o", "json");
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  const spoke = spokeRow(rows);
  assert.deepEqual([spoke.decision, spoke.reason, spoke.path, spoke.listener], ["deny", "ENDPOINT_NOT_LISTENING", "private:pe-ten (10.20.1.4)", "Failed"]);
  assert.match(spoke.summary, /tenacr\.cove\.test resolves to 10\.20\.1\.4 \(endpoint pe-ten\), but the registry cannot listen there \(.*EADDRNOTAVAIL.*\): in loopback mode .* 127\.0\.0\.0\/8 only; the connection is refused\./);
  assert.deepEqual(spoke.pull, [], "nobody uses a right where the path is closed");
  // The fix moves the endpoint into the first free loopback /16 (127.16: 127.30-32 are taken by the zone).
  assert.deepEqual(spoke.fix.map((f: any) => shellWords(f.cove).slice(0, 4).join(" ")), [
    "cove network vnet create", "cove network private-endpoint delete", "cove network private-endpoint create",
    "cove network private-endpoint dns-zone-group", "cove network vnet peering", "cove network vnet peering",
  ]);
  assert.match(spoke.fix[0].cove, /-n azure-hub-loopback --address-prefixes 127\.16\.0\.0\/16 --subnet-name pe --subnet-prefixes 127\.16\.1\.0\/24$/);
  assert.match(spoke.fix[0].az, /^az network vnet create /);
  // One warning per IP of pe-ten, with the reason and the loopback-mode prefix rule; nothing for the other registries' endpoints.
  const lines = warnings(r.stderr);
  assert.equal(lines.length, 2, r.stderr);
  for (const ip of ["10.20.1.4", "10.20.1.5"]) {
    const line = lines.find((l) => l.includes(`listen on ${ip}`));
    assert.ok(line, `a warning names ${ip}:\n${r.stderr}`);
    assert.match(line, /of private endpoint 'pe-ten': .*EADDRNOTAVAIL/);
    assert.match(line, /In loopback mode VNet prefixes must be in 127\.0\.0\.0\/8; use e\.g\. --address-prefixes 127\.16\.0\.0\/16 --subnet-prefixes 127\.16\.1\.0\/24/);
  }
  // The table an operator scans says it in the Reason column.
  const table = await ok("acr", "network-report", "-n", "tenacr", "-o", "table");
  assert.match(table, /^spoke\s+app\s+127\.30\.1\.254\s+10\.20\.1\.4\s+10\.20\.1\.5\s+private:pe-ten \(10\.20\.1\.4\)\s+deny\s+ENDPOINT_NOT_LISTENING/m);

  const loop = await cli("acr", "network-report", "-n", "loopacr", "-o", "json");
  assert.equal(loop.code, 0, loop.stderr);
  const good = spokeRow(JSON.parse(loop.stdout));
  assert.deepEqual([good.decision, good.reason, good.path, good.listener], ["allow", "ok", "private:pe-loop (127.31.1.4)", "Listening"]);
  assert.deepEqual(warnings(loop.stderr), [], loop.stderr);
});

test("GET .../networkReport: every endpoint IP with its listener, the finding and the fix on the failed ones; the rows the CLI prints", async () => {
  const token = (await credential().getToken(`${cove.credentials.managementEndpoint}/.default`)).token;
  const report = async (reg: string) => {
    const res = await https(`${cove.credentials.managementEndpoint}${ids[reg]}/networkReport?api-version=2025-11-01`, { ca, headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, res.body.toString());
    return res.json();
  };
  const ten = await report("tenacr");
  assert.deepEqual(ten.listeners.map((l: any) => [l.endpoint, l.ip, l.state]), [["pe-ten", "10.20.1.4", "Failed"], ["pe-ten", "10.20.1.5", "Failed"]]);
  assert.equal(ten.listeners[0].fqdn, "tenacr.cove.test");
  for (const l of ten.listeners) {
    assert.match(l.error, /EADDRNOTAVAIL/);
    assert.match(l.finding, /In loopback mode VNet prefixes must be in 127\.0\.0\.0\/8/);
    assert.match(l.fix[0].cove, /^cove network vnet create -g lab -n azure-hub-loopback /);
  }
  assert.deepEqual(ten.rows, await json("acr", "network-report", "-n", "tenacr"), "one model, two sources of facts");
  const svg = await https(`${cove.credentials.managementEndpoint}${ids.tenacr}/networkReport?api-version=2025-11-01&format=svg`, { ca, headers: { authorization: `Bearer ${token}` } });
  assert.match(svg.body.toString(), /pe-ten \(this registry\): connection Approved[^;]*; registry 10\.20\.1\.4 \(the registry cannot listen here\)/);
  const loop = await report("loopacr");
  assert.deepEqual(loop.listeners.map((l: any) => [l.ip, l.state, l.finding ?? null]), [["127.31.1.4", "Listening", null], ["127.31.1.5", "Listening", null]]);
});

test("preflight --modelled from the spoke names ENDPOINT_NOT_LISTENING (exit 5) without sending a packet", async () => {
  const r = await cli("acr", "preflight", "-n", "tenacr", "--from", "spoke/app", "--modelled", "--json");
  assert.equal(r.code, EXIT_CHECK_FAILED, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.cause, "ENDPOINT_NOT_LISTENING");
  assert.equal(out.evidence.answered, "10.20.1.4");
  assert.match(out.evidence.listener, /^Failed: .*EADDRNOTAVAIL/);
});

test("check-health from the spoke: the listener line after the route, Listening for pe-loop, ENDPOINT_NOT_LISTENING with the server's reason where another process holds the IP", async () => {
  const [good, busy] = await Promise.all([
    cli("acr", "check-health", "-n", "loopacr", "--source-address", SPOKE_CLIENT),
    cli("acr", "check-health", "-n", "busyacr", "--source-address", SPOKE_CLIENT, "--ignore-errors"),
  ]);
  assert.equal(good.code, 0, good.stderr);
  const lines = good.stderr.split("\n");
  const route = lines.findIndex((l) => /^WARNING: Route from spoke to pe-loop \(127\.31\.1\.4\): peered both ways with loop-hub : OK$/.test(l));
  const listener = lines.findIndex((l) => l === "WARNING: Registry listener at 127.31.1.4: Listening : OK");
  assert.ok(route >= 0 && listener === route + 1, good.stderr);

  assert.equal(busy.code, 0, busy.stderr);
  assert.match(busy.stderr, /^ERROR: \d{4}-\d\d-\d\d [\d:.]+ An error occurred: ENDPOINT_NOT_LISTENING\nbusyacr\.cove\.test resolves to 127\.32\.1\.4 \(endpoint pe-busy\), but the registry cannot listen there \(.*EADDRINUSE.*\): another process \(or listener\) holds this address and port; the registry does not answer there\.$/m);
  assert.match(busy.stderr, /^Evidence: .*listener=Failed: .*EADDRINUSE/m);
  assert.doesNotMatch(busy.stderr, /^Fix: /m, "no command fixes another process's socket");
});

test("the log says it once: 20 unrelated writes after the unbindable endpoint retry the bind each time, and add no warning", async () => {
  const before = { ten4: bindLines("10.20.1.4"), ten5: bindLines("10.20.1.5") };
  assert.equal(before.ten4.warn, 1, `one warning for 10.20.1.4 at its creation:\n${cove.output().slice(-4000)}`);
  assert.equal(before.ten5.warn, 1);
  const groups = new ResourceManagementClient(credential(), cove.credentials.subscriptionId,
    { endpoint: cove.credentials.managementEndpoint, tlsOptions: { ca }, retryOptions: { maxRetries: 0 } } as any);
  for (let i = 0; i < 20; i++) await groups.resourceGroups.createOrUpdate(`unrelated-${i % 4}`, { location: "westeurope", tags: { round: String(i) } });
  await new Promise((r) => setTimeout(r, 300)); // the child's last log lines
  for (const ip of ["10.20.1.4", "10.20.1.5"]) {
    const now = bindLines(ip);
    assert.equal(now.warn, 1, `EADDRNOTAVAIL for ${ip} is a warning once, not per change`);
    const key = ip.endsWith(".4") ? "ten4" : "ten5";
    assert.ok(now.debug - before[key].debug >= 20, `each of the 20 writes retried ${ip} (debug lines: ${before[key].debug} -> ${now.debug})`);
  }
});

test("the fix, run as printed, moves the endpoint into 127.16.0.0/16: the spoke's row turns allow, no warning is left, and the wire agrees", async () => {
  const rows = await json("acr", "network-report", "-n", "tenacr");
  for (const f of spokeRow(rows).fix) {
    const words = shellWords(f.cove);
    assert.equal(words[0], "cove");
    await ok(...words.slice(1));
  }
  const r = await cli("acr", "network-report", "-n", "tenacr", "-o", "json");
  assert.equal(r.code, 0, r.stderr);
  const spoke = spokeRow(JSON.parse(r.stdout));
  assert.deepEqual([spoke.decision, spoke.reason, spoke.path, spoke.listener], ["allow", "ok", "private:pe-ten (127.16.1.4)", "Listening"]);
  assert.deepEqual(warnings(r.stderr), [], r.stderr);
  // From the spoke's address: Cove's DNS answers the new IP, and the registry there issues its challenge.
  const [host, port] = cove.credentials.dnsAddress.split(":") as [string, string];
  const dig = await exec("dig", ["+short", "+tries=1", "+time=3", "-b", SPOKE_CLIENT, "-p", port, `@${host}`, "tenacr.cove.test", "A"]);
  assert.equal(dig.stdout.trim().split("\n").at(-1), "127.16.1.4");
  const curl = await exec("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", SPOKE_CLIENT, "--max-time", "4", "--cacert", cove.credentials.caCertPath,
    "--resolve", `tenacr.cove.test:${rport}:127.16.1.4`, `https://tenacr.cove.test:${rport}/v2/`]);
  assert.equal(curl.stdout, "401");
});
