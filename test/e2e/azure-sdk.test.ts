// Microsoft's official JavaScript SDKs drive Cove unmodified: @azure/identity against Cove's
// identity provider, @azure/arm-* against the management API (in-process here), and
// @azure/container-registry against the data plane (in a child process that resolves the login
// server through a private /etc/hosts). @azure/identity runs in two versions: the current one and
// 4.13.1, which reference/azure-sdk-clients.md measured and users still have (an npm alias).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ClientSecretCredential } from "@azure/identity";
import { ClientSecretCredential as ClientSecretCredential4_13 } from "@azure/identity-4.13";
import { startCove, type TestCove } from "../support/cove.js";
import { clients, createRegistry, createServicePrincipal, assignRole, credentialFor, ROLE } from "../support/arm.js";
import { runWithHosts, have } from "../support/hosts.js";

let cove: TestCove;
before(async () => { cove = await startCove(); });
after(async () => { await cove?.stop(); });

const IDENTITIES = [
  { label: "@azure/identity", Credential: ClientSecretCredential },
  { label: "@azure/identity 4.13.1", Credential: ClientSecretCredential4_13 as unknown as typeof ClientSecretCredential },
];

for (const { label, Credential } of IDENTITIES) {
  test(`${label} gets a token from Cove; @azure/arm-containerregistry creates, reads, updates, lists and deletes`, async () => {
    const { acr, resources } = clients(cove, credentialFor(cove, undefined, undefined, Credential));
    await resources.resourceGroups.createOrUpdate("sdk-rg", { location: "westeurope" });
    const created: any = await acr.registries.create("sdk-rg", "sdkmgmt01", { location: "westeurope", sku: { name: "Standard" } } as any);
    assert.equal(created.name, "sdkmgmt01");
    assert.equal(created.sku.name, "Standard");
    assert.equal(created.provisioningState, "Succeeded");
    assert.equal(created.loginServer, `sdkmgmt01.${cove.suffix}:${cove.registryPort}`);
    const got: any = await acr.registries.get("sdk-rg", "sdkmgmt01");
    assert.equal(got.adminUserEnabled, false);
    assert.equal(got.publicNetworkAccess, "Enabled");
    const updated: any = await acr.registries.update("sdk-rg", "sdkmgmt01", { adminUserEnabled: true } as any);
    assert.equal(updated.adminUserEnabled, true);
    const names: string[] = [];
    for await (const r of acr.registries.list()) names.push(r.name!);
    assert.ok(names.includes("sdkmgmt01"));
    const creds: any = await acr.registries.listCredentials("sdk-rg", "sdkmgmt01");
    assert.equal(creds.username, "sdkmgmt01");
    assert.equal(creds.passwords.length, 2);
    await acr.registries.delete("sdk-rg", "sdkmgmt01");
    await assert.rejects(acr.registries.get("sdk-rg", "sdkmgmt01"), (e: any) => e.statusCode === 404);
  });

  test(`a wrong client secret is refused by the identity provider (${label})`, async () => {
    const bad = credentialFor(cove, cove.credentials.clientId, "wrong-secret", Credential);
    await assert.rejects(bad.getToken(`${cove.managementUrl}/.default`), /7000215|invalid_client|authentication/i);
  });
}

const skip = !(await have("unshare")) && "unshare (util-linux) is not installed";

test("@azure/container-registry uploads and downloads a blob and a manifest, lists repositories, deletes", { skip }, async () => {
  const reg = await createRegistry(cove, "sdk-data-rg", "sdkdata01");
  const sp = await createServicePrincipal(cove, "sdk-data");
  await assignRole(cove, reg.id, sp.objectId, ROLE.AcrPush);
  await assignRole(cove, reg.id, sp.objectId, ROLE.AcrDelete);
  const r = await runWithHosts({ [reg.loginServer.replace(/:\d+$/, "")]: "127.0.0.1" }, process.execPath, ["dist/test/e2e/fixtures/sdk-data-plane.js"], {
    env: {
      COVE_CA: cove.ca, COVE_LOGIN_SERVER: reg.loginServer, COVE_TENANT: cove.credentials.tenantId,
      COVE_CLIENT_ID: sp.appId, COVE_CLIENT_SECRET: sp.password, COVE_AUTHORITY: cove.credentials.authorityHost,
    },
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.equal(out.blobDigest, out.blobExpected);
  assert.equal(out.gotManifestDigest, out.manifestDigest);
  assert.equal(out.gotMediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(out.downloadedDigest, out.blobExpected);
  assert.equal(out.downloadedSize, 9 * 1024 * 1024 + 17);
  assert.deepEqual(out.repositories, ["sdk/hello"]);
  assert.equal(out.propertiesDigest, out.manifestDigest);
  assert.deepEqual(out.tags, ["v1"]);
  assert.equal(out.afterDelete, 404);
});
