// Loopback mode with an Azure-style prefix: a VNet in 10.20.0.0/16 and an auto-approved endpoint in
// it. Cove cannot bind 10.20.x on this host (EADDRNOTAVAIL); the endpoint must say so through the
// management API (`properties.listenerStatus`), `cove network private-endpoint create` must warn with
// the fix, and the server must log the failure once per IP, not once per later change. An endpoint
// in 127.0.0.0/8 shows Listening. The test only models 10.x: nothing ever connects to those IPs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { ResourceManagementClient } from "@azure/arm-resources";
import { freePort, spawnCove, type SpawnedCove } from "../support/cove.js";
import { https } from "../support/http.js";

let work: string;
let cove: SpawnedCove;
let ca: string;

interface Run { code: number; stdout: string; stderr: string }

/** The real `cove` command, as a user runs it, with a private profile directory. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((ok) => {
    execFile(process.execPath, ["bin/cove.js", ...args], {
      env: { PATH: process.env.PATH, HOME: work, COVE_CONFIG_DIR: join(work, "cli") }, timeout: 60_000,
    }, (err, stdout, stderr) => ok({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }));
  });
}

async function cliOk(...args: string[]): Promise<Run> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `cove ${args.join(" ")}: ${r.stderr}`);
  return r;
}

async function token(): Promise<string> {
  const c = cove.credentials;
  const cred = new ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret, { authorityHost: c.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca } } as any);
  return (await cred.getToken(`${c.managementEndpoint}/.default`)).token;
}

/** The endpoint as the management API returns it (raw: the SDK's deserializer drops Cove's extension). */
async function rawEndpoint(name: string): Promise<any> {
  const c = cove.credentials;
  const r = await https(`${c.managementEndpoint}/subscriptions/${c.subscriptionId}/resourceGroups/lab/providers/Microsoft.Network/privateEndpoints/${name}?api-version=2025-05-01`, {
    ca, headers: { authorization: `Bearer ${await token()}` },
  });
  assert.equal(r.status, 200, r.body.toString());
  return r.json();
}

/** Server log lines that report a bind failure with EADDRNOTAVAIL for `ip`. */
function bindFailures(ip: string): number {
  return cove.output().split("\n").filter((l) => l.includes("EADDRNOTAVAIL") && l.includes(`"address":"${ip}"`)).length;
}

before(async () => {
  // The premise: this host has no address in 10.20.0.0/16, so binding one must fail.
  const local = Object.values(networkInterfaces()).flat().map((a) => a?.address ?? "");
  assert.ok(!local.some((a) => a.startsWith("10.20.")), "this test needs a host without 10.20.x addresses");
  work = await mkdtemp(join(tmpdir(), "cove-loopback-prefixes-"));
  cove = await spawnCove(join(work, ".cove"), await freePort(), await freePort(), {}, true);
  ca = await readFile(cove.credentials.caCertPath, "utf8");
  await cliOk("login", "--from-data-dir", join(work, ".cove"));
  await cliOk("group", "create", "--name", "lab", "--location", "westeurope");
  await cliOk("acr", "create", "--name", "labreg", "--resource-group", "lab", "--sku", "Premium");
});

after(async () => {
  if (cove) { cove.child.kill("SIGTERM"); await cove.waitExit(); }
  if (work) await rm(work, { recursive: true, force: true });
});

