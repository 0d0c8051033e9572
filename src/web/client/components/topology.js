// The topology picture: the networkReport SVG (the same as `network-report --svg`), the one piece of
// server markup the page inserts, parsed by DOMParser as image/svg+xml and imported with
// importNode, never innerHTML. Each subnet node becomes a focusable button that selects its row.
import { html, useEffect, useRef } from "../html.js";
import { key } from "../ids.js";

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

export function Topology({ svgText, rowsBySubnet, selected, onSelect }) {
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
