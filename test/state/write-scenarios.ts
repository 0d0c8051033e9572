// One scenario per ARM write route (PUT, PATCH, DELETE in control-plane/arm/routes.ts ROUTES; the
// Microsoft.Network ones, private DNS included, are in write-scenarios-network.ts): the
// resources it needs, the write, and what a client meets right after the answer, before and after:
// the next registry request, a DNS answer, the listener set, as the state view makes them
// (world.ts). Writes that no client can see (resource groups, role assignments and definitions,
// tags) say why and are held to "the view was rebuilt and its content is the same"; writes Cove
// refuses are held to "nothing committed, the very same view".
import { randomUUID } from "node:crypto";
import { N, NET_V, SUB, connections, endpoint, group, linkBody, linkUrl, regPath, regUrl, registry, rgUrl, vnet, zone, type World } from "./world.js";
import { ACR_V, AUTHZ_V } from "../control-plane/harness.js";

/** Names of one scenario's resources: its own group, registry and /16 of loopback addresses. */
export interface Names {
  rg: string;
  reg: string;
  login: string;
  dataHost: string;
  /** "127.<100+n>": the VNet's address space is p.0.0/16, its subnet p.1.0/24. */
  p: string;
  /** A client inside the subnet. */
  client: string;
  /** The first endpoint's IPs: login-server member, data member. */
  peLogin: string;
  peData: string;
  zone: string;
  /** Anything the setup wants to hand to the write (ids, names). */
  ctx: Record<string, string>;
}

export function names(n: number): Names {
  const reg = `stateacr${n}`;
  const p = `127.${100 + n}`;
  return {
    rg: `st${n}`, reg, login: `${reg}.cove.test`, dataHost: `${reg}.westeurope.data.cove.test`, p, client: `${p}.1.50`,
    peLogin: `${p}.1.4`, peData: `${p}.1.5`, zone: "privatelink.cove.test", ctx: {},
  };
}

export interface Scenario {
  setup?(w: World, n: Names): Promise<void>;
  write(w: World, n: Names): { method: string; url: string; body?: unknown };
  /** What a client meets (computed from the current view). Absent: `unchanged` or `refused` says why. */
  observe?(w: World, n: Names): Promise<unknown>;
  before?: (n: Names) => unknown;
  after?: (n: Names) => unknown;
  /** The write changes nothing a client can meet: the view is rebuilt (store version moved) with equal content. */
  unchanged?: string;
  /** Cove refuses the write (this status); nothing is committed, the view stays the very same object. */
  refused?: { status: number; why: string };
}

export const RG = "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}";
const ACR = `${RG}/providers/Microsoft.ContainerRegistry/registries/{registryName}`;
export const NET = `${RG}/providers/Microsoft.Network`;
export const VNET = `${NET}/virtualNetworks/{virtualNetworkName}`;
export const PE = `${NET}/privateEndpoints/{privateEndpointName}`;
export const ZONE = `${NET}/privateDnsZones/{zoneName}`;
const AZ = "{scope}/providers/Microsoft.Authorization";

export const pvia = (ip: string) => ({ via: { kind: "private" as const, address: ip } });
export const vnetUrl = (n: Names, name = "v") => `${N(n.rg)}/virtualNetworks/${name}?${NET_V}`;
export const subnetId = (n: Names) => `${N(n.rg)}/virtualNetworks/v/subnets/s`;
export const registryIdOf = (n: Names) => regPath(n.rg, n.reg);
const roleDefUrl = (guid: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}?${AUTHZ_V}`;
const customRole = (n: Names) => ({
  properties: {
    roleName: `state role ${n.rg}`, type: "CustomRole", assignableScopes: [`/subscriptions/${SUB}`],
    permissions: [{ actions: ["Microsoft.ContainerRegistry/registries/read"], notActions: [], dataActions: [], notDataActions: [] }],
  },
});
const READER = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`;

/** Group, registry, VNet p.0.0/16 with subnet s p.1.0/24, and (when `pe`) an endpoint "pe" to the registry. */
export async function base(w: World, n: Names, o: { pe?: boolean; manual?: boolean } = {}): Promise<void> {
  await group(w, n.rg);
  await registry(w, n.rg, n.reg);
  n.ctx.vnet = await vnet(w, n.rg, "v", `${n.p}.0.0/16`, `${n.p}.1.0/24`);
  if (o.pe) n.ctx.pe = await endpoint(w, n.rg, "pe", subnetId(n), registryIdOf(n), o.manual);
}

