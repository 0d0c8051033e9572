// Three real `cove serve` processes on one PostgreSQL database (COVE_METADATA_URL), each with its own
// data dir, ports and DNS listener: the management API's read-then-write checks must stay exact when
// the three write at the same moment (MetadataStore.exclusive, a PostgreSQL advisory lock). Each node
// is driven with its own bootstrap principal from its own credentials.json, through its own CA. The
// principals, secrets and roles are shared through the database (a principal gets a token from any
// node), but each data dir has its own signing key and CA today: a token is only presented to the
// node that issued it (another node answers 401 InvalidAuthenticationToken).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnCove, type SpawnedCove, type TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { https, type HttpResult } from "../support/http.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { PgMetadataStore } from "../../src/storage/pg-metadata-store.js";

interface Node { name: string; spawned: SpawnedCove; cove: TestCove; token: string }

let server: TestPostgres;
let work: string;
const nodes: Node[] = [];

before(async () => {
  server = await startPostgres();
  work = await mkdtemp(join(tmpdir(), "cove-pg-nodes-"));
  const url = await server.createDatabase("cove_nodes");
  // One after another: the first node creates the tenant and schema, the others find them.
  for (const name of ["a", "b", "c"]) {
    const dataDir = join(work, name);
    const mport = await freePort();
    const rport = await freePort();
    const spawned = await spawnCove(dataDir, mport, rport, { COVE_METADATA_URL: url }, true);
    const ca = await readFile(spawned.credentials.caCertPath, "utf8");
    const cove = { credentials: spawned.credentials, ca, managementUrl: spawned.credentials.managementEndpoint, registryPort: rport, suffix: "cove.test", dataDir } as TestCove;
    nodes.push({ name, spawned, cove, token: await managementToken(cove) });
  }
});

