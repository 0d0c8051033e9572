// containerd 1.6 (Debian's), unmodified, as an AKS node pulling through the endpoint (root, as CI):
// the test starts a containerd on a lab host with its own config, root, state and socket in a temp
// directory, and pulls with `ctr images pull --hosts-dir`, whose certs.d-style hosts.toml names
// Cove's CA, with the AcrPush principal as --user. The image is pushed first by skopeo from the
// spoke. Each place gives what Azure gives: the spoke pulls and unpacks through the private IP; the
// internet pulls over the public path while public access is on and is refused with 403 once it
// is off; a linked VNet without peering times out on the private IP, and so does the spoke once the
// endpoint's connection is rejected. Each containerd is stopped and leaves no mount behind.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isRoot } from "./support.js";
import {
  disablePublicAccess, literal, onHost, rejectConnection, startClientLab, startOnHost, tokenPaths, withSynWatch,
  type ClientLab, type HostRun, type OnHost, type Place,
} from "./clients-support.js";

let cl: ClientLab;
const daemons = new Map<Place, { dir: string; proc: OnHost }>();

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does): they create network namespaces");
  cl = await startClientLab();
  // The hosts.toml form containerd's docs give for a registry with its own CA: one host, no fallback.
  const hostsDir = join(cl.work, "certs.d", cl.login);
  await mkdir(hostsDir, { recursive: true });
  await writeFile(join(hostsDir, "hosts.toml"), `server = "https://${cl.login}"\n\n[host."https://${cl.login}"]\n  ca = "${cl.caPath}"\n`);
  const push = await onHost(cl, "agent", ["skopeo", "copy", "--dest-cert-dir", cl.certDir, "--dest-creds", cl.creds, `oci:${cl.image.layout}:v1`, `docker://${cl.login}/apps/node:v1`]);
  assert.equal(push.code, 0, push.stderr);
});

after(async () => {
  for (const host of [...daemons.keys()]) await stopContainerd(host);
  const left = await cl?.stop();
  assert.deepEqual(left, [], "the lab left nothing behind");
});

/** A containerd on a host, all of it in the test's directory; the CRI plugin is off (no kubelet here). */
async function startContainerd(host: Place): Promise<void> {
  const dir = join(cl.work, "containerd", host);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.toml"), [
    "version = 2",
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    "[grpc]", `  address = "${dir}/containerd.sock"`,
    "[ttrpc]", `  address = "${dir}/containerd.sock.ttrpc"`,
    '[plugins."io.containerd.internal.v1.opt"]', `  path = "${dir}/opt"`,
    "",
  ].join("\n"));
  const proc = startOnHost(cl, host, ["containerd", "--config", join(dir, "config.toml")]);
  daemons.set(host, { dir, proc });
  const deadline = Date.now() + 20_000;
  while (!proc.stderr().includes("containerd successfully booted")) {
    if (Date.now() > deadline) throw new Error(`containerd did not start on ${host}:\n${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops a host's containerd (SIGTERM, by its pid) and checks that nothing it mounted is left. */
async function stopContainerd(host: Place): Promise<void> {
  const d = daemons.get(host)!;
  daemons.delete(host);
  await d.proc.kill("SIGTERM");
  const mounts = (await readFile("/proc/mounts", "utf8")).split("\n").filter((l) => l.includes(d.dir));
  assert.deepEqual(mounts, [], `containerd on ${host} left mounts`);
}

const TIMEOUT_S = 5;
const REF = () => `${cl.login}/apps/node:v1`;
/** `ctr images pull` against the host's containerd; --timeout bounds the whole command. */
async function ctrPull(host: Place, timeout = `${TIMEOUT_S}s`): Promise<HostRun> {
  if (!daemons.has(host)) await startContainerd(host);
  const sock = join(daemons.get(host)!.dir, "containerd.sock");
  return onHost(cl, host, ["ctr", "--address", sock, "--timeout", timeout, "images", "pull", "--hosts-dir", join(cl.work, "certs.d"), "--user", cl.creds, REF()], { timeoutMs: 60_000 });
}
const lastLine = (r: HostRun) => (r.stdout + r.stderr).trim().split("\n").pop()!;
const failed = () => `ctr: failed to resolve reference "${REF()}": failed to do request: `;
const head = () => `Head "https://${cl.login}/v2/apps/node/manifests/v1": `;
const dialTimeout = () => `dial tcp ${cl.endpointIp}:443: i/o timeout`;

test("the spoke's containerd pulls and unpacks the image through the endpoint's private IP", async () => {
  const r = await ctrPull("agent");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`unpacking linux/amd64 ${cl.image.digest}\\.\\.\\.`));
  const sock = join(daemons.get("agent")!.dir, "containerd.sock");
  const ls = await onHost(cl, "agent", ["ctr", "--address", sock, "images", "ls", "-q"]);
  assert.deepEqual(ls.stdout.trim().split("\n"), [REF()]);
  const check = await onHost(cl, "agent", ["ctr", "--address", sock, "images", "check"]);
  assert.match(check.stdout, new RegExp(`${literal(REF()).source}\\s+application/vnd\\.oci\\.image\\.manifest\\.v1\\+json\\s+${cl.image.digest}\\s+complete`));
  assert.deepEqual([...(await tokenPaths(cl)).get(cl.address.agent)!], [`private@${cl.endpointIp}`]);
});

test("the internet's containerd pulls over the public path while public access is on", async () => {
  const r = await ctrPull("internet");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /unpacking linux\/amd64/);
  assert.deepEqual([...(await tokenPaths(cl)).get(cl.address.internet)!], ["public"]);
});

test("a linked VNet without peering: ctr's dial to the private IP times out, in Azure's words", async () => {
  // --timeout 35s lets Go's own 30 s dial timeout fire first; with a shorter one Go reports
  // either that or the command's `context deadline exceeded`, whichever it sees first.
  const r = await withSynWatch("islander", cl.endpointIp, () => ctrPull("islander", "35s"));
  assert.equal(r.code, 1, r.stderr);
  assert.equal(lastLine(r), failed() + head() + dialTimeout());
  assert.ok(r.synSent, "the SYN was never answered");
  assert.ok(r.ms >= 30_000 && r.ms < 40_000, `${r.ms} ms`);
  await stopContainerd("islander");
});

test("public access off: the internet's pull is refused with 403 at the manifest; the spoke still pulls", async () => {
  await disablePublicAccess(cl);
  const r = await ctrPull("internet");
  assert.equal(r.code, 1, r.stderr);
  assert.equal(lastLine(r), `ctr: failed to resolve reference "${REF()}": pulling from host ${cl.login} failed with status code [manifests v1]: 403 Forbidden`);
  await stopContainerd("internet");
  const again = await ctrPull("agent");
  assert.equal(again.code, 0, again.stderr);
});

test("the endpoint's connection rejected: the spoke's containerd times out on the private IP", async () => {
  await rejectConnection(cl);
  const r = await withSynWatch("agent", cl.endpointIp, () => ctrPull("agent"));
  assert.equal(r.code, 1, r.stderr);
  // The dial's deadline is the command's: Go reports either, and containerd drops the URL from the latter.
  const either = [failed() + head() + dialTimeout(), failed() + head() + "context deadline exceeded", failed() + "context deadline exceeded"];
  assert.ok(either.includes(lastLine(r)), lastLine(r));
  assert.ok(r.synSent, "the SYN was never answered");
  assert.ok(r.ms >= TIMEOUT_S * 1000 && r.ms < (TIMEOUT_S + 10) * 1000, `${r.ms} ms`);
  await stopContainerd("agent");
});
