// Each Graph route over real HTTPS against a real Cove, with what az reads from it: lists and the
// $filter forms as az encodes them, show/update/delete, getByIds, the empty users and groups,
// principals made elsewhere (bootstrap, /cove/identity, a policy assignment's managed identity),
// and every refusal in Graph's shape: unknown and malformed ids, bad filters, bad and oversized
// bodies, no token, a token for another audience, no permission.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { PolicyClient } from "@azure/arm-policy";
import { startCove, type TestCove } from "../support/cove.js";
import { clients, createServicePrincipal } from "../support/arm.js";
import { https } from "../support/http.js";
import { armOptions } from "../policy/support.js";
import { azFilter, graphClient, graphErrorOf, tokenFor, type GraphClient } from "./graph-support.js";

let cove: TestCove;
let owner: GraphClient;

before(async () => {
  cove = await startCove();
  owner = graphClient(cove, await tokenFor(cove));
});
after(async () => { await cove?.stop(); });

async function newPair(displayName: string, extra: Record<string, unknown> = {}) {
  const app = await owner.ok("POST", "/applications", { displayName, keyCredentials: [], ...extra });
  const sp = await owner.ok("POST", "/servicePrincipals", { appId: app.appId, accountEnabled: true });
  return { app, sp };
}

const ids = (r: any) => r.value.map((o: any) => o.id).sort();

