import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, verifyConfigFile, ConfigError, FIELDS } from "../../src/config/index.js";

async function withFile(text: string | Buffer, fn: (path: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), "cove-config-"));
  const path = join(dir, "cove.yaml");
  await writeFile(path, text);
  try { await fn(path); } finally { await rm(dir, { recursive: true, force: true }); }
}

test("the commented example file loads and equals the defaults", async () => {
  const fromFile = await loadConfig({ file: "cove.example.yaml", env: {} });
  const defaults = await loadConfig({ env: {} });
  assert.deepEqual(fromFile, defaults);
  assert.deepEqual(fromFile.managementListen, { host: "127.0.0.1", port: 8443 });
  assert.equal(fromFile.registryPort, 8444);
  assert.equal(fromFile.loginServerSuffix, "cove.test");
});

test("every schema key is documented in the example file", async () => {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile("cove.example.yaml", "utf8");
  for (const f of FIELDS) assert.match(text, new RegExp(`^#? ?${f.key}:`, "m"), `${f.key} missing from cove.example.yaml`);
});

test("flag beats environment beats file beats default", async () => {
  await withFile("registryPort: 9001\nloginServerSuffix: from.file\n", async (path) => {
    const c = await loadConfig({ file: path, env: { COVE_REGISTRY_PORT: "9002", COVE_LOGIN_SERVER_SUFFIX: "from.env" }, flags: { registryPort: "9003" } });
    assert.equal(c.registryPort, 9003);
    assert.equal(c.loginServerSuffix, "from.env");
  });
});

test("unknown keys are errors that name the key", async () => {
  await withFile("registryPort: 9001\nregistyPort: 9002\n", async (path) => {
    const r = await verifyConfigFile(path);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.errors.some((e) => e.includes('unknown key "registyPort"')), JSON.stringify(r));
  });
});

test("malformed, wrong-typed and hostile values are each reported", async () => {
  const cases: Array<[string, string]> = [
    ["registryPort: 70000\n", "registryPort"],
    ["registryPort: abc\n", "registryPort"],
    ["managementListen: 127.0.0.1\n", "managementListen"],
    ["managementListen: evil.example:443\n", "managementListen"],
    ["publicAddress: 999.1.1.1\n", "publicAddress"],
    ["loginServerSuffix: 'UPPER..case'\n", "loginServerSuffix"],
    ["trustedProxies: [not-an-ip]\n", "trustedProxies"],
    ["logLevel: loud\n", "logLevel"],
    ["tlsCertFile: /x.crt\n", "tlsKeyFile"],
    ["- a\n- list\n", "mapping"],
    ["key: [unclosed\n", "not valid YAML"],
  ];
  for (const [text, expected] of cases) {
    await withFile(text, async (path) => {
      const r = await verifyConfigFile(path);
      assert.equal(r.ok, false, text);
      assert.ok(!r.ok && r.errors.some((e) => e.includes(expected)), `${text} -> ${JSON.stringify(r)}`);
    });
  }
});

test("an oversized config file is refused without parsing it", async () => {
  await withFile(Buffer.alloc(300 * 1024, 0x61), async (path) => {
    const r = await verifyConfigFile(path);
    assert.ok(!r.ok && r.errors[0].includes("larger than"));
  });
});

test("a missing file is an error naming the file", async () => {
  const r = await verifyConfigFile("/nonexistent/cove.yaml");
  assert.ok(!r.ok && r.errors[0].includes("/nonexistent/cove.yaml") && r.errors[0].includes("ENOENT"));
});

test("environment values are validated like file values", async () => {
  await assert.rejects(loadConfig({ env: { COVE_REGISTRY_PORT: "0" } }), (e: unknown) => e instanceof ConfigError && e.errors[0].includes("COVE_REGISTRY_PORT"));
});

