// Hostile input: an access token the identity provider really issued, but for another resource
// (`scope=https://evil.example/.default`, so `aud=https://evil.example`). Over real sockets it must
// be worth nothing: the management API answers 401 InvalidAuthenticationTokenAudience (curl sees it),
// /oauth2/exchange refuses it (so no refresh token, no pull, no push), and both refusals are audited
// with the presented audience, the client IP and the principal, never the token. The audiences
// each surface does accept (the SDKs', az's, ACR's) keep working.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import { startCove, type TestCove } from "../support/cove.js";
import { clients, createRegistry, credentialFor, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";

const run = promisify(execFile);
let cove: TestCove;
let loginServer: string;
const GROUP = "aud-rg";
const REGISTRY = "audreg01";

before(async () => {
  cove = await startCove();
  loginServer = (await createRegistry(cove, GROUP, REGISTRY)).loginServer;
});
after(async () => { await cove?.stop(); });

/** What a client sends to the identity provider: @azure/identity's ClientSecretCredential, unmodified. */
async function tokenFor(scope: string): Promise<string> {
  return (await credentialFor(cove).getToken(scope)).token;
}

/** curl against the management API, as a user with a token would. */
async function curlManagement(path: string, token: string): Promise<{ status: number; body: any; headers: string }> {
  const { stdout } = await run("curl", [
    "-sS", "--max-time", "20", "--cacert", cove.credentials.caCertPath, "-D", "-", "-H", `Authorization: Bearer ${token}`,
    `${cove.managementUrl}${path}`,
  ]);
  const split = stdout.indexOf("\r\n\r\n");
  const head = stdout.slice(0, split);
  return { status: Number(/^HTTP\/\S+ (\d{3})/.exec(head)?.[1]), headers: head, body: JSON.parse(stdout.slice(split + 4)) };
}

function exchange(accessToken: string) {
  return https(`https://127.0.0.1:${cove.registryPort}/oauth2/exchange`, {
    method: "POST", ca: cove.ca, host: loginServer, headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "access_token", service: loginServer, tenant: cove.credentials.tenantId, access_token: accessToken }).toString(),
  });
}

function registryToken(refresh: string, scope: string) {
  return https(`https://127.0.0.1:${cove.registryPort}/oauth2/token`, {
    method: "POST", ca: cove.ca, host: loginServer, headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", service: loginServer, scope, refresh_token: refresh }).toString(),
  });
}

async function auditEvents(): Promise<any[]> {
  const r = await https(`${cove.managementUrl}/cove/audit?limit=1000`, { ca: cove.ca, headers: { authorization: `Bearer ${await managementToken(cove)}` } });
  assert.equal(r.status, 200, r.body.toString());
  return r.json().value.map((x: any) => x.event);
}

test("a token for https://evil.example is refused by the management API with ARM's audience error, and audited", async () => {
  const evil = await tokenFor("https://evil.example/.default");
  assert.equal(decodeJwt(evil).aud, "https://evil.example", "the identity provider issues it, as Entra would");
  const r = await curlManagement(`/subscriptions/${cove.credentials.subscriptionId}/resourcegroups?api-version=2021-04-01`, evil);
  assert.equal(r.status, 401);
  assert.equal(r.body.error.code, "InvalidAuthenticationTokenAudience");
  assert.match(r.body.error.message, /wrong audience or resource 'https:\/\/evil\.example'/);
  assert.match(r.body.error.message, /'https:\/\/127\.0\.0\.1:\d+\/'/, "the message lists what is accepted");
  assert.match(r.headers, /www-authenticate: Bearer/i);
  // Nothing a foreign token reaches is served: service principals and the audit log too.
  for (const path of ["/cove/identity/servicePrincipals", "/cove/audit"]) {
    assert.equal((await curlManagement(path, evil)).status, 401, path);
  }

  const denied = (await auditEvents()).filter((e) => e.kind === "management.token" && e.outcome === "denied");
  assert.ok(denied.length >= 1, "the refusal is audited");
  const e = denied[0];
  assert.equal(e.audience, "https://evil.example");
  assert.equal(e.clientIp, "127.0.0.1");
  assert.equal(e.reason, "wrong-audience");
  assert.match(e.principalId, /^[0-9a-f-]{36}$/);
  assert.ok(!JSON.stringify(denied).includes(evil), "the token is never in the audit log");
});

