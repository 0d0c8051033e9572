// The seed's second case study, end to end in the lab (as root, as CI runs it): a payments platform
// disabled public access on its registry and its release pipelines broke. The build agents sit in a
// private build subnet (a VNet peered both ways with the hub and linked to the privatelink zone), a
// developer's laptop on the internet, and the pipeline has an identity holding AcrPush. The network
// team requests the endpoint with the real az, by manual request; `cove acr preflight --host agent`
// run there names the Pending connection and its fix; the registry owner approves with the az line
// the fix prints; preflight then passes. The agent builds and pushes with podman as the pipeline
// identity; public access goes off; the agent still pushes and pulls, and the laptop's podman is
// refused with Azure's DENIED text. Every client is unmodified and runs on a lab host.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { realCli, runCove, type CliRun } from "../cli/real-cli.js";
import { commandWords } from "../../src/cli/toolkit/policy-changes.js";
import { isRoot, startLab, type TestLab } from "./support.js";

const BIN = resolve("bin/cove.js");
const REG = "payments";
const RG = "payments-rg";
const ZONE = "privatelink.cove.test";
const LOGIN = `${REG}.cove.test`;
const IMAGE = `${LOGIN}/payments/api`;

let lab: TestLab;
let work: string;
let registryId: string;
let pipeline: { appId: string; password: string };
let developer: { appId: string; password: string };
let hosts: Record<string, string>;

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does): they create network namespaces");
  lab = await startLab();
  work = await mkdtemp(join(tmpdir(), "cove-case-"));
  const c = (...a: string[]) => lab.ok(...a, "-o", "none");
  await c("group", "create", "-n", RG, "-l", "westeurope");
  await c("acr", "create", "-g", RG, "-n", REG, "--sku", "Premium");
  registryId = (await lab.ok("acr", "show", "-n", REG, "--query", "id", "-o", "tsv")).trim();
  await c("network", "vnet", "create", "-g", RG, "-n", "hub", "--address-prefixes", "198.18.0.0/20", "--subnet-name", "endpoints", "--subnet-prefixes", "198.18.1.0/24");
  await c("network", "vnet", "create", "-g", RG, "-n", "build", "--address-prefixes", "198.18.16.0/20", "--subnet-name", "agents", "--subnet-prefixes", "198.18.17.0/24");
  await c("network", "vnet", "peering", "create", "-g", RG, "-n", "hub-build", "--vnet-name", "hub", "--remote-vnet", "build", "--allow-vnet-access");
  await c("network", "vnet", "peering", "create", "-g", RG, "-n", "build-hub", "--vnet-name", "build", "--remote-vnet", "hub", "--allow-vnet-access");
  await c("network", "private-dns", "zone", "create", "-g", RG, "-n", ZONE);
  for (const v of ["hub", "build"]) await c("network", "private-dns", "link", "vnet", "create", "-g", RG, "-z", ZONE, "-n", `${v}-link`, "-v", v, "-e", "false");
  // The pipeline's identity may push; a developer may pull (and did, from the laptop, until the change).
  pipeline = await lab.json("ad", "sp", "create-for-rbac", "-n", "payments-pipeline", "--role", "AcrPush", "--scopes", registryId);
  developer = await lab.json("ad", "sp", "create-for-rbac", "-n", "payments-developer", "--role", "AcrPull", "--scopes", registryId);
  const up = await lab.up([{ name: "agent", subnet: "build/agents" }, { name: "laptop", subnet: "internet" }]);
  hosts = Object.fromEntries(up.hosts.map((h: any) => [h.name, h.address]));
  await mkdir(join(work, "certs"));
  await copyFile(lab.caPath, join(work, "certs", "ca.crt"));
  await writeFile(join(work, "registries.conf"), "unqualified-search-registries = []\n");
});

after(async () => {
  const left = await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  assert.deepEqual(left, [], "the lab left nothing behind");
});

