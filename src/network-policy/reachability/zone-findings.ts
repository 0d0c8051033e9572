// The report's zone findings: a private DNS zone whose record for the registry points at a private
// endpoint that a VNet linked to the zone cannot reach. Every client in that VNet resolves the
// registry to an address it cannot connect to: the regional trap, where a second region's zone group
// overwrote the shared zone's record (acr-networking section 3, zone-groups.ts).
//
// The rule is "a linked VNet cannot reach the endpoint", not "the endpoint's VNet is not linked":
// in the trap both hubs ARE linked to the shared zone, and the record points at the hub of region 2,
// which region 1's hub cannot reach; the literal rule would stay silent exactly there. Reaching
// counts the same VNet or a peering on both sides (model.routable), so a hub-and-spoke zone linked
// to peered spokes whose endpoint sits in the hub, the usual landing zone, is no finding: those
// clients connect. A zone linked to no VNet answers nobody, and is no finding either.
import type { ReachabilityModel, RegistryInfo, ZoneInfo } from "./model.js";

export interface ZoneFinding {
  zone: string;
  zoneId: string;
  /** The record set's name in the zone, e.g. `myreg` or `myreg.westeurope.data`. */
  record: string;
  address: string;
  endpoint: string;
  endpointId: string;
  /** The endpoint's region and VNet. */
  location: string;
  vnet: string;
  vnetId: string;
  /** The linked VNets whose clients get this answer and cannot reach it. */
  unreachableFrom: { vnet: string; vnetId: string; link: string }[];
  /** The finding in words, with the pattern that avoids it. */
  finding: string;
}

const lower = (v: string) => v.toLowerCase();
const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);

/** The zone's record names that serve the registry: its login server and its data endpoints. */
function registryRecords(zone: ZoneInfo, reg: RegistryInfo): string[] {
  const name = lower(reg.name);
  return [...zone.records.keys()].filter((k) => k === name || (k.startsWith(name + ".") && /^[^.]+\.[a-z0-9]+\.data$/.test(k))).sort();
}

export function zoneFindings(model: ReachabilityModel, reg: RegistryInfo): ZoneFinding[] {
  const out: ZoneFinding[] = [];
  for (const zone of [...model.zones].sort((a, b) => a.id.localeCompare(b.id))) {
    if (zone.links.length === 0) continue;
    for (const record of registryRecords(zone, reg)) {
      for (const address of zone.records.get(record) ?? []) {
        const hit = model.endpointAtIp(address);
        if (!hit || hit.endpoint.registryKey !== reg.key) continue;
        const e = hit.endpoint;
        const blind = zone.links.filter((l) => !model.routable(l.vnetId, e.vnetId))
          .map((l) => ({ vnet: model.vnet(l.vnetId)?.name ?? nameOf(l.vnetId), vnetId: l.vnetId, link: l.name, location: model.vnet(l.vnetId)?.location ?? "" }));
        if (blind.length === 0) continue;
        const vnet = model.vnet(e.vnetId)?.name ?? nameOf(e.vnetId);
        const where = e.location ? ` (${e.location})` : "";
        const names = blind.map((b) => b.vnet).join(", ");
        out.push({
          zone: zone.name, zoneId: zone.id, record, address, endpoint: e.name, endpointId: e.id, location: e.location, vnet, vnetId: e.vnetId,
          unreachableFrom: blind.map(({ vnet, vnetId, link }) => ({ vnet, vnetId, link })),
          finding: `Zone ${zone.name} (resource group ${zone.group}) answers ${record} with ${address}, private endpoint ${e.name} in VNet ${vnet}${where}, `
            + `which the linked VNet${blind.length > 1 ? "s" : ""} ${names} cannot reach (not the same VNet, not peered both ways): clients there resolve ${reg.name} to an address they cannot connect to. `
            + (blind.some((b) => b.location && e.location && b.location !== e.location)
              ? "Several regions sharing one zone overwrite each other's records; give each region its own zone, linked only to that region's VNets and written only by its zone groups."
              : `Peer ${names} with ${vnet} both ways, or link the zone only to VNets that reach the endpoint.`),
        });
      }
    }
  }
  return out;
}
