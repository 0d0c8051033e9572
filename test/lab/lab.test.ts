// The lab end to end, as root (CI is): the real `cove serve --lab`, the real `cove lab` commands, and
// clients nobody here wrote (dig, getent, curl) run unmodified on lab hosts. Each host must get what
// Azure gives a client in its place: the private answer and a 401 challenge in the linked, peered
// spoke; the public answer from an unlinked VNet; an i/o timeout from a linked VNet with no peering
// (no route: the discard device); 403 DENIED on the internet once public access is off; a timeout
// after the connection is rejected (its IPs lead to the discard device, as Azure carries no traffic); and an x509 name mismatch on the privatelink name. Changes made
// through the API are in the lab by the time the command that made them returns. Nothing is left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { buildLandingZone, isRoot, startLab, type TestLab } from "./support.js";

const run = promisify(execFile);
let lab: TestLab;
let registry: string;

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does): they create network namespaces");
  lab = await startLab();
  ({ registry } = await buildLandingZone(lab));
  await lab.up([{ name: "agent", subnet: "spoke/apps" }, { name: "outsider", subnet: "stranger/s1", address: "198.18.33.10" }]);
});

after(async () => {
  const left = await lab?.stop();
  assert.deepEqual(left, [], "the lab left nothing behind");
});

const login = () => `${registry}.cove.test`;
const curl = (host: string, url: string, extra: string[] = []) =>
  lab.exec(host, ["curl", "-sS", "-m", "4", "--cacert", lab.caPath, ...extra, url]);
const dig = async (host: string, name: string) => (await lab.exec(host, ["dig", "+short", name])).stdout.trim().split("\n");
const routes = async (host: string) => (await run("ip", ["-n", `cove-${host}`, "route"])).stdout;

test("status lists every host with its address and each endpoint listener on 443", async () => {
  const s = await lab.json("lab", "status");
  assert.equal(s.mode, "lab");
  const byName = Object.fromEntries(s.hosts.map((h: any) => [h.name, h]));
  assert.deepEqual(Object.keys(byName).sort(), ["agent", "internet", "outsider"]);
  assert.equal(byName.outsider.address, "198.18.33.10");
  assert.match(byName.agent.address, /^198\.18\.17\./);
  assert.equal(byName.internet.internet, true);
  assert.equal(s.listeners.length, 2);
  for (const l of s.listeners) assert.equal(l.state, "Listening", JSON.stringify(l));
  assert.equal(s.publicEndpoint, "198.19.255.254:443");
});

test("the linked, peered spoke resolves the private IP (dig and glibc) and reaches the registry on 443", async () => {
  const answer = await dig("agent", login());
  assert.equal(answer[0], `${registry}.privatelink.cove.test.`);
  assert.match(answer[1]!, /^198\.18\.1\.\d+$/);
  const getent = await lab.exec("agent", ["getent", "hosts", login()]);
  assert.equal(getent.code, 0, getent.stderr);
  assert.equal(getent.stdout.split(/\s+/)[0], answer[1]);
  const r = await curl("agent", `https://${login()}/v2/`, ["-o", "/dev/null", "-w", "%{http_code} %{remote_ip}:%{remote_port}"]);
  assert.equal(r.stdout, `401 ${answer[1]}:443`, r.stderr);
});

test("an unlinked VNet gets the public answer; the internet host too; both reach the public endpoint while access is on", async () => {
  for (const host of ["outsider", "internet"]) {
    assert.deepEqual(await dig(host, login()), [`${registry}.privatelink.cove.test.`, "198.19.255.254"]);
    const r = await curl(host, `https://${login()}/v2/`, ["-o", "/dev/null", "-w", "%{http_code}"]);
    assert.equal(r.stdout, "401", r.stderr);
  }
});

test("a linked VNet without peering resolves the private IP and has no route to it: i/o timeout; peering gives it one at once", async () => {
  await lab.ok("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-z", "privatelink.cove.test", "-n", "stranger-link", "-v", "stranger", "-e", "false", "-o", "none");
  const ip = (await dig("outsider", login()))[1]!;
  assert.match(ip, /^198\.18\.1\./);
  assert.match(await routes("outsider"), /198\.18\.1\.0\/24 dev none/);
  const t0 = Date.now();
  const r = await curl("outsider", `https://${login()}/v2/`);
  assert.equal(r.code, 28, `curl must time out (Azure's i/o timeout), got ${r.code}: ${r.stderr}`);
  assert.ok(Date.now() - t0 >= 3500);

  await lab.ok("network", "vnet", "peering", "create", "-g", "rg", "-n", "hub-stranger", "--vnet-name", "hub", "--remote-vnet", "stranger", "--allow-vnet-access", "-o", "none");
  assert.match(await routes("outsider"), /198\.18\.1\.0\/24 dev none/, "one side of a peering is no route");
  await lab.ok("network", "vnet", "peering", "create", "-g", "rg", "-n", "stranger-hub", "--vnet-name", "stranger", "--remote-vnet", "hub", "--allow-vnet-access", "-o", "none");
  // No wait: the write is answered once the lab matches it.
  assert.match(await routes("outsider"), /198\.18\.1\.0\/24 dev eth0/);
  const ok = await curl("outsider", `https://${login()}/v2/`, ["-o", "/dev/null", "-w", "%{http_code}"]);
  assert.equal(ok.stdout, "401", ok.stderr);

  await lab.ok("network", "vnet", "peering", "delete", "-g", "rg", "-n", "stranger-hub", "--vnet-name", "stranger");
  assert.match(await routes("outsider"), /198\.18\.1\.0\/24 dev none/);
  await lab.ok("network", "private-dns", "link", "vnet", "delete", "-g", "rg", "-z", "privatelink.cove.test", "-n", "stranger-link", "--yes");
  assert.equal((await dig("outsider", login()))[1], "198.19.255.254", "a deleted link gives the public answer again");
});

