// The report's picture (network-policy/reachability/svg.ts), pure: it is well-formed XML even when
// every name carries markup, quotes, control characters or astral characters; it has exactly one
// element per VNet, endpoint and zone link and tells two-sided from one-sided peerings; each subnet
// carries its row's decision and reason; it is self-contained and the same model always draws the
// same picture, whatever order the API listed the documents in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildModel } from "../../src/network-policy/reachability/model.js";
import { networkReport } from "../../src/network-policy/reachability/report.js";
import { DECISION_COLOUR, STATE_COLOUR, reportSvg, xmlEscape } from "../../src/network-policy/reachability/svg.js";
import type { ArmInventory } from "../../src/network-policy/reachability/inventory.js";
import { syntheticInventory, type SynthOptions } from "./network-report-inventory.js";
import { byClass, parseXml, titleOf } from "./svg-xml.js";

const HOSTILE = `<&"'>]]>\u0001\uD800🚀`;
const SMALL: SynthOptions = { vnets: 6, subnetsPerVnet: 3, endpoints: 10, peered: 2, oneSided: 1, linked: 3, principals: 3 };

/** What a text or value from the model reads as in the picture: XML cannot carry C0 controls or lone surrogates. */
const shown = (s: string) => s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])/g, "\uFFFD");

function draw(inv: ArmInventory) {
  const model = buildModel(inv);
  const report = networkReport(model, model.registries[0]!);
  const svg = reportSvg(model, report);
  return { model, report, svg, root: parseXml(svg) };
}

test("hostile names: the picture is well-formed XML and every name reads back as given", () => {
  const inv = syntheticInventory({ ...SMALL, name: (_k, plain) => `${plain}${HOSTILE}` });
  const { model, report, svg, root } = draw(inv);
  assert.equal(root.name, "svg");
  assert.ok(!svg.includes(HOSTILE) && !svg.includes("<&"), "a name went into the markup unescaped");
  const vnets = byClass(root, "vnet");
  assert.deepEqual(vnets.map((v) => v.attrs["data-id"]).sort(), model.vnets.map((v) => shown(v.id)).sort());
  for (const v of vnets) assert.match(titleOf(v)!, /🚀/, "astral characters survive");
  const endpoints = byClass(root, "endpoint");
  assert.deepEqual(endpoints.map((e) => e.attrs["data-id"]).sort(), model.endpoints.map((e) => shown(e.id)).sort());
  const rejected = model.endpoints.find((e) => e.status === "Rejected" && e.description)!;
  const drawn = endpoints.find((e) => e.attrs["data-id"] === shown(rejected.id))!;
  assert.ok(titleOf(drawn)!.includes(shown(rejected.description!)), "the connection's description is in the endpoint's title");
  assert.ok(report.rows.length > 0);
});

test("one element for each VNet, endpoint and zone link; peerings told apart; self-contained", () => {
  const inv = syntheticInventory(SMALL);
  const { model, svg, root } = draw(inv);
  assert.match(root.attrs.viewBox!, /^0 0 \d+ \d+$/);
  assert.equal(root.attrs.xmlns, "http://www.w3.org/2000/svg");
  for (const external of ["href", "url(", "<image", "<script", "<style", "<foreignObject", "http://", "https://"]) {
    const rest = svg.replace(`xmlns="http://www.w3.org/2000/svg"`, "");
    assert.ok(!rest.includes(external), `the picture refers outside itself (${external})`);
  }
  assert.equal(byClass(root, "vnet").length, SMALL.vnets);
  assert.equal(byClass(root, "endpoint").length, SMALL.endpoints);
  const links = byClass(root, "link");
  assert.equal(links.length, SMALL.linked);
  assert.deepEqual(links.map((l) => l.attrs["data-id"]).sort(), model.zones.flatMap((z) => z.links.map((l) => l.id)).sort());
  assert.equal(byClass(root, "two-sided").length, SMALL.peered, "one line per VNet pair peered on both sides");
  assert.equal(byClass(root, "one-sided").length, SMALL.oneSided);
  const one = byClass(root, "one-sided")[0]!;
  assert.equal(one.attrs["stroke-dasharray"], "6 4", "a one-sided peering is dashed");
  assert.equal(byClass(root, "two-sided")[0]!.attrs["stroke-dasharray"], undefined);
  assert.equal(byClass(root, "internet").length, 1);

  // Endpoints: coloured by connection state, one colour per state.
  for (const e of byClass(root, "endpoint")) {
    const circle = e.children.find((c) => c.name === "circle")!;
    assert.equal(circle.attrs.fill, STATE_COLOUR[e.attrs["data-state"] as keyof typeof STATE_COLOUR]);
  }
  const states = new Set(byClass(root, "endpoint").map((e) => e.attrs["data-state"]));
  assert.deepEqual([...states].sort(), ["Approved", "Pending", "Rejected"]);
});

