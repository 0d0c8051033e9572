// The Registries view (issue 12): SKU, login server, the public-access posture, endpoint counts by
// state and policy compliance, one row per registry the caller can read. Three requests in all
// (registries, policy states, policy names), whatever the number of registries.
import { html } from "../html.js";
import { API, list, subscriptionScope } from "../api.js";
import { useLoad, settle } from "../load.js";
import { registryHref } from "../router.js";
import { complianceOf, loadCompliance } from "../compliance.js";

const STATES = ["Approved", "Pending", "Rejected", "Disconnected"];

export function endpointCounts(connections) {
  const n = new Map();
  for (const c of connections ?? []) {
    const s = c.properties?.privateLinkServiceConnectionState?.status ?? "Pending";
    n.set(s, (n.get(s) ?? 0) + 1);
  }
  const parts = STATES.filter((s) => n.get(s)).map((s) => `${n.get(s)} ${s}`);
  return parts.length ? parts.join(", ") : "none";
}

export function PublicBadge({ value }) {
  const on = value !== "Disabled";
  return html`<span class=${`badge ${on ? "badge-warn" : "badge-ok"}`}>${on ? "Enabled" : "Disabled"}</span>`;
}

function Compliance({ registryId, compliance }) {
  if (compliance.error) return html`<span>not available: ${compliance.error.message}</span>`;
  const c = complianceOf(registryId, compliance.value);
  if (!c.failing.length) return html`<span class=${`badge ${c.label === "Compliant" ? "badge-ok" : "badge-none"}`}>${c.label}</span>`;
  return html`
    <details class="compliance">
      <summary><span class="badge badge-bad">${c.label}</span></summary>
      <ul>${c.failing.map((f, i) => html`<li key=${i}><strong>${f.name}</strong>: ${f.reason}</li>`)}</ul>
    </details>`;
}

export function Registries({ live }) {
  const { data, error, loading } = useLoad(async () => {
    const [registries, compliance] = await Promise.all([
      list(`${subscriptionScope()}/providers/Microsoft.ContainerRegistry/registries`, API.acr),
      settle(loadCompliance()),
    ]);
    registries.sort((a, b) => a.name.localeCompare(b.name));
    return { registries, compliance };
  }, [live.tick]);

  return html`
    <h1>Registries</h1>
    ${error && html`<p role="alert" class="error">${error.message}</p>`}
    ${!data && loading ? html`<p>Loading...</p>` : null}
    ${data && html`
      <table>
        <caption>Registries</caption>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">SKU</th><th scope="col">Login server</th>
          <th scope="col">Public access</th><th scope="col">Private endpoints</th><th scope="col">Policy compliance</th>
        </tr></thead>
        <tbody>
          ${data.registries.map((r) => html`
            <tr key=${r.id}>
              <td><a href=${registryHref(r.id)}>${r.name}</a></td>
              <td>${r.sku?.name}</td>
              <td>${r.properties?.loginServer}</td>
              <td><${PublicBadge} value=${r.properties?.publicNetworkAccess} /></td>
              <td>${endpointCounts(r.properties?.privateEndpointConnections)}</td>
              <td><${Compliance} registryId=${r.id} compliance=${data.compliance} /></td>
            </tr>`)}
          ${data.registries.length ? null : html`<tr><td colspan="6">No registry you can read in this subscription.</td></tr>`}
        </tbody>
      </table>`}`;
}
