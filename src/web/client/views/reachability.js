// Reachability (issue 12): the networkReport picture (the same SVG as `network-report --svg`) beside
// its matrix. The SVG is the one piece of server markup the page inserts: parsed by DOMParser as
// image/svg+xml (scripts in it never run; the CSP forbids them anyway) and imported with
// importNode, never innerHTML. Each subnet node becomes a focusable button; selecting it marks the
// subnet's matrix row aria-selected, so the picture and the table explain each other.
import { html, useEffect, useRef, useState } from "../html.js";
import { API, get } from "../api.js";
import { key } from "../ids.js";
import { useLoad } from "../load.js";

const DECISION = { allow: "Allowed", deny: "Denied" };

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const networkOf = (r) => (r.vnetId ? `${r.vnet}/${r.subnet}` : "internet");

/**
 * Parses the report's SVG; null when it is not well-formed SVG. The server escapes every name, and
 * the CSP would stop a script anyway; dropping scripts, foreign content and on* handlers before the
 * import is the third fence, for the one place markup is inserted.
 */
function parseSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (root.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) return null;
  for (const el of [...root.querySelectorAll("script, foreignObject, iframe, a")]) el.remove();
  for (const el of [root, ...root.querySelectorAll("*")]) {
    for (const a of [...el.attributes]) if (/^on/i.test(a.name) || /href$/i.test(a.name)) el.removeAttribute(a.name);
  }
  return document.importNode(root, true);
}

/** Makes each g.subnet[data-id] a keyboard-reachable button named from its matrix row. */
function enhance(svg, rowsBySubnet, select) {
  svg.setAttribute("role", "group");
  svg.setAttribute("aria-label", "Topology: VNets, subnets, endpoints, peerings and zone links");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  for (const g of svg.querySelectorAll("g.subnet[data-id]")) {
    const id = g.getAttribute("data-id");
    const row = rowsBySubnet.get(key(id));
    const name = row ? `${row.vnet}/${row.subnet}` : id.slice(id.lastIndexOf("/") + 1);
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    // Its name is its own words in order, the <title> (hover text) then the labels drawn on it, so
    // what a sighted user reads is what a speech-input user says (WCAG 2.5.3). The SVG has no
    // whitespace between them: a space after each keeps words apart for checkers reading the text.
    for (const child of [...g.children]) child.after(document.createTextNode(" "));
    const words = [...g.querySelectorAll("title, text")].map((t) => t.textContent.replace(/\s+/g, " ").trim()).join(" ");
    g.setAttribute("aria-label", `Subnet ${name}: ${row ? words : `not reported, ${words}`}`);
    g.setAttribute("aria-pressed", "false");
    g.addEventListener("click", () => select(id));
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(id); }
    });
  }
}

function Topology({ svgText, rowsBySubnet, selected, onSelect }) {
  const host = useRef(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  // Replaced only when the picture changed; the focused node is found again by its data-id, so a
  // live update does not take the keyboard user's place away.
  useEffect(() => {
    const el = host.current;
    if (!el || !svgText) return;
    const focused = el.contains(document.activeElement) ? document.activeElement.getAttribute("data-id") : null;
    const svg = parseSvg(svgText);
    el.replaceChildren();
    if (!svg) { el.textContent = "The topology picture could not be read."; return; }
    enhance(svg, rowsBySubnet, (id) => select.current(id));
    el.appendChild(svg);
    if (focused) svg.querySelector(`g.subnet[data-id="${CSS.escape(focused)}"]`)?.focus();
  }, [svgText, rowsBySubnet]);
  useEffect(() => {
    for (const g of host.current?.querySelectorAll("g.subnet[data-id]") ?? []) {
      const on = key(g.getAttribute("data-id")) === key(selected);
      g.setAttribute("aria-pressed", String(on));
      g.classList.toggle("selected", on);
    }
  }, [selected, svgText, rowsBySubnet]);
  return html`<div class="topology" ref=${host}></div>`;
}

export function Reachability({ registryId, live, estateRead }) {
  const [selected, setSelected] = useState(null);
  const { data, error } = useLoad(async () => {
    const [report, svgText] = await Promise.all([
      get(`${registryId}/networkReport`, { "api-version": API.acr, format: "json" }),
      get(`${registryId}/networkReport`, { "api-version": API.acr, format: "svg" }, { accept: "image/svg+xml", as: "text" }),
    ]);
    const rowsBySubnet = new Map();
    for (const r of report.rows ?? []) if (r.subnetId) rowsBySubnet.set(key(r.subnetId), r);
    return { report, svgText, rowsBySubnet };
  }, [registryId, live.tick], estateRead);
  if (!data) return error ? html`<p role="alert" class="error">${error.message}</p>` : html`<p>Loading...</p>`;
  const { report } = data;
  const c = report.counts ?? {};
  return html`
    <p>${plural(c.allow ?? 0, "network")} allowed, ${c.deny ?? 0} denied, over ${plural(c.vnets ?? 0, "VNet")} and ${plural(c.endpoints ?? 0, "private endpoint")}.</p>
    <div class="reach">
      <figure>
        <figcaption>Topology</figcaption>
        <${Topology} svgText=${data.svgText} rowsBySubnet=${data.rowsBySubnet} selected=${selected} onSelect=${setSelected} />
      </figure>
      <div class="scroll" tabindex="0">
      <table class="matrix">
        <caption>Reachability matrix</caption>
        <thead><tr>
          <th scope="col">Network</th><th scope="col">Address</th><th scope="col">Resolves to</th>
          <th scope="col">Decision</th><th scope="col">Reason</th><th scope="col">Path</th>
        </tr></thead>
        <tbody>
          ${(report.rows ?? []).map((r) => {
            const on = Boolean(r.subnetId) && key(r.subnetId) === key(selected);
            return html`
              <tr key=${r.subnetId ?? "internet"} aria-selected=${on ? "true" : "false"} class=${on ? "selected" : ""}>
                <td>${networkOf(r)}</td>
                <td>${r.address}</td>
                <td>${r.dns}</td>
                <td><span class=${`badge decision-${r.decision}`}>${DECISION[r.decision] ?? r.decision}</span></td>
                <td>${r.reason === "ok" ? "ok" : `${r.reason}: ${r.summary}`}</td>
                <td>${r.path}</td>
              </tr>`;
          })}
        </tbody>
      </table>
      </div>
    </div>`;
}
