// Cove's lab endpoint on the management listener (docs/lab.md), behind authentication:
//
//   GET    /cove/lab         -> 200 the lab: mode, its addresses, hosts, and every endpoint listener
//   PUT    /cove/lab/hosts   {hosts: [...]} -> 201 the hosts made (`cove lab up`)
//   DELETE /cove/lab/hosts   -> 200 {removed: [...]} (`cove lab down`)
//
// Reading needs Microsoft.Network/virtualNetworks/read at the subscription; making or removing hosts
// changes the machine Cove runs on, so it needs what Owner holds (roleAssignments/write). In loopback
// mode GET still answers (the endpoint listeners, bound or not); PUT and DELETE are LabNotRunning.
import type { HandlerResult, RequestContext } from "../http/types.js";
import type { AccessControl } from "../auth/types.js";
import { armError } from "../control-plane/arm/errors.js";
import { readJsonBody } from "../control-plane/arm/request-body.js";
import type { NetworkSnapshot } from "../network-policy/index.js";
import type { LabController } from "./controller.js";
import { LabError } from "./errors.js";
import { checkHostSpecs, MAX_HOSTS_FILE_BYTES } from "./hosts-file.js";

export interface LabRoutesOptions {
  access: AccessControl;
  subscriptionId: string;
  mode: "loopback" | "lab";
  lab?: LabController;
  snapshot(): NetworkSnapshot;
  listenerStatus(ip: string): { state: string; error?: string };
  endpoints: { management: string; publicEndpoint: string; dns: string };
}

const ROUTE = /^\/cove\/lab(\/hosts)?\/?$/i;
const READ = "Microsoft.Network/virtualNetworks/read";
const MANAGE = "Microsoft.Authorization/roleAssignments/write";

const labError = (e: LabError): HandlerResult => ({ status: e.status, body: { error: { code: e.code, message: e.message } } });

export function createLabRoutes(o: LabRoutesOptions) {
  const scope = `/subscriptions/${o.subscriptionId}`;

  function status() {
    const snapshot = o.snapshot();
    const listeners = snapshot.endpointAddresses().map((e) => ({
      ipAddress: e.ip, fqdn: e.fqdn, endpointId: e.endpointId, connection: e.status, ...o.listenerStatus(e.ip),
    }));
    return {
      mode: o.mode,
      ...(o.lab ? { labAddress: o.lab.addresses.lab } : {}),
      managementEndpoint: o.endpoints.management,
      publicEndpoint: o.endpoints.publicEndpoint,
      dns: o.endpoints.dns,
      hosts: (o.lab?.list() ?? []).map((h) => ({
        name: h.name, namespace: h.namespace, address: h.address,
        ...(h.subnetId ? { subnetId: h.subnetId, vnetId: h.vnetId, prefix: h.prefix } : { internet: true }),
        routes: h.routes.reach,
      })),
      listeners,
    };
  }

  return async function labRoutes(ctx: RequestContext): Promise<HandlerResult | undefined> {
    const m = ROUTE.exec(ctx.rawPath);
    if (!m) return undefined;
    const principal = ctx.principal;
    if (!principal) throw ctx.headers.authorization ? armError("InvalidAuthenticationToken") : armError("AuthenticationFailed");
    const hosts = m[1] !== undefined;
    const action = ctx.method === "GET" ? READ : MANAGE;
    if (!(await o.access.authorize(principal, action, scope))) {
      throw armError("AuthorizationFailed", { clientId: principal.clientId ?? principal.id, objectId: principal.id, action, scope });
    }
    try {
      if (ctx.method === "GET" && !hosts) return { status: 200, body: status() };
      if (!hosts || (ctx.method !== "PUT" && ctx.method !== "DELETE")) throw armError("MethodNotAllowed", { method: ctx.method });
      if (!o.lab) throw new LabError("LabNotRunning", "Cove is serving in loopback mode; start it with 'sudo cove serve --lab' to run a lab (docs/lab.md).");
      if (ctx.method === "DELETE") return { status: 200, body: { removed: await o.lab.down() } };
      const body = await readJsonBody(ctx, MAX_HOSTS_FILE_BYTES * 2);
      await o.lab.up(checkHostSpecs(body));
      return { status: 201, body: status() };
    } catch (e) {
      if (e instanceof LabError) return labError(e);
      throw e;
    }
  };
}
