// `cove acr network-report` with the real `cove` binary against a real Cove holding the landing zone
// of network-report-zone.ts: the table against golden files, the JSON rows, the picture, bad input,
// the server's networkReport endpoint (the same rows from the stored records, authorised as a
// registry read), and the matrix against the wire: for every row, `dig -b <address>` asks Cove's
// DNS from the row's address and `curl --interface <address>` calls /v2/ at the answered address.
//
// Golden files: test/toolkit/golden/. After an intended change of the output, run this file with
// COVE_UPDATE_GOLDEN=1 to rewrite them, and review the diff.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EXIT_ERROR, EXIT_NOT_FOUND, EXIT_USAGE } from "../../src/cli/exit-codes.js";
import { realCli, runCove, type RealCli } from "../cli/real-cli.js";
import { ROLE, assignRole, createServicePrincipal, credentialFor, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { buildReportZone, type ReportZone } from "./network-report-zone.js";
import { byClass, parseXml, titleOf } from "./svg-xml.js";

const exec = promisify(execFile);
const GOLDEN = new URL("../../../test/toolkit/golden/", import.meta.url);

let cli: RealCli;
let zone: ReportZone;
let work: string;

before(async () => {
  cli = await realCli();
  zone = await buildReportZone(cli.cove);
  work = await mkdtemp(join(tmpdir(), "cove-network-report-"));
});
after(async () => {
  await cli?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The output with what differs between runs (the generated subscription id, the free registry port) masked. */
const mask = (s: string) => s.replaceAll(cli.cove.credentials.subscriptionId, "<subscription>").replaceAll(`:${cli.cove.registryPort}`, ":<port>");

async function golden(name: string, actual: string): Promise<void> {
  const file = new URL(name, GOLDEN);
  if (process.env.COVE_UPDATE_GOLDEN === "1") {
    await writeFile(file, actual);
    return;
  }
  const expected = await readFile(file, "utf8");
  assert.equal(actual, expected, `the output drifted from test/toolkit/golden/${name}; if intended, rerun with COVE_UPDATE_GOLDEN=1 and review the diff`);
}

const rowKey = (r: any) => `${r.vnet}/${r.subnet}`;

test("-o table: the columns an operator reads, as the golden files hold them", async () => {
  for (const name of ["reportacr", "fwacr"]) {
    const out = await cli.ok("acr", "network-report", "-n", name, "-o", "table");
    assert.match(out.split("\n")[0]!, /^VNet\s+Subnet\s+Address\s+DNS\s+Data DNS\s+Path\s+Decision\s+Reason\s+Pull\s+Push$/);
    await golden(`network-report-${name}.txt`, mask(out));
  }
});

test("-o json (the default): one object per row, every subnet then the internet, with the verdict and who can pull or push", async () => {
  const rows: any[] = await cli.json("acr", "network-report", "-n", "reportacr", "-g", "acr-rg");
  for (const r of rows) for (const k of ["vnet", "subnet", "address", "dns", "path", "decision", "reason"]) assert.equal(typeof r[k], "string", `${rowKey(r)}.${k}`);
  const verdicts = Object.fromEntries(rows.map((r) => [rowKey(r), `${r.decision} ${r.reason} ${r.path}`]));
  assert.deepEqual(verdicts, {
    "aks-vnet/nodes": "deny NO_ROUTE private:pe-hub (127.16.1.4)",
    "build-vnet/agents": "allow ok private:pe-hub (127.16.1.4)",
    "ci-vnet/runners": "deny ENDPOINT_PENDING private:pe-ci (127.20.1.4)",
    "hub-vnet/apps": "allow ok private:pe-hub (127.16.1.4)",
    "hub-vnet/pe-subnet": "allow ok private:pe-hub (127.16.1.4)",
    "office-vnet/desks": "deny PUBLIC_ACCESS_DISABLED public",
    "spoke-vnet/lonely": "deny DNS_PUBLIC_ANSWER none",
    "internet/-": "deny PUBLIC_ACCESS_DISABLED public",
  });
  assert.equal(rows.at(-1).vnet, "internet", "the internet row comes last");
  const build = rows.find((r) => r.vnet === "build-vnet");
  assert.equal(build.dns, "127.16.1.4");
  assert.equal(build.dataDns, "127.16.1.5");
  assert.ok(build.pull.includes("build-agent") && build.pull.includes("release-bot"), `pull: ${build.pull}`);
  assert.ok(build.push.includes("release-bot") && !build.push.includes("build-agent"), `push: ${build.push}`);
  for (const r of rows.filter((x) => x.decision === "deny")) {
    assert.deepEqual([r.pull, r.push], [[], []], `${rowKey(r)}: nobody uses a right from where the path is closed`);
    assert.ok(r.fix.length > 0 && r.fix.every((f: any) => f.cove.startsWith("cove ") && !f.cove.includes("...")), `${rowKey(r)} has a runnable fix`);
  }
  const aks = rows.find((r) => r.vnet === "aks-vnet");
  assert.match(aks.fix[0].cove, /^cove network vnet peering create -g net-rg -n aks-vnet-to-hub-vnet --vnet-name aks-vnet /);
  // --query applies to the rows, as to every command's output.
  assert.deepEqual(await cli.json("acr", "network-report", "-n", "reportacr", "--query", "[?decision=='allow'].subnet"), ["agents", "apps", "pe-subnet"]);
});

test("bad input: an unknown registry or group is exit 3 with one clear line; no -n is a usage error", async () => {
  for (const args of [["-n", "nosuchacr"], ["-n", "reportacr", "-g", "net-rg"]]) {
    const r = await cli.run("acr", "network-report", ...args);
    assert.equal(r.code, EXIT_NOT_FOUND, r.stderr);
    assert.match(r.stderr, /^ERROR: The resource with name '\w+' and type 'Microsoft\.ContainerRegistry\/registries' could not be found in (subscription|resource group) '[^']+'\.\n$/);
    assert.equal(r.stdout, "");
  }
  const missing = await cli.run("acr", "network-report");
  assert.equal(missing.code, EXIT_USAGE, missing.stderr);
  const unwritable = await cli.run("acr", "network-report", "-n", "reportacr", "--svg", join(work, "no", "such", "dir", "x.svg"));
  assert.equal(unwritable.code, EXIT_ERROR);
  assert.match(unwritable.stderr, /(^|\n)ERROR: Cannot write the picture to '.*x\.svg': ENOENT\n$/);
  // The zone linked to aks-vnet (peered from the hub only) answers the hub's endpoint: the report flags it, with the peering that fixes it.
  assert.match(unwritable.stderr, /^WARNING: Zone privatelink\.cove\.test \(resource group net-rg\) answers reportacr with 127\.16\.1\.4, private endpoint pe-hub in VNet hub-vnet \(westeurope\), which the linked VNet aks-vnet cannot reach .* Peer aks-vnet with hub-vnet both ways, or link the zone only to VNets that reach the endpoint\.$/m);
});

test("--svg: well-formed XML with one element per VNet, endpoint and zone link, each subnet coloured by its row", async () => {
  const file = join(work, "reportacr.svg");
  const rows: any[] = await cli.json("acr", "network-report", "-n", "reportacr", "--svg", file);
  const root = parseXml(await readFile(file, "utf8"));
  const ids = (cls: string) => byClass(root, cls).map((e) => e.attrs["data-id"]!.toLowerCase()).sort();
  assert.deepEqual(ids("vnet"), zone.vnets.map((v) => v.toLowerCase()).sort());
  assert.deepEqual(ids("endpoint"), zone.endpoints.map((v) => v.toLowerCase()).sort());
  assert.deepEqual(ids("link"), zone.links.map((v) => v.toLowerCase()).sort());
  assert.equal(byClass(root, "two-sided").length, 2, "hub-build and hub-spoke");
  assert.equal(byClass(root, "one-sided").length, 1, "hub -> aks");
  const states = Object.fromEntries(byClass(root, "endpoint").map((e) => [e.attrs["data-id"]!.split("/").pop(), e.attrs["data-state"]]));
  assert.deepEqual(states, { "pe-hub": "Approved", "pe-old": "Rejected", "pe-ci": "Pending" });
  for (const r of rows.filter((x) => x.subnetId)) {
    const g = byClass(root, "subnet").find((s) => s.attrs["data-id"] === r.subnetId)!;
    assert.equal(g.attrs["data-decision"], r.decision, rowKey(r));
    if (r.decision === "deny") assert.ok(titleOf(g)!.includes(r.reason), `${rowKey(r)}: ${titleOf(g)}`);
  }
});

async function endpoint(registryId: string, token: string, query = "") {
  return https(`${cli.cove.managementUrl}${registryId}/networkReport?api-version=2025-11-01${query}`, { ca: cli.cove.ca, headers: { authorization: `Bearer ${token}` } });
}

test("GET .../networkReport: the rows the CLI prints, from the stored records; ?format=svg the same picture", async () => {
  const owner = await managementToken(cli.cove);
  for (const name of ["reportacr", "fwacr"]) {
    const id = name === "reportacr" ? zone.registry.report : zone.registry.fw;
    const r = await endpoint(id, owner);
    assert.equal(r.status, 200, r.body.toString());
    const body = r.json();
    assert.deepEqual(body.rows, await cli.json("acr", "network-report", "-n", name, "--svg", join(work, `${name}.svg`)), `${name}: one model, two sources of facts`);
    assert.equal(body.registry.name, name);
    assert.deepEqual(body.counts, { vnets: 6, subnets: 7, endpoints: 3, allow: body.rows.filter((x: any) => x.decision === "allow").length, deny: body.rows.filter((x: any) => x.decision === "deny").length });
    const svg = await endpoint(id, owner, "&format=svg");
    assert.equal(svg.status, 200);
    assert.match(String(svg.headers["content-type"]), /^image\/svg\+xml/);
    assert.equal(svg.body.toString(), await readFile(join(work, `${name}.svg`), "utf8"));
  }
  const bad = await endpoint(zone.registry.report, owner, "&format=png");
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.code, "InvalidParameter");
  const missing = await endpoint(zone.registry.report.replace(/reportacr$/, "nosuchacr"), owner);
  assert.equal(missing.status, 404);
  assert.equal(missing.json().error.code, "ResourceNotFound");
});

test("networkReport is a registry read: a Reader gets what the CLI shows it; a principal without read gets 403 AuthorizationFailed", async () => {
  const readerToken = (await credentialFor(cli.cove, zone.reader.appId, zone.reader.password).getToken(`${cli.cove.managementUrl}/.default`)).token;
  const r = await endpoint(zone.registry.report, readerToken);
  assert.equal(r.status, 200, r.body.toString());
  // The same principal through the CLI: it may read every resource but not the directory, on both sides.
  const dir = await mkdtemp(join(work, "reader-"));
  const env = { PATH: process.env.PATH, HOME: dir, COVE_CONFIG_DIR: dir };
  const c = cli.cove.credentials;
  const login = await runCove(["login", "--service-principal", "-u", zone.reader.appId, "-p", zone.reader.password, "--tenant", c.tenantId, "--management-endpoint", c.managementEndpoint, "--ca-cert", c.caCertPath], env);
  assert.equal(login.code, 0, login.stderr);
  const viaCli = await runCove(["acr", "network-report", "-n", "reportacr"], env);
  assert.equal(viaCli.code, 0, viaCli.stderr);
  assert.deepEqual(r.json().rows, JSON.parse(viaCli.stdout));

  // Reader on the registry alone: the report holds no network that principal could not list itself.
  const scoped = await createServicePrincipal(cli.cove, "registry-reader");
  await assignRole(cli.cove, zone.registry.report, scoped.objectId, ROLE.Reader);
  const scopedToken = (await credentialFor(cli.cove, scoped.appId, scoped.password).getToken(`${cli.cove.managementUrl}/.default`)).token;
  const narrow = await endpoint(zone.registry.report, scopedToken);
  assert.equal(narrow.status, 200, narrow.body.toString());
  assert.deepEqual(narrow.json().rows.map(rowKey), ["internet/-"]);
  assert.deepEqual(narrow.json().counts, { vnets: 0, subnets: 0, endpoints: 0, allow: 0, deny: 1 });

  const strangerToken = (await credentialFor(cli.cove, zone.nobody.appId, zone.nobody.password).getToken(`${cli.cove.managementUrl}/.default`)).token;
  const denied = await endpoint(zone.registry.report, strangerToken);
  assert.equal(denied.status, 403);
  assert.equal(denied.json().error.code, "AuthorizationFailed");
  assert.match(denied.json().error.message, /Microsoft\.ContainerRegistry\/registries\/read/);
});

// ---- the matrix against the wire ----

async function dig(source: string, name: string): Promise<{ status: string; ips: string[] }> {
  const [host, port] = cli.cove.credentials.dnsAddress.split(":") as [string, string];
  const { stdout } = await exec("dig", ["+tries=1", "+time=3", "-b", source, "-p", port, `@${host}`, name, "A"]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? "no answer";
  const ips = [...stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!);
  return { status, ips };
}

/** GET /v2/ at `ip` from `source`, the TLS name being the login server: the HTTP status, or 0 when no answer came. */
async function v2(source: string, host: string, port: number, ip: string): Promise<number> {
  const args = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", source, "--max-time", "4", "--cacert", cli.cove.credentials.caCertPath,
    "--resolve", `${host}:${port}:${ip}`, `https://${host}:${port}/v2/`];
  try {
    return Number((await exec("curl", args)).stdout);
  } catch (e) {
    return Number((e as { stdout?: string }).stdout ?? 0) || 0;
  }
}

/** The row's DNS text as the live answer must read. */
function liveText(a: { status: string; ips: string[] }): string {
  if (a.ips.length) return a.ips.map((ip) => (ip === "127.0.0.1" ? "public endpoint" : ip)).join(", ");
  return a.status;
}

test("the matrix says what the wire does: from each row's address, Cove's DNS answers what the row says and /v2/ answers 401 exactly on allow rows", async () => {
  const port = cli.cove.registryPort;
  for (const name of ["reportacr", "fwacr"]) {
    const rows: any[] = await cli.json("acr", "network-report", "-n", name);
    const host = `${name}.${cli.cove.suffix}`;
    for (const r of rows) {
      // 203.0.113.10 (TEST-NET-3) cannot be bound here: the internet row is checked from a loopback address in no VNet and no IP rule.
      const source = r.vnetId === null ? "127.250.0.10" : r.address;
      const answer = await dig(source, host);
      assert.equal(liveText(answer), r.dns, `${name} ${rowKey(r)}: DNS from ${source}`);
      if (r.dataDns !== null) assert.equal(liveText(await dig(source, `${name}.westeurope.data.${cli.cove.suffix}`)), r.dataDns, `${name} ${rowKey(r)}: data endpoint DNS`);
      const status = answer.ips.length ? await v2(source, host, port, answer.ips[0]!) : 0;
      if (r.decision === "allow") assert.equal(status, 401, `${name} ${rowKey(r)}: allow, the registry's challenge`);
      else assert.notEqual(status, 401, `${name} ${rowKey(r)}: deny (${r.reason}), yet /v2/ answered 401`);
    }
  }
});
