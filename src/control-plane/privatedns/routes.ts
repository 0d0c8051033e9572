// Route table of Microsoft.Network/privateDnsZones (zones, A record sets, virtual network links) and
// of privateEndpoints/{pe}/privateDnsZoneGroups: one line per operation, as every provider's table.
//
// Order matters where one path shape could match another: `virtualNetworkLinks`, `A`, `SOA` and
// `ALL` come before the `{recordType}` catch-alls (the privatedns SDK sends types as `A`, `ALL`).
import { authenticated, requires, route, type Route } from "../arm/router.js";
import { ZONE_DELETE, ZONE_READ, ZONE_WRITE, deleteZone, getZone, listZonesInGroup, listZonesInSubscription, patchZone, putZone } from "./zones.js";
import {
  A_DELETE, A_READ, A_WRITE, RECORDSETS_READ, SOA_READ, deleteARecordSet, getARecordSet, getOtherRecordSet, getSoaRecordSet,
  listAllRecordSets, listRecordSetsByType, patchARecordSet, putARecordSet, unsupportedRecordSetWrite,
} from "./record-sets.js";
import { LINK_DELETE, LINK_READ, LINK_WRITE, deleteLink, getLinkHandler, listLinks, patchLink, putLink } from "./links.js";
import { ZONE_GROUP_DELETE, ZONE_GROUP_READ, ZONE_GROUP_WRITE, deleteZoneGroup, getZoneGroup, listZoneGroups, putZoneGroup } from "./zone-groups.js";
import { privateEndpointId, zoneId } from "../../domain/resource-ids.js";

const SUB = "/subscriptions/{subscriptionId}";
const N = `${SUB}/resourcegroups/{resourceGroupName}/providers/Microsoft.Network`;
const ZONES = `${N}/privateDnsZones`;
const ZONE = `${ZONES}/{zoneName}`;
const LINKS = `${ZONE}/virtualNetworkLinks`;
const GROUPS = `${N}/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups`;

const P = "Microsoft.Network/privateDnsZones";
const NET = "Microsoft.Network";

type Params = Record<string, string>;
const zone = (p: Params) => zoneId(p.subscriptionId!, p.resourceGroupName!, p.zoneName!);
const record = (type: string) => (p: Params) => `${zone(p)}/${type}/${p.relativeRecordSetName}`;
const link = (p: Params) => `${zone(p)}/virtualNetworkLinks/${p.linkName}`;
const group = (p: Params) => `${privateEndpointId(p.subscriptionId!, p.resourceGroupName!, p.privateEndpointName!)}/privateDnsZoneGroups/${p.privateDnsZoneGroupName}`;
const endpoint = (p: Params) => privateEndpointId(p.subscriptionId!, p.resourceGroupName!, p.privateEndpointName!);

const W = { audit: true, body: true };
const D = { audit: true };

export const PRIVATE_DNS_ROUTES: Route[] = [
  route("GET", `${SUB}/providers/Microsoft.Network/privateDnsZones`, P, "privateDnsZones", authenticated, {}, listZonesInSubscription),
  route("GET", ZONES, P, "privateDnsZones", authenticated, {}, listZonesInGroup),
  route("PUT", ZONE, P, "privateDnsZones", requires(ZONE_WRITE, zone), W, putZone),
  route("PATCH", ZONE, P, "privateDnsZones", requires(ZONE_WRITE, zone), W, patchZone),
  route("GET", ZONE, P, "privateDnsZones", requires(ZONE_READ, zone), {}, getZone),
  route("DELETE", ZONE, P, "privateDnsZones", requires(ZONE_DELETE, zone), D, deleteZone),

  route("GET", LINKS, P, "privateDnsZones/virtualNetworkLinks", requires(LINK_READ, zone), {}, listLinks),
  route("PUT", `${LINKS}/{linkName}`, P, "privateDnsZones/virtualNetworkLinks", requires(LINK_WRITE, link), W, putLink),
  route("PATCH", `${LINKS}/{linkName}`, P, "privateDnsZones/virtualNetworkLinks", requires(LINK_WRITE, link), W, patchLink),
  route("GET", `${LINKS}/{linkName}`, P, "privateDnsZones/virtualNetworkLinks", requires(LINK_READ, link), {}, getLinkHandler),
  route("DELETE", `${LINKS}/{linkName}`, P, "privateDnsZones/virtualNetworkLinks", requires(LINK_DELETE, link), D, deleteLink),

  route("GET", `${ZONE}/ALL`, P, "privateDnsZones/ALL", requires(RECORDSETS_READ, zone), {}, listAllRecordSets),
  route("GET", `${ZONE}/recordsets`, P, "privateDnsZones/recordsets", requires(RECORDSETS_READ, zone), {}, listAllRecordSets),
  route("GET", `${ZONE}/A`, P, "privateDnsZones/A", requires(A_READ, zone), {}, listRecordSetsByType),
  route("PUT", `${ZONE}/A/{relativeRecordSetName}`, P, "privateDnsZones/A", requires(A_WRITE, record("A")), W, putARecordSet),
  route("PATCH", `${ZONE}/A/{relativeRecordSetName}`, P, "privateDnsZones/A", requires(A_WRITE, record("A")), W, patchARecordSet),
  route("GET", `${ZONE}/A/{relativeRecordSetName}`, P, "privateDnsZones/A", requires(A_READ, record("A")), {}, getARecordSet),
  route("DELETE", `${ZONE}/A/{relativeRecordSetName}`, P, "privateDnsZones/A", requires(A_DELETE, record("A")), D, deleteARecordSet),
  route("GET", `${ZONE}/SOA/{relativeRecordSetName}`, P, "privateDnsZones/SOA", requires(SOA_READ, record("SOA")), {}, getSoaRecordSet),
  // Other record types: listed (valid types, empty) or refused; writes are not supported.
  route("GET", `${ZONE}/{recordType}`, P, "privateDnsZones/recordsets", requires(RECORDSETS_READ, zone), {}, listRecordSetsByType),
  route("GET", `${ZONE}/{recordType}/{relativeRecordSetName}`, P, "privateDnsZones/recordsets", requires(RECORDSETS_READ, zone), {}, getOtherRecordSet),
  route("PUT", `${ZONE}/{recordType}/{relativeRecordSetName}`, P, "privateDnsZones/recordsets", authenticated, W, unsupportedRecordSetWrite),
  route("PATCH", `${ZONE}/{recordType}/{relativeRecordSetName}`, P, "privateDnsZones/recordsets", authenticated, W, unsupportedRecordSetWrite),
  route("DELETE", `${ZONE}/{recordType}/{relativeRecordSetName}`, P, "privateDnsZones/recordsets", authenticated, D, unsupportedRecordSetWrite),

  route("GET", GROUPS, NET, "privateEndpoints/privateDnsZoneGroups", requires(ZONE_GROUP_READ, endpoint), {}, listZoneGroups),
  route("PUT", `${GROUPS}/{privateDnsZoneGroupName}`, NET, "privateEndpoints/privateDnsZoneGroups", requires(ZONE_GROUP_WRITE, group), W, putZoneGroup),
  route("GET", `${GROUPS}/{privateDnsZoneGroupName}`, NET, "privateEndpoints/privateDnsZoneGroups", requires(ZONE_GROUP_READ, group), {}, getZoneGroup),
  route("DELETE", `${GROUPS}/{privateDnsZoneGroupName}`, NET, "privateEndpoints/privateDnsZoneGroups", requires(ZONE_GROUP_DELETE, group), D, deleteZoneGroup),

];
