// Three real `cove serve` processes on one PostgreSQL database (COVE_METADATA_URL), each with its own
// data dir, ports and DNS listener, started at the same moment: they must agree on one tenant, one
// bootstrap Owner, one CA and one token signing key (shared through the store), and the management
// API's read-then-write checks must stay exact when the three write at once (MetadataStore.exclusive,
// a PostgreSQL advisory lock). Each node is driven through its own credentials.json and CA file,
// which hold the same principal and the same CA; a token from any node is good on every node.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, runCove, spawnCove, type SpawnedCove, type TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { https, type HttpResult } from "../support/http.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { startTcpBalancer, type TcpBalancer } from "../support/tcp-balancer.js";
import { PgMetadataStore } from "../../src/storage/pg-metadata-store.js";
import { verifyAuditChain } from "../../src/audit/chain.js";

interface Node { name: string; spawned: SpawnedCove; cove: TestCove; token: string }

let server: TestPostgres;
/** In front of the three management listeners, as an operator's load balancer. */
let balancer: TcpBalancer;
let work: string;
/** The nodes' database. */
let url: string;
const nodes: Node[] = [];

before(async () => {
  server = await startPostgres();
  work = await mkdtemp(join(tmpdir(), "cove-pg-nodes-"));
  url = await server.createDatabase("cove_nodes");
  // All at once, on an empty database: one of them migrates and makes the tenant, the Owner and the
  // keys; the others wait for it and take them.
  const mports = await Promise.all([0, 1, 2].map(() => freePort()));
  balancer = await startTcpBalancer(mports.map((port) => ({ host: "127.0.0.1", port })));
  const managementUrl = `https://127.0.0.1:${balancer.port}`;
  const started = await Promise.allSettled(["a", "b", "c"].map(async (name, k) => {
    const dataDir = join(work, name);
    const rport = await freePort();
    const spawned = await spawnCove(dataDir, mports[k]!, rport, { COVE_METADATA_URL: url, COVE_MANAGEMENT_URL: managementUrl }, true);
    const ca = await readFile(spawned.credentials.caCertPath, "utf8");
    // Each node is also driven directly (the races below pick their node); tokens are for the balancer's URL.
    const cove = { credentials: spawned.credentials, ca, managementUrl: `https://127.0.0.1:${mports[k]}`, registryPort: rport, suffix: "cove.test", dataDir } as TestCove;
    nodes.push({ name, spawned, cove, token: "" });
    return nodes.at(-1)!;
  }));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  nodes.sort((x, y) => x.name.localeCompare(y.name));
  for (const n of nodes) n.token = await managementToken({ ...n.cove, managementUrl });
});

