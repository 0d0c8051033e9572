// What the audit window says about the estate, once the pages have streamed past: token use and
// denials placed on the network they came from, and the hygiene findings a reviewer asks about
// (endpoints nobody used, two private zones of one name, Premium registries without an endpoint,
// repositories nobody pulled). Pure; a finding the evidence cannot support is "unknown" with why.
import type { ReachabilityModel } from "../../../network-policy/reachability/model.js";
import type { EvidenceCollector } from "./collector.js";
import type { RepositoryList } from "./catalog.js";
import { networkOf } from "./sections.js";
import type { DenialEvidence, EndpointEvidence, HygieneEvidence, TokenUseEvidence } from "./types.js";

const low = (v: unknown) => String(v ?? "").toLowerCase();

export function tokenUseRows(model: ReachabilityModel, c: EvidenceCollector): TokenUseEvidence[] {
  return [...c.tokenUse.values()].map((u) => {
    const p = model.principal(u.principalId);
    return { ...u, ...(p?.displayName ? { principal: p.displayName } : {}), network: networkOf(model, u.clientIp) };
  }).sort((a, b) => a.principalId.localeCompare(b.principalId) || a.path.localeCompare(b.path) || (a.endpointIp ?? "").localeCompare(b.endpointIp ?? "") || a.clientIp.localeCompare(b.clientIp));
}

export function denialRows(model: ReachabilityModel, c: EvidenceCollector): DenialEvidence[] {
  return [...c.denials.values()].map((d) => ({ ...d, via: [...d.via].sort(), network: networkOf(model, d.clientIp), count: d.recorded + d.suppressed }))
    .sort((a, b) => a.clientIp.localeCompare(b.clientIp) || a.reason.localeCompare(b.reason));
}

export function hygiene(
  model: ReachabilityModel, endpoints: readonly EndpointEvidence[], zoneNames: Set<string>,
  c: EvidenceCollector, catalog: RepositoryList,
): HygieneEvidence {
  const used = new Set<string>();
  for (const u of c.tokenUse.values()) {
    if (u.path !== "private") continue;
    if (u.endpointId) used.add(low(u.endpointId));
    const byIp = u.endpointIp ? model.endpointAtIp(u.endpointIp) : undefined;
    if (byIp) used.add(low(byIp.endpoint.id));
  }
  const unusedEndpoints = endpoints.filter((e) => !used.has(low(e.id))).map((e) => ({ id: e.id, name: e.name, status: e.status }));

  const zonesByName = new Map<string, string[]>();
  for (const z of model.zones) if (zoneNames.has(z.name)) zonesByName.set(z.name, [...(zonesByName.get(z.name) ?? []), z.id]);
  const duplicateZones = [...zonesByName].filter(([, ids]) => ids.length > 1).map(([name, ids]) => ({ name, zones: ids.sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));

  const withEndpoint = new Set(model.endpoints.map((e) => e.registryKey));
  const premiumWithoutEndpoints = model.registries.filter((r) => r.sku === "Premium" && !withEndpoint.has(r.key))
    .map((r) => ({ id: r.id, name: r.name })).sort((a, b) => low(a.id).localeCompare(low(b.id)));

  let unpulledRepositories: HygieneEvidence["unpulledRepositories"];
  if (catalog.status === "unknown") unpulledRepositories = catalog;
  else if (c.aggregatesWithoutRepositories > 0) {
    unpulledRepositories = {
      status: "unknown",
      reason: `${c.aggregatesWithoutRepositories} token aggregate record(s) in the window do not name the repositories their tokens were for, so a repository that looks unpulled may have been pulled`,
    };
  } else {
    unpulledRepositories = {
      status: "known", repositories: catalog.repositories.filter((r) => !c.pulled.has(r)),
      basis: `${catalog.repositories.length} repositories in the catalog; pull tokens in the window named ${c.pulled.size}`,
    };
  }
  return { unusedEndpoints, duplicateZones, premiumWithoutEndpoints, unpulledRepositories };
}
