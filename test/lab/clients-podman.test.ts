// podman 4.3 (containers/image + containers/storage), unmodified, on lab hosts (root, as CI): it
// logs in with the AcrPush principal's appId and secret on standard input, as a pipeline does,
// pushes an image it took from a local OCI layout, removes it and pulls it back. Nothing of the
// machine's podman set-up is used or changed: storage (vfs), run and tmp directories, the auth
// file, registries.conf and containers.conf are the test's own, and Cove's CA comes by --cert-dir.
// Containers are never run (this machine's cgroups forbid it). Each place gives what Azure gives:
// the spoke works through the private IP; the internet and an unlinked VNet use the public path
// while public access is on, and are refused with 403 once it is off (the spoke still works); a
// linked VNet without peering times out (podman retries it, three times).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isRoot } from "./support.js";
import {
  auditEvents, disablePublicAccess, literal, onHost, startClientLab, tokenPaths, withSynWatch, type ClientLab, type HostRun, type OnHostOptions, type Place,
} from "./clients-support.js";

let cl: ClientLab;

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does): they create network namespaces");
  cl = await startClientLab();
  await writeFile(join(cl.work, "registries.conf"), "unqualified-search-registries = []\n");
  await writeFile(join(cl.work, "containers.conf"), "");
});

after(async () => {
  const left = await cl?.stop();
  assert.deepEqual(left, [], "the lab left nothing behind");
});

/** podman on a host, with that host's own storage and auth file, as if each host were its own machine. */
async function podman(host: Place, args: string[], o: OnHostOptions = {}): Promise<HostRun> {
  const d = join(cl.work, "podman", host);
  await mkdir(d, { recursive: true });
  // podman refuses a REGISTRY_AUTH_FILE that does not exist, even for --creds: start each empty.
  await writeFile(join(d, "auth.json"), '{"auths":{}}\n', { flag: "wx" }).catch(() => undefined);
  return onHost(cl, host, [
    "env", `REGISTRY_AUTH_FILE=${d}/auth.json`, `CONTAINERS_REGISTRIES_CONF=${cl.work}/registries.conf`, `CONTAINERS_CONF=${cl.work}/containers.conf`,
    "podman", "--root", `${d}/root`, "--runroot", `${d}/run`, "--tmpdir", `${d}/tmp`, "--network-config-dir", `${d}/networks`,
    "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none", ...args,
  ], { timeoutMs: 120_000, ...o });
}
const login = (host: Place) => podman(host, ["login", "--cert-dir", cl.certDir, "-u", cl.appId, "--password-stdin", cl.login], { input: cl.password });
const ref = (tag: string) => `${cl.login}/apps/pod:${tag}`;
const denied403 = () => `pinging container registry ${cl.login}: invalid status code from registry 403 (Forbidden)`;

let imageId: string;

/** Takes the test image from its OCI layout into the host's storage, tags it and pushes it. */
async function pushFrom(host: Place, tag: string): Promise<void> {
  const local = await podman(host, ["pull", "-q", `oci:${cl.image.layout}:v1`]);
  assert.equal(local.code, 0, local.stderr);
  imageId = local.stdout.trim().split("\n").pop()!;
  const tagged = await podman(host, ["tag", imageId, ref(tag)]);
  assert.equal(tagged.code, 0, tagged.stderr);
  const push = await podman(host, ["push", "--cert-dir", cl.certDir, ref(tag)]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stderr + push.stdout, /Writing manifest to image destination/);
}

/** Pulls into a host's storage: the image is the one pushed (podman's image id is its config's digest). */
async function pullTo(host: Place, tag: string): Promise<void> {
  const pull = await podman(host, ["pull", "--cert-dir", cl.certDir, ref(tag)]);
  assert.equal(pull.code, 0, pull.stderr);
  const id = await podman(host, ["image", "inspect", "--format", "{{.Id}}", ref(tag)]);
  assert.equal(id.stdout.trim(), imageId);
}

test("the linked, peered spoke logs in, pushes, removes its copy and pulls it back, through the endpoint's private IP", async () => {
  const r = await login("agent");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "Login Succeeded!");
  await pushFrom("agent", "v1");
  const rmi = await podman("agent", ["rmi", "--all", "--force"]);
  assert.equal(rmi.code, 0, rmi.stderr);
  await pullTo("agent", "v1");
  assert.deepEqual([...(await tokenPaths(cl)).get(cl.address.agent)!], [`private@${cl.endpointIp}`]);
});

test("the internet and an unlinked VNet log in and pull over the public path while public access is on", async () => {
  for (const host of ["internet", "outsider"] as const) {
    const r = await login(host);
    assert.equal(r.code, 0, r.stderr);
    await pullTo(host, "v1");
    assert.deepEqual([...(await tokenPaths(cl)).get(cl.address[host])!], ["public"]);
  }
});

test("a linked VNet without peering: podman's pull times out on the private IP, and podman says it will retry", async () => {
  // podman retries three times, each after Go's 30 s dial timeout and 30 s more for containers/image's v1
  // guess: a user waits four minutes. The first warning already names the symptom; stop there. (No
  // login here: it would time out the same way; --creds gives the pull its credentials.)
  const retry = /Failed, retrying in 1s \.\.\. \(1\/3\)\. Error: .*\n/;
  const r = await withSynWatch("islander", cl.endpointIp, () => podman("islander", ["pull", "--cert-dir", cl.certDir, "--creds", cl.creds, ref("v1")], { until: retry, timeoutMs: 90_000 }));
  assert.match(r.stderr, literal(`Failed, retrying in 1s ... (1/3). Error: initializing source docker://${ref("v1")}: pinging container registry ${cl.login}: Get "https://${cl.login}/v2/": dial tcp ${cl.endpointIp}:443: i/o timeout`), r.stderr);
  assert.ok(r.synSent, "the SYN was never answered");
  assert.ok(r.ms >= 30_000 && r.ms < 75_000, `${r.ms} ms`);
});

test("public access off: the internet cannot log in or pull (403 on the public path); the spoke pushes and pulls on", async () => {
  await disablePublicAccess(cl);
  const r = await login("internet");
  assert.equal(r.code, 125, r.stderr);
  assert.equal(r.stderr.trim(), `Error: authenticating creds for "${cl.login}": ${denied403()}`);
  const pull = await podman("internet", ["pull", "--cert-dir", cl.certDir, ref("v1")]);
  assert.equal(pull.code, 125);
  // A refusal is not retried: it ends at once.
  assert.ok(!pull.stderr.includes("retrying"), pull.stderr);
  assert.match(pull.stderr, literal(`Error: initializing source docker://${ref("v1")}: ${denied403()}`), pull.stderr);
  const denied = (await auditEvents(cl, ["data-plane-denied"])).filter((e) => e.status === 403 && e.clientIp === cl.address.internet);
  assert.ok(denied.length >= 2, JSON.stringify(denied));

  await pushFrom("agent", "v2");
  await pullTo("agent", "v2");
});
