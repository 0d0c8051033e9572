// Route table of Microsoft.Network/privateDnsZones (zones, A record sets, virtual network links) and
// of privateEndpoints/{pe}/privateDnsZoneGroups: one line per operation, as routes.ts.
import type { Route } from "./router.js";

export const PRIVATE_DNS_ROUTES: Route[] = [];