test("an endpoint in 10.20.0.0/16 shows Failed listeners, the CLI warns with the fix, and the log says it once per IP", async () => {
  const registryId = JSON.parse((await cliOk("acr", "show", "--name", "labreg", "--output", "json")).stdout).id as string;
  await cliOk("network", "vnet", "create", "-g", "lab", "-n", "azure-style", "--address-prefixes", "10.20.0.0/16", "--subnet-name", "pe", "--subnet-prefixes", "10.20.1.0/24");
  const create = await cli("network", "private-endpoint", "create", "-g", "lab", "-n", "pe-10", "--vnet-name", "azure-style", "--subnet", "pe",
    "--private-connection-resource-id", registryId, "--group-id", "registry", "--connection-name", "pe-10-conn", "--output", "json");
  assert.equal(create.code, 0, `the endpoint is created, the exit code says so: ${create.stderr}`);
  const created = JSON.parse(create.stdout);
  const ips: string[] = created.customDnsConfigs.flatMap((d: any) => d.ipAddresses);
  assert.deepEqual(ips, ["10.20.1.4", "10.20.1.5"]);

  // The CLI's warning: each IP, the reason and the fix.
  for (const ip of ips) {
    const line = create.stderr.split("\n").find((l) => l.startsWith("WARNING:") && l.includes(ip));
    assert.ok(line, `a warning names ${ip}:\n${create.stderr}`);
    assert.match(line, /EADDRNOTAVAIL/);
    assert.match(line, /loopback mode VNet prefixes must be in 127\.0\.0\.0\/8/);
    assert.match(line, /--address-prefixes 127\.16\.0\.0\/16/);
  }

  // The API: both IPs Failed, with the bind error.
  const pe = await rawEndpoint("pe-10");
  assert.deepEqual(pe.properties.listenerStatus.map((s: any) => [s.ipAddress, s.state]), [["10.20.1.4", "Failed"], ["10.20.1.5", "Failed"]]);
  for (const s of pe.properties.listenerStatus) assert.match(s.error, /EADDRNOTAVAIL/);
  assert.ok(pe.properties.listenerStatus.some((s: any) => s.fqdn === "labreg.cove.test"));

  // Five unrelated writes: each rebuilds the network state and retries the bind, silently.
  const c = cove.credentials;
  const groups = new ResourceManagementClient(
    new ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret, { authorityHost: c.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca } } as any),
    c.subscriptionId, { endpoint: c.managementEndpoint, tlsOptions: { ca }, retryOptions: { maxRetries: 0 } } as any);
  for (let i = 0; i < 5; i++) await groups.resourceGroups.createOrUpdate("lab", { location: "westeurope", tags: { round: String(i) } });
  await new Promise((r) => setTimeout(r, 200)); // let the child's log lines arrive
  for (const ip of ips) assert.equal(bindFailures(ip), 1, `EADDRNOTAVAIL for ${ip} is logged once, not per change:\n${cove.output()}`);
  // Still Failed (the retries keep failing), and the listing carries the same extension.
  const list = await https(`${c.managementEndpoint}/subscriptions/${c.subscriptionId}/resourceGroups/lab/providers/Microsoft.Network/privateEndpoints?api-version=2025-05-01`, {
    ca, headers: { authorization: `Bearer ${await token()}` },
  });
  assert.equal(list.status, 200);
  const listed = list.json().value.find((p: any) => p.name === "pe-10");
  assert.deepEqual(listed.properties.listenerStatus.map((s: any) => s.state), ["Failed", "Failed"]);
});

test("an endpoint in 127.0.0.0/8 shows Listening, and its create prints no warning", async () => {
  const registryId = JSON.parse((await cliOk("acr", "show", "--name", "labreg", "--output", "json")).stdout).id as string;
  await cliOk("network", "vnet", "create", "-g", "lab", "-n", "loopback", "--address-prefixes", "127.21.0.0/16", "--subnet-name", "pe", "--subnet-prefixes", "127.21.1.0/24");
  const create = await cli("network", "private-endpoint", "create", "-g", "lab", "-n", "pe-127", "--vnet-name", "loopback", "--subnet", "pe",
    "--private-connection-resource-id", registryId, "--group-id", "registry", "--connection-name", "pe-127-conn", "--output", "json");
  assert.equal(create.code, 0, create.stderr);
  assert.doesNotMatch(create.stderr, /WARNING:.*listen/, create.stderr);
  const pe = await rawEndpoint("pe-127");
  assert.deepEqual(pe.properties.listenerStatus.map((s: any) => [s.ipAddress, s.state]), [["127.21.1.4", "Listening"], ["127.21.1.5", "Listening"]]);
  assert.equal(pe.properties.listenerStatus[0].error, undefined);
});
