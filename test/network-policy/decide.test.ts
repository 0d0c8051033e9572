// decide() over every branch of DESIGN.md section 4, table-driven, on a snapshot of hand-built facts
// (landing-zone-facts.ts: the records Microsoft's SDKs make Cove store, as src/state/ reads them).
// One row per situation a user can be in. Pure: no Cove, no store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSnapshot, decide, type Decision, type Via } from "../../src/network-policy/index.js";
import { landingZone, landingZoneFacts } from "./landing-zone-facts.js";

const lz = landingZone();
const snap = buildSnapshot(landingZoneFacts(), { suffix: "cove.test", publicAddress: "127.0.0.1" });

interface Row {
  name: string;
  via: Via;
  client: string;
  registry?: "contoso" | "other" | "open" | "unknown" | "CONTOSO" | "OTHER";
  want: Decision | { allow: false; reason: string; effect: string; rule?: RegExp };
}

const PUBLIC: Via = { kind: "public", address: "127.0.0.1" };
const at = (address: string): Via => ({ kind: "private", address });
const ALLOW = { allow: true } as const;
const FORBIDDEN_PNA = { allow: false, reason: "public-network-access-disabled", effect: "forbidden", rule: /^publicNetworkAccess=Disabled$/ } as const;
const FORBIDDEN_IP = { allow: false, reason: "ip-not-allowed", effect: "forbidden", rule: /^networkRuleSet\.defaultAction=Deny$/ } as const;
const DROP_NONE = { allow: false, reason: "no-such-endpoint", effect: "drop" } as const;
const DROP_PENDING = { allow: false, reason: "endpoint-not-approved", effect: "drop", rule: /status=Pending/ } as const;
const DROP_ROUTE = { allow: false, reason: "endpoint-unreachable-from-network", effect: "drop" } as const;

const rows: Row[] = [
  // --- public endpoint ---
  { name: "no registry named by the Host header: the pipeline answers", via: PUBLIC, client: "127.0.0.1", want: ALLOW },
  { name: "unknown registry key: the pipeline answers", via: PUBLIC, client: "127.0.0.1", registry: "unknown", want: ALLOW },
  { name: "public access disabled, from the internet", via: PUBLIC, client: "127.0.0.1", registry: "contoso", want: FORBIDDEN_PNA },
  { name: "public access disabled, even from inside a linked VNet", via: PUBLIC, client: "127.16.1.50", registry: "contoso", want: FORBIDDEN_PNA },
  { name: "public access disabled, registry key in another case", via: PUBLIC, client: "127.0.0.1", registry: "CONTOSO", want: FORBIDDEN_PNA },
  { name: "defaultAction Allow: anyone", via: PUBLIC, client: "127.99.0.1", registry: "open", want: ALLOW },
  { name: "defaultAction Allow: IPv6 too", via: PUBLIC, client: "::1", registry: "open", want: ALLOW },
  { name: "Deny + ipRules: the exact address", via: PUBLIC, client: "127.0.0.1", registry: "other", want: ALLOW },
  { name: "Deny + ipRules: an address inside the CIDR", via: PUBLIC, client: "127.40.200.9", registry: "other", want: ALLOW },
  { name: "Deny + ipRules: IPv4-mapped IPv6 is unwrapped", via: PUBLIC, client: "::ffff:127.40.0.1", registry: "other", want: ALLOW },
  { name: "Deny + ipRules: key in another case", via: PUBLIC, client: "127.0.0.1", registry: "OTHER", want: ALLOW },
  { name: "Deny + ipRules: a neighbour of the single address", via: PUBLIC, client: "127.0.0.2", registry: "other", want: FORBIDDEN_IP },
  { name: "Deny + ipRules: just outside the CIDR", via: PUBLIC, client: "127.41.0.0", registry: "other", want: FORBIDDEN_IP },
  { name: "Deny + ipRules: IPv6 never matches", via: PUBLIC, client: "::1", registry: "other", want: FORBIDDEN_IP },
  { name: "Deny + ipRules: a client in a VNet is judged by its address", via: PUBLIC, client: "127.17.1.10", registry: "other", want: FORBIDDEN_IP },
  { name: "Deny + ipRules: garbage client address", via: PUBLIC, client: "", registry: "other", want: FORBIDDEN_IP },
  // --- private endpoint IPs ---
  { name: "no endpoint at the listener's IP", via: at("127.16.1.200"), client: "127.16.1.50", want: { ...DROP_NONE, rule: /127\.16\.1\.200/ } },
  { name: "Pending connection", via: at("127.16.1.6"), client: "127.16.1.50", registry: "contoso", want: DROP_PENDING },
  { name: "Pending connection, data member", via: at("127.16.1.7"), client: "127.16.1.50", want: DROP_PENDING },
  { name: "Pending is checked before the route", via: at("127.16.1.6"), client: "127.0.0.1", want: DROP_PENDING },
  { name: "Rejected connection", via: at("127.16.1.8"), client: "127.16.1.50", want: { allow: false, reason: "endpoint-not-approved", effect: "drop", rule: /status=Rejected/ } },
  { name: "connection deleted by the registry owner", via: at("127.16.1.12"), client: "127.16.1.50", want: { allow: false, reason: "endpoint-not-approved", effect: "drop", rule: /status=Disconnected/ } },
  { name: "from the endpoint's own VNet", via: at("127.16.1.4"), client: "127.16.1.50", registry: "contoso", want: ALLOW },
  { name: "from the endpoint's own VNet, data member", via: at("127.16.1.5"), client: "127.16.1.50", registry: "contoso", want: ALLOW },
  { name: "from a peered VNet", via: at("127.16.1.4"), client: "127.17.1.10", registry: "contoso", want: ALLOW },
  { name: "no registry named yet (TLS, /v2/ without Host)", via: at("127.16.1.4"), client: "127.17.1.10", want: ALLOW },
  { name: "IPv4-mapped listener and client addresses", via: at("::ffff:127.16.1.4"), client: "::ffff:127.17.1.10", registry: "contoso", want: ALLOW },
  { name: "publicNetworkAccess never applies to private endpoints", via: at("127.16.1.4"), client: "127.16.1.60", registry: "contoso", want: ALLOW },
  { name: "IP rules never apply to private endpoints", via: at("127.16.1.10"), client: "127.17.1.10", registry: "other", want: ALLOW },
  { name: "from a VNet peered one way only", via: at("127.16.1.4"), client: "127.18.1.10", registry: "contoso", want: { ...DROP_ROUTE, rule: /aks-vnet/ } },
  { name: "from an unpeered VNet", via: at("127.16.1.4"), client: "127.19.1.10", registry: "contoso", want: DROP_ROUTE },
  { name: "from the internet", via: at("127.16.1.4"), client: "127.0.0.1", registry: "contoso", want: { ...DROP_ROUTE, rule: /internet/ } },
  { name: "from the VNet's space but no subnet: internet", via: at("127.16.1.4"), client: "127.16.9.9", registry: "contoso", want: DROP_ROUTE },
  { name: "from IPv6", via: at("127.16.1.4"), client: "::1", registry: "contoso", want: DROP_ROUTE },
  { name: "a route is checked before the registry", via: at("127.16.1.4"), client: "127.0.0.1", registry: "other", want: DROP_ROUTE },
  {
    name: "another registry's name on this endpoint", via: at("127.16.1.4"), client: "127.17.1.10", registry: "other",
    want: { allow: false, reason: "endpoint-of-another-registry", effect: "forbidden", rule: /contosoacr.*otheracr/ },
  },
  { name: "the endpoint's registry in another case", via: at("127.16.1.4"), client: "127.17.1.10", registry: "CONTOSO", want: ALLOW },
];