/** `cove lab exec HOST -- CMD...` with extra environment (a secret for the command to read, never an argument). */
const onHost = (host: string, cmd: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliRun> =>
  runCove(["lab", "exec", host, "--", ...cmd], { ...lab.env, ...env }, timeoutMs);

/** This checkout's `cove` on a lab host. */
const coveOn = (host: string, args: string[], env: Record<string, string> = {}) => onHost(host, [process.execPath, BIN, ...args], env);

/** The real az (Debian's 2.45, with the opt-in shim) through `cove az`, on a lab host. */
async function azOn(host: string, args: string[]): Promise<any> {
  const r = await coveOn(host, ["az", "--data-dir", lab.dataDir, "--shim", "--", ...args]);
  assert.equal(r.code, 0, `az ${args.join(" ")} on ${host} exited ${r.code}:\n${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/** podman on a lab host, each host with its own storage (vfs, in a throw-away root) and auth file. */
function podmanArgs(host: string, args: string[]): string[] {
  const store = join(work, host);
  return ["podman", "--storage-driver", "vfs", "--root", join(store, "root"), "--runroot", join(store, "run"),
    "--cgroup-manager", "cgroupfs", "--events-backend", "none", ...args];
}
function podman(host: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return onHost(host, podmanArgs(host, args), { REGISTRY_AUTH_FILE: join(work, host, "auth.json"), CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"), ...env });
}
/** podman login with the secret on standard input, as a pipeline does (--password-stdin). */
function podmanLogin(host: string, who: { appId: string; password: string }): Promise<CliRun> {
  return onHost(host, ["sh", "-c", 'printf %s "$REGISTRY_SECRET" | exec "$@"', "sh",
    ...podmanArgs(host, ["login", "--cert-dir", join(work, "certs"), "-u", who.appId, "--password-stdin", LOGIN])],
  { REGISTRY_SECRET: who.password, REGISTRY_AUTH_FILE: join(work, host, "auth.json"), CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf") });
}
/** A tiny image FROM scratch holding one file, built on the agent. */
async function build(tag: string): Promise<string> {
  const ctx = join(work, `ctx-${tag}`);
  await mkdir(ctx);
  await writeFile(join(ctx, "release.txt"), `payments api ${tag}\n`);
  await writeFile(join(ctx, "Containerfile"), "FROM scratch\nCOPY release.txt /release.txt\n");
  const r = await podman("agent", ["build", "--quiet", "-t", `${IMAGE}:${tag}`, ctx]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split("\n").pop()!;
}
const preflight = (host: string, extra: string[], env: Record<string, string> = {}) => runCove(["acr", "preflight", "-n", REG, "--host", host, ...extra], { ...lab.env, ...env }, 120_000);

let pendingFix: string[] = [];

test("the network team requests the endpoint with az --manual-request: the connection waits for the registry owner", async () => {
  const pe = await azOn("agent", ["network", "private-endpoint", "create", "-g", RG, "-n", "payments-pe", "--vnet-name", "hub", "--subnet", "endpoints",
    "--private-connection-resource-id", registryId, "--group-id", "registry", "--connection-name", "build-agents",
    "--manual-request", "true", "--request-message", "build agents, change 4711"]);
  assert.equal(pe.manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Pending");
  await azOn("agent", ["network", "private-endpoint", "dns-zone-group", "create", "-g", RG, "--endpoint-name", "payments-pe",
    "-n", "default", "--private-dns-zone", ZONE, "--zone-name", "registry", "-o", "none"]);
  const conns = await lab.json("acr", "private-endpoint-connection", "list", "-r", REG, "-g", RG);
  assert.deepEqual(conns.map((x: any) => x.privateLinkServiceConnectionState.status), ["Pending"]);
});

test("preflight --host agent runs from the agent: its address and Cove's DNS there; it names the Pending connection with the fix", async () => {
  const r = await preflight("agent", ["--json"]);
  assert.equal(r.code, 5, `exit ${r.code}: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.source, hosts.agent, "the live steps left from the agent's own address");
  assert.equal(out.network, "build/agents");
  const resolved = out.steps.find((s: any) => s.name === "resolve");
  assert.equal(resolved.result, "ok");
  // The build VNet's view (the zone is linked there): the private answer, not the public 198.19.255.254.
  assert.match(resolved.detail, new RegExp(`${REG}\\.privatelink\\.cove\\.test A 198\\.18\\.1\\.\\d+`));
  // A Pending connection's IPs are routed to the discard device: the SYN goes unanswered, as in Azure.
  const connect = out.steps.find((s: any) => s.name === "connect");
  assert.equal(connect.result, "failed", JSON.stringify(out.steps));
  assert.match(connect.detail, /^tcp 198\.18\.1\.\d+:443: i\/o timeout/);
  assert.equal(out.cause, "ENDPOINT_PENDING", r.stdout);
  assert.equal(out.evidence.state, "Pending");
  assert.equal(out.agree, true, "the model and the wire agree");
  assert.equal(out.fix.length, 1);
  assert.match(out.fix[0].az, /^az acr private-endpoint-connection approve /);
  pendingFix = commandWords(out.fix[0].az).slice(1);

  // The same run as text, as a release log shows it.
  const text = await preflight("agent", []);
  assert.equal(text.code, 5, text.stderr);
  assert.match(text.stdout, new RegExp(`^Preflight of ${REG}\n  ok      resolve      ${LOGIN} CNAME ${REG}\\.privatelink`));
  assert.match(text.stdout, /^ {2}FAILED {2}connect {6}tcp 198\.18\.1\.\d+:443: i\/o timeout/m, "Azure's symptom: the SYN goes unanswered");
  assert.match(text.stdout, /^FAILED: ENDPOINT_PENDING$/m);
  assert.ok(text.stdout.includes(`\n  client: ${hosts.agent}\n  network: build/agents\n`), text.stdout);
  assert.ok(text.stdout.includes(out.fix[0].cove), text.stdout);
});

