// skopeo 1.9 (containers/image, Go), unmodified, on lab hosts (root, as CI): it pushes an OCI image
// from a local layout and pulls it back into another, trusting Cove's CA through --cert-dir, with
// the AcrPush principal's appId and secret as --creds. Each place must give what Azure gives:
// - the linked, peered spoke: works, and its tokens came through the endpoint's private IP;
// - an unlinked VNet and the internet: the public path, which works while public access is on;
// - a linked VNet without peering: the private IP with no route, `dial tcp <ip>:443: i/o timeout`;
// - public access off: the public path is refused with 403 (what skopeo prints of it), the spoke
//   still works;
// - the endpoint's connection rejected: the spoke's SYN goes unanswered, an i/o timeout.
// --command-timeout keeps the timeouts short (Go's dial timeout is 30 s, and skopeo then guesses at v1).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isRoot } from "./support.js";
import {
  auditEvents, disablePublicAccess, literal, onHost, rejectConnection, routesOf, startClientLab, tokenPaths, withSynWatch, type ClientLab, type Place,
} from "./clients-support.js";

let cl: ClientLab;

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does): they create network namespaces");
  cl = await startClientLab();
});

after(async () => {
  const left = await cl?.stop();
  assert.deepEqual(left, [], "the lab left nothing behind");
});

const TIMEOUT_S = 5;
/**
 * skopeo on a host, with --command-timeout: 5 s, or 35 s (`short` false), which lets Go's own 30 s
 * dial timeout fire first. Without any, skopeo waits 30 s more for its /v1/_ping guess and still
 * prints the first error.
 */
const skopeo = (host: Place, args: string[], short = true) =>
  onHost(cl, host, ["skopeo", "--command-timeout", short ? `${TIMEOUT_S}s` : "35s", ...args], { timeoutMs: 90_000 });
const ref = (tag: string) => `docker://${cl.login}/apps/web:${tag}`;
const push = (host: Place, tag: string) =>
  skopeo(host, ["copy", "--dest-cert-dir", cl.certDir, "--dest-creds", cl.creds, `oci:${cl.image.layout}:v1`, ref(tag)]);
const pull = (host: Place, tag: string, short = true) =>
  skopeo(host, ["copy", "--src-cert-dir", cl.certDir, "--src-creds", cl.creds, ref(tag), `oci:${join(cl.work, `pulled-${host}-${tag}`)}:v1`], short);
const pulledDigest = async (host: Place, tag: string) =>
  JSON.parse(await readFile(join(cl.work, `pulled-${host}-${tag}`, "index.json"), "utf8")).manifests[0].digest;
const ping = () => `pinging container registry ${cl.login}: Get "https://${cl.login}/v2/"`;
const dialTimeout = () => `dial tcp ${cl.endpointIp}:443: i/o timeout`;

/**
 * A connection whose SYN is never answered, cut short by --command-timeout: the request's deadline
 * and the dial's are the same instant, and Go's http.Transport reports whichever it sees first, the
 * dial's `i/o timeout` or the request's `context deadline exceeded`. The socket's SYN-SENT state
 * tells it from a connection accepted and then held.
 */
function assertShortTimeout(r: { code: number; stderr: string; ms: number; synSent: boolean }, what: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${what.source}: (${literal(dialTimeout()).source}|context deadline exceeded)"`), r.stderr);
  assert.ok(r.synSent, "the client's SYN was never answered");
  assert.ok(r.ms >= TIMEOUT_S * 1000 && r.ms < (TIMEOUT_S + 10) * 1000, `${r.ms} ms`);
}

/** Pushes and pulls back from a host; the image comes back with the digest it was made with. */
async function roundTrip(host: Place): Promise<void> {
  const up = await push(host, host);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /Writing manifest to image destination/);
  const down = await pull(host, host);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await pulledDigest(host, host), cl.image.digest);
}

test("the linked, peered spoke pushes and pulls back, and its tokens came through the endpoint's private IP", async () => {
  await roundTrip("agent");
  const paths = await tokenPaths(cl);
  assert.deepEqual([...paths.get(cl.address.agent)!], [`private@${cl.endpointIp}`]);
});

test("an unlinked VNet and the internet push and pull over the public path while public access is on", async () => {
  for (const host of ["outsider", "internet"] as const) await roundTrip(host);
  const paths = await tokenPaths(cl);
  assert.deepEqual([...paths.get(cl.address.outsider)!], ["public"]);
  assert.deepEqual([...paths.get(cl.address.internet)!], ["public"]);
});

test("a linked VNet without peering resolves the private IP and has no route to it: skopeo's i/o timeout, as Azure words it", async () => {
  const resolved = await onHost(cl, "islander", ["getent", "hosts", cl.login]);
  assert.equal(resolved.stdout.split(/\s+/)[0], cl.endpointIp);
  assert.match(await routesOf("islander"), /198\.18\.1\.0\/24 dev none/);
  // Go's own 30 s dial timeout: the words Azure's troubleshooting quotes.
  const down = await withSynWatch("islander", cl.endpointIp, () => pull("islander", "agent", false));
  assert.equal(down.code, 1, down.stderr);
  assert.match(down.stderr, literal(`initializing source ${ref("agent")}: ${ping()}: ${dialTimeout()}`), down.stderr);
  assert.ok(down.synSent && down.ms >= 30_000 && down.ms < 40_000, `${down.ms} ms`);
  // A push meets the deadline wherever it is: in its ping, or already copying a layer.
  assertShortTimeout(await withSynWatch("islander", cl.endpointIp, () => push("islander", "islander")),
    new RegExp(`(trying to reuse blob sha256:[0-9a-f]{64} at destination: ${literal(ping()).source}|copying layer)`));
});

test("public access off: the internet and the unlinked VNet are refused with 403 on the public path; the spoke still pushes and pulls", async () => {
  await disablePublicAccess(cl);
  for (const host of ["internet", "outsider"] as const) {
    // containers/image 5.23 reads no body when its ping is refused: it prints the status only.
    const down = await pull(host, "agent");
    assert.equal(down.code, 1);
    assert.match(down.stderr, literal(`initializing source ${ref("agent")}: pinging container registry ${cl.login}: invalid status code from registry 403 (Forbidden)`), down.stderr);
    const up = await push(host, `${host}-off`);
    assert.equal(up.code, 1);
    assert.match(up.stderr, literal(`pinging container registry ${cl.login}: invalid status code from registry 403 (Forbidden)`), up.stderr);
  }
  // The 403 is Cove's public-access decision for each client's own address, as its audit says.
  const denied = (await auditEvents(cl, ["data-plane-denied"])).filter((e) => e.status === 403 && e.path === "/v2/");
  for (const host of ["internet", "outsider"] as const) assert.ok(denied.some((e) => e.clientIp === cl.address[host]), JSON.stringify(denied));
  await roundTrip("agent");
});

test("the endpoint's connection rejected: the spoke keeps its route to the subnet, the endpoint's IP leads nowhere: i/o timeout", async () => {
  await rejectConnection(cl);
  const routes = await routesOf("agent");
  assert.match(routes, /198\.18\.1\.0\/24 dev eth0/);
  assert.match(routes, new RegExp(`${cl.endpointIp.replace(/\./g, "\\.")} dev none`));
  assertShortTimeout(await withSynWatch("agent", cl.endpointIp, () => pull("agent", "agent")), literal(`initializing source ${ref("agent")}: ${ping()}`));
});