after(async () => {
  for (const n of nodes) {
    n.spawned.child.kill("SIGTERM");
    await n.spawned.waitExit();
  }
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** One ARM call to `node`, with its own token, given at most 30 s. */
async function arm(node: Node, method: string, path: string, body?: object): Promise<HttpResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => { timer = setTimeout(() => fail(new Error(`${method} ${path} on node ${node.name}: no answer in 30 s`)), 30_000); });
  try {
    return await Promise.race([
      https(`${node.cove.managementUrl}${path}`, { method, ca: node.cove.ca, headers: { authorization: `Bearer ${node.token}` }, body }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const sub = () => `/subscriptions/${nodes[0]!.cove.credentials.subscriptionId}`;

async function ok(r: Promise<HttpResult>, what: string): Promise<any> {
  const res = await r;
  assert.ok(res.status === 200 || res.status === 201, `${what}: ${res.status} ${res.body}`);
  return res.json();
}

test("three nodes share one tenant and subscription", () => {
  const [a, b, c] = nodes.map((n) => n.cove.credentials);
  assert.equal(b!.tenantId, a!.tenantId);
  assert.equal(c!.subscriptionId, a!.subscriptionId);
  assert.notEqual(b!.clientId, a!.clientId, "each data dir bootstrapped its own principal");
});

test("3 nodes x 4 creates of one registry name at once, for 5 names: exactly one each succeeds, the rest get AlreadyInUse", async () => {
  const attempts: { node: Node; group: string }[] = [];
  for (const node of nodes) for (let i = 0; i < 4; i++) attempts.push({ node, group: `name-${node.name}${i}` });
  // The groups first (through their own node), so the race is the registry PUTs alone.
  await Promise.all(attempts.map((a) => ok(arm(a.node, "PUT", `${sub()}/resourceGroups/${a.group}?api-version=2025-03-01`, { location: "westeurope" }), `group ${a.group}`)));
  const names = ["samename01", "samename02", "samename03", "samename04", "samename05"];
  // All 60 PUTs at once: twelve groups, each asking for every name, spread over the three nodes.
  const results = await Promise.all(names.map((name) => Promise.all(attempts.map((a) => arm(a.node, "PUT",
    `${sub()}/resourceGroups/${a.group}/providers/Microsoft.ContainerRegistry/registries/${name}?api-version=2025-11-01`,
    { location: "westeurope", sku: { name: "Premium" } })))));
  const list = await Promise.all(nodes.map((node) => ok(arm(node, "GET", `${sub()}/providers/Microsoft.ContainerRegistry/registries?api-version=2025-11-01`), "list")));
  names.forEach((name, k) => {
    const mine = results[k]!;
    const won = mine.filter((r) => r.status === 201 || r.status === 200);
    assert.equal(won.length, 1, `${name}: ` + mine.map((r) => `${r.status} ${r.json()?.error?.code ?? ""}`).join(", "));
    for (const r of mine.filter((x) => x !== won[0])) {
      assert.equal(r.status, 400);
      assert.equal(r.json().error.code, "AlreadyInUse");
      assert.match(r.json().error.message, new RegExp(`${name}\\.cove\\.test is already in use`));
    }
    // Every node lists the one registry of that name.
    list.forEach((l, n) => assert.equal(l.value.filter((r: any) => r.name === name).length, 1, `${name} on node ${nodes[n]!.name}`));
  });
});

test("3 nodes x 3 private endpoints in one /28 at once: distinct addresses until the subnet is full", async () => {
  const [a] = nodes;
  const rg = `${sub()}/resourceGroups/pe-race`;
  await ok(arm(a!, "PUT", `${rg}?api-version=2025-03-01`, { location: "westeurope" }), "group");
  const reg = `${rg}/providers/Microsoft.ContainerRegistry/registries/peracereg01`;
  await ok(arm(a!, "PUT", `${reg}?api-version=2025-11-01`, { location: "westeurope", sku: { name: "Premium" } }), "registry");
  const vnet = `${rg}/providers/Microsoft.Network/virtualNetworks/v`;
  // A /28 has 16 addresses; Azure reserves the first four and the last, leaving .4-.14: eleven, room
  // for five endpoints of two addresses each. Nine ask at once.
  await ok(arm(a!, "PUT", `${vnet}?api-version=2025-05-01`, {
    location: "westeurope", properties: { addressSpace: { addressPrefixes: ["127.71.0.0/16"] }, subnets: [{ name: "s", properties: { addressPrefix: "127.71.1.0/28" } }] },
  }), "vnet");
  const asks = nodes.flatMap((node) => [0, 1, 2].map((i) => ({ node, name: `pe-${node.name}${i}` })));
  const results = await Promise.all(asks.map((x) => arm(x.node, "PUT", `${rg}/providers/Microsoft.Network/privateEndpoints/${x.name}?api-version=2025-05-01`, {
    location: "westeurope",
    properties: { subnet: { id: `${vnet}/subnets/s` }, privateLinkServiceConnections: [{ name: "c", properties: { privateLinkServiceId: reg, groupIds: ["registry"] } }] },
  })));
  const made = results.filter((r) => r.status === 201);
  const refused = results.filter((r) => r.status !== 201);
  assert.equal(made.length, 5, results.map((r) => `${r.status} ${r.json()?.error?.code ?? ""}`).join(", "));
  for (const r of refused) {
    assert.equal(r.status, 400);
    assert.equal(r.json().error.code, "SubnetIsFull");
  }
  const ips = made.flatMap((r) => r.json().properties.customDnsConfigs.map((d: any) => d.ipAddresses[0] as string));
  assert.equal(new Set(ips).size, 10, `no address given twice: ${ips.join(",")}`);
  assert.deepEqual(ips.map((ip) => Number(ip.split(".")[3])).sort((x, y) => x - y), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  // Every node reads the same NICs back: the addresses are in the shared store, not in one node's memory.
  for (const node of nodes) {
    const nics = await ok(arm(node, "GET", `${rg}/providers/Microsoft.Network/networkInterfaces?api-version=2025-05-01`), "nics");
    const held = nics.value.flatMap((n: any) => n.properties.ipConfigurations.map((c: any) => c.properties.privateIPAddress as string));
    assert.deepEqual([...held].sort(), [...ips].sort(), `node ${node.name}`);
  }
});

test("3 nodes approve and reject the same pending connections at once: a rejection is final on every node", async () => {
  const [a] = nodes;
  const rg = `${sub()}/resourceGroups/pec-race`;
  await ok(arm(a!, "PUT", `${rg}?api-version=2025-03-01`, { location: "westeurope" }), "group");
  const reg = `${rg}/providers/Microsoft.ContainerRegistry/registries/pecracereg01`;
  await ok(arm(a!, "PUT", `${reg}?api-version=2025-11-01`, { location: "westeurope", sku: { name: "Premium" } }), "registry");
  const vnet = `${rg}/providers/Microsoft.Network/virtualNetworks/v`;
  await ok(arm(a!, "PUT", `${vnet}?api-version=2025-05-01`, {
    location: "westeurope", properties: { addressSpace: { addressPrefixes: ["127.72.0.0/16"] }, subnets: [{ name: "s", properties: { addressPrefix: "127.72.1.0/24" } }] },
  }), "vnet");
  for (let i = 0; i < 6; i++) {
    await ok(arm(a!, "PUT", `${rg}/providers/Microsoft.Network/privateEndpoints/manual${i}?api-version=2025-05-01`, {
      location: "westeurope",
      properties: { subnet: { id: `${vnet}/subnets/s` }, manualPrivateLinkServiceConnections: [{ name: "c", properties: { privateLinkServiceId: reg, groupIds: ["registry"], requestMessage: "please" } }] },
    }), `endpoint ${i}`);
  }
  const conns = (await ok(arm(a!, "GET", `${reg}/privateEndpointConnections?api-version=2025-11-01`), "connections")).value as any[];
  assert.equal(conns.length, 6);
  assert.ok(conns.every((c) => c.properties.privateLinkServiceConnectionState.status === "Pending"));
  // All 18 PUTs at once. Each node takes its own requests one after another, so the k-th request of
  // every node runs at about the same moment: they all address connection k, with opposite answers
  // from neighbouring nodes. Rejected is final, so whatever the order, every connection must end
  // Rejected; an approval that read Pending and wrote after a rejection (a lost update) leaves it Approved.
  const puts = conns.flatMap((c, k) => nodes.map((node, n) => ({ c, node, status: (k + n) % 2 === 0 ? "Rejected" : "Approved" })));
  const results = await Promise.all(puts.map((x) => arm(x.node, "PUT", `${reg}/privateEndpointConnections/${x.c.name}?api-version=2025-11-01`, {
    properties: { privateLinkServiceConnectionState: { status: x.status, description: `${x.status} by ${x.node.name}` } },
  })));
  results.forEach((r, i) => {
    if (r.status === 200) return;
    assert.equal(r.status, 400, `${puts[i]!.status} by ${puts[i]!.node.name}: ${r.body}`);
    assert.equal(r.json().error.code, "PrivateEndpointConnectionStateTransitionNotAllowed");
    assert.equal(puts[i]!.status, "Approved", "a rejection is always allowed from Pending, Approved or Rejected");
  });
  for (const node of nodes) {
    const back = (await ok(arm(node, "GET", `${reg}/privateEndpointConnections?api-version=2025-11-01`), "connections")).value as any[];
    assert.deepEqual(back.map((c) => c.properties.privateLinkServiceConnectionState.status), Array(6).fill("Rejected"), `node ${node.name}`);
  }
});

test("an exclusive section on one store keeps another store's out, and one that throws frees the lock", async () => {
  const url = await server.createDatabase("cove_exclusive");
  const [x, y] = await Promise.all([PgMetadataStore.open(url), PgMetadataStore.open(url)]);
  try {
    let inside = 0;
    let most = 0;
    const section = (s: PgMetadataStore) => s.exclusive(async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((r) => setTimeout(r, 20));
      inside--;
    });
    await Promise.all([x, y, x, y, x, y].map(section));
    assert.equal(most, 1, "sections of two stores never overlapped");
    await assert.rejects(x.exclusive(async () => { throw new Error("boom"); }), /boom/);
    const got = await Promise.race([y.exclusive(async () => "in"), new Promise((r) => setTimeout(() => r("still locked after 5 s"), 5000))]);
    assert.equal(got, "in");
  } finally {
    await Promise.all([x.close(), y.close()]);
  }
});
