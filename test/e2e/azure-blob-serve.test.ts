// A real `cove serve` on the Azure Blob Storage driver (COVE_BLOB_CONNECTION_STRING, here Azurite's
// development connection string): an image pushed and pulled with skopeo has its bytes in the
// storage account's container (not in the data dir), every pulled layer matches its digest, and
// the connection string's account key never appears in what Cove prints, even at debug level. While
// the store is stopped a pull gets the catalogued 503, and it works again once the store is back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { BlobServiceClient } from "@azure/storage-blob";
import { freePort, runCove, spawnCove, type TestCove } from "../support/cove.js";
import { createRegistry } from "../support/arm.js";
import { have, runWithHosts } from "../support/hosts.js";
import { AZURITE_KEY, startAzurite, type TestAzurite } from "../support/azurite.js";

const exec = promisify(execFile);
const skip = !(await have("skopeo")) && "skopeo is not installed (run npm test as root to install it)";
let azurite: TestAzurite;
let work: string;

before(async () => {
  azurite = await startAzurite();
  work = await mkdtemp(join(tmpdir(), "cove-azure-e2e-"));
});
after(async () => {
  await azurite?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("cove serve on Azure Blob Storage: a skopeo push lands in the container, pulls back byte for byte, and a pull while the store is down is a 503", { skip }, async () => {
  const dataDir = join(work, "data");
  const mport = await freePort();
  const rport = await freePort();
  const env = { COVE_BLOB_CONNECTION_STRING: azurite.connectionString, COVE_BLOB_CONTAINER: "cove-e2e", COVE_LOG_LEVEL: "debug" };
  const s = await spawnCove(dataDir, mport, rport, env, true);
  try {
    const c = { credentials: s.credentials, ca: await readFile(s.credentials.caCertPath, "utf8"), managementUrl: s.credentials.managementEndpoint, registryPort: rport, suffix: "cove.test", dataDir } as TestCove;
    const reg = await createRegistry(c, "blob-rg", "blobreg");
    const certDir = join(work, "certs");
    await mkdir(certDir);
    await writeFile(join(certDir, "ca.crt"), c.ca);
    const creds = `${c.credentials.clientId}:${c.credentials.clientSecret}`;
    const skopeo = (args: string[]) => runWithHosts({ [reg.loginServer.replace(/:\d+$/, "")]: "127.0.0.1" }, "skopeo", args, { timeoutMs: 120_000 });
    const layout = join(work, "img");
    // A 6 MiB layer (it crosses a 4 MiB block boundary), a small one and an empty-ish one.
    const manifestDigest = (await exec(process.execPath, ["scripts/make-oci-image.mjs", layout, "v1", String(6 * 1024), "256", "2"])).stdout.trim();
    const dest = `docker://${reg.loginServer}/team/app:v1`;
    const push = await skopeo(["copy", "--dest-cert-dir", certDir, "--dest-creds", creds, `oci:${layout}:v1`, dest]);
    assert.equal(push.code, 0, push.stderr);

    const pushed = JSON.parse(await readFile(join(layout, "blobs", "sha256", manifestDigest.slice(7)), "utf8"));
    const names: string[] = [];
    for await (const b of BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("cove-e2e").listBlobsFlat()) names.push(b.name);
    for (const d of [pushed.config.digest, ...pushed.layers.map((l: { digest: string }) => l.digest)]) {
      assert.ok(names.includes(`blobs/sha256/${d.slice(7)}`), `${d} is in the container`);
    }
    assert.deepEqual(names.filter((n) => n.startsWith("uploads/")), [], "no upload is left behind");
    assert.deepEqual(await readdir(join(dataDir, "blobs")).catch(() => []), [], "no blob bytes in the data dir");

    const back = join(work, "back");
    const pull = await skopeo(["copy", "--src-cert-dir", certDir, "--src-creds", creds, dest, `oci:${back}:v1`]);
    assert.equal(pull.code, 0, pull.stderr);
    const index = JSON.parse(await readFile(join(back, "index.json"), "utf8"));
    assert.equal(index.manifests[0].digest, manifestDigest);
    const manifest = JSON.parse(await readFile(join(back, "blobs", "sha256", manifestDigest.slice(7)), "utf8"));
    assert.equal(manifest.layers.length, 3);
    assert.ok(manifest.layers.some((l: { size: number }) => l.size > 4 * 1024 * 1024), "a layer spans more than one block");
    for (const l of manifest.layers) {
      const bytes = await readFile(join(back, "blobs", "sha256", l.digest.slice(7)));
      assert.equal(bytes.length, l.size);
      assert.equal("sha256:" + createHash("sha256").update(bytes).digest("hex"), l.digest);
    }

    // The store stops: a pull is refused with the catalogued 503, and works again once it is back.
    await azurite.halt();
    try {
      const refused = await skopeo(["copy", "--src-cert-dir", certDir, "--src-creds", creds, dest, `oci:${join(work, "refused")}:v1`]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /invalid status code from registry 503 \(Service Unavailable\)/, refused.stderr);
    } finally {
      await azurite.restart();
    }
    const again = await skopeo(["copy", "--src-cert-dir", certDir, "--src-creds", creds, dest, `oci:${join(work, "again")}:v1`]);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    s.child.kill("SIGTERM");
    await s.waitExit();
  }
  assert.match(s.output(), /"level":20/, "debug logs were captured");
  assert.ok(!s.output().includes(AZURITE_KEY), "the account key is never printed");
});

test("a connection string that is not one, or a store that does not answer, stops cove serve with a sentence and no key", async () => {
  const args = async (dir: string) => ["serve", "--data-dir", join(work, dir), "--management-listen", `127.0.0.1:${await freePort()}`, "--registry-port", String(await freePort()),
    "--dns-listen", `127.0.0.1:${await freePort()}`];
  const bad = await runCove(await args("bad"), { COVE_BLOB_CONNECTION_STRING: "AccountKey=hunter2hunter2;nonsense" });
  assert.notEqual(bad.code, 0, bad.out);
  assert.match(bad.out, /blobConnectionString: not an Azure Storage connection string/);
  assert.doesNotMatch(bad.out, /hunter2/);

  const down = azurite.connectionString.replace(`:${azurite.port}/`, `:${await freePort()}/`);
  const r = await runCove(await args("down"), { COVE_BLOB_CONNECTION_STRING: down });
  assert.notEqual(r.code, 0, r.out);
  assert.match(r.out, /the blob store is unavailable \(no answer ECONNREFUSED\)/);
  assert.ok(!r.out.includes(AZURITE_KEY), "the account key is never printed");
  assert.doesNotMatch(r.out, /\n\s+at /, "no stack trace");
});
