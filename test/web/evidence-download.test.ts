// The networking page's "Export evidence" download, end to end: a real Cove, a registry with a
// private endpoint built through the official SDK clients, POST /cove/portal/evidence over HTTPS
// with a real bearer token -> a .tar that GNU tar (an independent reader) lists and extracts, and
// that the real `cove` binary verifies with the server's public key; a byte flipped inside the tar
// fails with exit 5 and the same message as the extracted directory; a pull-only principal gets
// the toolkit's refusal, catalogued, with no key or secret in it; no bearer is ARM's 401.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { start } from "../../src/main.js";
import { ARM_ERRORS } from "../../src/control-plane/arm/errors.js";
import { EXIT_CHECK_FAILED, EXIT_OK } from "../../src/cli/exit-codes.js";
import { freePort, type TestCove } from "../support/cove.js";
import { assignRole, createServicePrincipal, credentialFor, managementToken, ROLE } from "../support/arm.js";
import { https, type HttpResult } from "../support/http.js";
import { runCove } from "../cli/real-cli.js";
import { landing } from "../toolkit/landing.js";

const REG = "downloadacr";
const FILES = ["evidence.json", "manifest.json", "manifest.sig", "report.md"];
let cove: TestCove;
let stopCove: () => Promise<void>;
let work: string;
let registryId: string;
let token: string;
let env: Record<string, string | undefined>;
let tarFile: string;
let download: HttpResult;

async function startWithRoute(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-test-"));
  const [mport, rport, dport] = [await freePort(), await freePort(), await freePort()];
  const running = await start({
    dataDir, managementListen: `127.0.0.1:${mport}`, registryPort: String(rport), dnsListen: `127.0.0.1:${dport}`,
    logLevel: process.env.COVE_TEST_LOG ?? "silent", shutdownGraceSeconds: "2",
  }, {});
  const c = running.credentials;
  cove = {
    dataDir, credentials: c, ca: await readFile(c.caCertPath, "utf8"), managementUrl: c.managementEndpoint, registryPort: rport, suffix: running.config.loginServerSuffix,
    stop: async () => undefined,
  };
  stopCove = async () => { await running.stop(); await rm(dataDir, { recursive: true, force: true }); };
}

const post = (body: object | string, bearer?: string, headers: Record<string, string> = {}) =>
  https(`${cove.managementUrl}/cove/portal/evidence`, { method: "POST", ca: cove.ca, headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers }, body });

const verify = (file: string) => runCove(["acr", "evidence", "verify", file, "--public-key", join(cove.dataDir, "keys", "evidence-signing.pub.pem")], env);

/** Our own temp dirs left in the machine's temp dir (the route removes them once the answer is out). */
const leftovers = async () => (await readdir(tmpdir())).filter((n) => n.startsWith("cove-page-evidence-"));

before(async () => {
  await startWithRoute();
  work = await mkdtemp(join(tmpdir(), "cove-evidence-download-"));
  env = { PATH: process.env.PATH, HOME: work, COVE_CONFIG_DIR: join(work, "cfg") };
  const l = await landing(cove, "rg-download");
  registryId = await l.registry(REG);
  await l.vnet("hub", 151);
  await l.endpoint("hub-pe", "hub", registryId);
  await l.zoneGroup("hub-pe");
  await l.link("hub");
  token = await managementToken(cove);
  download = await post({ registryId }, token);
  tarFile = join(work, "download.tar");
  await writeFile(tarFile, download.body);
});
after(async () => {
  await stopCove?.();
  if (work) await rm(work, { recursive: true, force: true });
});

test("the bootstrap principal downloads the bundle as a tar: attachment, one directory, the four files; signed with the server's key", async () => {
  assert.equal(download.status, 200, download.body.toString("utf8"));
  assert.equal(download.headers["content-type"], "application/x-tar");
  const m = /^attachment; filename="(evidence-downloadacr-\d{8}T\d{6}Z)\.tar"$/.exec(String(download.headers["content-disposition"]));
  assert.ok(m, String(download.headers["content-disposition"]));
  assert.equal(Number(download.headers["content-length"]), download.body.length);
  const dir = m[1]!;
  const listed = execFileSync("tar", ["-tf", tarFile], { encoding: "utf8" }).trim().split("\n");
  assert.deepEqual(listed, [`${dir}/`, ...FILES.map((f) => `${dir}/${f}`)]);

  const keys = join(cove.dataDir, "keys");
  assert.equal((await stat(join(keys, "evidence-signing.key"))).mode & 0o777, 0o600);
  assert.match(await readFile(join(keys, "evidence-signing.pub.pem"), "utf8"), /^-----BEGIN PUBLIC KEY-----/);

  // What is inside is the caller's export of this registry.
  const out = join(work, "extracted");
  await mkdir(out);
  execFileSync("tar", ["-xf", tarFile, "-C", out]);
  const evidence = JSON.parse(await readFile(join(out, dir, "evidence.json"), "utf8"));
  assert.equal(evidence.registry.id.toLowerCase(), registryId.toLowerCase());
  assert.equal(evidence.source.exportedBy, cove.credentials.clientId);
  assert.deepEqual(evidence.endpoints.map((e: { name: string }) => e.name), ["hub-pe"]);
  assert.equal(evidence.connections[0]?.status, "Approved");
  assert.equal(evidence.audit.verification.result.ok, true);
  // Read as the caller through its exchanged registry token, not left unknown.
  assert.equal(evidence.hygiene.unpulledRepositories.status, "known", JSON.stringify(evidence.hygiene.unpulledRepositories));

  for (let i = 0; i < 50 && (await leftovers()).length; i++) await sleep(20);
  assert.deepEqual(await leftovers(), [], "the temporary bundle directory is removed once the answer is out");
});

