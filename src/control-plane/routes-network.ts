// Route table of Microsoft.Network (virtual networks, subnets, peerings, private endpoints, network
// interfaces) and of private link on the registry side (privateEndpointConnections,
// privateLinkResources): one line per operation, as routes.ts.
import type { Route } from "./router.js";

export const NETWORK_ROUTES: Route[] = [];
