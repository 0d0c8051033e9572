// docs/images/soak.svg, written by hand (no plotting dependency): two panels over the same time
// axis (minutes): the server's RSS in MB with the warm-up shaded and the least-squares line fitted
// after it (and the V8 heap's total and used size, which RSS follows), and each workload's completed
// operations per second between samples, on a log scale (the rates span 1/s to 200/s). Axes are
// labelled, every series is named in a legend.
import type { Sample } from "./soak-sampler.js";

export interface Series { name: string; color: string; points: [number, number][] }

const W = 860;
const LEFT = 70;
const RIGHT = 190;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
const num = (n: number) => (Math.round(n * 10) / 10).toString();

/**
 * Round tick steps (1, 2, 5 x 10^k) giving about `count` ticks over [lo, hi]: inside it, or with
 * `cover` from the tick at or below lo to the tick at or above hi (an axis that holds every value).
 */
export function ticks(lo: number, hi: number, count = 5, cover = false): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const first = (cover ? Math.floor(lo / step) : Math.ceil(lo / step)) * step;
  const last = cover ? Math.max(Math.ceil(hi / step) * step, first + step) : hi;
  const out: number[] = [];
  for (let v = first; v <= last + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Panel { top: number; height: number; title: string; yLabel: string }

function axes(p: Panel, xMax: number, yTicks: { v: number; y: number }[], x: (m: number) => number): string[] {
  const right = W - RIGHT;
  const out = [
    `<text x="${LEFT}" y="${p.top - 10}" font-weight="bold">${esc(p.title)}</text>`,
    `<rect x="${LEFT}" y="${p.top}" width="${right - LEFT}" height="${p.height}" fill="none" stroke="#444"/>`,
    `<text transform="translate(18 ${p.top + p.height / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(`<line x1="${LEFT}" x2="${right}" y1="${t.y}" y2="${t.y}" stroke="#ddd"/>`);
    out.push(`<text x="${LEFT - 6}" y="${t.y + 4}" text-anchor="end">${num(t.v)}</text>`);
  }
  for (const m of ticks(0, xMax, 8)) {
    out.push(`<line x1="${x(m)}" x2="${x(m)}" y1="${p.top + p.height}" y2="${p.top + p.height + 5}" stroke="#444"/>`);
    out.push(`<text x="${x(m)}" y="${p.top + p.height + 18}" text-anchor="middle">${num(m)}</text>`);
  }
  out.push(`<text x="${(LEFT + right) / 2}" y="${p.top + p.height + 34}" text-anchor="middle">time (minutes)</text>`);
  return out;
}

const line = (pts: [number, number][], color: string, extra = "") =>
  `<polyline fill="none" stroke="${color}" stroke-width="1.5" ${extra} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>`;

function legend(top: number, items: { name: string; color: string; dash?: boolean }[]): string[] {
  return items.flatMap((s, i) => {
    const y = top + 14 + i * 18;
    return [
      `<line x1="${W - RIGHT + 12}" x2="${W - RIGHT + 36}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="5 3"' : ""}/>`,
      `<text x="${W - RIGHT + 42}" y="${y}">${esc(s.name)}</text>`,
    ];
  });
}

export interface Plot {
  samples: Sample[];
  /** Minutes. */
  durationMin: number;
  warmupMin: number;
  /** RSS = intercept + slope * minutes, fitted after the warm-up. */
  fit: { slope: number; intercept: number };
  rates: Series[];
  caption: string;
}

export function soakSvg(p: Plot): string {
  const right = W - RIGHT;
  const x = (m: number) => LEFT + (m / (p.durationMin || 1)) * (right - LEFT);
  const rss: Panel = { top: 60, height: 200, title: "Server memory (MB): RSS (VmRSS) and the V8 heap (/metrics)", yLabel: "MB" };
  const rates: Panel = { top: 340, height: 220, title: "Completed operations per second, by workload (log scale)", yLabel: "operations / s" };
  const height = rates.top + rates.height + 50;

  const values = p.samples.flatMap((s) => [s.rssMB, s.heapUsedMB, s.heapTotalMB]).filter(Number.isFinite);
  const yt = ticks(Math.min(...values), Math.max(...values), 5, true);
  const lo = yt[0]!;
  const hi = yt[yt.length - 1]!;
  const yR = (v: number) => rss.top + rss.height - ((v - lo) / (hi - lo || 1)) * rss.height;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="24" font-size="14" font-weight="bold">${esc(p.caption)}</text>`,
    `<rect x="${LEFT}" y="${rss.top}" width="${x(p.warmupMin) - LEFT}" height="${rss.height}" fill="#f0f0f0"/>`,
    `<text x="${LEFT + 4}" y="${rss.top + 14}" fill="#777">warm-up</text>`,
    ...axes(rss, p.durationMin, yt.map((v) => ({ v, y: yR(v) })), x),
    line(p.samples.map((s) => [x(s.t / 60), yR(s.rssMB)]), "#1f77b4"),
    line(p.samples.filter((s) => Number.isFinite(s.heapTotalMB)).map((s) => [x(s.t / 60), yR(s.heapTotalMB)]), "#17becf"),
    line(p.samples.filter((s) => Number.isFinite(s.heapUsedMB)).map((s) => [x(s.t / 60), yR(s.heapUsedMB)]), "#bcbd22"),
    line([[x(p.warmupMin), yR(p.fit.intercept + p.fit.slope * p.warmupMin)], [x(p.durationMin), yR(p.fit.intercept + p.fit.slope * p.durationMin)]], "#d62728", 'stroke-dasharray="5 3"'),
    ...legend(rss.top, [
      { name: "RSS", color: "#1f77b4" }, { name: `RSS fit: ${p.fit.slope.toFixed(2)} MB/min`, color: "#d62728", dash: true },
      { name: "V8 heap total", color: "#17becf" }, { name: "V8 heap used", color: "#bcbd22" },
    ]),
  ];

  const decades = [0.1, 1, 10, 100, 1000];
  const yL = (v: number) => {
    const c = Math.min(Math.max(Math.log10(Math.max(v, 0.1)), -1), 3);
    return rates.top + rates.height - ((c + 1) / 4) * rates.height;
  };
  out.push(...axes(rates, p.durationMin, decades.map((v) => ({ v, y: yL(v) })), x));
  for (const s of p.rates) out.push(line(s.points.map(([m, v]) => [x(m), yL(v)]), s.color));
  out.push(...legend(rates.top, p.rates));
  out.push("</svg>", "");
  return out.join("\n");
}