test("each subnet shows its row: green allow, red deny with the reason as <title>", () => {
  const { report, root } = draw(syntheticInventory(SMALL));
  const subnets = byClass(root, "subnet");
  assert.equal(subnets.length, SMALL.vnets * SMALL.subnetsPerVnet);
  const rows = report.rows.filter((r) => r.subnetId);
  assert.equal(rows.length, subnets.length);
  const reasons = new Set<string>();
  for (const r of rows) {
    const g = subnets.find((s) => s.attrs["data-id"] === r.subnetId)!;
    assert.ok(g, `no element for ${r.vnet}/${r.subnet}`);
    assert.equal(g.attrs["data-decision"], r.decision);
    assert.equal(g.children.find((c) => c.name === "rect")!.attrs.fill, DECISION_COLOUR[r.decision]);
    if (r.decision === "deny") {
      assert.ok(titleOf(g)!.startsWith(`deny: ${r.reason}: `), titleOf(g));
      reasons.add(r.reason);
    }
  }
  assert.ok(rows.some((r) => r.decision === "allow"), "the landing zone has allowed subnets");
  assert.ok(reasons.size >= 2, `several causes drawn (${[...reasons].join(", ")})`);
  const internet = byClass(root, "internet")[0]!;
  assert.equal(internet.attrs["data-decision"], report.rows.at(-1)!.decision);
});

test("deterministic: the same model draws the same picture, whatever order the documents were listed in", () => {
  const a = draw(syntheticInventory(SMALL)).svg;
  const inv = syntheticInventory(SMALL);
  for (const k of Object.keys(inv) as (keyof ArmInventory)[]) (inv[k] as unknown[]).reverse();
  for (const v of inv.virtualNetworks) v.properties.subnets.reverse();
  assert.equal(draw(syntheticInventory(SMALL)).svg, a);
  assert.equal(draw(inv).svg, a);
});

test("an endpoint or link whose VNet is not in the inventory is still drawn once", () => {
  const inv = syntheticInventory({ ...SMALL, linked: 6 });
  const gone = inv.virtualNetworks.splice(1, 1)[0]!; // VNet 1 holds endpoints and a link
  const { model, root } = draw(inv);
  assert.ok(model.endpoints.some((e) => e.vnetId.toLowerCase() === String(gone.id).toLowerCase()));
  assert.equal(byClass(root, "endpoint").length, SMALL.endpoints);
  assert.equal(byClass(root, "vnet").length, SMALL.vnets - 1);
  assert.equal(byClass(root, "link").length, 6);
  assert.equal(byClass(root, "unplaced").length, 1);
});

test("the budget's landing zone (50 VNets, 200 subnets, 200 endpoints) is drawn whole", () => {
  const { root } = draw(syntheticInventory({ vnets: 50, subnetsPerVnet: 4, endpoints: 200, peered: 40, oneSided: 5, linked: 45, principals: 20 }));
  assert.equal(byClass(root, "vnet").length, 50);
  assert.equal(byClass(root, "subnet").length, 200);
  assert.equal(byClass(root, "endpoint").length, 200);
  assert.equal(byClass(root, "link").length, 45);
});

test("xmlEscape: markup, quotes and characters XML cannot carry", () => {
  assert.equal(xmlEscape(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&apos;");
  assert.equal(xmlEscape("x\u0000y\u001Fz\uFFFE"), "x\uFFFDy\uFFFDz\uFFFD");
  assert.equal(xmlEscape("\uD800!"), "\uFFFD!");
  assert.equal(xmlEscape("🚀\t\n"), "🚀\t\n");
  assert.throws(() => parseXml(`<svg><g a="1" a="2"/></svg>`), /twice/);
  assert.throws(() => parseXml(`<svg><g>&nbsp;</g></svg>`), /unknown entity/);
  assert.throws(() => parseXml(`<svg><g></svg>`), /closes/);
  assert.throws(() => parseXml(`<svg>a & b</svg>`), /bare '&'/);
});