test("the registry owner approves with the az line the fix printed; preflight --push as the pipeline identity passes from the agent", async () => {
  assert.ok(pendingFix.length, "the previous test found the fix");
  const approved = await azOn("agent", pendingFix);
  assert.equal(approved.privateLinkServiceConnectionState.status, "Approved");
  const r = await preflight("agent", ["--push", "--as", pipeline.appId, "--secret-env", "PIPELINE_SECRET", "--json"], { PIPELINE_SECRET: pipeline.password });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, true);
  assert.equal(out.source, hosts.agent);
  assert.deepEqual(out.steps.map((s: any) => `${s.name}:${s.result}`),
    ["resolve:ok", "resolve-data:ok", "connect:ok", "tls:ok", "challenge:ok", "login:ok", "token:ok", "pull:ok", "push:ok", "delete:skipped"]);
  assert.ok(!r.stdout.includes(pipeline.password) && !r.stderr.includes(pipeline.password), "the secret is never printed");
});

test("the agent builds with podman and pushes as the pipeline identity; the laptop pulls while public access is on", async () => {
  const id = await build("1.0");
  const login = await podmanLogin("agent", pipeline);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);
  const push = await podman("agent", ["push", "--cert-dir", join(work, "certs"), `${IMAGE}:1.0`]);
  assert.equal(push.code, 0, push.stderr);

  assert.equal((await podmanLogin("laptop", developer)).code, 0);
  const pull = await podman("laptop", ["pull", "--cert-dir", join(work, "certs"), `${IMAGE}:1.0`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(pull.stdout.trim().split("\n").pop(), id, "the laptop pulled the image the agent built");
});

test("public access disabled: the agent still pushes and pulls; the laptop is refused with Azure's DENIED text", async () => {
  const updated = await lab.json("acr", "update", "-n", REG, "--public-network-enabled", "false");
  assert.equal(updated.publicNetworkAccess, "Disabled");

  const id = await build("1.1");
  const push = await podman("agent", ["push", "--cert-dir", join(work, "certs"), `${IMAGE}:1.1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.equal((await podman("agent", ["rmi", "--all", "--force"])).code, 0);
  const pull = await podman("agent", ["pull", "--cert-dir", join(work, "certs"), `${IMAGE}:1.1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(pull.stdout.trim().split("\n").pop(), id, "the agent pulled back what it pushed");

  const refused = await podman("laptop", ["pull", "--cert-dir", join(work, "certs"), `${IMAGE}:1.1`]);
  assert.equal(refused.code, 125, refused.stderr);
  // podman 4.3 stops at its /v2/ ping and prints the status, not the body (as against Azure).
  assert.ok(refused.stderr.includes(`Error: initializing source docker://${IMAGE}:1.1: pinging container registry ${LOGIN}: invalid status code from registry 403 (Forbidden)`), refused.stderr);
  // The body of that 403 is Azure's DENIED text naming the laptop's address.
  const body = await onHost("laptop", ["curl", "-sS", "--cacert", lab.caPath, `https://${LOGIN}/v2/`, "-w", " %{http_code}"]);
  assert.equal(body.stdout, `${JSON.stringify({ errors: [{ code: "DENIED", message: `client with IP '${hosts.laptop}' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.` }] })} 403`, body.stderr);

  // And preflight from the laptop says why, with the public path's cause.
  const why = await preflight("laptop", ["--json"]);
  assert.equal(why.code, 5, why.stderr);
  const out = JSON.parse(why.stdout);
  assert.equal(out.source, hosts.laptop);
  assert.equal(out.cause, "PUBLIC_ACCESS_DISABLED");
});

test("preflight --host and lab exec: an unknown host is named as such; --source-address does not go with it; without root it says so", async () => {
  const unknown = await preflight("nosuch", []);
  assert.equal(unknown.code, 3, unknown.stderr);
  assert.match(unknown.stderr, /There is no lab host 'nosuch'\. The lab's hosts: agent, internet, laptop\./);
  const exec = await lab.exec("nosuch", ["true"]);
  assert.equal(exec.code, 3, exec.stderr);
  assert.match(exec.stderr, /There is no lab host 'nosuch'\. 'cove lab status' lists the hosts/);
  const clash = await preflight("agent", ["--source-address", "198.18.17.9"]);
  assert.equal(clash.code, 2, clash.stderr);
  assert.match(clash.stderr, /does not take --source-address/);
  // A user namespace of its own: the same files, no privilege over the machine's network.
  const r = await new Promise<CliRun>((done) =>
    execFile("unshare", ["--user", process.execPath, BIN, "acr", "preflight", "-n", REG, "--host", "agent"], { env: lab.env, timeout: 30_000 }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout, stderr })));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /'cove acr preflight --host' needs root/);
});

test("preflight --host against Cove in loopback mode says there is no lab and what to use instead", async () => {
  const cli = await realCli();
  try {
    const r = await cli.run("acr", "preflight", "-n", REG, "--host", "agent");
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /--host runs the check on a lab host, but Cove serves in loopback mode/);
    assert.match(r.stderr, /sudo cove serve --lab/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  } finally {
    await cli.close();
  }
});
