// The reachability matrix as a picture (`cove acr network-report --svg`, the server's
// `networkReport?format=svg`, the networking page): VNets as boxes holding their subnets (green
// allow, red deny, the reason as <title>) and private endpoints (coloured by connection state),
// peerings as lines between VNets (solid when peered on both sides, dashed when one-sided), the
// private DNS zones with a line per VNet link, and the internet with its path to the registry.
// Pure: (model, report) -> one self-contained SVG document (viewBox set, no external references,
// presentation attributes instead of a stylesheet so it can be inlined in a page). Every name comes
// from a user, so every text and attribute is XML-escaped. The layout is a fixed grid in name order,
// so the same model always draws the same picture.
import type { ConnectionStatus } from "../types.js";
import type { EndpointInfo, ReachabilityModel, VnetInfo, ZoneInfo } from "./model.js";
import type { NetworkReport, ReportRow } from "./report.js";

const PAD = 30;
const BOX_W = 300;
const GAP = 40;
const HEAD = 26;
const LINE = 20;
const TOP = 70;
const ZONE_W = 260;
const MAX_COLUMNS = 6;

export const DECISION_COLOUR = { allow: "#2e7d32", deny: "#c62828", none: "#9e9e9e" } as const;
export const STATE_COLOUR: Record<ConnectionStatus, string> = { Approved: "#2e7d32", Pending: "#f9a825", Rejected: "#c62828", Disconnected: "#757575" };

/** Characters XML 1.0 cannot carry even escaped (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlEscape(s: string): string {
  return s.replace(NOT_XML, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** At most n characters (code points, so a pair is never split), with an ellipsis when cut. */
function clip(s: string, n: number): string {
  const cps = Array.from(s);
  return cps.length <= n ? s : cps.slice(0, n - 1).join("") + "\u2026";
}

const lower = (s: string) => s.toLowerCase();
const byName = <T extends { name: string; id: string }>(a: T, b: T) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

interface Box { x: number; y: number; w: number; h: number }

function text(x: number, y: number, s: string, opts: { size?: number; anchor?: "start" | "end" | "middle"; weight?: string; fill?: string } = {}): string {
  const attrs = [`x="${x}"`, `y="${y}"`, `font-size="${opts.size ?? 11}"`, `font-family="sans-serif"`];
  if (opts.anchor && opts.anchor !== "start") attrs.push(`text-anchor="${opts.anchor}"`);
  if (opts.weight) attrs.push(`font-weight="${opts.weight}"`);
  attrs.push(`fill="${opts.fill ?? "#212121"}"`);
  return `<text ${attrs.join(" ")}>${xmlEscape(s)}</text>`;
}

const title = (s: string) => `<title>${xmlEscape(s)}</title>`;

type Point = { x: number; y: number };
const round = (v: number) => Math.round(v * 10) / 10;

/**
 * A connector as a path of straight runs through the gutters between boxes (the band above a row,
 * the lane left of a column), so it never crosses a box and is never taken to end at one it passes;
 * a dot marks each end that touches a box. One element per connector: the tests count them.
 */
function connector(cls: string, id: string, points: Point[], stroke: string, tip: string, o: { dashed?: boolean; dots?: Point[] } = {}): string {
  const dash = o.dashed ? ` stroke-dasharray="6 4"` : "";
  const d = points.map((p, i) => `${i ? "L" : "M"} ${round(p.x)} ${round(p.y)}`).join(" ");
  const dots = (o.dots ?? [points[points.length - 1]!]).map((p) => `<circle cx="${round(p.x)}" cy="${round(p.y)}" r="3.5" fill="${stroke}"/>`).join("");
  return `<g class="${cls}" data-id="${xmlEscape(id)}"${dash}>${title(tip)}<path d="${d}" fill="none" stroke="${stroke}" stroke-width="2" stroke-opacity="0.85"/>${dots}</g>`;
}

/** From the top border of `a` (at x `ax`) up into the band above its row, across to the lane left of `b`'s column, to the band above `b`, onto `b`'s top border at `bx`. */
function gutterRoute(a: Box, ax: number, b: Box, bx: number, n: number): Point[] {
  const off = (n % 6) * 4;
  const bandA = a.y - 8 - off;
  const bandB = b.y - 8 - off;
  const lane = b.x - 8 - (n % 4) * 4;
  if (a.y === b.y) return [{ x: ax, y: a.y }, { x: ax, y: bandA }, { x: bx, y: bandA }, { x: bx, y: b.y }];
  return [{ x: ax, y: a.y }, { x: ax, y: bandA }, { x: lane, y: bandA }, { x: lane, y: bandB }, { x: bx, y: bandB }, { x: bx, y: b.y }];
}