test("the privatelink name is not on the certificate: x509 name mismatch, as Azure", async () => {
  const r = await curl("agent", `https://${registry}.privatelink.cove.test/v2/`);
  assert.equal(r.code, 60, r.stderr);
  assert.match(r.stderr, /no alternative certificate subject name matches|does not match/);
});

test("public access off: the internet host gets 403 with Azure's DENIED text, the spoke still gets in", async () => {
  await lab.ok("acr", "update", "-n", registry, "--public-network-enabled", "false", "-o", "none");
  const r = await curl("internet", `https://${login()}/v2/`);
  assert.equal(r.code, 0, r.stderr);
  const internet = (await lab.json("lab", "status")).hosts.find((h: any) => h.name === "internet").address;
  assert.equal(r.stdout, JSON.stringify({ errors: [{ code: "DENIED", message: `client with IP '${internet}' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.` }] }));
  const agent = await curl("agent", `https://${login()}/v2/`, ["-o", "/dev/null", "-w", "%{http_code}"]);
  assert.equal(agent.stdout, "401");
});

test("a rejected connection carries no traffic: its IPs lead to the discard device while the subnet's route stays: i/o timeout", async () => {
  const conns = await lab.json("acr", "private-endpoint-connection", "list", "-r", registry, "-g", "rg");
  await lab.ok("acr", "private-endpoint-connection", "reject", "-r", registry, "-g", "rg", "-n", conns[0].name, "-o", "none");
  const table = await routes("agent");
  assert.match(table, /198\.18\.1\.0\/24 dev eth0/);
  for (const ip of (await lab.json("lab", "status")).listeners.map((l: any) => l.ipAddress)) assert.match(table, new RegExp(`${ip.replace(/\./g, "\\.")} dev none`));
  const r = await curl("agent", `https://${login()}/v2/`);
  assert.equal(r.code, 28, `${r.code} ${r.stderr}`);
});

test("a private endpoint made after lab up listens at once; deleting it removes its IPs from the lab", async () => {
  const id = (await lab.ok("acr", "show", "-n", registry, "--query", "id", "-o", "tsv")).trim();
  await lab.ok("network", "private-endpoint", "create", "-g", "rg", "-n", "pe-spoke", "--vnet-name", "spoke", "--subnet", "apps",
    "--private-connection-resource-id", id, "--group-id", "registry", "--connection-name", "spoke-conn", "-o", "none");
  const s = await lab.json("lab", "status");
  const mine = s.listeners.filter((l: any) => l.endpointId.endsWith("/pe-spoke"));
  assert.equal(mine.length, 2);
  for (const l of mine) assert.equal(l.state, "Listening");
  const r = await lab.exec("agent", ["curl", "-sS", "-m", "4", "--cacert", lab.caPath, "--resolve", `${login()}:443:${mine[0].ipAddress}`, `https://${login()}/v2/`, "-o", "/dev/null", "-w", "%{http_code}"]);
  assert.equal(r.stdout, "401", r.stderr);
  await lab.ok("network", "private-endpoint", "delete", "-g", "rg", "-n", "pe-spoke");
  const lo = (await run("ip", ["-n", "cove-lab", "addr", "show", "lo"])).stdout;
  assert.ok(!lo.includes(`${mine[0].ipAddress}/32`), lo);
});

test("lab down removes every host; the core stays with its server; lab up works again", async () => {
  const down = await lab.json("lab", "down");
  assert.deepEqual(down.removed, ["cove-agent", "cove-internet", "cove-outsider"]);
  const netns = (await run("ip", ["netns", "list"])).stdout;
  assert.deepEqual(netns.trim().split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith("cove-")), ["cove-lab"]);
  const again = await lab.up([{ name: "agent", subnet: "spoke/apps" }]);
  assert.deepEqual(again.hosts.map((h: any) => h.name).sort(), ["agent", "internet"]);
});
