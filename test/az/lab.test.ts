// The real az (Debian's 2.45) on lab hosts, as root (CI is), through `cove lab exec HOST -- cove az`:
// the commands that resolve the registry's login server, which may only run where Cove's DNS is
// the resolver. Each host keeps its own az login (<data-dir>/az/<host>). In the linked, peered
// spoke: check-health (and with --vnet) passes with the private IP, acr login --expose-token gives
// a refresh token, and acr repository list shows what skopeo pushed, as the pipeline identity that
// holds AcrPush and nothing else (az then finds no registry in ARM and falls back to
// <name><acrLoginServerEndpoint>, which setup took from Cove). On the internet, once public access
// is off: az's CONNECTIVITY_FORBIDDEN_ERROR, exit 1, while the spoke still lists. A replica made
// with az from the spoke: its data host resolves there, through the zone, until it is deleted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildLandingZone, isRoot, startLab, type TestLab } from "../lab/support.js";
import { requireAz } from "./support.js";

type Place = "agent" | "internet";
const run = promisify(execFile);

let cl: {
  lab: TestLab; registry: string; login: string; appId: string; password: string; creds: string;
  work: string; certDir: string; layout: string; endpointIp: string;
};

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does): they create network namespaces");
  const lab = await startLab();
  const { registry, registryId } = await buildLandingZone(lab);
  const up = await lab.up([{ name: "agent", subnet: "spoke/apps" }]);
  const login = `${registry}.cove.test`;
  const endpointIp = up.listeners.find((l: { fqdn: string }) => l.fqdn === login).ipAddress;
  // The pipeline identity: AcrPush on the registry and nothing else.
  const sp = await lab.json("ad", "sp", "create-for-rbac", "-n", "az-pipeline", "--role", "AcrPush", "--scopes", registryId);
  const work = await mkdtemp(join(tmpdir(), "cove-az-lab-"));
  const certDir = join(work, "certs");
  await mkdir(certDir);
  await writeFile(join(certDir, "ca.crt"), await readFile(lab.caPath));
  const layout = join(work, "image");
  await run(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "256", "64"]);
  cl = { lab, registry, login, appId: sp.appId, password: sp.password, creds: `${sp.appId}:${sp.password}`, work, certDir, layout, endpointIp };
});

after(async () => {
  const left = await cl?.lab.stop();
  if (cl) await rm(cl.work, { recursive: true, force: true });
  assert.deepEqual(left, [], "the lab left nothing behind");
});

/** A command on a lab host, through `cove lab exec HOST --`. */
const onHost = (host: Place, cmd: string[]) => cl.lab.exec(host, cmd, 120_000);

/** `cove az --data-dir D ARGS` on a lab host. */
const coveAz = (host: Place, args: string[]) => onHost(host, [process.execPath, "bin/cove.js", "az", "--data-dir", cl.lab.dataDir, ...args]);