test("the real cove verifies the downloaded .tar with the server's public key (exit 0), and the extracted directory alike", async () => {
  const r = await verify(tarFile);
  assert.equal(r.code, EXIT_OK, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.deepEqual([result.ok, result.signature.trusted, result.bundle], [true, true, tarFile]);
  assert.equal(r.stderr, "");
});

test("one byte of evidence.json flipped inside the tar: exit 5 naming the file, the same message as for the extracted directory", async () => {
  const tar = Buffer.from(download.body);
  // Inside evidence.json's data (after its 512-byte header): the registry's name in its registry section.
  const header = tar.indexOf(Buffer.from("/evidence.json\0"));
  const at = tar.indexOf(Buffer.from(`"name":"${REG}"`), header + 512) + `"name":"`.length;
  assert.ok(header > 0 && at > header + 512);
  tar[at] = tar[at]! ^ 0x01; // 'd' -> 'e': still JSON, one field changed
  const bad = join(work, "tampered.tar");
  await writeFile(bad, tar);
  const r = await verify(bad);
  assert.equal(r.code, EXIT_CHECK_FAILED, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^ERROR: Evidence verification failed \(digest-mismatch\): evidence\.json changed: the first changed field is \S*name \(changed\)\.$/m);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");

  const out = join(work, "tampered");
  await mkdir(out);
  execFileSync("tar", ["-xf", bad, "-C", out]);
  const [dir] = await readdir(out);
  const d = await verify(join(out, dir!));
  assert.equal(d.code, EXIT_CHECK_FAILED);
  assert.equal(d.stderr, r.stderr, "the tar and its extracted directory fail alike");
});

test("a tar holding a symbolic link or a '..' name is refused (exit 5, archive-invalid), read by nothing", async () => {
  const src = join(work, "linked");
  await mkdir(join(src, "b"), { recursive: true });
  execFileSync("tar", ["-xf", tarFile, "-C", join(src, "b")]);
  const [dir] = await readdir(join(src, "b"));
  execFileSync("ln", ["-s", "/etc/passwd", join(src, "b", dir!, "extra")]);
  const linked = join(work, "linked.tar");
  execFileSync("tar", ["--format=ustar", "-cf", linked, "-C", join(src, "b"), dir!]);
  const r = await verify(linked);
  assert.equal(r.code, EXIT_CHECK_FAILED, r.stderr);
  assert.match(r.stderr, /\(archive-invalid\): .*is a symbolic link; a bundle holds only files and a directory/);

  const dotted = join(work, "dotted.tar");
  // -P (--absolute-names) keeps the '..' that GNU tar would otherwise strip.
  execFileSync("tar", ["-P", "--format=ustar", "-cf", dotted, "-C", join(src, "b"), `${dir}/../${dir}/manifest.json`]);
  const d = await verify(dotted);
  assert.equal(d.code, EXIT_CHECK_FAILED, d.stderr);
  assert.match(d.stderr, /\(archive-invalid\): .*'\.\.'/);
});

test("a principal with only AcrPull gets the toolkit's catalogued refusal, with no key, token or secret in it", async () => {
  const sp = await createServicePrincipal(cove, "page-puller");
  await assignRole(cove, registryId, sp.objectId, ROLE.AcrPull);
  const pullToken = await managementToken(cove, credentialFor(cove, sp.appId, sp.password));
  const r = await post({ registryId }, pullToken);
  const text = r.body.toString("utf8");
  // What the toolkit says (export.ts findRegistry): ARM lists the caller no registry it may not read.
  assert.deepEqual([r.status, r.json().error], [404, {
    code: "ResourceNotFound", message: `The Resource 'Microsoft.ContainerRegistry/registries/${REG}' under resource group 'rg-download' was not found.`,
  }], text);
  assert.equal(ARM_ERRORS.ResourceNotFound.status, 404);
  const privateKey = await readFile(join(cove.dataDir, "keys", "evidence-signing.key"), "utf8");
  for (const secret of [privateKey.split("\n")[1]!, "PRIVATE KEY", cove.credentials.clientSecret, sp.password, pullToken, token]) {
    assert.ok(!text.includes(secret), "no key, secret or token in the answer");
  }
  for (let i = 0; i < 50 && (await leftovers()).length; i++) await sleep(20);
  assert.deepEqual(await leftovers(), [], "a failed export leaves no temporary files");
});

test("no bearer -> ARM's 401; a bad body -> catalogued 400s; another method -> 405", async () => {
  const none = await post({ registryId });
  assert.equal(none.status, 401);
  assert.equal(none.json().error.code, "AuthenticationFailed");
  const bad = await post({ registryId: "/subscriptions/x/../../etc" }, token);
  assert.deepEqual([bad.status, bad.json().error.code, bad.json().error.target], [400, "InvalidParameter", "registryId"]);
  const notJson = await post("{not json", token, { "content-type": "application/json" });
  assert.deepEqual([notJson.status, notJson.json().error.code], [400, "InvalidRequestContent"]);
  const big = await post({ registryId, pad: "x".repeat(20_000) }, token);
  assert.deepEqual([big.status, big.json().error.code], [413, "RequestEntityTooLarge"]);
  const get = await https(`${cove.managementUrl}/cove/portal/evidence`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual([get.status, get.json().error.code], [405, "MethodNotAllowed"]);
});