function rowTip(r: ReportRow | undefined): string {
  if (!r) return "no client address in this subnet: not reported";
  return r.decision === "allow" ? `allow: ${r.path}` : `deny: ${r.reason}: ${r.summary}`;
}

function endpointTip(e: EndpointInfo, mine: boolean): string {
  const ips = e.ips.map((m) => `${m.member} ${m.ip}${m.listener?.state === "Failed" ? " (the registry cannot listen here)" : ""}`).join(", ") || "no addresses";
  const of = mine ? "this registry" : "another registry";
  return `${e.name} (${of}): connection ${e.status}${e.description ? ` (${e.description})` : ""}; ${ips}`;
}

function drawVnet(v: VnetInfo, box: Box, rows: Map<string, ReportRow>, endpoints: EndpointInfo[], registryKey: string): string {
  const out = [`<g class="vnet" data-id="${xmlEscape(v.id)}">`, title(`${v.name} (${v.group})`)];
  out.push(`<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="6" fill="#fafafa" stroke="#616161" stroke-width="1.5"/>`);
  out.push(text(box.x + 8, box.y + 17, clip(v.name, 40), { size: 12, weight: "bold" }));
  let y = box.y + HEAD;
  for (const s of [...v.subnets].sort(byName)) {
    const r = rows.get(lower(s.id));
    const decision = r?.decision ?? "none";
    out.push(`<g class="subnet" data-id="${xmlEscape(s.id)}" data-decision="${decision}">${title(rowTip(r))}`);
    out.push(`<rect x="${box.x + 6}" y="${y}" width="${box.w - 12}" height="${LINE - 3}" rx="3" fill="${DECISION_COLOUR[decision]}"/>`);
    out.push(text(box.x + 11, y + 12, `${clip(s.name, 22)}  ${r?.address ?? s.prefixes.join(" ")}`, { fill: "#ffffff" }));
    out.push(text(box.x + box.w - 11, y + 12, r ? (r.decision === "allow" ? "allow" : clip(r.reason, 22)) : "-", { anchor: "end", fill: "#ffffff" }));
    out.push(`</g>`);
    y += LINE;
  }
  for (const e of endpoints) {
    out.push(drawEndpoint(e, box.x + 6, y, box.w - 12, e.registryKey === registryKey));
    y += LINE;
  }
  out.push(`</g>`);
  return out.join("");
}

function drawEndpoint(e: EndpointInfo, x: number, y: number, w: number, mine: boolean): string {
  const ip = e.ips.find((m) => m.member === "registry")?.ip ?? e.ips[0]?.ip ?? "";
  const faded = mine ? "" : ` opacity="0.55"`;
  return `<g class="endpoint" data-id="${xmlEscape(e.id)}" data-state="${e.status}" data-registry="${mine ? "this" : "other"}"${faded}>${title(endpointTip(e, mine))}`
    + `<circle cx="${x + 8}" cy="${y + 8}" r="6" fill="${STATE_COLOUR[e.status]}"/>`
    + text(x + 20, y + 12, `${clip(e.name, 24)}  ${ip}`)
    + text(x + w - 5, y + 12, e.status, { anchor: "end", fill: STATE_COLOUR[e.status] })
    + `</g>`;
}

function drawZone(z: ZoneInfo, box: Box): string {
  const records = [...z.records.values()].reduce((n, ips) => n + ips.length, 0);
  return `<g class="zone" data-id="${xmlEscape(z.id)}">${title(`${z.name} (${z.group}): ${z.links.length} links, ${records} A records`)}`
    + `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="6" fill="#e3f2fd" stroke="#1565c0" stroke-width="1.5"/>`
    + text(box.x + 8, box.y + 17, clip(z.name, 36), { size: 12, weight: "bold" })
    + text(box.x + 8, box.y + 34, `${z.links.length} links, ${records} A records`)
    + `</g>`;
}

