// The model's side of ENDPOINT_NOT_LISTENING, pure: ARM documents in the shapes Cove serves
// (network-report-inventory.ts), once as Azure sends them (no `listenerStatus`: nothing changes) and
// once with Cove's extension saying which endpoint IPs the registry could not bind.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ArmInventory } from "../../src/network-policy/reachability/inventory.js";
import { buildModel } from "../../src/network-policy/reachability/model.js";
import { diagnose } from "../../src/network-policy/reachability/diagnose.js";
import { predict } from "../../src/network-policy/reachability/predict.js";
import { networkReport } from "../../src/network-policy/reachability/report.js";
import { syntheticInventory } from "./network-report-inventory.js";

const SHAPE = { vnets: 4, subnetsPerVnet: 2, endpoints: 1, peered: 2, oneSided: 0, linked: 3, principals: 1 };
const NOT_AVAILABLE = "listen EADDRNOTAVAIL: address not available 127.100.0.4:443";

/** The inventory with pe-000's IPs carrying these listener entries (as GET and list serve them). */
function withStatus(entries: Record<string, { state: string; error?: string; hint?: string }>): ArmInventory {
  const inv = syntheticInventory(SHAPE);
  const pe = inv.privateEndpoints[0]!;
  pe.properties.listenerStatus = Object.entries(entries).map(([ipAddress, s]) => ({ ipAddress, fqdn: "benchacr.cove.test", ...s }));
  return inv;
}

test("as Azure sends them (no listenerStatus) the report has no listener key and no ENDPOINT_NOT_LISTENING", () => {
  const model = buildModel(syntheticInventory(SHAPE));
  const report = networkReport(model, model.registries[0]!);
  assert.equal("listeners" in report, false);
  assert.ok(report.rows.every((r) => !("listener" in r)), "no row carries a listener");
  assert.ok(report.rows.some((r) => r.decision === "allow" && r.path.startsWith("private:")), "the hub's clients reach pe-000 privately");
  assert.ok(report.rows.every((r) => r.reason !== "ENDPOINT_NOT_LISTENING"));
});

test("a login-server IP that failed to bind: every row routed there is ENDPOINT_NOT_LISTENING, and the modelled client is refused before any decision", () => {
  const model = buildModel(withStatus({ "127.100.0.4": { state: "Failed", error: NOT_AVAILABLE }, "127.100.0.5": { state: "Listening" } }));
  const reg = model.registries[0]!;
  const report = networkReport(model, reg);
  const privateRows = report.rows.filter((r) => r.path.startsWith("private:"));
  assert.ok(privateRows.length >= 2, JSON.stringify(report.rows.map((r) => [r.vnet, r.path])));
  for (const r of privateRows) {
    assert.deepEqual([r.decision, r.reason, r.listener], ["deny", "ENDPOINT_NOT_LISTENING", "Failed"], `${r.vnet}/${r.subnet}`);
    assert.match(r.fix[0]!.cove, /^cove network vnet create -g net-rg -n vnet-000-loopback --address-prefixes 127\.16\.0\.0\/16 --subnet-name subnet-0 --subnet-prefixes 127\.16\.1\.0\/24$/);
  }
  // The hub was peered both ways with vnet-001 and vnet-002: the moved endpoint's VNet is peered with both, both ways.
  const peerings = privateRows[0]!.fix.filter((f) => f.cove.includes("vnet peering create")).map((f) => /--vnet-name (\S+) --remote-vnet \S+\/(\S+) /.exec(f.cove)!.slice(1).join("->"));
  assert.deepEqual(peerings.sort(), ["vnet-000-loopback->vnet-001", "vnet-000-loopback->vnet-002", "vnet-001->vnet-000-loopback", "vnet-002->vnet-000-loopback"]);
  const obs = predict(model, reg, { source: privateRows[0]!.address });
  assert.deepEqual(obs.transport, { kind: "refused", detail: `nothing listens at 127.100.0.4:443 (${NOT_AVAILABLE})` });
  // One entry per IP of the registry's endpoints; the finding only on the failed one.
  assert.deepEqual(report.listeners!.map((l) => [l.ip, l.state, l.finding !== undefined, l.fix !== undefined]), [["127.100.0.4", "Failed", true, true], ["127.100.0.5", "Listening", false, false]]);
  assert.match(report.listeners![0]!.finding!, /^The registry cannot listen on 127\.100\.0\.4 \(benchacr\.cove\.test\) of private endpoint 'pe-000': listen EADDRNOTAVAIL.*In loopback mode VNet prefixes must be in 127\.0\.0\.0\/8/);
});

test("only the data endpoint's IP failed: the login server connects, the data step is where the path breaks", () => {
  const model = buildModel(withStatus({ "127.100.0.4": { state: "Listening" }, "127.100.0.5": { state: "Failed", error: NOT_AVAILABLE.replace(".4:", ".5:") } }));
  const reg = model.registries[0]!;
  const hubClient = model.vnets[0]!.subnets[0]!.clientAddress!;
  const v = diagnose(model, reg, predict(model, reg, { source: hubClient }));
  assert.equal(v.cause, "ENDPOINT_NOT_LISTENING");
  assert.equal(v.evidence.answered, "127.100.0.5");
  assert.match(v.summary, /^benchacr\.westeurope\.data\.cove\.test resolves to 127\.100\.0\.5/);
});

test("another bind error (EADDRINUSE) names the server's reason and proposes no command; Pending is no finding", () => {
  const model = buildModel(withStatus({
    "127.100.0.4": { state: "Failed", error: "listen EADDRINUSE: address already in use 127.100.0.4:443", hint: "another process (or listener) holds this address and port" },
    "127.100.0.5": { state: "Pending" },
  }));
  const report = networkReport(model, model.registries[0]!);
  const row = report.rows.find((r) => r.reason === "ENDPOINT_NOT_LISTENING")!;
  assert.ok(row, "a row meets the busy IP");
  assert.deepEqual(row.fix, []);
  assert.match(row.summary, /another process \(or listener\) holds this address and port; the registry does not answer there\.$/);
  assert.match(report.listeners![0]!.finding!, /Another process \(or listener\) holds this address and port\.$/);
  assert.equal(report.listeners![0]!.fix, undefined);
  assert.deepEqual([report.listeners![1]!.state, report.listeners![1]!.finding], ["Pending", undefined]);
});