test("uploadTtlMinutes is 1 to 525600: 0 would expire every upload as it starts", async () => {
  for (const bad of ["0", "-5", "525601", "soon"]) {
    await assert.rejects(loadConfig({ env: { COVE_UPLOAD_TTL_MINUTES: bad } }),
      (e: unknown) => e instanceof ConfigError && e.errors.some((m) => m.includes("COVE_UPLOAD_TTL_MINUTES")), bad);
  }
  assert.equal((await loadConfig({ env: { COVE_UPLOAD_TTL_MINUTES: "1" } })).uploadTtlMinutes, 1);
  assert.equal((await loadConfig({ env: {} })).uploadTtlMinutes, 1440);
});

test("unknown flags are errors", async () => {
  await assert.rejects(loadConfig({ env: {}, flags: { registryPrt: "1" } }), /unknown option "registryPrt"/);
});

test("issue 4 keys: dnsUpstream is optional IP:PORT, privateEndpointDenyMode is drop or reset", async () => {
  const defaults = await loadConfig({ env: {} });
  assert.equal(defaults.dnsUpstream, undefined);
  assert.equal(defaults.privateEndpointDenyMode, "drop");
  const set = await loadConfig({ env: { COVE_DNS_UPSTREAM: "127.0.0.53:53", COVE_PRIVATE_ENDPOINT_DENY_MODE: "reset" } });
  assert.deepEqual(set.dnsUpstream, { host: "127.0.0.53", port: 53 });
  assert.equal(set.privateEndpointDenyMode, "reset");
  for (const [text, key] of [["dnsUpstream: resolver.example:53\n", "dnsUpstream"], ["privateEndpointDenyMode: ignore\n", "privateEndpointDenyMode"]]) {
    await withFile(text, async (path) => {
      const r = await verifyConfigFile(path);
      assert.ok(!r.ok && r.errors.some((e) => e.includes(key) && e.includes("must be")), `${text} -> ${JSON.stringify(r)}`);
    });
  }
});

test("managementUrl is an https origin, kept without a trailing slash; anything else is refused", async () => {
  assert.equal((await loadConfig({ env: {} })).managementUrl, undefined);
  assert.equal((await loadConfig({ env: { COVE_MANAGEMENT_URL: "https://Cove.Internal.Example:443/" } })).managementUrl, "https://cove.internal.example");
  assert.equal((await loadConfig({ env: { COVE_MANAGEMENT_URL: "https://127.0.0.1:9443" } })).managementUrl, "https://127.0.0.1:9443");
  for (const bad of ["http://cove.example", "https://user:pw@cove.example", "https://cove.example/api", "https://cove.example?x=1", "cove.example", "", "https://"]) {
    await assert.rejects(loadConfig({ env: { COVE_MANAGEMENT_URL: bad } }), (e: unknown) => e instanceof ConfigError && e.errors.some((m) => m.startsWith("managementUrl")), bad);
  }
});

test("blobContainerUrl is an https container URL with no query, and not together with a connection string", async () => {
  const url = "https://coveblobs.blob.core.windows.net/cove";
  assert.equal((await loadConfig({ env: { COVE_BLOB_CONTAINER_URL: url } })).blobContainerUrl, url);
  assert.equal((await loadConfig({ env: { COVE_BLOB_CONTAINER_URL: "https://127.0.0.1:10000/devstoreaccount1/cove-x" } })).blobContainerUrl, "https://127.0.0.1:10000/devstoreaccount1/cove-x");
  for (const bad of ["http://coveblobs.blob.core.windows.net/cove", `${url}?sv=2024&sig=abc`, "https://coveblobs.blob.core.windows.net/", "https://coveblobs.blob.core.windows.net/Bad_Name", "not a url"]) {
    await assert.rejects(loadConfig({ env: { COVE_BLOB_CONTAINER_URL: bad } }), (e: unknown) => e instanceof ConfigError && e.errors.some((m) => m.startsWith("blobContainerUrl")), bad);
  }
  await assert.rejects(loadConfig({ env: { COVE_BLOB_CONTAINER_URL: url, COVE_BLOB_CONNECTION_STRING: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;EndpointSuffix=core.windows.net" } }),
    (e: unknown) => e instanceof ConfigError && e.errors.some((m) => m.includes("give one")) && !e.errors.join(" ").includes("AccountKey=k"));
});
