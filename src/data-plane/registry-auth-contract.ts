// The seam between the OCI handlers (data-plane/*) and registry authentication
// (data-plane/registry-auth/): a route declares what it needs, the auth module answers with
// a principal or with the exact response to send (401 challenge as ACR, or 403).

import type { HandlerResult, RequestContext } from "../http/types.js";
import type { Principal, RegistryAction } from "../auth/types.js";
import type { RegistryView } from "../domain/registry.js";

/** What a route requires: an action on one repository, or the registry catalog. */
export type Need =
  | { kind: "repository"; repository: string; actions: RegistryAction[] }
  | { kind: "catalog" }
  | { kind: "base" }; // GET /v2/: any authenticated principal

export type AccessResult =
  | { ok: true; principal: Principal }
  | { ok: false; result: HandlerResult };

export interface RegistryAuth {
  check(ctx: RequestContext, registry: RegistryView, need: Need): Promise<AccessResult>;
  /** The ACR token endpoints (/oauth2/exchange, /oauth2/token); undefined when the path is not theirs. */
  handleTokenEndpoint(ctx: RequestContext, registry: RegistryView): Promise<HandlerResult | undefined>;
}
