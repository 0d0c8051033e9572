// Which audit records make a client a user of the public endpoint (toolkit/readiness.ts
// PublicUses), as tables: token aggregates count only their public clients, older registry.token
// rows count (they did not record the path), refusals count only at the public endpoint, and only
// the registry asked about. Plus --since's grammar. The verdicts themselves run against a real
// Cove in readiness.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PublicUses, parseSince, withPublicAccessDisabled } from "../../src/cli/toolkit/readiness.js";
import { emptyInventory } from "../../src/network-policy/reachability/inventory.js";

const REG = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r1";
const OTHER = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r2";
const T = (s: number) => `2026-01-01T10:00:${String(s).padStart(2, "0")}.000Z`;

const aggregate = (registry: string, principalId: string, clients: object[]) => ({
  time: T(59), event: { kind: "registry.token-aggregate", registry, principalKind: "servicePrincipal", principalId, clients, flush: "window" },
});
const client = (clientIp: string, path: "public" | "private", count: number, first = 1, last = 2) => ({
  clientIp, path, ...(path === "private" ? { endpointIp: "127.20.1.4", endpointId: "pe" } : {}), count, exchange: 0, token: count, firstAt: T(first), lastAt: T(last),
});

test("public users: aggregates' public clients, older token rows, public-endpoint refusals; nothing else", () => {
  const uses = new PublicUses(REG.toUpperCase());
  const records = [
    aggregate(REG, "sp-1", [client("127.99.0.10", "public", 5, 3, 9), client("127.22.1.10", "private", 40)]),
    aggregate(REG, "sp-2", [client("127.99.0.10", "public", 2, 1, 4)]),
    aggregate(OTHER, "sp-1", [client("127.99.0.77", "public", 9)]),
    { time: T(20), event: { kind: "registry.token", endpoint: "token", outcome: "issued", registry: REG, principalId: "sp-1", clientIp: "127.99.0.20" } },
    { time: T(21), event: { kind: "registry.token", endpoint: "exchange", outcome: "denied", reason: "wrong-audience", registry: REG, principalId: "sp-1", clientIp: "127.99.0.21" } },
    { time: T(22), event: { kind: "data-plane-denied", reason: "ip-not-allowed", via: "public:127.0.0.1", registry: REG, clientIp: "127.99.0.30", effect: "forbidden" } },
    { time: T(23), event: { kind: "data-plane-denied", reason: "ip-not-allowed", via: "public:127.0.0.1", registry: REG, clientIp: "127.99.0.30", effect: "forbidden" } },
    { time: T(24), event: { kind: "data-plane-denied", reason: "endpoint-not-approved", via: "private:127.20.1.6", registry: REG, clientIp: "127.20.5.5", effect: "drop" } },
    { time: T(25), event: { kind: "data-plane-denied", reason: "public-network-access-disabled", via: "public:127.0.0.1", phase: "accept", clientIp: "127.99.0.31", effect: "drop" } },
    { time: T(26), event: { kind: "data-plane-denied", status: 401, reason: "token-rejected", registry: REG, clientIp: "127.99.0.32" } },
  ];
  for (const r of records) uses.add(r);
  const list = uses.list();
  assert.deepEqual(list.map((u) => [u.clientIp, u.tokens, u.denials, u.principals, u.seenIn]), [
    ["127.99.0.10", 7, 0, ["sp-1", "sp-2"], ["registry.token-aggregate"]],
    ["127.99.0.20", 1, 0, ["sp-1"], ["registry.token"]],
    ["127.99.0.30", 0, 2, [], ["data-plane-denied"]],
  ]);
  assert.deepEqual([list[0]!.firstSeen, list[0]!.lastSeen], [T(1), T(9)], "first and last over every aggregate");
});

test("--since: a duration back from now, or an ISO time; anything else is a usage error", () => {
  const now = Date.UTC(2026, 0, 8, 12, 0, 0);
  const cases: [string, string][] = [
    ["7d", "2026-01-01T12:00:00.000Z"],
    ["24h", "2026-01-07T12:00:00.000Z"],
    ["30m", "2026-01-08T11:30:00.000Z"],
    ["90s", "2026-01-08T11:58:30.000Z"],
    ["1w", "2026-01-01T12:00:00.000Z"],
    ["2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z"],
  ];
  for (const [v, want] of cases) assert.equal(parseSince(v, now), want, v);
  for (const v of ["", "7", "7y", "last week", "-1d", "2026-13-45"]) {
    assert.throws(() => parseSince(v, now), (e: any) => e.exitCode === 2 && /^argument --since: /.test(e.message), v);
  }
});

test("the inventory as it would be with public access Disabled changes that registry only", () => {
  const inv = emptyInventory();
  inv.registries.push({ id: REG, name: "r1", properties: { publicNetworkAccess: "Enabled", loginServer: "r1.cove.test" } }, { id: OTHER, name: "r2", properties: { publicNetworkAccess: "Enabled" } });
  const off = withPublicAccessDisabled(inv, REG.toLowerCase());
  assert.deepEqual(off.registries.map((r) => r.properties?.publicNetworkAccess), ["Disabled", "Enabled"]);
  assert.equal(off.registries[0]!.properties?.loginServer, "r1.cove.test");
  assert.equal(inv.registries[0]!.properties?.publicNetworkAccess, "Enabled", "the inventory read is not changed");
});
