// End to end, with skopeo (containers/image, Go) over real TLS: once a Premium registry's
// dataEndpointEnabled is turned on through the ARM SDK, blob downloads follow Cove's 307 to
// <name>.<location>.data.<suffix>. A client that resolves both names pulls the image intact; the
// same client whose hosts file lacks the data endpoint's record fails on the name lookup, naming
// the data host: the seed's "missing data-endpoint record breaks blob download". Microsoft's
// @azure/container-registry (Node) is held to the same two outcomes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createHash } from "node:crypto";
import { mkdtemp, mkdir, writeFile, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCove, type TestCove } from "../support/cove.js";
import { clients, createRegistry, createServicePrincipal, assignRole, ROLE, type ServicePrincipal } from "../support/arm.js";
import { runWithHosts, have } from "../support/hosts.js";

const exec = promisify(execFile);
const GROUP = "dataep-rg";
const NAME = "dataepreg";
let cove: TestCove;
let work: string;
let loginServer: string;
let loginHost: string;
let dataHost: string;
let creds: string;
let sp: ServicePrincipal;
let certDir: string;
let manifestDigest: string;

const skip = !(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)";

before(async () => {
  if (skip) return;
  cove = await startCove();
  work = await mkdtemp(join(tmpdir(), "cove-dataep-"));
  const reg = await createRegistry(cove, GROUP, NAME, "Premium");
  loginServer = reg.loginServer;
  loginHost = loginServer.replace(/:\d+$/, "");
  dataHost = `${NAME}.westeurope.data.${cove.suffix}`;
  sp = await createServicePrincipal(cove, "dataep-pusher");
  await assignRole(cove, reg.id, sp.objectId, ROLE.AcrPush);
  creds = `${sp.appId}:${sp.password}`;
  certDir = join(work, "certs");
  await mkdir(certDir);
  await writeFile(join(certDir, "ca.crt"), cove.ca);
  const layout = join(work, "image");
  const { stdout } = await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "512", "64"]);
  manifestDigest = stdout.trim();
});

after(async () => {
  if (skip) return;
  await cove?.stop();
  await rm(work, { recursive: true, force: true });
});

function skopeo(hosts: Record<string, string>, args: string[]) {
  return runWithHosts(hosts, "skopeo", args, { timeoutMs: 240_000 });
}

let pulls = 0;
async function pull(hosts: Record<string, string>) {
  const dest = join(work, `pulled-${++pulls}`);
  const r = await skopeo(hosts, ["copy", "--src-cert-dir", certDir, "--src-creds", creds, `docker://${loginServer}/team/app:v1`, `oci:${dest}:v1`]);
  return { ...r, dest };
}

/** Every blob of the pulled image hashes to its digest and has its size. */
async function assertIntact(dest: string): Promise<void> {
  const index = JSON.parse(await readFile(join(dest, "index.json"), "utf8"));
  assert.equal(index.manifests[0].digest, manifestDigest);
  const manifest = JSON.parse(await readFile(join(dest, "blobs", "sha256", manifestDigest.slice(7)), "utf8"));
  for (const d of [manifest.config, ...manifest.layers]) {
    const bytes = await readFile(join(dest, "blobs", "sha256", d.digest.slice(7)));
    assert.equal("sha256:" + createHash("sha256").update(bytes).digest("hex"), d.digest);
    assert.equal(bytes.length, d.size);
  }
}

test("pushes never need the data endpoint, and a pull without it works while dataEndpointEnabled is off", { skip }, async () => {
  const onlyLogin = { [loginHost]: "127.0.0.1" };
  const push = await skopeo(onlyLogin, ["copy", "--dest-cert-dir", certDir, "--dest-creds", creds, `oci:${join(work, "image")}:v1`, `docker://${loginServer}/team/app:v1`]);
  assert.equal(push.code, 0, push.stderr);
  const r = await pull(onlyLogin);
  assert.equal(r.code, 0, r.stderr);
  await assertIntact(r.dest);
});

test("PATCH dataEndpointEnabled through the SDK: skopeo follows the 307 to the data endpoint and pulls the image intact", { skip }, async () => {
  const { acr } = clients(cove);
  const updated = await acr.registries.update(GROUP, NAME, { dataEndpointEnabled: true } as any);
  assert.equal(updated.dataEndpointEnabled, true);
  assert.deepEqual(updated.dataEndpointHostNames, [dataHost]);
  const r = await pull({ [loginHost]: "127.0.0.1", [dataHost]: "127.0.0.1" });
  assert.equal(r.code, 0, r.stderr);
  await assertIntact(r.dest);
});

test("the same pull fails on the name lookup of the data host when the client's hosts file lacks its record", { skip }, async () => {
  await clients(cove).acr.registries.update(GROUP, NAME, { dataEndpointEnabled: true } as any);
  const r = await pull({ [loginHost]: "127.0.0.1" });
  assert.notEqual(r.code, 0);
  // e.g. `reading blob sha256:..: Get "https://<data host>:<port>/v2/..?se=..&sig=..": dial tcp:
  // lookup <data host> on <resolver>: no such host` (Go's wording; the tail depends on the resolver).
  assert.ok(r.stderr.includes(`lookup ${dataHost}`), r.stderr);
  assert.match(r.stderr, /reading blob sha256:/);
});

/** @azure/container-registry in a process whose /etc/hosts holds `hosts` (see fixtures/sdk-download.ts). */
async function sdkDownload(hosts: Record<string, string>): Promise<any> {
  const r = await runWithHosts(hosts, process.execPath, ["dist/test/data-endpoint/fixtures/sdk-download.js"], {
    env: {
      COVE_CA: cove.ca, COVE_LOGIN_SERVER: loginServer, COVE_TENANT: cove.credentials.tenantId,
      COVE_CLIENT_ID: sp.appId, COVE_CLIENT_SECRET: sp.password, COVE_AUTHORITY: cove.credentials.authorityHost,
    },
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

test("@azure/container-registry downloadBlob follows the 307 and gets the exact bytes; without the data record it fails on the lookup", { skip }, async () => {
  await clients(cove).acr.registries.update(GROUP, NAME, { dataEndpointEnabled: true } as any);
  const ok = await sdkDownload({ [loginHost]: "127.0.0.1", [dataHost]: "127.0.0.1" });
  assert.equal(ok.error, undefined, JSON.stringify(ok.error));
  assert.equal(ok.downloaded, ok.expected);
  assert.equal(ok.size, 5 * 1024 * 1024 + 3);
  const broken = await sdkDownload({ [loginHost]: "127.0.0.1" });
  assert.equal(broken.downloaded, undefined);
  assert.equal(broken.error.code, "ENOTFOUND", JSON.stringify(broken.error));
  assert.ok(broken.error.message.includes(dataHost), broken.error.message);
});
