// Loopback mode (the default) with an Azure-style 10.x endpoint: `cove lab status` shows the
// endpoint IPs Cove cannot bind as Failed with the bind error, and the 127.x ones as Listening;
// `cove lab up` says the server is not in lab mode. Nothing ever connects to 10.x.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { realCli, type RealCli } from "../cli/real-cli.js";

let cli: RealCli;

before(async () => {
  cli = await realCli();
  const c = (...a: string[]) => cli.ok(...a, "-o", "none");
  await c("group", "create", "-n", "rg", "-l", "eastus");
  await c("acr", "create", "-g", "rg", "-n", "loopreg", "--sku", "Premium");
  const id = (await cli.ok("acr", "show", "-n", "loopreg", "--query", "id", "-o", "tsv")).trim();
  await c("network", "vnet", "create", "-g", "rg", "-n", "azure", "--address-prefixes", "10.20.0.0/16", "--subnet-name", "pe", "--subnet-prefixes", "10.20.1.0/24");
  await c("network", "vnet", "create", "-g", "rg", "-n", "local", "--address-prefixes", "127.44.0.0/16", "--subnet-name", "pe", "--subnet-prefixes", "127.44.1.0/24");
  for (const v of ["azure", "local"]) {
    await cli.run("network", "private-endpoint", "create", "-g", "rg", "-n", `pe-${v}`, "--vnet-name", v, "--subnet", "pe",
      "--private-connection-resource-id", id, "--group-id", "registry", "--connection-name", `c-${v}`, "-o", "none");
  }
});

after(async () => { await cli?.close(); });

test("lab status in loopback mode: unbindable endpoint IPs are Failed with the reason, the others Listening", async () => {
  const s = await cli.json("lab", "status");
  assert.equal(s.mode, "loopback");
  assert.deepEqual(s.hosts, []);
  const byIp = Object.fromEntries(s.listeners.map((l: any) => [l.ipAddress, l]));
  const tens = Object.keys(byIp).filter((ip) => ip.startsWith("10.20.1."));
  const locals = Object.keys(byIp).filter((ip) => ip.startsWith("127.44.1."));
  assert.equal(tens.length, 2);
  assert.equal(locals.length, 2);
  for (const ip of tens) {
    assert.equal(byIp[ip].state, "Failed");
    assert.match(byIp[ip].error, /EADDRNOTAVAIL/);
  }
  for (const ip of locals) assert.equal(byIp[ip].state, "Listening");
});

test("lab up against a loopback-mode server: LabNotRunning, with the command that starts a lab", async () => {
  const file = join(cli.cove.dataDir, "..", "hosts.json");
  await writeFile(file, "[]");
  const r = await cli.run("lab", "up", "--hosts", file);
  assert.equal(r.code, 1);
  assert.match(r.stderr, process.getuid?.() === 0 ? /LabNotRunning[\s\S]*cove serve --lab/ : /needs root/);
});
