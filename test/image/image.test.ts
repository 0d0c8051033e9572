// `npm run image` builds Cove's OCI image with buildah, the command docs/scale-out.md gives operators.
// skopeo (containers/image: a client nobody here wrote) pushes it from buildah's storage into a
// running Cove, and the registry API then serves what a runtime would run: `cove serve` as a
// non-root user, its ports, the data dir as a volume, and one layer holding Cove and none of the dev
// tree. Last, the image's own files run that entrypoint (buildah run with chroot isolation; podman
// run does not work on these machines) and answer /healthz. buildah works in a store of its own
// under a temporary directory (CONTAINERS_STORAGE_CONF), so the machine's images are never touched.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { chown, mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { startCove, freePort, type TestCove } from "../support/cove.js";
import { createRegistry } from "../support/arm.js";
import { runWithHosts, have } from "../support/hosts.js";
import { https, basic } from "../support/http.js";
import { listLayer, type TarEntry } from "./layer-tar.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const VERSION = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")).version as string;
const IMAGE = `localhost/cove:${VERSION}`;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

const skip = !(await have("buildah")) ? "buildah is not installed (run npm test as root to install it)"
  : !(await have("skopeo")) ? "skopeo is not installed (run npm test as root to install it)"
  : process.getuid?.() !== 0 ? "buildah builds as root here (CI runs as root); as another user it needs subuid ranges"
  : false;

interface Ran { code: number | null; stdout: string; stderr: string }

/** Starts a command in a process group of its own, so a bound ends it and everything it started. */
function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
}

function finish(child: ChildProcess, timeoutMs: number): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c) => (stdout += c));
  child.stderr!.on("data", (c) => (stderr += c));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      stderr += `\n(ended after ${timeoutMs} ms)`;
      try { process.kill(-child.pid!, "SIGTERM"); } catch { /* gone */ }
      setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, 3000).unref();
    }, timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); fail(e); });
    child.on("close", (code) => { clearTimeout(timer); ok({ code, stdout, stderr }); });
  });
}

let work: string;
let storage: string;
let env: NodeJS.ProcessEnv;
let cove: TestCove;
let loginServer: string;
let built: Ran;
let started: number;

before(async () => {
  if (skip) return;
  started = Date.now();
  work = await mkdtemp(join(tmpdir(), "cove-image-test-"));
  const conf = join(work, "storage.conf");
  await writeFile(conf, `[storage]\ndriver = "overlay"\ngraphroot = "${work}/graph"\nrunroot = "${work}/run"\n`);
  storage = `overlay@${work}/graph+${work}/run`;
  env = { CONTAINERS_STORAGE_CONF: conf };
  // The build and Cove's start overlap: the build is the long part.
  const build = finish(launch("npm", ["run", "image"], env), 90_000);
  try {
    cove = await startCove();
    ({ loginServer } = await createRegistry(cove, "image-rg", "coveimages"));
  } finally {
    // Even when Cove failed to start: the store is removed only once buildah is done with it.
    built = await build;
  }
}, { timeout: 100_000 });

