// A real `cove serve` on the PostgreSQL metadata driver (COVE_METADATA_URL / --metadata-url): a
// registry made through the Azure SDK and an image pushed and pulled with skopeo live in PostgreSQL
// (not in a cove.db), survive a restart, and the URL's password never appears in what Cove prints.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { freePort, runCove, spawnCove, type SpawnedCove, type TestCove } from "../support/cove.js";
import { createRegistry, credentialFor } from "../support/arm.js";
import { have, runWithHosts } from "../support/hosts.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

const exec = promisify(execFile);
const skip = !(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)";
let server: TestPostgres;
let work: string;

before(async () => {
  server = await startPostgres();
  work = await mkdtemp(join(tmpdir(), "cove-pg-e2e-"));
});
after(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function testCove(s: SpawnedCove, dataDir: string, rport: number): Promise<TestCove> {
  const ca = await readFile(s.credentials.caCertPath, "utf8");
  return { credentials: s.credentials, ca, managementUrl: s.credentials.managementEndpoint, registryPort: rport, suffix: "cove.test", dataDir } as TestCove;
}

test("cove serve on PostgreSQL keeps a registry and a skopeo-pushed image across a restart", { skip }, async () => {
  const url = await server.createDatabase("cove_e2e");
  const dataDir = join(work, "data");
  const mport = await freePort();
  const rport = await freePort();
  const env = { COVE_METADATA_URL: url, COVE_LOG_LEVEL: "debug" };
  let s = await spawnCove(dataDir, mport, rport, env, true);
  let printed = "";
  try {
    let c = await testCove(s, dataDir, rport);
    const reg = await createRegistry(c, "pg-rg", "pgreg");
    const certDir = join(work, "certs");
    await mkdir(certDir);
    await writeFile(join(certDir, "ca.crt"), c.ca);
    const creds = `${c.credentials.clientId}:${c.credentials.clientSecret}`;
    const skopeo = (args: string[]) => runWithHosts({ [reg.loginServer.replace(/:\d+$/, "")]: "127.0.0.1" }, "skopeo", args, { timeoutMs: 120_000 });
    const layout = join(work, "img");
    const manifestDigest = (await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", "512", "256", "2"])).stdout.trim();
    const dest = `docker://${reg.loginServer}/team/app:v1`;
    const push = await skopeo(["copy", "--dest-cert-dir", certDir, "--dest-creds", creds, `oci:${layout}:v1`, dest]);
    assert.equal(push.code, 0, push.stderr);

    // The records are in PostgreSQL, and no SQLite database was made beside the blobs.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const regRow = await db.query("SELECT id FROM resources WHERE id_lower = $1", [reg.id.toLowerCase()]);
      assert.equal(regRow.rowCount, 1);
      const tagRow = await db.query("SELECT digest FROM tags WHERE repository = 'team/app' AND tag = 'v1'");
      assert.equal(tagRow.rows[0]?.digest, manifestDigest);
      assert.ok(Number((await db.query("SELECT count(*) AS n FROM audit")).rows[0].n) > 0, "the audit log is in PostgreSQL too");
    } finally {
      await db.end();
    }
    await assert.rejects(access(join(dataDir, "cove.db")), "no cove.db in the data dir");

    // Restart on the same database and data dir.
    s.child.kill("SIGTERM");
    assert.equal(await s.waitExit(), 0);
    printed += s.output();
    s = await spawnCove(dataDir, mport, rport, env, true);
    c = await testCove(s, dataDir, rport);
    const acr = new ContainerRegistryManagementClient(credentialFor(c), c.credentials.subscriptionId, {
      endpoint: c.managementUrl, tlsOptions: { ca: c.ca }, retryOptions: { maxRetries: 0 },
    } as any);
    const again = await acr.registries.get("pg-rg", "pgreg");
    assert.equal(again.id, reg.id);
    const back = join(work, "back");
    const pull = await skopeo(["copy", "--src-cert-dir", certDir, "--src-creds", creds, dest, `oci:${back}:v1`]);
    assert.equal(pull.code, 0, pull.stderr);
    const index = JSON.parse(await readFile(join(back, "index.json"), "utf8"));
    assert.equal(index.manifests[0].digest, manifestDigest);
    const manifest = JSON.parse(await readFile(join(back, "blobs", "sha256", manifestDigest.slice(7)), "utf8"));
    for (const l of manifest.layers) {
      const bytes = await readFile(join(back, "blobs", "sha256", l.digest.slice(7)));
      assert.equal("sha256:" + createHash("sha256").update(bytes).digest("hex"), l.digest);
    }
  } finally {
    s.child.kill("SIGTERM");
    await s.waitExit();
    printed += s.output();
  }
  assert.ok(printed.length > 0, "debug logs were captured");
  assert.ok(!printed.includes(server.password), "the database password is never printed");
});

test("a metadata URL that is not PostgreSQL is a config error that does not echo it", async () => {
  await writeFile(join(work, "bad.yaml"), "metadataUrl: mysql://cove:hunter2@db.internal/cove\n");
  const verify = await runCove(["config", "verify", join(work, "bad.yaml")]);
  assert.notEqual(verify.code, 0, verify.out);
  assert.match(verify.out, /metadataUrl: must be a postgres:\/\/ or postgresql:\/\/ URL/);
  assert.doesNotMatch(verify.out, /hunter2/);

  const serve = await runCove(["serve", "--data-dir", join(work, "never"), "--metadata-url", "mysql://cove:hunter2@db.internal/cove"]);
  assert.notEqual(serve.code, 0);
  assert.match(serve.out, /metadataUrl/);
  assert.doesNotMatch(serve.out, /hunter2/);
});

test("cove serve names the database it cannot reach, with the password masked", async () => {
  const wrong = server.url.replace(server.password, "not-the-password");
  const mport = await freePort();
  const r = await runCove(["serve", "--data-dir", join(work, "refused"), "--management-listen", `127.0.0.1:${mport}`, "--registry-port", String(await freePort()),
    "--dns-listen", `127.0.0.1:${await freePort()}`], { COVE_METADATA_URL: wrong });
  assert.notEqual(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`127\\.0\\.0\\.1:${server.port}`));
  assert.doesNotMatch(r.out, /not-the-password/);
  assert.doesNotMatch(r.out, /at Object\.|\n\s+at /, "no stack trace");
});