function keyOf(r: Row["registry"]): string | undefined {
  if (r === undefined) return undefined;
  if (r === "unknown") return "/subscriptions/x/resourcegroups/y/providers/microsoft.containerregistry/registries/nope";
  if (r === "CONTOSO") return lz.registry.contoso.toUpperCase();
  if (r === "OTHER") return lz.registry.other.toUpperCase();
  return lz.registry[r];
}

for (const row of rows) {
  test(`decide: ${row.name}`, () => {
    const got = decide(snap, row.via, row.client, keyOf(row.registry));
    if (row.want.allow) {
      assert.deepEqual(got, { allow: true });
      return;
    }
    assert.equal(got.allow, false, JSON.stringify(got));
    if (got.allow) return;
    assert.equal(got.reason, row.want.reason);
    assert.equal(got.effect, row.want.effect);
    assert.ok(got.rule.length > 0, "every denial names its rule");
    if ("rule" in row.want && row.want.rule instanceof RegExp) assert.match(got.rule, row.want.rule);
  });
}

test("decide: every deny reason of the contract is reached by some row", () => {
  const reached = new Set(rows.map((r) => decide(snap, r.via, r.client, keyOf(r.registry))).flatMap((d) => (d.allow ? [] : [d.reason])));
  assert.deepEqual([...reached].sort(), [
    "endpoint-not-approved", "endpoint-of-another-registry", "endpoint-unreachable-from-network", "ip-not-allowed", "no-such-endpoint",
    "public-network-access-disabled",
  ]);
});

test("decide: pure, the same answer twice, the snapshot untouched", () => {
  const before = JSON.stringify(snap.endpointAddresses());
  const a = decide(snap, at("127.16.1.4"), "127.0.0.1", lz.registry.contoso);
  const b = decide(snap, at("127.16.1.4"), "127.0.0.1", lz.registry.contoso);
  assert.deepEqual(a, b);
  assert.equal(JSON.stringify(snap.endpointAddresses()), before);
});
