// Issue 13's "stop PostgreSQL for 5 s under load", on a real `cove serve` with COVE_METADATA_URL: while
// the database is down every answer is the catalogued 503 (OCI UNAVAILABLE on /v2/, ARM
// ServiceUnavailable on the management API) or a success served without the database, never a 500
// and never a hang; once it is back the same requests succeed within 10 s without restarting Cove,
// the image still matches its digests, and Cove logged the outage once at warn, with no stack.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, spawnCove, type SpawnedCove, type TestCove } from "../support/cove.js";
import { createRegistry, managementToken } from "../support/arm.js";
import { basic, https, type HttpResult } from "../support/http.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

const OUTAGE_MS = 5000;
const REQUEST_TIMEOUT_MS = 12_000;
const MAX_REQUESTS = 200;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

let server: TestPostgres;
let work: string;
before(async () => {
  server = await startPostgres();
  work = await mkdtemp(join(tmpdir(), "cove-pg-outage-"));
});
after(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const sha256 = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex");

/** One answer, or "timeout" when none came in REQUEST_TIMEOUT_MS (a hang is a failure too). */
async function bounded(p: Promise<HttpResult>): Promise<HttpResult | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"timeout">((ok) => { timer = setTimeout(() => ok("timeout"), REQUEST_TIMEOUT_MS); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The code a 503 carries on its surface: OCI errors[0].code or ARM error.code. */
function errorCode(r: HttpResult): string | undefined {
  try {
    const b = r.json();
    return b?.errors?.[0]?.code ?? b?.error?.code;
  } catch {
    return undefined;
  }
}

test("PostgreSQL stopped for 5 s under load: catalogued 503s, no 500, and service resumes by itself", async () => {
  const url = await server.createDatabase("cove_outage");
  const dataDir = join(work, "data");
  const rport = await freePort();
  let cove: SpawnedCove | undefined = await spawnCove(dataDir, await freePort(), rport, { COVE_METADATA_URL: url, COVE_LOG_LEVEL: "info" }, true);
  try {
    const ca = await readFile(cove.credentials.caCertPath, "utf8");
    const c = { credentials: cove.credentials, ca, managementUrl: cove.credentials.managementEndpoint, registryPort: rport, suffix: "cove.test", dataDir } as TestCove;
    const reg = await createRegistry(c, "outage-rg", "outagereg");
    const bearer = `Bearer ${await managementToken(c)}`;
    const auth = basic(c.credentials.clientId, c.credentials.clientSecret);
    const v2 = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) =>
      https(`https://127.0.0.1:${rport}${path}`, { method, ca, host: reg.loginServer, headers: { authorization: auth, ...headers }, body });
    const arm = (method: string, path: string, body?: object) =>
      https(`${c.managementUrl}${path}`, { method, ca, headers: { authorization: bearer }, body });

    // A pushed image: a layer, a config, a manifest tagged v1.
    const layer = randomBytes(200_000);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux" }));
    const blobs = [layer, config].map(sha256);
    for (const [i, b] of [layer, config].entries()) {
      const r = await v2("POST", `/v2/team/app/blobs/uploads/?digest=${blobs[i]}`, b, { "content-type": "application/octet-stream" });
      assert.equal(r.status, 201, r.body.toString());
    }
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: blobs[1], size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: blobs[0], size: layer.length }],
    }));
    const put = await v2("PUT", "/v2/team/app/manifests/v1", manifest, { "content-type": OCI_MANIFEST });
    assert.equal(put.status, 201, put.body.toString());
    const digest = sha256(manifest);

    // What a client does under load: pull the manifest by tag and by digest, read the registry and
    // update its resource group through ARM (a write always needs the database).
    const round: Array<[string, () => Promise<HttpResult>]> = [
      ["manifest by tag", () => v2("GET", "/v2/team/app/manifests/v1", undefined, { accept: OCI_MANIFEST })],
      ["manifest by digest", () => v2("GET", `/v2/team/app/manifests/${digest}`, undefined, { accept: OCI_MANIFEST })],
      ["ARM GET registry", () => arm("GET", `${reg.id}?api-version=2023-07-01`)],
      ["ARM PUT resource group", () => arm("PUT", `/subscriptions/${c.credentials.subscriptionId}/resourcegroups/outage-rg?api-version=2021-04-01`, { location: "westeurope" })],
      // A registry create checks the name across nodes in MetadataStore.exclusive (an advisory lock).
      ["ARM PUT registry", () => arm("PUT", `${reg.id.replace(/outagereg$/, "outagereg2")}?api-version=2023-07-01`, { location: "westeurope", sku: { name: "Premium" } })],
    ];
    let sent = 0;
    const runRound = async () => {
      sent += round.length;
      assert.ok(sent <= MAX_REQUESTS, `more than ${MAX_REQUESTS} requests`);
      return Promise.all(round.map(async ([name, send]) => ({ name, r: await bounded(send()) })));
    };
    for (const { name, r } of await runRound()) assert.ok(r !== "timeout" && r.status < 300, `${name} before the outage`);

    // The outage: every answer is a success or the catalogued 503 of its surface.
    await server.halt();
    const haltedAt = Date.now();
    const seen = new Map<string, number>();
    while (Date.now() - haltedAt < OUTAGE_MS) {
      for (const { name, r } of await runRound()) {
        assert.notEqual(r, "timeout", `${name} hung during the outage`);
        if (r === "timeout") continue;
        const key = r.status < 300 ? `${name} ${r.status}` : `${name} ${r.status} ${errorCode(r)}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (r.status < 300) continue;
        assert.equal(r.status, 503, `${name}: ${r.status} ${r.body}`);
        assert.equal(errorCode(r), name.startsWith("ARM") ? "ServiceUnavailable" : "UNAVAILABLE", `${name}: ${r.body}`);
        assert.equal(r.headers["retry-after"], "5", `${name}: a 503 says when to retry`);
      }
      await sleep(200);
    }
    const outageRequests = [...seen.values()].reduce((a, b) => a + b, 0);
    console.log(`during ${OUTAGE_MS} ms of outage, ${outageRequests} answers:`, Object.fromEntries(seen));
    assert.ok([...seen.keys()].some((k) => k.startsWith("manifest by tag 503 UNAVAILABLE")), "a pull by tag needs the database: 503");
    assert.ok([...seen.keys()].some((k) => k.startsWith("ARM PUT resource group 503 ServiceUnavailable")), "an ARM write needs the database: 503");
    assert.ok([...seen.keys()].some((k) => k.startsWith("ARM PUT registry 503 ServiceUnavailable")), "a name check needs the database's lock: 503");

    // Back: the same requests succeed within 10 s, with no restart of Cove.
    await server.restart();
    const restartedAt = Date.now();
    let recoveredMs: number | undefined;
    while (recoveredMs === undefined && Date.now() - restartedAt < 10_000) {
      const answers = await runRound();
      if (answers.every(({ r }) => r !== "timeout" && r.status < 300)) recoveredMs = Date.now() - restartedAt;
      else await sleep(250);
    }
    assert.ok(recoveredMs !== undefined, "every request succeeds again within 10 s of the restart");
    console.log(`recovered ${recoveredMs} ms after PostgreSQL was back; ${sent} requests in all`);
    assert.equal(cove.child.exitCode, null, "the same Cove process served throughout");

    // Nothing corrupted: the manifest and its blobs still match their digests.
    const m = await v2("GET", "/v2/team/app/manifests/v1", undefined, { accept: OCI_MANIFEST });
    assert.equal(m.status, 200);
    assert.equal(sha256(m.body), digest);
    assert.equal(m.headers["docker-content-digest"], digest);
    for (const d of blobs) {
      const b = await v2("GET", `/v2/team/app/blobs/${d}`);
      assert.equal(b.status, 200);
      assert.equal(sha256(b.body), d, "blob bytes match their digest");
    }

    // The log: the outage once at warn and its end at info; no 500, no stack, no password.
    cove.child.kill("SIGTERM");
    assert.equal(await cove.waitExit(), 0);
    const out = cove.output();
    cove = undefined;
    const lines = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: number; msg: string; stack?: string; err?: unknown });
    const outage = lines.filter((l) => /metadata store is unavailable/.test(l.msg));
    assert.equal(outage.length, 1, "one warning for the whole outage");
    assert.equal(outage[0].level, 40, "at warn");
    assert.ok(lines.some((l) => /metadata store is available again/.test(l.msg) && l.level === 30), "its end at info");
    assert.ok(!lines.some((l) => l.level >= 50), `nothing at error: ${lines.filter((l) => l.level >= 50).map((l) => l.msg).join("; ")}`);
    assert.doesNotMatch(out, /\n\s+at |"stack"/, "no stack trace");
    assert.doesNotMatch(out, /ECONNREFUSED.*127\.0\.0\.1:\d+/, "no socket address");
    assert.ok(!out.includes(server.password), "the database password is never printed");
  } finally {
    if (cove) {
      cove.child.kill("SIGTERM");
      await cove.waitExit();
    }
  }
});