after(async () => {
  if (skip) return;
  await cove?.stop();
  if (work) {
    // Every container and image the file made, then the store itself.
    await finish(launch("buildah", ["rm", "--all"], env), 20_000);
    await finish(launch("buildah", ["rmi", "--all", "--force"], env), 20_000);
    await rm(work, { recursive: true, force: true });
  }
  console.log(`# image test took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, { timeout: 45_000 });

const registry = (path: string, headers: Record<string, string> = {}) =>
  https(`https://127.0.0.1:${cove.registryPort}${path}`, {
    ca: cove.ca, host: loginServer, headers: { authorization: basic(cove.credentials.clientId, cove.credentials.clientSecret), ...headers },
  });

test("npm run image builds the image with buildah and prints its name last", { skip }, () => {
  assert.equal(built.code, 0, built.stderr.slice(-3000));
  assert.equal(built.stdout.trim().split("\n").at(-1), IMAGE);
  assert.match(built.stderr, new RegExp(`built ${IMAGE} \\(\\d+`));
});

let manifest: { config: { digest: string }; layers: Array<{ digest: string; size: number; mediaType: string }> };
let config: { architecture: string; os: string; config: Record<string, any> };

test("skopeo pushes it into Cove, and its config there runs cove serve as a non-root user with the data dir as a volume", { skip, timeout: 60_000 }, async () => {
  assert.equal(built.code, 0, "the build failed");
  const certs = join(work, "certs");
  await mkdir(certs);
  await writeFile(join(certs, "ca.crt"), cove.ca);
  const creds = `${cove.credentials.clientId}:${cove.credentials.clientSecret}`;
  const push = await runWithHosts({ [loginServer.replace(/:\d+$/, "")]: "127.0.0.1" }, "skopeo",
    ["copy", "--dest-cert-dir", certs, "--dest-creds", creds, `containers-storage:[${storage}]${IMAGE}`, `docker://${loginServer}/cove:${VERSION}`],
    { timeoutMs: 55_000 });
  assert.equal(push.code, 0, push.stderr);

  const m = await registry(`/v2/cove/manifests/${VERSION}`, { accept: OCI_MANIFEST });
  assert.equal(m.status, 200, m.body.toString());
  assert.equal(m.headers["content-type"], OCI_MANIFEST);
  manifest = m.json();
  const c = await registry(`/v2/cove/blobs/${manifest.config.digest}`);
  assert.equal(c.status, 200);
  config = c.json();
  const cfg = config.config;
  assert.equal(config.os, "linux");
  assert.deepEqual(cfg.Entrypoint, ["/usr/local/bin/node", "/opt/cove/bin/cove.js", "serve"]);
  assert.deepEqual(Object.keys(cfg.ExposedPorts).sort(), ["5353/tcp", "5353/udp", "8443/tcp", "8444/tcp"]);
  const [uid, gid] = String(cfg.User).split(":");
  assert.ok(/^\d+$/.test(uid) && Number(uid) !== 0 && Number(gid) !== 0, `User ${cfg.User} is a numeric non-root user`);
  // The volume is the directory Cove keeps its data in, and it listens beyond the loopback.
  assert.ok(cfg.Env.includes("COVE_DATA_DIR=/var/lib/cove"), cfg.Env.join(" "));
  assert.deepEqual(Object.keys(cfg.Volumes), ["/var/lib/cove"]);
  assert.ok(cfg.Env.includes("COVE_MANAGEMENT_LISTEN=0.0.0.0:8443") && cfg.Env.includes("COVE_DNS_LISTEN=0.0.0.0:5353"), cfg.Env.join(" "));
  assert.equal(cfg.Labels["org.opencontainers.image.version"], VERSION);
  assert.equal(cfg.Labels["org.opencontainers.image.title"], "cove");
});

test("its one layer holds Cove, the project's Node.js and production dependencies only, in under 200 MB", { skip, timeout: 30_000 }, async () => {
  assert.ok(manifest, "the push failed");
  assert.equal(manifest.layers.length, 1);
  const l = await registry(`/v2/cove/blobs/${manifest.layers[0].digest}`);
  assert.equal(l.status, 200);
  assert.equal(l.body.length, manifest.layers[0].size);
  const files = await listLayer(Readable.from([l.body]));
  const at = (p: string): TarEntry => { const e = files.get(p); assert.ok(e, `the layer holds ${p}`); return e; };
  assert.equal(at("opt/cove/bin/cove.js").type, "file");
  assert.ok(at("usr/local/bin/node").mode & 0o111, "node is executable");
  for (const p of ["lib64/ld-linux-x86-64.so.2", "opt/cove/dist/src/cli/index.js", "opt/cove/src/web/client/index.html",
    "opt/cove/node_modules/pg/package.json", "opt/cove/node_modules/@azure/storage-blob/package.json", "etc/passwd"]) at(p);
  const data = at("var/lib/cove");
  assert.deepEqual([data.type, data.uid, data.gid, data.mode], ["dir", 10001, 10001, 0o700]);
  assert.equal(at("opt/cove/dist/src/cli/index.js").uid, 0, "Cove's own files stay root's");
  const paths = [...files.keys()];
  for (const dev of ["azurite", "typescript", "playwright-core", "node"]) {
    assert.ok(!files.has(`opt/cove/node_modules/${dev}`), `no node_modules/${dev}`);
  }
  assert.deepEqual(paths.filter((p) => /^opt\/cove\/dist\/(test|bench|examples)\b|^opt\/cove\/dist\/.*\.test\.js$|\.map$/.test(p)).slice(0, 5), []);
  const bytes = [...files.values()].reduce((n, e) => n + e.size, 0);
  assert.ok(bytes < 200e6, `the layer unpacks to ${(bytes / 1e6).toFixed(0)} MB`);
});

/** The process of the group led by `leader` whose program is `program`: the container's own process. */
async function processOf(leader: number, program: string): Promise<number | undefined> {
  for (const pid of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    const argv0 = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0")[0];
    if (pgid === leader && argv0 === program) return Number(pid);
  }
  return undefined;
}

test("its entrypoint runs from the image's own files as the cove user, on a volume owned by it, answers /healthz and stops cleanly on SIGTERM", { skip, timeout: 40_000 }, async () => {
  assert.ok(config, "the push failed");
  const ctr = await finish(launch("buildah", ["from", "--pull-never", IMAGE], env), 15_000);
  assert.equal(ctr.code, 0, ctr.stderr);
  // The data dir on a host directory, as an operator runs it (-v DIR:/var/lib/cove), owned by the image's user.
  const [uid, gid] = String(config.config.User).split(":").map(Number);
  const volume = join(work, "data");
  await mkdir(volume, { mode: 0o700 });
  await chown(volume, uid, gid);
  const mport = await freePort();
  // Free loopback ports instead of the image's 0.0.0.0 ones: buildah run shares this machine's network.
  const ports = [`COVE_MANAGEMENT_LISTEN=127.0.0.1:${mport}`, `COVE_REGISTRY_PORT=${await freePort()}`, `COVE_DNS_LISTEN=127.0.0.1:${await freePort()}`];
  const server = launch("buildah", ["run", "--isolation", "chroot", "--user", config.config.User, "-v", `${volume}:${config.config.Env.find((e: string) => e.startsWith("COVE_DATA_DIR=")).slice(14)}`,
    ...ports.flatMap((e) => ["--env", e]), ctr.stdout.trim(), "--", ...config.config.Entrypoint], env);
  const ran = finish(server, 35_000);
  let health = 0;
  for (let i = 0; i < 100 && server.exitCode === null && health !== 200; i++) {
    await sleep(250);
    const ca = await readFile(join(volume, "ca", "ca.crt"), "utf8").catch(() => undefined);
    if (ca) health = await https(`https://127.0.0.1:${mport}/healthz`, { ca }).then((r) => r.status, () => 0);
  }
  // What `podman stop` does: SIGTERM to the container's process, not to buildah.
  const node = await processOf(server.pid!, config.config.Entrypoint[0]);
  if (node) process.kill(node, "SIGTERM");
  else process.kill(-server.pid!, "SIGTERM");
  const end = await ran;
  assert.equal(health, 200, end.stdout.slice(-2000) + end.stderr.slice(-2000));
  assert.ok(node, "the entrypoint's node process was found");
  assert.equal(end.code, 0, end.stderr.slice(-2000));
  assert.match(end.stdout, /"msg":"cove is serving"[\s\S]*"msg":"stopped"/);
  const creds = await stat(join(volume, "credentials.json"));
  assert.deepEqual([creds.uid, creds.mode & 0o777], [uid, 0o600], "credentials.json is the cove user's, mode 0600");
});
