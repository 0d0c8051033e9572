// `az ad sp create-for-rbac --role AcrPush --scopes <registry id>` against a real Cove over HTTPS,
// request by request as az 2.45 sends it (role/custom.py create_service_principal_for_rbac), then
// what a user checks: the password logs in at the token endpoint and pushes nothing it may not;
// the service principal is found the ways az looks for it; removePassword and delete take the
// access away; every principal and secret change is audited, and no secret is in the log.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startCove, type TestCove } from "../support/cove.js";
import { createRegistry, ROLE } from "../support/arm.js";
import { https } from "../support/http.js";
import { azFilter, graphClient, graphErrorOf, tokenFor, tokenRequest, type GraphClient } from "./graph-support.js";

let cove: TestCove;
let owner: GraphClient;
let registryId: string;

before(async () => {
  cove = await startCove();
  registryId = (await createRegistry(cove, "rbac-rg", "rbacreg01")).id;
  owner = graphClient(cove, await tokenFor(cove));
});
after(async () => { await cove?.stop(); });

const arm = (path: string, token: string, method = "GET", body?: unknown) =>
  https(`${cove.managementUrl}${path}`, { method, ca: cove.ca, headers: { authorization: `Bearer ${token}` }, body: body as never });

/** az's role assignment PUT (azure-mgmt-authorization, api 2022-04-01). */
function assignRole(token: string, scope: string, roleGuid: string, principalId: string) {
  const role = `/subscriptions/${cove.credentials.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
  return arm(`${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, token, "PUT",
    { properties: { roleDefinitionId: role, principalId, principalType: "ServicePrincipal" } });
}

async function auditEvents(): Promise<any[]> {
  const r = await arm("/cove/audit?limit=1000", await tokenFor(cove));
  assert.equal(r.status, 200, r.body.toString());
  return r.json().value.map((x: any) => ({ ...x.event, _raw: JSON.stringify(x) }));
}

test("create-for-rbac as az sends it: app, password, service principal, role assignment; the secret logs in", async () => {
  const name = "azure-cli-2025-01-01-00-00-00";
  const now = new Date();
  const end = new Date(now.getTime() + 365 * 86400_000);
  // 1. create_application looks for an app by that name first (list_applications, startswith).
  assert.deepEqual((await owner.ok("GET", `/applications${azFilter(`startswith(displayName,'${name}')`)}`)).value, []);
  // 2. POST /applications with az's body: displayName and an empty keyCredentials.
  const app = await owner.ok("POST", "/applications", { displayName: name, keyCredentials: [] });
  assert.match(app.id, /^[0-9a-f-]{36}$/);
  assert.match(app.appId, /^[0-9a-f-]{36}$/);
  assert.notEqual(app.id, app.appId);
  assert.equal(app.displayName, name);
  assert.deepEqual(app.passwordCredentials, [], "a new application has no password yet");
  // 3. addPassword, the body of _build_add_password_credential_body.
  const iso = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");
  const pw = await owner.ok("POST", `/applications/${app.id}/addPassword`, { passwordCredential: { displayName: "rbac", endDateTime: iso(end), startDateTime: iso(now) } }, 200);
  assert.equal(typeof pw.secretText, "string");
  assert.ok(pw.secretText.length >= 32);
  assert.equal(pw.hint, pw.secretText.slice(0, 3));
  assert.equal(pw.displayName, "rbac");
  assert.equal(pw.endDateTime, iso(end), "the end date as az sent it");
  // 4. POST /servicePrincipals {appId, accountEnabled}.
  const sp = await owner.ok("POST", "/servicePrincipals", { appId: app.appId, accountEnabled: true });
  assert.equal(sp.appId, app.appId);
  assert.notEqual(sp.id, app.id, "the service principal is another directory object");
  assert.deepEqual(sp.servicePrincipalNames, [app.appId]);
  // 5. The role assignment names the service principal's id.
  const ownerToken = await tokenFor(cove);
  const ra = await assignRole(ownerToken, registryId, ROLE.AcrPush, sp.id);
  assert.equal(ra.status, 201, ra.body.toString());

  // The password is a working client secret: a token, and ARM sees the principal by its sp id.
  const login = await tokenRequest(cove, app.appId, pw.secretText);
  assert.equal(login.status, 200, login.body.toString());
  const mine = await arm(`${registryId}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=${encodeURIComponent("atScope()")}`, ownerToken);
  assert.ok(mine.json().value.some((a: any) => a.properties.principalId === sp.id), "the assignment names the service principal");
  // AcrPush at the registry is not permission to manage principals: Graph refuses it.
  const asApp = graphClient(cove, login.json().access_token);
  const denied = graphErrorOf(await asApp.call("GET", "/servicePrincipals"), 403, "Authorization_RequestDenied");
  assert.equal(denied.message, "Insufficient privileges to complete the operation.");

  // The ids stay as they were: GET by id returns the same pair.
  assert.equal((await owner.ok("GET", `/applications/${app.id}`)).appId, app.appId);
  assert.equal((await owner.ok("GET", `/servicePrincipals/${sp.id}`)).appId, app.appId);
  const shown = await owner.ok("GET", `/applications/${app.id}`);
  assert.deepEqual(shown.passwordCredentials.map((c: any) => [c.keyId, c.displayName, c.secretText]), [[pw.keyId, "rbac", null]], "the secret is never shown again");

  // removePassword takes the secret away: the login fails as Entra's does.
  await owner.ok("POST", `/applications/${app.id}/removePassword`, { keyId: pw.keyId }, 204);
  const refused = await tokenRequest(cove, app.appId, pw.secretText);
  assert.equal(refused.status, 401);
  assert.equal(refused.json().error, "invalid_client");
  graphErrorOf(await owner.call("POST", `/applications/${app.id}/removePassword`, { keyId: pw.keyId }), 400, "Request_BadRequest");

  // The audit log has the changes, with the actor, and no secret anywhere.
  const events = (await auditEvents()).filter((e) => e.appId === app.appId);
  assert.deepEqual(events.map((e) => e.kind), ["identity.servicePrincipal.create", "identity.servicePrincipal.addSecret", "identity.servicePrincipal.removeSecret"]);
  const me = await owner.ok("GET", `/servicePrincipals${azFilter(`appId eq '${cove.credentials.clientId}'`)}`);
  assert.equal(me.value[0].displayName, "cove-bootstrap");
  assert.ok(events.every((e) => e.actorId === me.value[0].id && e.clientIp === "127.0.0.1"), "who made each change, and from where");
  assert.equal(events[1].keyId, pw.keyId);
  assert.ok(!(await auditEvents()).some((e) => e._raw.includes(pw.secretText)), "no secret in the audit log");
});

