// GET {scope}/providers/Microsoft.Authorization/permissions: the caller's own effective permissions,
// one entry per role assignment that covers the scope (inherited from above included), through
// Microsoft's @azure/arm-authorization 9 (permissions.listForResourceGroup / listForResource) over
// real TLS against a real Cove; the subscription scope, which the SDK has no method for, by HTTPS.
// What the networking page decides from: can this principal approve a connection on this registry?
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { assignRole, clients, createRegistry, createServicePrincipal, credentialFor, managementToken, ROLE, type ServicePrincipal } from "../support/arm.js";
import { https } from "../support/http.js";
import { ROLE_IDS } from "../../src/auth/roles.js";

const RG = "perm-rg";
const REG = "permacr01";
const APPROVE = "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action";

let cove: TestCove;
let registryId: string;
let network: ServicePrincipal;
let reader: ServicePrincipal;
let nobody: ServicePrincipal;

before(async () => {
  cove = await startCove();
  ({ id: registryId } = await createRegistry(cove, RG, REG));
  const sub = `/subscriptions/${cove.credentials.subscriptionId}`;
  network = await createServicePrincipal(cove, "network-team");
  reader = await createServicePrincipal(cove, "auditor");
  nobody = await createServicePrincipal(cove, "no-roles");
  await assignRole(cove, sub, network.objectId, ROLE_IDS.NetworkContributor);
  await assignRole(cove, sub, reader.objectId, ROLE.Reader);
});
after(async () => { await cove?.stop(); });

const authzAs = (sp?: ServicePrincipal) => clients(cove, sp ? credentialFor(cove, sp.appId, sp.password) : undefined).authz;

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const atGroup = (sp?: ServicePrincipal) => all(authzAs(sp).permissions.listForResourceGroup(RG));
const atRegistry = (sp?: ServicePrincipal, name = REG) => all(authzAs(sp).permissions.listForResource(RG, "Microsoft.ContainerRegistry", "", "registries", name));

/** ARM's rule for one action against a list of entries: some entry's actions match it and none of its notActions does. */
function holds(entries: { actions?: string[]; notActions?: string[] }[], action: string): boolean {
  const match = (pattern: string) => new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i").test(action);
  return entries.some((e) => (e.actions ?? []).some(match) && !(e.notActions ?? []).some(match));
}

test("the bootstrap Owner sees '*' at the resource group and at the registry, one entry for its one assignment", async () => {
  for (const entries of [await atGroup(), await atRegistry()]) {
    assert.deepEqual(entries, [{ actions: ["*"], notActions: [], dataActions: [], notDataActions: [] }]);
    assert.ok(holds(entries, APPROVE));
  }
});

test("Network Contributor on the subscription: Microsoft.Network/* and friends at the registry, and NOT the ACR approval action", async () => {
  const entries = await atRegistry(network);
  assert.equal(entries.length, 1, JSON.stringify(entries));
  assert.ok(entries[0]!.actions!.includes("Microsoft.Network/*"));
  assert.ok(entries[0]!.actions!.includes("Microsoft.Authorization/*/read"));
  assert.ok(holds(entries, "Microsoft.Network/privateEndpoints/write"));
  assert.equal(holds(entries, APPROVE), false);
  assert.equal(holds(entries, "Microsoft.ContainerRegistry/registries/write"), false);
});

test("a Reader sees '*/read': it may read the registry's connections but not approve one", async () => {
  const entries = await atRegistry(reader);
  assert.deepEqual(entries.map((e) => e.actions), [["*/read"]]);
  assert.ok(holds(entries, "Microsoft.ContainerRegistry/registries/privateEndpointConnections/read"));
  assert.equal(holds(entries, APPROVE), false);
});

test("an assignment on the registry adds an entry there and not at the group above it; a principal with none gets an empty list", async () => {
  assert.deepEqual(await atRegistry(nobody), []);
  assert.deepEqual(await atGroup(nobody), []);
  await assignRole(cove, registryId, nobody.objectId, ROLE_IDS.Contributor);
  const there = await atRegistry(nobody);
  assert.equal(there.length, 1);
  assert.deepEqual(there[0]!.actions, ["*"]);
  assert.ok(there[0]!.notActions!.includes("Microsoft.Authorization/*/Write"));
  assert.ok(holds(there, APPROVE));
  assert.deepEqual(await atGroup(nobody), [], "an assignment below the scope does not apply at it");
  // Inherited and direct together: Network Contributor from the subscription plus AcrPull on the registry.
  await assignRole(cove, registryId, network.objectId, ROLE.AcrPull);
  const both = await atRegistry(network);
  assert.equal(both.length, 2);
  assert.ok(both.some((e) => e.actions!.includes("Microsoft.ContainerRegistry/registries/pull/read")));
  assert.equal((await atGroup(network)).length, 1);
});

test("the subscription scope answers the same shape (by HTTPS: the SDK has no method for it); no token is 401", async () => {
  const url = `${cove.managementUrl}/subscriptions/${cove.credentials.subscriptionId}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`;
  const token = await managementToken(cove, credentialFor(cove, reader.appId, reader.password));
  const r = await https(url, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, r.body.toString());
  assert.deepEqual(r.json(), { value: [{ actions: ["*/read"], notActions: [], dataActions: [], notDataActions: [] }] });
  const anon = await https(url, { ca: cove.ca });
  assert.equal(anon.status, 401);
});

test("an unknown scope is Azure's 404: no such group, no such registry, another subscription", async () => {
  const refused = async (p: Promise<unknown>, code: string) => {
    await assert.rejects(p, (err: any) => {
      assert.equal(err.statusCode, 404, String(err.message));
      assert.equal(err.code, code, String(err.message));
      return true;
    });
  };
  await refused(all(authzAs(reader).permissions.listForResourceGroup("no-such-rg")), "ResourceGroupNotFound");
  await refused(atRegistry(reader, "nosuchacr01"), "ResourceNotFound");
  const token = await managementToken(cove);
  const other = await https(`${cove.managementUrl}/subscriptions/00000000-0000-4000-8000-00000000dead/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`, {
    ca: cove.ca, headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(other.status, 404);
  assert.equal(other.json().error.code, "SubscriptionNotFound");
});