test("lists answer az's $filter forms, percent-encoded as az sends them", async () => {
  const a = await newPair("filter-alpha", { identifierUris: ["api://alpha"] });
  const b = await newPair("filter-beta");
  const sps = (f: string) => owner.ok("GET", `/servicePrincipals${azFilter(f)}`);
  const apps = (f: string) => owner.ok("GET", `/applications${azFilter(f)}`);
  assert.deepEqual(ids(await sps(`servicePrincipalNames/any(c:c eq '${a.app.appId}')`)), [a.sp.id]);
  assert.deepEqual(ids(await sps("servicePrincipalNames/any(c:c eq 'api://ALPHA')")), [a.sp.id], "identifier URIs are service principal names");
  assert.deepEqual(ids(await sps("displayName eq 'filter-beta'")), [b.sp.id]);
  assert.deepEqual(ids(await sps("startswith(displayName,'filter-')")), [a.sp.id, b.sp.id].sort());
  assert.deepEqual(ids(await sps(`startswith(displayName,'filter-') and appId eq '${b.app.appId}'`)), [b.sp.id]);
  assert.deepEqual(ids(await apps(`appId eq '${a.app.appId}'`)), [a.app.id]);
  assert.deepEqual(ids(await apps("identifierUris/any(s:s eq 'api://alpha')")), [a.app.id]);
  assert.deepEqual(ids(await apps("startswith(displayName,'filter-b')")), [b.app.id]);
  assert.deepEqual((await apps("displayName eq 'nobody'")).value, []);
  const all = await owner.ok("GET", "/servicePrincipals");
  assert.match(all["@odata.context"], /\/v1\.0\/\$metadata#servicePrincipals$/);
  assert.ok(all.value.some((s: any) => s.displayName === "cove-bootstrap"), "the bootstrap principal is a service principal too");
  // The same query, spelled by hand with a literal space and quotes, and in another case.
  const raw = await owner.call("GET", `/SERVICEPRINCIPALS?$Filter=displayName eq 'filter-beta'`.replace(/ /g, "%20"));
  assert.deepEqual(ids(raw.json()), [b.sp.id]);
});

test("show, update and delete as az sends them; app and sp ids stay distinct and stable", async () => {
  const { app, sp } = await newPair("shown", { identifierUris: ["api://shown"] });
  const got = await owner.ok("GET", `/applications/${app.id}`);
  assert.deepEqual([got.id, got.appId, got.displayName, got.identifierUris, got.signInAudience], [app.id, app.appId, "shown", ["api://shown"], "AzureADMyOrg"]);
  const gotSp = await owner.ok("GET", `/servicePrincipals/${sp.id}`);
  assert.deepEqual([gotSp.servicePrincipalType, gotSp.appDisplayName, gotSp.appOwnerOrganizationId], ["Application", "shown", cove.credentials.tenantId]);
  // create-for-rbac --name on an existing app re-sends its name: accepted, nothing changes.
  await owner.ok("PATCH", `/applications/${app.id}`, { displayName: "shown" });
  await owner.ok("PATCH", `/applications/${app.id}`, { identifierUris: ["api://shown", "api://shown-2"] });
  assert.deepEqual((await owner.ok("GET", `/servicePrincipals/${sp.id}`)).servicePrincipalNames, [app.appId, "api://shown", "api://shown-2"]);
  const rename = graphErrorOf(await owner.call("PATCH", `/applications/${app.id}`, { displayName: "renamed" }), 400, "Request_BadRequest");
  assert.match(rename.message, /does not rename/);
  // az ad sp update: an empty PATCH (no body at all).
  const empty = await owner.call("PATCH", `/servicePrincipals/${sp.id}`, undefined, { "content-length": "0" });
  assert.equal(empty.status, 204, empty.body.toString());
  graphErrorOf(await owner.call("PATCH", `/servicePrincipals/${sp.id}`, { accountEnabled: false }), 400, "Request_BadRequest");
  // A second service principal for the same app, and one for an app nobody made.
  graphErrorOf(await owner.call("POST", "/servicePrincipals", { appId: app.appId }), 409, "Request_MultipleObjectsWithSameKeyValue");
  const nobody = randomUUID();
  const orphan = graphErrorOf(await owner.call("POST", "/servicePrincipals", { appId: nobody, accountEnabled: true }), 400, "Request_BadRequest");
  assert.equal(orphan.message, `The appId '${nobody}' of the service principal does not reference a valid application object.`);
  // identifierUris are unique in the tenant.
  graphErrorOf(await owner.call("POST", "/applications", { displayName: "copycat", identifierUris: ["API://shown"] }), 400, "Request_BadRequest");
  await owner.ok("DELETE", `/applications/${app.id}`);
  graphErrorOf(await owner.call("GET", `/servicePrincipals/${sp.id}`), 404, "Request_ResourceNotFound");
});

test("an application has no service principal until one is created: not listed, not found by getByIds", async () => {
  const app = await owner.ok("POST", "/applications", { displayName: "half-made", keyCredentials: [] });
  const byName = await owner.ok("GET", `/servicePrincipals${azFilter(`servicePrincipalNames/any(c:c eq '${app.appId}')`)}`);
  assert.deepEqual(byName.value, []);
  const stubs = await owner.ok("POST", "/directoryObjects/getByIds", { ids: [app.id], types: ["servicePrincipal"] }, 200);
  assert.deepEqual(stubs.value, []);
  const asApp = await owner.ok("POST", "/directoryObjects/getByIds", { ids: [app.id] }, 200);
  assert.deepEqual(asApp.value.map((o: any) => o["@odata.type"]), ["#microsoft.graph.application"]);
  const sp = await owner.ok("POST", "/servicePrincipals", { appId: app.appId, accountEnabled: true });
  assert.equal((await owner.ok("GET", `/directoryObjects/${sp.id}`))["@odata.type"], "#microsoft.graph.servicePrincipal");
});

test("principals made by /cove/identity are full pairs; concurrent secrets are all kept", async () => {
  const made = await createServicePrincipal(cove, "made-elsewhere");
  const sp = await owner.ok("GET", `/servicePrincipals/${made.objectId}`);
  assert.equal(sp.appId, made.appId);
  const app = (await owner.ok("GET", `/applications${azFilter(`appId eq '${made.appId}'`)}`)).value[0];
  assert.equal(app.passwordCredentials.length, 1, "its first secret is listed");
  assert.equal(app.passwordCredentials[0].hint, made.password.slice(0, 3));
  // az ad sp credential reset --append, five at once: every secret and its note survives.
  const added = await Promise.all([1, 2, 3, 4, 5].map((n) =>
    owner.ok("POST", `/servicePrincipals/${made.objectId}/addPassword`, { passwordCredential: { displayName: `n${n}` } }, 200)));
  const listed = (await owner.ok("GET", `/applications/${app.id}`)).passwordCredentials;
  assert.equal(listed.length, 6);
  for (const a of added) assert.equal(listed.find((c: any) => c.keyId === a.keyId)?.displayName, a.displayName);
  for (const a of added) assert.equal((await tokenFor(cove, made.appId, a.secretText)).length > 0, true);
});

test("users and groups are empty collections; --assignee user@domain finds no one", async () => {
  assert.deepEqual((await owner.ok("GET", `/users${azFilter("userPrincipalName eq 'someone@example.org'")}`)).value, []);
  assert.deepEqual((await owner.ok("GET", `/groups${azFilter("displayName eq 'ops'")}`)).value, []);
  graphErrorOf(await owner.call("GET", `/users${azFilter("jobTitle eq 'x'")}`), 400, "Request_BadRequest");
});

test("a policy assignment's managed identity: a ManagedIdentity service principal, no application, no password, no delete", async () => {
  const { resources } = clients(cove);
  await resources.resourceGroups.createOrUpdate("graph-mi-rg", { location: "westeurope" });
  const policy = new PolicyClient(clients(cove).cred, cove.credentials.subscriptionId, armOptions(cove));
  const scope = `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/graph-mi-rg`;
  const a = await policy.policyAssignments.create(scope, "graph-mi", {
    policyDefinitionId: "/providers/Microsoft.Authorization/policyDefinitions/a3701552-92ea-433e-9d17-33b7f1208fc9",
    location: "westeurope", identity: { type: "SystemAssigned" },
  });
  const mi = a.identity!.principalId!;
  const sp = await owner.ok("GET", `/servicePrincipals/${mi}`);
  assert.equal(sp.servicePrincipalType, "ManagedIdentity");
  assert.equal((await owner.ok("GET", `/applications${azFilter(`appId eq '${sp.appId}'`)}`)).value.length, 0, "no application");
  const pw = graphErrorOf(await owner.call("POST", `/servicePrincipals/${mi}/addPassword`, { passwordCredential: { displayName: "steal" } }), 400, "Request_BadRequest");
  assert.match(pw.message, /managed identity: it holds no secrets/);
  graphErrorOf(await owner.call("DELETE", `/servicePrincipals/${mi}`), 400, "Request_BadRequest");
  assert.equal((await owner.ok("GET", `/servicePrincipals/${mi}`)).passwordCredentials.length, 0);
});

test("refusals are Graph-shaped with Graph's status codes, and change nothing", async () => {
  const before = (await owner.ok("GET", "/applications")).value.length;
  const missing = randomUUID();
  const cases: [string, string, unknown, Record<string, string>, number, string, RegExp][] = [
    ["GET", `/applications/${missing}`, undefined, {}, 404, "Request_ResourceNotFound", new RegExp(`Resource '${missing}' does not exist`)],
    ["DELETE", `/servicePrincipals/${missing}`, undefined, {}, 404, "Request_ResourceNotFound", /does not exist/],
    ["POST", `/applications/${missing}/addPassword`, {}, {}, 404, "Request_ResourceNotFound", /does not exist/],
    ["GET", "/servicePrincipals/not-a-guid", undefined, {}, 400, "Request_BadRequest", /^Invalid object identifier 'not-a-guid'\.$/],
    ["GET", `/servicePrincipals${azFilter("displayName eq 'a' or displayName eq 'b'")}`, undefined, {}, 400, "Request_BadRequest", /Unsupported query: 'or' is not supported/],
    ["GET", "/servicePrincipals?$select=id", undefined, {}, 400, "Request_BadRequest", /'\$select' is not supported/],
    ["GET", `/servicePrincipals?$filter=a&$FILTER=b`, undefined, {}, 400, "Request_BadRequest", /more than once/],
    ["GET", `/servicePrincipals/${missing}${azFilter("appId eq 'x'")}`, undefined, {}, 400, "Request_BadRequest", /applies to collections only/],
    ["POST", "/applications", "{not json", {}, 400, "Request_BadRequest", /The request body is invalid: Malformed JSON/],
    ["POST", "/applications", "[]", {}, 400, "Request_BadRequest", /must be a JSON object/],
    ["POST", "/applications", { displayName: "x".repeat(70 * 1024) }, {}, 413, "Request_BadRequest", /larger than 65536 bytes/],
    ["POST", "/applications", "<a/>", { "content-type": "application/xml" }, 415, "Request_BadRequest", /must be JSON/],
    ["POST", "/applications", { displayName: "x", web: { redirectUris: ["https://x"] } }, {}, 400, "Request_BadRequest", /does not store the property 'web'/],
    ["POST", "/applications", { displayName: "x", keyCredentials: [{ key: "MIIC" }] }, {}, 400, "Request_BadRequest", /certificate credentials are not supported/],
    ["POST", "/applications", { displayName: "  " }, {}, 400, "Request_BadRequest", /displayName/],
    ["POST", "/applications", {}, {}, 400, "Request_BadRequest", /displayName/],
    ["POST", "/applications", { displayName: "x", signInAudience: "AzureADMultipleOrgs" }, {}, 400, "Request_BadRequest", /AzureADMyOrg/],
    ["POST", "/directoryObjects/getByIds", { ids: [] }, {}, 400, "Request_BadRequest", /1 to 1000/],
    ["POST", "/directoryObjects/getByIds", { ids: ["nope"] }, {}, 400, "Request_BadRequest", /Invalid object identifier/],
    ["POST", "/directoryObjects/getByIds", { ids: [missing], types: ["robot"] }, {}, 400, "Request_BadRequest", /'robot' is not one of/],
    ["GET", "/me", undefined, {}, 400, "Request_BadRequest", /^\/me request is only valid with delegated authentication flow\.$/],
    ["GET", "/me/ownedObjects", undefined, {}, 400, "Request_BadRequest", /only valid with delegated/],
    ["GET", "/users/someone%40example.org", undefined, {}, 404, "Request_ResourceNotFound", /^Resource 'someone@example.org' does not exist/],
    ["GET", "/oauth2PermissionGrants", undefined, {}, 400, "Request_BadRequest", /^Resource not found for the segment 'oauth2PermissionGrants'\.$/],
    ["GET", `/applications/${missing}/owners`, undefined, {}, 400, "Request_BadRequest", /segment 'owners'/],
    ["PUT", "/applications", {}, {}, 405, "Request_BadRequest", /method is not allowed/],
  ];
  for (const [method, path, body, headers, status, code, message] of cases) {
    const e = graphErrorOf(await owner.call(method, path, body, headers), status, code);
    assert.match(e.message, message, `${method} ${path}`);
  }
  const beta = await https(`${cove.managementUrl}/beta/servicePrincipals`, { ca: cove.ca, headers: { authorization: `Bearer ${await tokenFor(cove)}` } });
  assert.match(graphErrorOf(beta, 400, "Request_BadRequest").message, /v1\.0 only/);
  assert.equal((await owner.ok("GET", "/applications")).value.length, before, "nothing was created");
});

test("authentication and authorization: no token, a bad token, another audience, no permission", async () => {
  const anonymous = graphClient(cove, undefined);
  assert.equal(graphErrorOf(await anonymous.call("GET", "/servicePrincipals"), 401, "InvalidAuthenticationToken").message, "Access token is empty.");
  const junk = graphClient(cove, "not-a-token");
  assert.equal(graphErrorOf(await junk.call("POST", "/applications", { displayName: "x" }), 401, "InvalidAuthenticationToken").message, "Access token validation failure.");
  // A genuine token of Cove's, minted for Microsoft's Graph audience: the audience guard refuses it, in Graph's shape.
  const foreign = graphClient(cove, await tokenFor(cove, undefined, undefined, "https://graph.microsoft.com/.default"));
  const aud = await foreign.call("GET", "/servicePrincipals");
  assert.equal(graphErrorOf(aud, 401, "InvalidAuthenticationToken").message, "Access token validation failure. Invalid audience.");
  assert.match(String(aud.headers["www-authenticate"]), /^Bearer /);
  // The SDKs' spelling of the management audience (no double slash) works as az's does.
  const sdk = graphClient(cove, await tokenFor(cove, undefined, undefined, `${cove.managementUrl}/.default`));
  assert.equal((await sdk.call("GET", "/servicePrincipals")).status, 200);
  // Contributor at the subscription may not manage principals (no roleAssignments/write).
  const contributor = await createServicePrincipal(cove, "contributor");
  const put = await https(`${cove.managementUrl}/subscriptions/${cove.credentials.subscriptionId}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
    method: "PUT", ca: cove.ca, headers: { authorization: `Bearer ${await tokenFor(cove)}` },
    body: { properties: { roleDefinitionId: `/subscriptions/${cove.credentials.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`, principalId: contributor.objectId, principalType: "ServicePrincipal" } },
  });
  assert.equal(put.status, 201, put.body.toString());
  const c = graphClient(cove, await tokenFor(cove, contributor.appId, contributor.password));
  for (const [method, path, body] of [["GET", "/applications"], ["POST", "/applications", { displayName: "sneaky" }], ["POST", "/directoryObjects/getByIds", { ids: [contributor.objectId] }]] as const) {
    const e = graphErrorOf(await c.call(method, path, body), 403, "Authorization_RequestDenied");
    assert.equal(e.message, "Insufficient privileges to complete the operation.");
  }
  // Graph's request headers come back: the client's request id, Cove's request id.
  const r = await owner.call("GET", "/servicePrincipals", undefined, { "client-request-id": "my-request-1" });
  assert.equal(r.headers["client-request-id"], "my-request-1");
  assert.match(String(r.headers["request-id"]), /^[0-9a-f-]{36}$/);
});
