// Reachability (issue 12): the networkReport picture and its matrix. Selecting a subnet node marks
// its matrix row aria-selected, so the picture and the table explain each other.
import { html, useState } from "../html.js";
import { Topology } from "../components/topology.js";
import { API, get } from "../api.js";
import { key } from "../ids.js";
import { useLoad } from "../load.js";

const DECISION = { allow: "Allowed", deny: "Denied" };

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const networkOf = (r) => (r.vnetId ? `${r.vnet}/${r.subnet}` : "internet");

export function Reachability({ registryId, live, estateRead }) {
  const [selected, setSelected] = useState(null);
  // The matrix and the picture are two reads: the matrix shows as soon as its answer is in, and the
  // picture (the server's slower answer, about 170 ms later for 50 VNets) follows.
  const { data, error } = useLoad(async () => {
    const report = await get(`${registryId}/networkReport`, { "api-version": API.acr, format: "json" });
    const rowsBySubnet = new Map();
    for (const r of report.rows ?? []) if (r.subnetId) rowsBySubnet.set(key(r.subnetId), r);
    return { report, rowsBySubnet };
  }, [registryId, live.tick], estateRead);
  const picture = useLoad(
    () => get(`${registryId}/networkReport`, { "api-version": API.acr, format: "svg" }, { accept: "image/svg+xml", as: "text" }),
    [registryId, live.tick], estateRead);
  if (!data) return error ? html`<p role="alert" class="error">${error.message}</p>` : html`<p>Loading...</p>`;
  const { report } = data;
  const c = report.counts ?? {};
  return html`
    <p>${plural(c.allow ?? 0, "network")} allowed, ${c.deny ?? 0} denied, over ${plural(c.vnets ?? 0, "VNet")} and ${plural(c.endpoints ?? 0, "private endpoint")}.</p>
    <div class="reach">
      <figure>
        <figcaption>Topology</figcaption>
        ${picture.error && html`<p role="alert" class="error">${picture.error.message}</p>`}
        <${Topology} svgText=${picture.data} rowsBySubnet=${data.rowsBySubnet} selected=${selected} onSelect=${setSelected} />
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