/** The picture of one registry's reachability report. */
export function reportSvg(model: ReachabilityModel, report: NetworkReport): string {
  const registryKey = lower(report.registry.id);
  const rows = new Map<string, ReportRow>();
  for (const r of report.rows) if (r.subnetId) rows.set(lower(r.subnetId), r);
  const internet = report.rows.find((r) => r.vnetId === null);

  const vnets = [...model.vnets].sort(byName);
  const vnetKeys = new Set(vnets.map((v) => lower(v.id)));
  const endpointsIn = new Map<string, EndpointInfo[]>();
  const unplaced: EndpointInfo[] = [];
  for (const e of [...model.endpoints].sort(byName)) {
    const k = lower(e.vnetId);
    if (vnetKeys.has(k)) endpointsIn.set(k, [...(endpointsIn.get(k) ?? []), e]);
    else unplaced.push(e);
  }

  // The grid: up to MAX_COLUMNS VNets a row, each row as tall as its tallest box.
  const columns = Math.max(1, Math.min(MAX_COLUMNS, Math.ceil(Math.sqrt(vnets.length))));
  const boxes = new Map<string, Box>();
  let y = TOP + PAD;
  for (let i = 0; i < vnets.length; i += columns) {
    const band = vnets.slice(i, i + columns);
    const h = Math.max(...band.map((v) => HEAD + LINE * (v.subnets.length + (endpointsIn.get(lower(v.id))?.length ?? 0)) + 6));
    band.forEach((v, j) => boxes.set(lower(v.id), { x: PAD + j * (BOX_W + GAP), y, w: BOX_W, h }));
    y += h + GAP;
  }
  const unplacedBox: Box | undefined = unplaced.length ? { x: PAD, y, w: BOX_W, h: HEAD + LINE * unplaced.length + 6 } : undefined;
  if (unplacedBox) y += unplacedBox.h + GAP;

  const zoneX = PAD + Math.max(1, Math.min(columns, vnets.length)) * (BOX_W + GAP) + GAP;
  const zones = [...model.zones].sort(byName);
  const zoneBoxes = zones.map((z, i) => ({ z, box: { x: zoneX, y: TOP + PAD + i * (44 + GAP / 2), w: ZONE_W, h: 44 } }));
  const width = zoneX + (zones.length ? ZONE_W : 0) + PAD;
  const height = Math.max(y, TOP + PAD + zones.length * (44 + GAP / 2)) + 30;

  const internetBox: Box = { x: PAD, y: PAD, w: 240, h: 40 };
  const registryBox: Box = { x: PAD + 240 + GAP * 2, y: PAD, w: 340, h: 40 };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" data-registry="${xmlEscape(report.registry.id)}">`);
  out.push(title(`Reachability of ${report.registry.loginServer}: ${report.counts.allow} allow, ${report.counts.deny} deny`));
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);

  const r = report.registry;
  const publicColour = DECISION_COLOUR[internet?.decision ?? "none"];
  out.push(`<g class="internet" data-decision="${internet?.decision ?? "none"}">${title(`internet (${internet?.address ?? ""}): ${rowTip(internet)}`)}`
    + `<rect x="${internetBox.x}" y="${internetBox.y}" width="${internetBox.w}" height="${internetBox.h}" rx="20" fill="${publicColour}"/>`
    + text(internetBox.x + internetBox.w / 2, internetBox.y + 16, `internet (${internet?.address ?? "-"})`, { anchor: "middle", fill: "#ffffff" })
    + text(internetBox.x + internetBox.w / 2, internetBox.y + 32, internet?.decision === "allow" ? "allow" : (internet?.reason ?? "-"), { anchor: "middle", fill: "#ffffff", weight: "bold" })
    + `</g>`);
  out.push(`<g class="registry" data-id="${xmlEscape(r.id)}">${title(`${r.name}: ${r.sku}, public network access ${r.publicNetworkAccess}, default action ${r.defaultAction}`)}`
    + `<rect x="${registryBox.x}" y="${registryBox.y}" width="${registryBox.w}" height="${registryBox.h}" rx="6" fill="#ede7f6" stroke="#4527a0" stroke-width="1.5"/>`
    + text(registryBox.x + 8, registryBox.y + 17, clip(r.loginServer, 50), { size: 12, weight: "bold" })
    + text(registryBox.x + 8, registryBox.y + 33, `${r.sku}, public ${r.publicNetworkAccess}, default ${r.defaultAction}`)
    + `</g>`);
  for (const v of vnets) out.push(drawVnet(v, boxes.get(lower(v.id))!, rows, endpointsIn.get(lower(v.id)) ?? [], registryKey));
  if (unplacedBox) {
    out.push(`<g class="unplaced">${title("endpoints whose VNet is not in the inventory")}`
      + `<rect x="${unplacedBox.x}" y="${unplacedBox.y}" width="${unplacedBox.w}" height="${unplacedBox.h}" rx="6" fill="#fafafa" stroke="#9e9e9e" stroke-dasharray="4 3"/>`
      + text(unplacedBox.x + 8, unplacedBox.y + 17, "VNet not in the inventory", { size: 12, weight: "bold" }));
    unplaced.forEach((e, i) => out.push(drawEndpoint(e, unplacedBox.x + 6, unplacedBox.y + HEAD + i * LINE, unplacedBox.w - 12, e.registryKey === registryKey)));
    out.push(`</g>`);
  }
  for (const { z, box } of zoneBoxes) out.push(drawZone(z, box));

  // Connectors last, over the boxes. Peerings: one per VNet pair (either side's documents).
  const pairs = new Map<string, { a: VnetInfo; bId: string; ids: string[] }>();
  for (const v of vnets) {
    for (const p of v.peerings) {
      const key = [lower(v.id), lower(p.remoteVnetId)].sort().join("|");
      const seen = pairs.get(key);
      if (seen) seen.ids.push(p.id);
      else pairs.set(key, { a: v, bId: p.remoteVnetId, ids: [p.id] });
    }
  }
  let n = 0;
  for (const { a, bId, ids } of pairs.values()) {
    const aBox = boxes.get(lower(a.id))!;
    const bBox = boxes.get(lower(bId));
    const off = (n % 6) * 10;
    const both = lower(a.id) !== lower(bId) && model.routable(a.id, bId);
    const tip = `${both ? "peered on both sides" : "one-sided peering (no route)"}: ${a.name} - ${bId.slice(bId.lastIndexOf("/") + 1)}${bBox ? " " : " (not in the inventory)"}`.trim();
    const points = bBox ? gutterRoute(aBox, aBox.x + 20 + off, bBox, bBox.x + 20 + off, n) : [{ x: aBox.x + 20 + off, y: aBox.y }, { x: aBox.x + 20 + off, y: aBox.y - GAP / 2 }];
    out.push(connector(both ? "peering two-sided" : "peering one-sided", ids.sort().join(" "), points, both ? "#424242" : "#e65100", tip, { dashed: !both, dots: bBox ? [points[0]!, points[points.length - 1]!] : [points[0]!] }));
    n++;
  }
  for (const { z, box } of zoneBoxes) {
    for (const l of [...z.links].sort(byName)) {
      const target = boxes.get(lower(l.vnetId));
      const tip = `${z.name} linked to ${l.vnetId.slice(l.vnetId.lastIndexOf("/") + 1)} (${l.name}, ${l.resolutionPolicy})${target ? "" : ": VNet not in the inventory"}`;
      const from = { x: box.x, y: box.y + box.h / 2 };
      const off = (n % 6) * 4;
      // Along the lane between the grid and the zones, then the band above the VNet's row, onto its top border near the right corner.
      const lane = box.x - GAP / 2 - off;
      const points = target
        ? [from, { x: lane, y: from.y }, { x: lane, y: target.y - 8 - off }, { x: target.x + target.w - 16 - off * 2, y: target.y - 8 - off }, { x: target.x + target.w - 16 - off * 2, y: target.y }]
        : [from, { x: box.x - 30, y: from.y }];
      out.push(connector("link", l.id, points, "#1565c0", tip, { dashed: l.resolutionPolicy !== "Default" }));
      n++;
    }
  }
  out.push(connector("public-path", "internet", [{ x: internetBox.x + internetBox.w, y: internetBox.y + 20 }, { x: registryBox.x, y: registryBox.y + 20 }], publicColour, rowTip(internet)));
  out.push(text(PAD, height - 10, "subnet: green allow, red deny (hover for the reason); endpoint: green Approved, amber Pending, red Rejected, grey Disconnected; peering: solid both sides, dashed one-sided; zone link: blue", { size: 10, fill: "#616161" }));
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
