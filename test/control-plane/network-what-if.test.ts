// POST .../registries/{r}/whatIf (Cove extension) over real HTTPS against a real Cove holding the
// landing zone of test/toolkit/network-report-zone.ts: approving the Pending pe-ci says the one
// network that gains access (ci-vnet/runners) and changes nothing; the approval then made through
// the SDK opens exactly that row of networkReport. A rejection's answer is the CLI's `--what-if`,
// field for field. Bad bodies are InvalidRequestContent naming the member; authorised as a registry read.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { realCli, type RealCli } from "../cli/real-cli.js";
import { clients, credentialFor, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { buildReportZone, type ReportZone } from "../toolkit/network-report-zone.js";

let cli: RealCli;
let zone: ReportZone;
let token: string;

before(async () => {
  cli = await realCli();
  zone = await buildReportZone(cli.cove);
  token = await managementToken(cli.cove);
});
after(async () => { await cli?.close(); });

const ACR_V = "api-version=2023-07-01";

async function post(body: unknown, as = token, registryId = zone.registry.report) {
  const r = await https(`${cli.cove.managementUrl}${registryId}/whatIf?${ACR_V}`, { method: "POST", ca: cli.cove.ca, headers: { authorization: `Bearer ${as}` }, body: body as object });
  return { status: r.status, json: r.body.length ? r.json() : undefined };
}

async function connectionOf(endpoint: string): Promise<{ id: string; name: string; status: string }> {
  for await (const c of clients(cli.cove).acr.privateEndpointConnections.list("acr-rg", "reportacr")) {
    if (c.privateEndpoint?.id?.toLowerCase().endsWith(`/${endpoint}`)) return { id: c.id!, name: c.name!, status: c.privateLinkServiceConnectionState!.status! };
  }
  throw new Error(`no connection of ${endpoint}`);
}

async function reportRow(vnetSubnet: string) {
  const r = await https(`${cli.cove.managementUrl}${zone.registry.report}/networkReport?${ACR_V}`, { ca: cli.cove.ca, headers: { authorization: `Bearer ${token}` } });
  return r.json().rows.find((x: any) => `${x.vnet}/${x.subnet}` === vnetSubnet);
}

test("approve-connection names the network that gains access and changes nothing; the approval then opens that row", async () => {
  const ci = await connectionOf("pe-ci");
  assert.equal(ci.status, "Pending");
  assert.equal((await reportRow("ci-vnet/runners")).decision, "deny");
  const r = await post({ change: { kind: "approve-connection", connectionId: ci.id, description: "ci runners go private" } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.change, `approve private endpoint connection ${ci.name}`);
  assert.deepEqual([r.json.found, r.json.notes, r.json.cutOff], [true, [], 0]);
  assert.deepEqual(r.json.registries.map((x: any) => x.name), ["reportacr"]);
  const rows = r.json.registries[0].changes;
  assert.deepEqual(rows.map((c: any) => [`${c.vnet}/${c.subnet}`, c.before, c.after, c.beforeReason, c.afterReason]),
    [["ci-vnet/runners", "deny", "allow", "ENDPOINT_PENDING", "ok"]]);
  assert.match(rows[0].afterPath, /^private:pe-ci \(127\.20\.1\.\d+\)$/);
  assert.equal((await connectionOf("pe-ci")).status, "Pending", "a what-if changes nothing");
  const viaCli = await cli.json("acr", "private-endpoint-connection", "approve", "-r", "reportacr", "-g", "acr-rg", "-n", ci.name, "--description", "ci runners go private", "--what-if");
  assert.deepEqual(viaCli, r.json, "the CLI's approve --what-if is the route's answer");
  assert.equal((await connectionOf("pe-ci")).status, "Pending", "nor does the CLI's");

  await clients(cli.cove).acr.privateEndpointConnections.beginCreateOrUpdateAndWait("acr-rg", "reportacr", ci.name, {
    privateLinkServiceConnectionState: { status: "Approved", description: "ci runners go private" },
  } as any);
  const now = await reportRow("ci-vnet/runners");
  assert.deepEqual([now.decision, now.path], ["allow", rows[0].afterPath], "the what-if said what the approval did");
  const again = await post({ change: { kind: "approve-connection", connectionId: ci.id } });
  assert.deepEqual([again.json.notes, again.json.registries], [["the connection is already Approved: nothing would change"], []]);
});

test("reject-connection answers what the CLI's --what-if prints for the same change", async () => {
  const hub = await connectionOf("pe-hub");
  const viaCli = await cli.json("acr", "private-endpoint-connection", "reject", "-r", "reportacr", "-g", "acr-rg", "-n", hub.name, "--what-if");
  const viaApi = await post({ change: { kind: "reject-connection", connectionId: hub.id } });
  assert.equal(viaApi.status, 200);
  assert.ok(viaApi.json.cutOff > 0, "rejecting the hub's endpoint cuts networks off");
  assert.deepEqual(viaApi.json, viaCli);
  assert.equal((await connectionOf("pe-hub")).status, "Approved");
});

test("a bad body is 400 InvalidRequestContent naming the member; an unknown connection is found: false", async () => {
  const bad = async (body: unknown, target: string) => {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(r.json));
    assert.equal(r.json.error.code, "InvalidRequestContent");
    assert.equal(r.json.error.target, target);
    assert.ok(r.json.error.message.includes(`Path '${target}'`), r.json.error.message);
  };
  await bad({}, "change");
  await bad({ change: { connectionId: "x" } }, "change.kind");
  await bad({ change: { kind: "approve-everything", connectionId: "x" } }, "change.kind");
  await bad({ change: { kind: "approve-connection" } }, "change.connectionId");
  await bad({ change: { kind: "approve-connection", connectionId: 7 } }, "change.connectionId");
  await bad({ change: { kind: "approve-connection", connectionId: "x", description: false } }, "change.description");
  await bad({ change: { kind: "delete-link", connectionId: "x" } }, "change.connectionId");
  await bad({ change: { kind: "delete-link", linkId: "x" }, extra: 1 }, "extra");
  const gone = await post({ change: { kind: "approve-connection", connectionId: `${zone.registry.report}/privateEndpointConnections/nosuch` } });
  assert.equal(gone.status, 200);
  assert.deepEqual([gone.json.found, gone.json.registries], [false, []]);
});

test("authorised as a registry read: a Reader may ask, a principal without roles is 403, an unknown registry 404", async () => {
  const ci = await connectionOf("pe-ci");
  const readerToken = await managementToken(cli.cove, credentialFor(cli.cove, zone.reader.appId, zone.reader.password));
  assert.equal((await post({ change: { kind: "delete-connection", connectionId: ci.id } }, readerToken)).status, 200);
  const strangerToken = await managementToken(cli.cove, credentialFor(cli.cove, zone.nobody.appId, zone.nobody.password));
  const refused = await post({ change: { kind: "delete-connection", connectionId: ci.id } }, strangerToken);
  assert.deepEqual([refused.status, refused.json.error.code], [403, "AuthorizationFailed"]);
  const missing = await post({ change: { kind: "delete-connection", connectionId: ci.id } }, token, zone.registry.report.replace(/reportacr$/, "nosuchacr"));
  assert.deepEqual([missing.status, missing.json.error.code], [404, "ResourceNotFound"]);
});
