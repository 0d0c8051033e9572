// A registry's Networking view (issue 12): four sections, each reading what it shows and failing on
// its own, so a missing API (readiness, what-if) leaves a "not available" note in its place and the
// rest of the page works. The ARM inventory the Public and Private access sections share is read
// once, in parallel, with one A-record and one link list per zone: never a request per row.
import { html } from "../html.js";
import { API, get, list } from "../api.js";
import { byId, nameOf } from "../ids.js";
import { useLoad, settle } from "../load.js";
import { rights } from "../permissions.js";
import { PublicAccess } from "./public-access.js";
import { PrivateAccess } from "./private-access.js";
import { Reachability } from "./reachability.js";
import { Activity } from "./activity.js";

const subscriptionOf = (id) => /^\/subscriptions\/[^/]+/i.exec(id)?.[0] ?? "";

async function loadZones(sub) {
  const zones = (await list(`${sub}/providers/Microsoft.Network/privateDnsZones`, API.dns)).filter((z) => /^privatelink\./i.test(z.name));
  return Promise.all(zones.map(async (zone) => {
    const [records, links] = await Promise.all([list(`${zone.id}/A`, API.dns), list(`${zone.id}/virtualNetworkLinks`, API.dns)]);
    return { zone, records, links };
  }));
}

/** Everything the connections table and the firewall form need, in one parallel read. */
export async function loadEstate(id) {
  performance.mark("cove:estate-requested");
  const sub = subscriptionOf(id);
  const [registry, connections, endpoints, nics, vnets, zones, permissions, roles] = await Promise.all([
    get(id, { "api-version": API.acr }),
    list(`${id}/privateEndpointConnections`, API.acr),
    list(`${sub}/providers/Microsoft.Network/privateEndpoints`, API.network),
    list(`${sub}/providers/Microsoft.Network/networkInterfaces`, API.network),
    list(`${sub}/providers/Microsoft.Network/virtualNetworks`, API.network),
    settle(loadZones(sub)),
    settle(list(`${id}/providers/Microsoft.Authorization/permissions`, API.authorization)),
    settle(list(`${sub}/providers/Microsoft.Authorization/roleDefinitions`, API.authorization)),
  ]);
  return {
    registry,
    connections,
    endpoints: byId(endpoints),
    nics: byId(nics),
    vnets: byId(vnets),
    zones,
    rights: rights(permissions.value, roles.value),
    permissionsError: permissions.error,
  };
}

function Section({ id, title, children }) {
  return html`
    <section aria-labelledby=${id} class="panel">
      <h2 id=${id} tabindex="-1">${title}</h2>
      ${children}
    </section>`;
}

export function Networking({ id, live }) {
  const estate = useLoad(() => loadEstate(id), [id, live.tick]);
  const name = estate.data?.registry?.name ?? nameOf(id);
  // The connections table is what most visits come for: its reads go first, and the report, the
  // readiness and the timeline (the server's heavier answers) start once it is on screen.
  const common = { registryId: id, live, estate, estateRead: estate.data !== undefined || estate.error !== undefined };
  return html`
    <h1>${name}: Networking</h1>
    ${estate.error && html`<p role="alert" class="error">${estate.error.message}</p>`}
    ${estate.data?.permissionsError && html`<p class="note">Permissions not available: ${estate.data.permissionsError.message}. Every control is offered; Cove still authorises each action.</p>`}
    <${Section} id="public-access" title="Public access"><${PublicAccess} ...${common} /></${Section}>
    <${Section} id="private-access" title="Private access"><${PrivateAccess} ...${common} /></${Section}>
    <${Section} id="reachability" title="Reachability"><${Reachability} ...${common} /></${Section}>
    <${Section} id="activity" title="Activity"><${Activity} ...${common} /></${Section}>`;
}

