// THE route table of the ARM management API: each provider's table, joined in one order. The first
// route whose path shape matches wins (router.ts), so a provider's catch-alls come after its literals.
import type { Route } from "./router.js";
import { R, RESOURCES_ROUTES } from "../resources/routes.js";
import { ACR, CONTAINER_REGISTRY_ROUTES } from "../containerregistry/routes.js";
import { AZ, AUTHORIZATION_ROUTES } from "../authorization/routes.js";
import { NETWORK_ROUTES } from "../network/routes.js";
import { PRIVATE_DNS_ROUTES } from "../privatedns/routes.js";
import { POLICY_ROUTES } from "../policy/routes.js";
import { INSIGHTS_ROUTES, PI } from "../policy/insights-routes.js";

export const ROUTES: Route[] = [
  ...RESOURCES_ROUTES,
  ...CONTAINER_REGISTRY_ROUTES,
  ...AUTHORIZATION_ROUTES,
  // Azure Policy and its compliance (docs/policy.md).
  ...POLICY_ROUTES,
  ...INSIGHTS_ROUTES,
  // Private networking (docs/private-networking.md): virtual networks and private endpoints, then private DNS.
  ...NETWORK_ROUTES,
  ...PRIVATE_DNS_ROUTES,
];

/** Namespaces Cove serves: an unknown one is InvalidResourceNamespace, a known one with an unknown type InvalidResourceType. */
export const KNOWN_NAMESPACES = [R, ACR, AZ, "Microsoft.Network", PI];
