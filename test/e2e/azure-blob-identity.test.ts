// A real `cove serve` on Azure Blob Storage by container URL and DefaultAzureCredential, no account
// key anywhere in its configuration: Azurite runs with OAuth (HTTPS, bearer tokens checked for a
// Microsoft Entra issuer, the storage audience and their lifetime: its "basic" mode, which does not
// check signatures), and Cove's identity is a managed identity, App Service style: IDENTITY_ENDPOINT
// and IDENTITY_HEADER, which @azure/identity calls for a token. That endpoint is Azure's and cannot
// run here, so the test serves it (the one stand-in): it answers only with the right secret header,
// and records what it was asked for. AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential keeps the
// credential chain from trying anything else (the Azure CLI, IMDS) on this machine.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { https } from "../support/http.js";
import { openLocalCa } from "../../src/http/tls/local-ca.js";
import { AZURITE_ACCOUNT, startAzurite, type TestAzurite } from "../support/azurite.js";
import { freePort, runCove } from "../support/cove.js";
import { makeRegistry, managementTokenFrom, registryCall, registryTokenFrom, sha256, startNodes, type Cluster } from "../support/nodes.js";
import { pushImage, randomImage } from "./scale-out-push.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CONTAINER = "cove-identity";
let work: string;
let azurite: TestAzurite;
let caPath: string;
let identity: Server;
let identityPort: number;
const header = randomBytes(16).toString("hex");
const asked: { resource: string | null; header: boolean }[] = [];

/** A storage access token as Entra issues one to a managed identity (unsigned claims are all Azurite reads). */
function storageToken(resource: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: TENANT, oid: "00000000-0000-0000-0000-0000000000aa", appid: "00000000-0000-0000-0000-0000000000bb" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(`https://sts.windows.net/${TENANT}/`).setAudience(resource.replace(/\/+$/, ""))
    .setIssuedAt(now - 5).setNotBefore(now - 5).setExpirationTime(now + 3600)
    .sign(randomBytes(32));
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "cove-azure-identity-"));
  const ca = await openLocalCa(join(work, "storage-ca"));
  const { cert, key } = await ca.issue(["127.0.0.1"]);
  caPath = ca.certPath;
  await writeFile(join(work, "storage.crt"), cert);
  await writeFile(join(work, "storage.key"), key, { mode: 0o600 });
  azurite = await startAzurite({ certPath: join(work, "storage.crt"), keyPath: join(work, "storage.key") });
  identity = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const ok = req.headers["x-identity-header"] === header;
    asked.push({ resource: url.searchParams.get("resource"), header: ok });
    if (!ok || url.pathname !== "/msi/token") { res.writeHead(401, { "content-type": "application/json" }).end('{"error":"unauthorized"}'); return; }
    const resource = url.searchParams.get("resource") ?? "";
    storageToken(resource).then((token) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
        access_token: token, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: "Bearer",
      }));
    });
  });
  await new Promise<void>((ok) => identity.listen(0, "127.0.0.1", () => ok()));
  identityPort = (identity.address() as { port: number }).port;
});

after(async () => {
  await new Promise((ok) => identity?.close(ok));
  await azurite?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const containerUrl = () => `https://127.0.0.1:${azurite.port}/${AZURITE_ACCOUNT}/${CONTAINER}`;
const identityEnv = (endpoint: string) => ({
  COVE_BLOB_CONTAINER_URL: containerUrl(),
  IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: header,
  AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
  NODE_EXTRA_CA_CERTS: caPath,
});

test("cove serve reaches its container as a managed identity: blobs land there, pull back byte for byte, and no key is configured", async () => {
  let cluster: Cluster | undefined;
  try {
    cluster = await startNodes({ workDir: join(work, "nodes"), env: identityEnv(`http://127.0.0.1:${identityPort}/msi/token`), names: ["a"] });
    const [a] = cluster.nodes;
    const token = await managementTokenFrom(a!, cluster.ca);
    const reg = await makeRegistry(a!, cluster.ca, token, "identity-rg", "identityreg");
    const auth = await registryTokenFrom(a!, cluster, reg.loginServer, "repository:app:pull,push");
    const img = randomImage("v1", 5 * 1024 * 1024 + 17);
    assert.equal(await pushImage(a!, cluster, reg.loginServer, "app", img, auth, { uploads: new Map() }), 201);
    for (const [i, digest] of img.blobs.entries()) {
      const r = await registryCall(a!, cluster, reg.loginServer, "GET", `/v2/app/blobs/${digest}`, { auth });
      assert.equal(r.status, 200);
      assert.equal(sha256(r.body), digest);
      assert.equal(r.body.length, img.bytes[i]!.length);
    }
    // Cove asked its identity endpoint for the storage audience, with the secret header.
    assert.ok(asked.some((q) => q.header && q.resource?.replace(/\/+$/, "") === "https://storage.azure.com"), JSON.stringify(asked));
    // The bytes are in the container: its List Blobs, with a token of the same kind, names them.
    const storageCa = await readFile(caPath, "utf8");
    const list = (authorization?: string) => https(`${containerUrl()}?restype=container&comp=list`, {
      ca: storageCa, headers: { "x-ms-version": "2021-12-02", ...(authorization ? { authorization } : {}) },
    });
    const listed = await list(`Bearer ${await storageToken("https://storage.azure.com")}`);
    assert.equal(listed.status, 200, String(listed.body));
    for (const digest of img.blobs) assert.ok(String(listed.body).includes(digest.slice("sha256:".length)), `${digest} listed`);
    // The storage enforces OAuth: without a token it refuses.
    const anonymous = await list();
    assert.ok(anonymous.status === 401 || anonymous.status === 403, `anonymous list: ${anonymous.status}`);
    // Nothing in the node's configuration or data dir is an account key or a connection string.
    const printed = a!.output();
    assert.doesNotMatch(printed, /AccountKey|Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/);
    assert.doesNotMatch(await readFile(join(a!.dataDir, "credentials.json"), "utf8"), /AccountKey/);
  } finally {
    await cluster?.stop();
  }
});

test("a container URL with no identity to sign in with stops cove serve with a sentence, not a stack", async () => {
  // The identity endpoint refuses: a path it does not serve.
  const { code, out } = await runCove(["serve", "--data-dir", join(work, "refused"), "--management-listen", `127.0.0.1:${await freePort()}`, "--registry-port", String(await freePort()), "--dns-listen", "127.0.0.1:0"],
    { ...identityEnv(`http://127.0.0.1:${identityPort}/wrong-path`), COVE_LOG_LEVEL: "warn" });
  assert.notEqual(code, 0, out);
  assert.match(out, /blob store is unavailable \(no (token|identity)/, out);
  assert.doesNotMatch(out, /\n\s+at /, "no stack");
});
