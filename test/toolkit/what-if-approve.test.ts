// What-if of a connection's approval (and its reverse, the rejection), pure: the synthetic landing
// zone of network-report-inventory.ts, whose zone records point at the hub's first endpoint pe-000,
// with that endpoint's connection set to each state in turn. Approving a Pending one opens exactly
// the subnets that resolve to it and can route to it (the hub and its peered, linked spoke), never
// the VNet that is neither peered nor linked; an Approved one is a note and no change; a Rejected one
// is the service's refusal (Rejected is final); an unknown id changes nothing. The networking page's
// confirmation dialog states these results in words before the approval is sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { syntheticInventory } from "./network-report-inventory.js";
import { applyChange, whatIf, type NetworkChange } from "../../src/network-policy/reachability/what-if.js";
import type { ArmInventory } from "../../src/network-policy/reachability/inventory.js";

/** Hub vnet-000 (pe-000, pe-001), vnet-001 peered and linked, vnet-002 neither; two subnets each. */
function zone(status: string): { inv: ArmInventory; connectionId: string; endpointId: string } {
  const inv = syntheticInventory({ vnets: 3, subnetsPerVnet: 2, endpoints: 2, peered: 1, oneSided: 0, linked: 2, principals: 0 });
  const conn = inv.registries[0]!.properties.privateEndpointConnections[0];
  conn.properties.privateLinkServiceConnectionState = { status, description: "requested by the platform team", actionsRequired: "None" };
  return { inv, connectionId: String(conn.id), endpointId: String(conn.properties.privateEndpoint.id) };
}

const rows = (r: ReturnType<typeof whatIf>) =>
  r.registries.flatMap((reg) => reg.changes.map((c) => `${c.vnet}/${c.subnet} ${c.before}->${c.after}`)).sort();

const REACHABLE = ["vnet-000/subnet-0", "vnet-000/subnet-1", "vnet-001/subnet-0", "vnet-001/subnet-1"];

interface Case {
  name: string;
  status: string;
  change: (connectionId: string) => NetworkChange;
  found: boolean;
  notes: RegExp | null;
  rows: string[];
  cutOff: number;
}

const CASES: Case[] = [
  {
    name: "approving a Pending connection opens the subnets that resolve to its endpoint and route to it",
    status: "Pending", change: (id) => ({ kind: "approve-connection", connectionId: id, description: "ok by security" }),
    found: true, notes: null, rows: REACHABLE.map((s) => `${s} deny->allow`), cutOff: 0,
  },
  {
    name: "approving an Approved connection is a note: nothing changes",
    status: "Approved", change: (id) => ({ kind: "approve-connection", connectionId: id }),
    found: true, notes: /^the connection is already Approved: nothing would change$/, rows: [], cutOff: 0,
  },
  {
    name: "approving a Rejected connection is the service's refusal: Rejected is final",
    status: "Rejected", change: (id) => ({ kind: "approve-connection", connectionId: id }),
    found: true, notes: /^the service refuses this \(PrivateEndpointConnectionStateTransitionNotAllowed\): a rejected connection is final/, rows: [], cutOff: 0,
  },
  {
    name: "approving a connection that does not exist changes nothing",
    status: "Pending", change: (id) => ({ kind: "approve-connection", connectionId: `${id}-gone` }),
    found: false, notes: /does not exist, nothing would change$/, rows: [], cutOff: 0,
  },
  {
    name: "rejecting the Approved connection cuts the same subnets off",
    status: "Approved", change: (id) => ({ kind: "reject-connection", connectionId: id }),
    found: true, notes: null, rows: REACHABLE.map((s) => `${s} allow->deny`), cutOff: 4,
  },
  {
    name: "rejecting a Pending connection cuts nothing: a Pending endpoint carries no traffic",
    status: "Pending", change: (id) => ({ kind: "reject-connection", connectionId: id }),
    found: true, notes: null, rows: [], cutOff: 0,
  },
  {
    name: "rejecting a Rejected connection again is a note, as the service changes nothing",
    status: "Rejected", change: (id) => ({ kind: "reject-connection", connectionId: id }),
    found: true, notes: /^the connection is already Rejected: nothing would change$/, rows: [], cutOff: 0,
  },
];

for (const c of CASES) {
  test(c.name, () => {
    const { inv, connectionId } = zone(c.status);
    const before = structuredClone(inv);
    const r = whatIf(inv, c.change(connectionId));
    assert.deepEqual(inv, before, "the inventory given is left as it was");
    assert.equal(r.found, c.found);
    if (c.notes) {
      assert.equal(r.notes.length, 1, r.notes.join("\n"));
      assert.match(r.notes[0]!, c.notes);
    } else assert.deepEqual(r.notes, []);
    assert.deepEqual(rows(r), c.rows);
    assert.equal(r.cutOff, c.cutOff);
    assert.match(r.change, new RegExp(`^(approve|reject) private endpoint connection benchacr\\.`));
  });
}

test("an approval sets the state as the server does: Approved with the new description (or the old one), mirrored on the endpoint", () => {
  const { inv, connectionId, endpointId } = zone("Pending");
  applyChange(inv, { kind: "approve-connection", connectionId, description: "ok by security" });
  const conn = inv.registries[0]!.properties.privateEndpointConnections.find((x: any) => x.id === connectionId);
  assert.deepEqual(conn.properties.privateLinkServiceConnectionState, { status: "Approved", description: "ok by security", actionsRequired: "None" });
  const pe = inv.privateEndpoints.find((e) => e.id === endpointId)!;
  assert.equal(pe.properties.privateLinkServiceConnections[0].properties.privateLinkServiceConnectionState.status, "Approved");

  const kept = zone("Pending");
  applyChange(kept.inv, { kind: "approve-connection", connectionId: kept.connectionId });
  const keptConn = kept.inv.registries[0]!.properties.privateEndpointConnections.find((x: any) => x.id === kept.connectionId);
  assert.equal(keptConn.properties.privateLinkServiceConnectionState.description, "requested by the platform team");
});
