// `cove serve` as an operator meets it: first start writes credentials.json (0600) and the CA, a
// restart reuses them (rewriting only where Cove is reached), /healthz answers, logs are JSON lines without secrets, and SIGTERM lets an
// in-flight upload finish, refuses new connections and closes the database cleanly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, spawnCove } from "../support/cove.js";
import { createRegistry } from "../support/arm.js";
import { https, basic } from "../support/http.js";

test("first start, restart, healthz, JSON logs without secrets, graceful SIGTERM", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-life-"));
  const mport = await freePort();
  const rport = await freePort();
  try {
    let cove = await spawnCove(dataDir, mport, rport, { COVE_LOG_LEVEL: "debug" }, true);
    const credPath = join(dataDir, "credentials.json");
    assert.equal((await stat(credPath)).mode & 0o777, 0o600);
    const first = JSON.parse(await readFile(credPath, "utf8"));
    for (const k of ["tenantId", "subscriptionId", "clientId", "clientSecret", "authorityHost", "managementEndpoint", "registryPort", "dnsAddress", "caCertPath"]) {
      assert.ok(first[k] !== undefined && first[k] !== "", `credentials.json has ${k}`);
    }
    assert.equal(first.managementEndpoint, `https://127.0.0.1:${mport}`);
    assert.equal(first.registryPort, rport);
    const ca = await readFile(first.caCertPath, "utf8");
    const health = await https(`https://127.0.0.1:${mport}/healthz`, { ca });
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { status: "ok" });

    // Some real traffic, so the logs have something to leak if they were going to.
    const reg = await createRegistry({ credentials: first, ca, managementUrl: first.managementEndpoint } as any, "life-rg", "lifereg");
    const auth = basic(first.clientId, first.clientSecret);
    const base = `https://127.0.0.1:${rport}`;
    assert.equal((await https(`${base}/v2/`, { ca, host: reg.loginServer, headers: { authorization: auth } })).status, 200);
    assert.equal((await https(`${base}/v2/`, { ca, host: reg.loginServer, headers: { authorization: basic(first.clientId, "wrong") } })).status, 401);

    // SIGTERM while an upload is streaming: the upload completes, then the process exits 0.
    const loc = String((await https(`${base}/v2/life/blob/blobs/uploads/`, { method: "POST", ca, host: reg.loginServer, headers: { authorization: auth } })).headers.location);
    const body = new PassThrough();
    const patch = https(`${base}${loc}`, { method: "PATCH", ca, host: reg.loginServer, headers: { authorization: auth, "content-type": "application/octet-stream" }, body });
    body.write(Buffer.alloc(64 * 1024, 1));
    await sleep(200);
    cove.child.kill("SIGTERM");
    await sleep(300);
    await assert.rejects(https(`${base}/v2/`, { ca, host: reg.loginServer }), /ECONNREFUSED|ECONNRESET|socket hang up/, "no new connections once stopping");
    body.end(Buffer.alloc(64 * 1024, 2));
    const done = await patch;
    assert.equal(done.status, 202, done.body.toString());
    assert.equal(done.headers.range, `0-${128 * 1024 - 1}`);
    assert.equal(await cove.waitExit(), 0);
    await assert.rejects(access(join(dataDir, "cove.db-wal")), "a clean close leaves no write-ahead log behind");

    const logs = cove.output();
    const lines = logs.split("\n").filter(Boolean);
    assert.ok(lines.length > 3);
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `log line is JSON: ${l}`);
    assert.ok(!logs.includes(first.clientSecret), "the client secret never appears in the logs");
    assert.ok(!logs.includes(auth.slice(6)), "Basic credentials never appear in the logs");

    // Restart: same principal, secret and CA, and the pushed state is still there. Where Cove is
    // reached follows the configuration (this restart's DNS port is another free one).
    cove = await spawnCove(dataDir, mport, rport);
    const again = JSON.parse(await readFile(credPath, "utf8"));
    assert.deepEqual({ ...again, dnsAddress: undefined }, { ...first, dnsAddress: undefined });
    assert.match(again.dnsAddress, /^127\.0\.0\.1:\d+$/);
    assert.equal((await stat(credPath)).mode & 0o777, 0o600, "still 0600 after the endpoints were rewritten");
    assert.equal(await readFile(first.caCertPath, "utf8"), ca);
    const status = await https(`${base}${loc}`, { ca, host: reg.loginServer, headers: { authorization: auth } });
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, `0-${128 * 1024 - 1}`, "the upload survived the restart");
    cove.child.kill("SIGTERM");
    assert.equal(await cove.waitExit(), 0);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