async function azOk(host: Place, args: string[]): Promise<any> {
  const r = await coveAz(host, args);
  // The message leaves out -p's value: a failing run must not print the secret into CI's log.
  const shown = args.map((a, i) => (args[i - 1] === "-p" ? "<secret>" : a)).join(" ");
  assert.equal(r.code, 0, `[${host}] cove az ${shown}: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

test("the spoke's agent, logged in as the pipeline identity: acr login --expose-token and acr repository list through the endpoint", async () => {
  requireAz();
  const setup = await azOk("agent", ["setup", "-u", cl.appId, "-p", cl.password]);
  assert.equal(setup.azureConfigDir, `${cl.lab.dataDir}/az/agent`);
  assert.equal(setup.user.name, cl.appId);
  assert.equal(setup.managementEndpoint, "https://198.19.255.254:8443");

  const pushed = await onHost("agent", ["skopeo", "copy", "--dest-cert-dir", cl.certDir, "--dest-creds", cl.creds, `oci:${cl.layout}:v1`, `docker://${cl.login}/apps/web:v1`]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.deepEqual(await azOk("agent", ["--", "acr", "repository", "list", "-n", cl.registry]), ["apps/web"]);

  const t0 = Date.now();
  const token = await azOk("agent", ["--", "acr", "login", "-n", cl.registry, "--expose-token"]);
  const ms = Date.now() - t0;
  assert.equal(token.loginServer, cl.login);
  assert.match(token.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.ok(ms < 60_000, `acr login took ${ms} ms`);
});

test("check-health from the spoke as the registry's owner: the private IP, the token, and --vnet routing OK", async () => {
  requireAz();
  // setup again without -u: the agent's az is the owner's now (a second login replaces the first);
  // --vnet reads the endpoint through Microsoft.Network, which needs the shim (docs/az.md).
  assert.equal((await azOk("agent", ["setup", "--shim"])).user.name, JSON.parse(await readFile(`${cl.lab.dataDir}/credentials.json`, "utf8")).clientId);
  const r = await coveAz("agent", ["--", "acr", "check-health", "-n", cl.registry, "--yes"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^WARNING: Environment checks are not supported in Azure Cloud Shell\.$/m); // ACC_CLOUD=1, for this command only
  assert.match(r.stderr, new RegExp(`^WARNING: DNS lookup to ${cl.login.replace(/\./g, "\\.")} at IP ${cl.endpointIp.replace(/\./g, "\\.")} : OK$`, "m"));
  assert.match(r.stderr, /^WARNING: Challenge endpoint https:\/\/\S+\/v2\/ : OK$/m);
  assert.match(r.stderr, /^WARNING: Fetch access token for registry '\S+' : OK$/m);
  const vnet = await coveAz("agent", ["--", "acr", "check-health", "-n", cl.registry, "--yes", "--vnet", "hub"]);
  assert.equal(vnet.code, 0, vnet.stderr);
  assert.match(vnet.stderr, /^WARNING: DNS routing to private endpoint : OK$/m);
  const wrong = await coveAz("agent", ["--", "acr", "check-health", "-n", cl.registry, "--yes", "--vnet", "spoke"]);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /doesn't have private endpoints in the vnet of/);
});

test("the spoke's agent adds a replica with az: listed beside the home region, its data host resolves to the hub endpoint's new address in the spoke, and goes with the delete", async () => {
  requireAz();
  const dataHost = `${cl.registry}.westeurope.data.cove.test`;
  const created = await azOk("agent", ["--", "acr", "replication", "create", "-r", cl.registry, "-l", "westeurope"]);
  assert.equal(created.provisioningState, "Succeeded");
  const listed = await azOk("agent", ["--", "acr", "replication", "list", "-r", cl.registry, "--query", "[].name"]);
  assert.deepEqual(listed, ["eastus", "westeurope"]);
  const resolved = await onHost("agent", ["getent", "ahostsv4", dataHost]);
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.match(resolved.stdout, /^198\.18\.1\.\d+\s/, "the spoke resolves the replica's data host through the zone the hub's endpoint writes");
  await azOk("agent", ["--", "acr", "replication", "delete", "-r", cl.registry, "-n", "westeurope"]);
  assert.notEqual((await onHost("agent", ["getent", "ahostsv4", dataHost])).code, 0, "the record went with the replica");
});

test("public access off, from the internet host's own az: the internet is refused with CONNECTIVITY_FORBIDDEN_ERROR; the spoke still lists", async () => {
  requireAz();
  const off = await coveAz("internet", ["--", "acr", "update", "-n", cl.registry, "--public-network-enabled", "false", "--query", "publicNetworkAccess"]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(JSON.parse(off.stdout), "Disabled");
  assert.match(off.stderr, /setting az up for https:\/\/198\.19\.255\.254:8443 first .*az\/internet/); // its own az state

  const health = await coveAz("internet", ["--", "acr", "check-health", "-n", cl.registry, "--yes"]);
  assert.equal(health.code, 1, health.stderr);
  assert.match(health.stderr, /at IP 198\.19\.255\.254 : OK/);
  assert.match(health.stderr, /An error occurred: CONNECTIVITY_FORBIDDEN_ERROR/);
  const list = await coveAz("internet", ["--", "acr", "repository", "list", "-n", cl.registry]);
  assert.equal(list.code, 1, list.stderr);
  assert.match(list.stderr, /^ERROR: Looks like you don't have access to registry '\S+'\./m);

  assert.deepEqual(await azOk("agent", ["--", "acr", "repository", "list", "-n", cl.registry]), ["apps/web"]);
});
