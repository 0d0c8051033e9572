// Private access (issue 12): the registry's private endpoint connections with state, endpoint,
// VNet/subnet, private IPs, DNS status and description, and approve / reject / remove behind a
// confirmation that states the what-if impact. A control the caller may not use is disabled and
// described by the visible sentence naming the roles that would grant it.
import { html, useState } from "../html.js";
import { API, call } from "../api.js";
import { key, nameOf, subnetOf } from "../ids.js";
import { dnsStatus, endpointNames, zoneIndex } from "../dns-status.js";
import { announce } from "../status.js";
import { ConnectionDialog } from "./connection-dialog.js";

/** The owner's transitions each state allows (domain/connection-state.ts), and the right each needs. */
const ACTIONS_BY_STATE = {
  Pending: ["approve", "reject", "remove"],
  Approved: ["reject", "remove"],
  Rejected: ["remove"],
  Disconnected: ["remove"],
};
const VERB = { approve: "Approve", reject: "Reject", remove: "Remove" };
const DONE = { approve: "Approved", reject: "Rejected", remove: "Removed" };
const RIGHT = { approve: "approve", reject: "approve", remove: "remove" };

function rowsOf(estate) {
  const zones = zoneIndex(estate.zones.value ?? [], estate.vnets);
  return estate.connections.map((c) => {
    const pe = estate.endpoints.get(key(c.properties?.privateEndpoint?.id));
    const pairs = pe ? endpointNames(pe, estate.nics) : [];
    const where = subnetOf(pe?.properties?.subnet?.id);
    const state = c.properties?.privateLinkServiceConnectionState ?? {};
    let dns;
    if (!pe) dns = { ok: false, text: `Problem: private endpoint ${nameOf(c.properties?.privateEndpoint?.id)} not found` };
    else if (estate.zones.error) dns = { ok: false, text: `Problem: zones not readable (${estate.zones.error.message})` };
    else dns = dnsStatus(pairs, zones);
    return {
      c,
      name: c.name,
      status: state.status ?? "Pending",
      description: state.description ?? "",
      endpoint: nameOf(c.properties?.privateEndpoint?.id),
      where: where ? `${where.vnet} / ${where.subnet}` : "-",
      ips: [...new Set(pairs.map((p) => p.ip))].join(", ") || "-",
      dns,
    };
  });
}

export function PrivateAccess({ registryId, estate }) {
  const [open, setOpen] = useState(null);
  if (!estate.data) return estate.error ? null : html`<p>Loading...</p>`;
  const data = estate.data;
  const rows = rowsOf(data);
  const { rights } = data;
  // Buttons show the verb; the connection's name completes their accessible name ("Approve <name>"),
  // so a long generated name is not printed three times a row.

  const act = async (kind, row, description) => {
    const path = `${registryId}/privateEndpointConnections/${encodeURIComponent(row.name)}`;
    if (kind === "remove") await call("DELETE", path, { query: { "api-version": API.acr } });
    else {
      const status = kind === "approve" ? "Approved" : "Rejected";
      await call("PUT", path, { query: { "api-version": API.acr }, body: { properties: { privateLinkServiceConnectionState: { status, description } } } });
    }
    await estate.reload();
    announce(`${DONE[kind]} ${row.name}`);
  };
  const fallback = (row) => () =>
    document.querySelector(`[data-connection="${CSS.escape(row.name)}"] button:not([disabled])`) ?? document.getElementById("private-access");

  return html`
    ${["approve", "remove"].map((k) => rights.reason(k) && html`<p id=${`why-${k}`} class="reason">${rights.reason(k)}</p>`)}
    <div class="scroll" tabindex="0">
    <table class="connections">
      <caption>Private endpoint connections</caption>
      <thead><tr>
        <th scope="col">Name</th><th scope="col">State</th><th scope="col">Private endpoint</th><th scope="col">VNet / subnet</th>
        <th scope="col">Private IPs</th><th scope="col">DNS</th><th scope="col">Description</th><th scope="col">Actions</th>
      </tr></thead>
      <tbody>
        ${rows.map((r) => html`
          <tr key=${r.c.id} data-connection=${r.name}>
            <td class="long">${r.name}</td>
            <td><span class=${`badge state-${r.status.toLowerCase()}`}>${r.status}</span></td>
            <td>${r.endpoint}</td>
            <td>${r.where}</td>
            <td>${r.ips}</td>
            <td class=${r.dns.ok ? "dns-ok" : "dns-problem"}>${r.dns.text}</td>
            <td>${r.description}</td>
            <td class="actions">
              ${(ACTIONS_BY_STATE[r.status] ?? ["remove"]).map((kind) => {
                const why = rights.reason(RIGHT[kind]);
                return html`<button type="button" key=${kind} disabled=${Boolean(why)} aria-describedby=${why ? `why-${RIGHT[kind]}` : undefined}
                  onClick=${() => setOpen({ kind, row: r })}>${VERB[kind]}<span class="visually-hidden"> ${r.name}</span></button>`;
              })}
            </td>
          </tr>`)}
        ${rows.length ? null : html`<tr><td colspan="8">No private endpoint connections.</td></tr>`}
      </tbody>
    </table>
    </div>
    ${open && html`<${ConnectionDialog} key=${open.kind + open.row.name} registryId=${registryId} kind=${open.kind} row=${open.row} vnets=${data.vnets}
      verb=${VERB[open.kind]} onConfirm=${(d) => act(open.kind, open.row, d)} onClose=${() => setOpen(null)} fallbackFocus=${fallback(open.row)} />`}`;
}