/** base, plus a zone privatelink.cove.test linked to the VNet (Default policy). */
export async function linked(w: World, n: Names, o: { pe?: boolean } = {}): Promise<void> {
  await base(w, n, o);
  n.ctx.zone = await zone(w, n.rg, n.zone);
  await w.ok("PUT", linkUrl(n.rg, n.zone, "l"), linkBody(n.ctx.vnet!));
}

const replicationUrl = (n: Names) => `${regPath(n.rg, n.reg)}/replications/northeurope?${ACR_V}`;
const replicaHost = (n: Names) => `${n.reg}.northeurope.data.cove.test`;

export const dnsFromVnet = async (w: World, n: Names) => w.dns(n.login, n.client);
export const PUBLIC_A = "NOERROR 127.0.0.1";

export const SCENARIOS: Record<string, Scenario> = {
  // ---- Microsoft.Resources
  [`PUT ${RG}`]: {
    unchanged: "a resource group holds no registry or network state until something is created in it",
    write: (_w, n) => ({ method: "PUT", url: rgUrl(n.rg), body: { location: "westeurope" } }),
  },
  [`PATCH ${RG}`]: {
    unchanged: "tags on a resource group change nothing on the wire",
    setup: async (w, n) => { await group(w, n.rg); },
    write: (_w, n) => ({ method: "PATCH", url: rgUrl(n.rg), body: { tags: { env: "state" } } }),
  },
  [`DELETE ${RG}`]: {
    setup: (w, n) => base(w, n, { pe: true }),
    write: (_w, n) => ({ method: "DELETE", url: rgUrl(n.rg) }),
    observe: async (w, n) => [await w.request(n.login, "/v2/"), w.dns(n.login, "127.0.0.1"), w.listeners(n.p)],
    before: (n) => ["200", PUBLIC_A, [n.peLogin, n.peData]],
    after: () => ["404 NAME_UNKNOWN", "NXDOMAIN", []],
  },
  // ---- Microsoft.ContainerRegistry
  [`PUT ${ACR}`]: {
    setup: async (w, n) => { await group(w, n.rg); },
    write: (_w, n) => ({ method: "PUT", url: regUrl(n.rg, n.reg), body: { location: "westeurope", sku: { name: "Premium" } } }),
    observe: async (w, n) => [await w.request(n.login, "/v2/"), w.dns(n.login, "127.0.0.1")],
    before: () => ["404 NAME_UNKNOWN", "NXDOMAIN"],
    after: () => ["200", PUBLIC_A],
  },
  [`PATCH ${ACR}`]: {
    setup: async (w, n) => { await group(w, n.rg); await registry(w, n.rg, n.reg); },
    write: (_w, n) => ({ method: "PATCH", url: regUrl(n.rg, n.reg), body: { properties: { publicNetworkAccess: "Disabled" } } }),
    observe: async (w, n) => w.request(n.login, "/v2/"),
    before: () => "200",
    after: () => "denied:public-network-access-disabled",
  },
  [`DELETE ${ACR}`]: {
    setup: async (w, n) => { await group(w, n.rg); await registry(w, n.rg, n.reg); },
    write: (_w, n) => ({ method: "DELETE", url: regUrl(n.rg, n.reg) }),
    observe: async (w, n) => [await w.request(n.login, "/v2/"), w.dns(n.login, "127.0.0.1")],
    before: () => ["200", PUBLIC_A],
    after: () => ["404 NAME_UNKNOWN", "NXDOMAIN"],
  },
  [`PUT ${ACR}/privateEndpointConnections/{privateEndpointConnectionName}`]: {
    setup: async (w, n) => { await base(w, n, { pe: true, manual: true }); n.ctx.conn = (await connections(w, n.rg, n.reg))[0]!; },
    write: (_w, n) => ({
      method: "PUT", url: `${regPath(n.rg, n.reg)}/privateEndpointConnections/${n.ctx.conn}?${ACR_V}`,
      body: { properties: { privateLinkServiceConnectionState: { status: "Approved", description: "approved" } } },
    }),
    observe: async (w, n) => w.request(n.login, "/v2/", { ...pvia(n.peLogin), client: n.client }),
    before: () => "denied:endpoint-not-approved",
    after: () => "200",
  },
  [`DELETE ${ACR}/privateEndpointConnections/{privateEndpointConnectionName}`]: {
    setup: async (w, n) => { await base(w, n, { pe: true }); n.ctx.conn = (await connections(w, n.rg, n.reg))[0]!; },
    write: (_w, n) => ({ method: "DELETE", url: `${regPath(n.rg, n.reg)}/privateEndpointConnections/${n.ctx.conn}?${ACR_V}` }),
    observe: async (w, n) => w.request(n.login, "/v2/", { ...pvia(n.peLogin), client: n.client }),
    before: () => "200",
    after: () => "denied:endpoint-not-approved",
  },
  [`PUT ${ACR}/replications/{replicationName}`]: {
    setup: (w, n) => base(w, n, { pe: true }),
    write: (_w, n) => ({ method: "PUT", url: replicationUrl(n), body: { location: "northeurope" } }),
    observe: async (w, n) => [w.listeners(n.p), w.dns(replicaHost(n), "127.0.0.1")],
    before: (n) => [[n.peLogin, n.peData], "NXDOMAIN"],
    after: (n) => [[n.peLogin, n.peData, `${n.p}.1.6`], PUBLIC_A],
  },
  [`PATCH ${ACR}/replications/{replicationName}`]: {
    setup: async (w, n) => { await base(w, n, { pe: true }); await w.ok("PUT", replicationUrl(n), { location: "northeurope" }); },
    write: (_w, n) => ({ method: "PATCH", url: replicationUrl(n), body: { properties: { regionEndpointEnabled: false } } }),
    // What the data plane routes by (which region's data endpoint a blob GET is sent to).
    observe: async (w, n) => w.view().registryByHost(n.login)?.replicas,
    before: () => [{ location: "northeurope", regionEndpointEnabled: true }],
    after: () => [{ location: "northeurope", regionEndpointEnabled: false }],
  },
  [`DELETE ${ACR}/replications/{replicationName}`]: {
    setup: async (w, n) => { await base(w, n, { pe: true }); await w.ok("PUT", replicationUrl(n), { location: "northeurope" }); },
    write: (_w, n) => ({ method: "DELETE", url: replicationUrl(n) }),
    observe: async (w, n) => [w.listeners(n.p), w.dns(replicaHost(n), "127.0.0.1")],
    before: (n) => [[n.peLogin, n.peData, `${n.p}.1.6`], PUBLIC_A],
    after: (n) => [[n.peLogin, n.peData], "NXDOMAIN"],
  },
  // ---- Microsoft.Authorization
  [`PUT ${AZ}/roleDefinitions/{roleDefinitionId}`]: {
    unchanged: "roles decide who may call, not what the network or the registries are (access control reads them per call)",
    setup: async (_w, n) => { n.ctx.guid = randomUUID(); },
    write: (_w, n) => ({ method: "PUT", url: roleDefUrl(n.ctx.guid!), body: customRole(n) }),
  },
  [`DELETE ${AZ}/roleDefinitions/{roleDefinitionId}`]: {
    unchanged: "roles decide who may call, not what the network or the registries are",
    setup: async (w, n) => { n.ctx.guid = randomUUID(); await w.ok("PUT", roleDefUrl(n.ctx.guid), customRole(n)); },
    write: (_w, n) => ({ method: "DELETE", url: roleDefUrl(n.ctx.guid!) }),
  },
  [`PUT ${AZ}/roleAssignments/{roleAssignmentName}`]: {
    unchanged: "an assignment decides who may call, not what the network or the registries are",
    setup: async (w, n) => { await group(w, n.rg); n.ctx.principal = (await w.h.principal(`state-${n.rg}`)).id; n.ctx.guid = randomUUID(); },
    write: (_w, n) => ({
      method: "PUT", url: `${rgUrl(n.rg).split("?")[0]}/providers/Microsoft.Authorization/roleAssignments/${n.ctx.guid}?${AUTHZ_V}`,
      body: { properties: { roleDefinitionId: READER, principalId: n.ctx.principal } },
    }),
  },
  [`DELETE ${AZ}/roleAssignments/{roleAssignmentName}`]: {
    unchanged: "an assignment decides who may call, not what the network or the registries are",
    setup: async (w, n) => {
      await group(w, n.rg);
      n.ctx.url = `${rgUrl(n.rg).split("?")[0]}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?${AUTHZ_V}`;
      await w.ok("PUT", n.ctx.url, { properties: { roleDefinitionId: READER, principalId: (await w.h.principal(`state-${n.rg}`)).id } });
    },
    write: (_w, n) => ({ method: "DELETE", url: n.ctx.url! }),
  },
};