test("delete removes both objects; the principal's tokens die with it; az's second delete is a 404", async () => {
  const app = await owner.ok("POST", "/applications", { displayName: "short-lived", keyCredentials: [] });
  const sp = await owner.ok("POST", "/servicePrincipals", { appId: app.appId, accountEnabled: true });
  const pw = await owner.ok("POST", `/servicePrincipals/${sp.id}/addPassword`, { passwordCredential: { displayName: "x" } }, 200);
  const token = await tokenFor(cove, app.appId, pw.secretText);
  assert.equal((await arm("/subscriptions?api-version=2022-12-01", token)).status, 200);
  // az ad sp delete --id <appId>: resolve by servicePrincipalNames, then DELETE.
  const found = await owner.ok("GET", `/servicePrincipals${azFilter(`servicePrincipalNames/any(c:c eq '${app.appId}')`)}`);
  assert.deepEqual(found.value.map((x: any) => x.id), [sp.id]);
  await owner.ok("DELETE", `/servicePrincipals/${sp.id}`);
  const gone = graphErrorOf(await owner.call("GET", `/servicePrincipals/${sp.id}`), 404, "Request_ResourceNotFound");
  assert.equal(gone.message, `Resource '${sp.id}' does not exist or one of its queried reference-property objects are not present.`);
  graphErrorOf(await owner.call("GET", `/applications/${app.id}`), 404, "Request_ResourceNotFound");
  graphErrorOf(await owner.call("DELETE", `/applications/${app.id}`), 404, "Request_ResourceNotFound");
  assert.equal((await arm("/subscriptions?api-version=2022-12-01", token)).status, 401, "a deleted principal's token is worthless");
  const events = (await auditEvents()).filter((e) => e.appId === app.appId).map((e) => e.kind);
  assert.deepEqual(events, ["identity.servicePrincipal.create", "identity.servicePrincipal.addSecret", "identity.servicePrincipal.delete"]);
});

test("role assignments name Graph's service principal id; an unknown id is PrincipalNotFound", async () => {
  const ownerToken = await tokenFor(cove);
  const app = await owner.ok("POST", "/applications", { displayName: "assignee", keyCredentials: [] });
  const sp = await owner.ok("POST", "/servicePrincipals", { appId: app.appId, accountEnabled: true });
  // az role assignment create --assignee <appId>: servicePrincipalNames, then the id it found.
  const resolved = await owner.ok("GET", `/servicePrincipals${azFilter(`servicePrincipalNames/any(c:c eq '${app.appId}')`)}`);
  assert.equal(resolved.value[0].id, sp.id);
  // --assignee <objectId>: getByIds, whose @odata.type becomes the ARM principalType.
  const stubs = await owner.ok("POST", "/directoryObjects/getByIds", { ids: [sp.id], types: ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"] }, 200);
  assert.deepEqual(stubs.value.map((o: any) => [o.id, o["@odata.type"]]), [[sp.id, "#microsoft.graph.servicePrincipal"]]);
  assert.equal((await assignRole(ownerToken, registryId, ROLE.AcrPull, sp.id)).status, 201);
  const unknown = await assignRole(ownerToken, registryId, ROLE.AcrPull, randomUUID());
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json().error.code, "PrincipalNotFound");
});