after(async () => {
  for (const n of nodes) {
    n.spawned.child.kill("SIGTERM");
    await n.spawned.waitExit();
  }
  await balancer?.close();
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

test("three nodes started at once share one tenant, one bootstrap Owner, one CA and one signing key", async () => {
  const [a, b, c] = nodes.map((n) => n.cove.credentials);
  for (const other of [b!, c!]) {
    assert.equal(other.tenantId, a!.tenantId);
    assert.equal(other.subscriptionId, a!.subscriptionId);
    assert.equal(other.clientId, a!.clientId, "one bootstrap principal, not one per data dir");
    assert.equal(other.clientSecret, a!.clientSecret);
  }
  assert.equal(nodes[1]!.cove.ca, nodes[0]!.cove.ca, "one CA");
  assert.equal(nodes[2]!.cove.ca, nodes[0]!.cove.ca, "one CA");
  const jwk = await Promise.all(nodes.map((n) => readFile(join(n.cove.dataDir, "keys", "token-signing.jwk.json"), "utf8")));
  assert.equal(new Set(jwk).size, 1, "one token signing key");
  // One Owner assignment for the one bootstrap principal: no node made a second.
  const owners = await ok(arm(nodes[1]!, "GET", `${sub()}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`), "role assignments");
  const ownerRole = (ra: any) => String(ra.properties.roleDefinitionId).toLowerCase().endsWith("8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
  assert.equal(owners.value.filter(ownerRole).length, 1, JSON.stringify(owners.value.map((r: any) => r.properties.principalId)));
});

test("behind a load balancer: a token from any node is good on every node, and on the balancer", async () => {
  assert.ok(nodes.every((n) => n.cove.credentials.managementEndpoint === `https://127.0.0.1:${balancer.port}`), "credentials.json names the balancer");
  const before = balancer.counts();
  for (const issuer of nodes) {
    for (const node of nodes) {
      const r = await https(`${node.cove.managementUrl}${sub()}/resourcegroups?api-version=2025-03-01`, { ca: node.cove.ca, headers: { authorization: `Bearer ${issuer.token}` } });
      assert.equal(r.status, 200, `token from ${issuer.name} on ${node.name}: ${r.status} ${r.body}`);
    }
    // Through the balancer (one connection per request, each to the next node), verifying its name.
    for (let i = 0; i < 3; i++) {
      const r = await https(`https://127.0.0.1:${balancer.port}${sub()}/resourcegroups?api-version=2025-03-01`, { ca: issuer.cove.ca, headers: { authorization: `Bearer ${issuer.token}`, connection: "close" } });
      assert.equal(r.status, 200, `token from ${issuer.name} through the balancer: ${r.status} ${r.body}`);
    }
  }
  const spread = balancer.counts().map((c, k) => c - before[k]!);
  assert.ok(spread.every((c) => c >= 2), `every node took requests through the balancer: ${spread.join(", ")}`);
});

test("the networking page's sign-in code made on one node is traded on another, once", async () => {
  const lb = `https://127.0.0.1:${balancer.port}`;
  const [a, b, c] = nodes;
  const made = await https(`${a!.cove.managementUrl}/cove/portal/codes`, { method: "POST", ca: a!.cove.ca, headers: { authorization: `Bearer ${a!.token}` } });
  assert.equal(made.status, 201, String(made.body));
  const { code } = made.json();
  // The page runs at the balancer's origin, whichever node serves it: each request reaches its node
  // as through the balancer (which passes the bytes on), Host and Origin naming the balancer.
  const trade = (node: Node) => https(`${node.cove.managementUrl}/cove/portal/session`, {
    method: "POST", ca: node.cove.ca, headers: { origin: lb, host: lb.slice("https://".length), "content-type": "application/json" }, body: JSON.stringify({ code }),
  });
  const [onB, onC] = await Promise.all([trade(b!), trade(c!)]);
  const statuses = [onB.status, onC.status].sort();
  assert.deepEqual(statuses, [200, 401], `B ${onB.status} ${onB.body}; C ${onC.status} ${onC.body}`);
  const won = onB.status === 200 ? onB : onC;
  assert.equal(won.json().principal.appId, a!.cove.credentials.clientId);
  assert.equal((await trade(a!)).status, 401, "and not again on the node that made it");
});

test("a data dir whose keys were made for another store does not join: the start stops and names the file", async () => {
  const other = await server.createDatabase("cove_other");
  const dataDir = join(work, "foreign");
  const first = await spawnCove(dataDir, await freePort(), await freePort(), { COVE_METADATA_URL: other }, true);
  first.child.kill("SIGTERM");
  await first.waitExit();
  const { code, out } = await runCove(["serve", "--data-dir", dataDir, "--management-listen", `127.0.0.1:${await freePort()}`, "--registry-port", String(await freePort())],
    { COVE_LOG_LEVEL: "warn", COVE_DNS_LISTEN: `127.0.0.1:${await freePort()}`, COVE_METADATA_URL: url }, 20_000);
  assert.notEqual(code, 0, out);
  assert.match(out, /token-signing\.jwk\.json differs from the .* the shared metadata store holds: this data dir belongs to another Cove/);
  // Nothing of the store's was replaced: every node still answers with its token.
  const r = await https(`${nodes[0]!.cove.managementUrl}${sub()}/resourcegroups?api-version=2025-03-01`, { ca: nodes[0]!.cove.ca, headers: { authorization: `Bearer ${nodes[0]!.token}` } });
  assert.equal(r.status, 200);
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

test("after the three nodes' races, the audit chain they all appended to is one gap-free sequence that verifies", async () => {
  const reader = await PgMetadataStore.open(url);
  try {
    const all: Awaited<ReturnType<PgMetadataStore["readAudit"]>> = [];
    for (let page = 0; page < 1000; page++) {
      const next = await reader.readAudit(all.at(-1)?.seq ?? 0, 500);
      if (next.length === 0) break;
      all.push(...next);
    }
    // The races above wrote dozens of audited ARM writes from three processes at once.
    assert.ok(all.length > 60, `${all.length} records`);
    assert.deepEqual(all.map((r) => r.seq), Array.from({ length: all.length }, (_, i) => i + 1), "no gap, no duplicate");
    const verdict = verifyAuditChain(all);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
  } finally {
    await reader.close();
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
