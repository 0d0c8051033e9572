// Which view a querying address sees (split-horizon DNS, as CoreDNS's `view` plugin): the client's
// VNet (snapshot.locate, the same lookup the network decision uses) and the private zones linked
// to it, each with its resolution policy. Clients in no VNet see the internet view.

import type { NetworkSnapshot } from "../network-policy/types.js";

export interface View {
  /** For metrics: "linked:<vnet name>", "vnet:<vnet name>" (no zone linked) or "internet". */
  name: string;
  /** Cache key part: the VNet id, or "" for the internet. Every address in one VNet sees the same answers. */
  key: string;
  /** Linked private zone (lower-case) -> resolution policy. */
  links: ReadonlyMap<string, "Default" | "NxDomainRedirect">;
  /** Linked private zone (lower-case) -> the linked zone's resource id. Two resource groups may each hold
   *  a zone of the same name (one per region, as Azure advises); a VNet links at most one of them. */
  zoneIds: ReadonlyMap<string, string | undefined>;
}

export const INTERNET: View = { name: "internet", key: "", links: new Map(), zoneIds: new Map() };

export function viewOf(snapshot: NetworkSnapshot, ip: string): View {
  const loc = snapshot.locate(ip);
  if (!loc) return INTERNET;
  const links = new Map<string, "Default" | "NxDomainRedirect">();
  const zoneIds = new Map<string, string | undefined>();
  for (const l of snapshot.linksOf(loc.vnetId)) {
    links.set(l.zone.toLowerCase(), l.resolutionPolicy);
    zoneIds.set(l.zone.toLowerCase(), l.zoneId);
  }
  const vnetName = loc.vnetId.slice(loc.vnetId.lastIndexOf("/") + 1);
  return { name: `${links.size > 0 ? "linked" : "vnet"}:${vnetName}`, key: loc.vnetId, links, zoneIds };
}

/** The most specific linked zone holding the name, if any (a private zone overrides public DNS). */
export function linkedZoneFor(view: View, name: string): string | undefined {
  if (view.links.size === 0) return undefined;
  let candidate = name;
  for (;;) {
    if (view.links.has(candidate)) return candidate;
    const dot = candidate.indexOf(".");
    if (dot < 0) return undefined;
    candidate = candidate.slice(dot + 1);
  }
}