test("the management API still accepts its own audience (with and without the slash, localhost) and ARM's names", async () => {
  const port = new URL(cove.managementUrl).port;
  for (const scope of [
    `${cove.managementUrl}/.default`, `${cove.managementUrl}//.default`, `https://localhost:${port}/.default`,
    "https://management.azure.com/.default", "https://management.core.windows.net//.default",
  ]) {
    const r = await curlManagement(`/subscriptions/${cove.credentials.subscriptionId}/resourcegroups?api-version=2021-04-01`, await tokenFor(scope));
    assert.equal(r.status, 200, `${scope}: ${JSON.stringify(r.body)}`);
  }
  // The registry audience is the data plane's, not ARM's.
  const acr = await curlManagement(`/subscriptions/${cove.credentials.subscriptionId}/resourcegroups?api-version=2021-04-01`, await tokenFor("https://containerregistry.azure.net/.default"));
  assert.equal(acr.status, 401);
  assert.equal(acr.body.error.code, "InvalidAuthenticationTokenAudience");
});

test("/oauth2/exchange refuses the evil.example token: no refresh token, so no pull and no push; the refusal is audited", async () => {
  const evil = await tokenFor("https://evil.example/.default");
  const r = await exchange(evil);
  assert.equal(r.status, 401);
  const err = r.json().errors[0];
  assert.equal(err.code, "UNAUTHORIZED");
  assert.match(err.detail.reason, /audience 'https:\/\/evil\.example'/);
  assert.equal(r.json().refresh_token, undefined);
  // Whatever a client does next, it holds nothing the token endpoint accepts.
  const t = await registryToken("", "repository:team/app:pull,push");
  assert.notEqual(t.status, 200);
  const push = await https(`https://127.0.0.1:${cove.registryPort}/v2/team/app/blobs/uploads/`, {
    method: "POST", ca: cove.ca, host: loginServer, headers: { authorization: `Bearer ${evil}` },
  });
  assert.equal(push.status, 401, "the identity token itself is no registry token either");

  const denied = (await auditEvents()).filter((e) => e.kind === "registry.token" && e.endpoint === "exchange" && e.outcome === "denied");
  assert.equal(denied.length, 1);
  assert.equal(denied[0].audience, "https://evil.example");
  assert.equal(denied[0].clientIp, "127.0.0.1");
  assert.match(denied[0].principalId, /^[0-9a-f-]{36}$/);
  assert.ok(!JSON.stringify(denied).includes(evil));
});

test("the exchange accepts ACR's audiences: ARM's (SDK AzureResourceManagerPublicCloud, az) and the registry's, and they can pull and push", async () => {
  for (const scope of ["https://management.azure.com/.default", `${cove.managementUrl}//.default`, "https://containerregistry.azure.net/.default"]) {
    const r = await exchange(await tokenFor(scope));
    assert.equal(r.status, 200, `${scope}: ${r.body}`);
    const t = await registryToken(r.json().refresh_token, "repository:team/app:pull,push");
    assert.equal(t.status, 200);
    assert.deepEqual((decodeJwt(t.json().access_token) as any).access, [{ type: "repository", name: "team/app", actions: ["pull", "push"] }]);
  }
});

test("with azureADAuthenticationAsArmPolicy disabled, only the container registry audience is exchanged (as ACR)", async () => {
  const { acr } = clients(cove);
  await acr.registries.update(GROUP, REGISTRY, { policies: { azureADAuthenticationAsArmPolicy: { status: "disabled" } } } as any);
  try {
    const arm = await exchange(await tokenFor("https://management.azure.com/.default"));
    assert.equal(arm.status, 401);
    assert.match(arm.json().errors[0].detail.reason, /audience 'https:\/\/management\.azure\.com'/);
    assert.equal((await exchange(await tokenFor("https://containerregistry.azure.net/.default"))).status, 200);
  } finally {
    await acr.registries.update(GROUP, REGISTRY, { policies: { azureADAuthenticationAsArmPolicy: { status: "enabled" } } } as any);
  }
  assert.equal((await exchange(await tokenFor("https://management.azure.com/.default"))).status, 200);
});
