// podman (containers/image + containers/storage) pushes to and pulls from Cove with Basic
// credentials turned into ACR tokens. Containers are not run (this machine's cgroups forbid it);
// images are stored with the vfs driver in a throw-away root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdir, writeFile, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCove, type TestCove } from "../support/cove.js";
import { createRegistry, createServicePrincipal, assignRole, ROLE } from "../support/arm.js";
import { runWithHosts, have } from "../support/hosts.js";

const exec = promisify(execFile);
const skip = !(await have("podman")) && "podman is not installed (run npm test as root to install it)";
let cove: TestCove;
let work: string;
let loginServer: string;
let sp: { appId: string; password: string };

before(async () => {
  if (skip) return;
  cove = await startCove();
  // podman names an image pulled from an OCI layout after its path, and names must be lower-case.
  work = join(tmpdir(), "cove-podman-" + randomBytes(6).toString("hex"));
  await mkdir(work);
  const reg = await createRegistry(cove, "podman-rg", "podmanreg");
  loginServer = reg.loginServer;
  const p = await createServicePrincipal(cove, "podman-pusher");
  await assignRole(cove, reg.id, p.objectId, ROLE.AcrPush);
  sp = p;
  await mkdir(join(work, "certs"));
  await writeFile(join(work, "certs", "ca.crt"), cove.ca);
});

after(async () => {
  if (skip) return;
  await cove?.stop();
  await rm(work, { recursive: true, force: true });
});

function podman(args: string[]) {
  const storage = ["--storage-driver", "vfs", "--root", join(work, "root"), "--runroot", join(work, "run"), "--cgroup-manager", "cgroupfs", "--events-backend", "none"];
  return runWithHosts({ [loginServer.replace(/:\d+$/, "")]: "127.0.0.1" }, "podman", [...storage, ...args], {
    timeoutMs: 180_000,
    env: { REGISTRY_AUTH_FILE: join(work, "auth.json"), CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf") },
  });
}

test("podman logs in, pushes, removes its copy and pulls the image back", { skip }, async () => {
  await writeFile(join(work, "registries.conf"), "unqualified-search-registries = []\n");
  const layout = join(work, "img");
  const { stdout } = await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "512", "64"]);
  const digest = stdout.trim();
  const ref = `${loginServer}/apps/web:v1`;
  const certs = join(work, "certs");

  // --password-stdin reads the secret from standard input, as a pipeline would.
  const login = await runWithHosts({ [loginServer.replace(/:\d+$/, "")]: "127.0.0.1" }, "podman",
    ["--storage-driver", "vfs", "--root", join(work, "root"), "--runroot", join(work, "run"), "--events-backend", "none",
     "login", "--cert-dir", certs, "-u", sp.appId, "--password-stdin", loginServer],
    { input: sp.password, env: { REGISTRY_AUTH_FILE: join(work, "auth.json"), CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf") } });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);

  const pulled = await podman(["pull", `oci:${layout}:v1`]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const imageId = pulled.stdout.trim().split("\n").pop()!;
  const tagged = await podman(["tag", imageId, ref]);
  assert.equal(tagged.code, 0, tagged.stderr);
  const push = await podman(["push", "--cert-dir", certs, "--digestfile", join(work, "digest"), ref]);
  assert.equal(push.code, 0, push.stderr);

  const rmi = await podman(["rmi", "--all", "--force"]);
  assert.equal(rmi.code, 0, rmi.stderr);
  const pull = await podman(["pull", "--cert-dir", certs, ref]);
  assert.equal(pull.code, 0, pull.stderr);
  const inspect = await podman(["image", "inspect", "--format", "{{.Id}}", ref]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal(inspect.stdout.trim(), imageId, "the image pulled back is the image pushed");
  assert.ok(digest.startsWith("sha256:"));
});
