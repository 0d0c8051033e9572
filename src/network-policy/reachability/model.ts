// The toolkit's one model (DESIGN.md section 6a): an ArmInventory (ARM documents) turned into the
// very NetworkSnapshot the server enforces with (arm-facts.ts -> snapshot.ts), plus the names and
// relations a person needs to read an answer: which resource group, which connection, which zone
// group, who holds AcrPull. Pure: no I/O; the same inventory gives the same model.
import { networkFacts, type ArmDoc } from "../arm-facts.js";
import { buildSnapshot } from "../snapshot.js";
import type { ConnectionStatus, NetworkSnapshot } from "../types.js";
import { formatIPv4, parseCidr } from "../../domain/network.js";
import { parentOf } from "../../domain/resource-ids.js";
import { builtInRole, roleFromBody, roleRegistryActions, type RoleDefinition } from "../../auth/roles.js";
import { scopeCovers } from "../../auth/role-assignments.js";
import { withInlineChildren, type ArmInventory, type ArmJson, type PrincipalInfo } from "./inventory.js";

/** What modelled public DNS answers end in: the model knows there is a public endpoint, not its address. */
export const PUBLIC_ENDPOINT = "public-endpoint";

export type DataAction = "pull" | "push" | "delete";

export interface RegistryInfo {
  id: string;
  key: string; // lower-cased id
  name: string;
  group: string;
  location: string;
  sku: string;
  /** As ARM shows it: "<name>.<suffix>" plus ":<port>" when the port is not 443. */
  loginServer: string;
  host: string;
  port: number;
  publicNetworkAccess: "Enabled" | "Disabled";
  defaultAction: "Allow" | "Deny";
  ipRules: string[];
  dataEndpointEnabled: boolean;
  /** The home region's data endpoint name (the one clients are redirected to), when enabled. */
  dataHost?: string;
}

export interface SubnetInfo {
  id: string;
  name: string;
  vnetId: string;
  vnetName: string;
  group: string;
  prefixes: string[];
  /** The address the model stands a client at: the subnet's last usable address (Azure reserves the last). */
  clientAddress?: string;
}

export interface PeeringInfo {
  id: string;
  name: string;
  vnetId: string;
  remoteVnetId: string;
  state: string;
}

export interface VnetInfo {
  id: string;
  name: string;
  group: string;
  /** The VNet's region (lower-case). */
  location: string;
  /** The VNet's address space (`addressSpace.addressPrefixes`). */
  prefixes: string[];
  subnets: SubnetInfo[];
  peerings: PeeringInfo[];
}

/**
 * Whether the registry listens on one endpoint IP: Cove's extension `properties.listenerStatus` on
 * the endpoint as served (in loopback mode an IP outside 127.0.0.0/8 cannot be bound). Azure sends
 * no such field, so there the model knows nothing and assumes the platform serves every IP.
 */
export interface ListenerState {
  state: "Listening" | "Failed" | "Pending";
  /** The bind error when Failed, e.g. "listen EADDRNOTAVAIL: address not available 10.20.1.4:443". */
  error?: string;
  hint?: string;
}

export interface EndpointIp {
  ip: string;
  member: string;
  fqdn: string;
  /** Absent when the ARM serves no listener status (Azure). */
  listener?: ListenerState;
}

export interface EndpointInfo {
  id: string;
  name: string;
  group: string;
  /** The endpoint's own region (lower-case): which region a record pointing at it sends clients to. */
  location: string;
  subnetId: string;
  vnetId: string;
  registryKey: string;
  status: ConnectionStatus;
  connectionName?: string;
  connectionId?: string;
  description?: string;
  manual: boolean;
  ips: EndpointIp[];
  zoneGroups: { name: string; zoneIds: string[] }[];
}

export interface ZoneInfo {
  id: string;
  name: string;
  group: string;
  records: Map<string, string[]>;
  links: { id: string; name: string; vnetId: string; resolutionPolicy: string }[];
}

export interface Holder {
  principalId: string;
  appId?: string;
  displayName?: string;
  roles: string[];
  actions: DataAction[];
  /** The assignment scopes that give the rights (the registry, or an ancestor: inherited). */
  scopes: string[];
}

export interface ReachabilityModel {
  suffix: string;
  snapshot: NetworkSnapshot;
  registries: RegistryInfo[];
  vnets: VnetInfo[];
  subnets: SubnetInfo[];
  endpoints: EndpointInfo[];
  zones: ZoneInfo[];
  principals: PrincipalInfo[];
  registry(nameOrId: string): RegistryInfo | undefined;
  vnet(id: string): VnetInfo | undefined;
  subnet(id: string): SubnetInfo | undefined;
  endpoint(id: string): EndpointInfo | undefined;
  /** The endpoint owning this NIC address, with the member it serves. */
  endpointAtIp(ip: string): { endpoint: EndpointInfo; member: EndpointIp } | undefined;
  /** Same VNet, or both sides of a peering. */
  routable(fromVnetId: string, toVnetId: string): boolean;
  /** Data-plane rights of a principal on a registry, from every assignment that covers it. */
  grants(registryId: string, principalId: string): Set<DataAction>;
  holders(registryId: string): Holder[];
  principal(appIdOrObjectId: string): PrincipalInfo | undefined;
}

const lower = (v: unknown) => String(v ?? "").toLowerCase();
const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);
export const groupOf = (id: string) => /\/resourcegroups\/([^/]+)/i.exec(id)?.[1] ?? "";
const doc = (x: ArmJson): ArmDoc => ({ id: String(x.id ?? ""), body: x });

export interface ModelOptions {
  /** Login-server suffix when no registry shows one (default cove.test). */
  suffix?: string;
}

function splitLoginServer(ls: string, name: string): { suffix: string; host: string; port: number } {
  const m = /^([^:]+)(?::(\d+))?$/.exec(ls.toLowerCase()) ?? [ls, ls, undefined];
  const host = m[1]!;
  const suffix = host.startsWith(name.toLowerCase() + ".") ? host.slice(name.length + 1) : host;
  return { suffix, host, port: m[2] ? Number(m[2]) : 443 };
}

function clientAddressOf(prefix: string): string | undefined {
  const r = parseCidr(prefix);
  if (!r.ok || r.cidr.size < 8) return undefined;
  return formatIPv4(r.cidr.base + r.cidr.size - 2);
}

const LISTENER_STATES = new Set(["Listening", "Failed", "Pending"]);

/** The endpoint's `properties.listenerStatus` by IP; empty when the document carries none. */
function listenerStates(e: ArmJson): Map<string, ListenerState> {
  const out = new Map<string, ListenerState>();
  const list = e.properties?.listenerStatus;
  for (const x of Array.isArray(list) ? (list as ArmJson[]) : []) {
    if (typeof x?.ipAddress !== "string" || !LISTENER_STATES.has(x.state)) continue;
    out.set(x.ipAddress, {
      state: x.state, ...(typeof x.error === "string" ? { error: x.error } : {}), ...(typeof x.hint === "string" ? { hint: x.hint } : {}),
    });
  }
  return out;
}

export function buildModel(inventory: ArmInventory, opts: ModelOptions = {}): ReachabilityModel {
  const inv = withInlineChildren(inventory);
  const first = inv.registries[0];
  const suffix = first ? splitLoginServer(String(first.properties?.loginServer ?? ""), String(first.name)).suffix : (opts.suffix ?? "cove.test");
  const records = {
    subnets: inv.subnets.map(doc), peerings: inv.peerings.map(doc), endpoints: inv.privateEndpoints.map(doc),
    nics: inv.networkInterfaces.map(doc), connections: inv.connections.map(doc), registries: inv.registries.map(doc),
    zones: inv.privateDnsZones.map(doc), aRecordSets: inv.aRecordSets.filter((a) => /\/A\/[^/]+$/i.test(String(a.id))).map(doc),
    links: inv.virtualNetworkLinks.map(doc),
  };
  const byId = <T extends { id: string }>(xs: T[]) => new Map(xs.map((x) => [x.id.toLowerCase(), x]));
  const facts = networkFacts(records, suffix);
  const snapshot = buildSnapshot(facts, { suffix, publicAddress: PUBLIC_ENDPOINT });

  const registries: RegistryInfo[] = inv.registries.map((r) => {
    const p = r.properties ?? {};
    const { host, port } = splitLoginServer(String(p.loginServer ?? `${r.name}.${suffix}`), String(r.name));
    const location = lower(r.location);
    const dataEndpointEnabled = p.dataEndpointEnabled === true;
    return {
      id: String(r.id), key: lower(r.id), name: String(r.name), group: groupOf(String(r.id)), location,
      sku: String(r.sku?.name ?? ""), loginServer: String(p.loginServer ?? host), host, port,
      publicNetworkAccess: p.publicNetworkAccess === "Disabled" ? "Disabled" : "Enabled",
      defaultAction: p.networkRuleSet?.defaultAction === "Deny" ? "Deny" : "Allow",
      ipRules: ((p.networkRuleSet?.ipRules ?? []) as ArmJson[]).map((x) => String(x.value ?? x.ipAddressOrRange)),
      dataEndpointEnabled,
      dataHost: dataEndpointEnabled ? `${lower(r.name)}.${location}.data.${suffix}` : undefined,
    };
  });
  const regByKey = byId(registries);

  const subnets: SubnetInfo[] = inv.subnets.map((s) => {
    const p = s.properties ?? {};
    const prefixes: string[] = Array.isArray(p.addressPrefixes) ? p.addressPrefixes.map(String) : p.addressPrefix ? [String(p.addressPrefix)] : [];
    const vnetId = parentOf(String(s.id));
    return {
      id: String(s.id), name: String(s.name ?? nameOf(String(s.id))), vnetId, vnetName: nameOf(vnetId), group: groupOf(String(s.id)),
      prefixes, clientAddress: prefixes.map(clientAddressOf).find((a) => a !== undefined),
    };
  });
  const peerings: PeeringInfo[] = inv.peerings.map((p) => ({
    id: String(p.id), name: String(p.name ?? nameOf(String(p.id))), vnetId: parentOf(String(p.id)),
    remoteVnetId: String(p.properties?.remoteVirtualNetwork?.id ?? ""), state: String(p.properties?.peeringState ?? ""),
  }));
  const vnets: VnetInfo[] = inv.virtualNetworks.map((v) => ({
    id: String(v.id), name: String(v.name), group: groupOf(String(v.id)), location: lower(v.location),
    prefixes: Array.isArray(v.properties?.addressSpace?.addressPrefixes) ? v.properties.addressSpace.addressPrefixes.map(String) : [],
    subnets: subnets.filter((s) => lower(s.vnetId) === lower(v.id)),
    peerings: peerings.filter((p) => lower(p.vnetId) === lower(v.id)),
  }));

  const connById = new Map(inv.connections.map((c) => [lower(c.id), c]));
  const connByEndpoint = new Map<string, ArmJson>();
  for (const c of connById.values()) connByEndpoint.set(lower(c.properties?.privateEndpoint?.id), c);
  const groupsByEndpoint = new Map<string, { name: string; zoneIds: string[] }[]>();
  for (const g of inv.zoneGroups) {
    const key = lower(parentOf(String(g.id)));
    const zoneIds = ((g.properties?.privateDnsZoneConfigs ?? []) as ArmJson[]).map((c) => String(c.properties?.privateDnsZoneId ?? c.privateDnsZoneId ?? ""));
    groupsByEndpoint.set(key, [...(groupsByEndpoint.get(key) ?? []), { name: String(g.name ?? nameOf(String(g.id))), zoneIds }]);
  }
  const addresses = snapshot.endpointAddresses();
  const endpoints: EndpointInfo[] = inv.privateEndpoints.map((e) => {
    const id = String(e.id);
    const key = lower(id);
    const conn = connByEndpoint.get(key);
    const mine = addresses.filter((a) => a.endpointId === key);
    const listeners = listenerStates(e);
    const requested = [...(e.properties?.privateLinkServiceConnections ?? []), ...(e.properties?.manualPrivateLinkServiceConnections ?? [])][0] as ArmJson | undefined;
    return {
      id, name: String(e.name ?? nameOf(id)), group: groupOf(id), location: lower(e.location),
      subnetId: String(e.properties?.subnet?.id ?? ""), vnetId: parentOf(String(e.properties?.subnet?.id ?? "")),
      registryKey: mine[0]?.registryKey ?? (conn ? lower(parentOf(String(conn.id))) : lower(requested?.properties?.privateLinkServiceId)),
      status: mine[0]?.status ?? "Disconnected",
      connectionName: conn ? String(conn.name ?? nameOf(String(conn.id))) : undefined,
      connectionId: conn ? String(conn.id) : undefined,
      description: conn?.properties?.privateLinkServiceConnectionState?.description,
      manual: (e.properties?.manualPrivateLinkServiceConnections ?? []).length > 0,
      ips: mine.map((a) => {
        const listener = listeners.get(a.ip);
        return { ip: a.ip, member: a.member, fqdn: a.fqdn, ...(listener ? { listener } : {}) };
      }),
      zoneGroups: groupsByEndpoint.get(key) ?? [],
    };
  });
  const endpointByKey = byId(endpoints);
  const ipIndex = new Map<string, { endpoint: EndpointInfo; member: EndpointIp }>();
  for (const e of endpoints) for (const m of e.ips) if (!ipIndex.has(m.ip)) ipIndex.set(m.ip, { endpoint: e, member: m });

  const zones: ZoneInfo[] = inv.privateDnsZones.map((z) => {
    const id = String(z.id);
    const view = snapshot.zoneById?.(lower(id));
    const recs = new Map<string, string[]>();
    for (const [k, v] of view?.records ?? []) recs.set(k, [...v.ips]);
    return {
      id, name: lower(z.name), group: groupOf(id), records: recs,
      links: inv.virtualNetworkLinks.filter((l) => lower(parentOf(String(l.id))) === lower(id)).map((l) => ({
        id: String(l.id), name: String(l.name ?? nameOf(String(l.id))), vnetId: String(l.properties?.virtualNetwork?.id ?? ""),
        resolutionPolicy: String(l.properties?.resolutionPolicy ?? "Default"),
      })),
    };
  });

  const customRoles = new Map<string, RoleDefinition>();
  for (const d of inv.roleDefinitions) {
    const role = roleFromBody(d);
    if (role) customRoles.set(lower(role.name), role);
  }
  const roleOf = (defId: string) => builtInRole(defId) ?? customRoles.get(lower(nameOf(defId)));
  const assignments = inv.roleAssignments.map((a) => ({
    scope: String(a.properties?.scope ?? String(a.id).split(/\/providers\/Microsoft\.Authorization\//i)[0]),
    principalId: lower(a.properties?.principalId),
    role: roleOf(String(a.properties?.roleDefinitionId ?? "")),
  }));
  const principalByKey = new Map<string, PrincipalInfo>();
  for (const p of inv.principals) {
    principalByKey.set(lower(p.objectId), p);
    if (p.appId) principalByKey.set(lower(p.appId), p);
  }

  function holders(registryId: string): Holder[] {
    const out = new Map<string, Holder>();
    for (const a of assignments) {
      if (!a.role || !scopeCovers(a.scope, registryId)) continue;
      const actions = roleRegistryActions(a.role);
      if (actions.size === 0) continue;
      const p = principalByKey.get(a.principalId);
      const h = out.get(a.principalId) ?? { principalId: a.principalId, appId: p?.appId, displayName: p?.displayName, roles: [], actions: [], scopes: [] };
      if (!h.roles.includes(a.role.roleName)) h.roles.push(a.role.roleName);
      for (const x of actions) if (!h.actions.includes(x)) h.actions.push(x);
      if (!h.scopes.includes(a.scope)) h.scopes.push(a.scope);
      out.set(a.principalId, h);
    }
    return [...out.values()].map((h) => ({ ...h, actions: (["pull", "push", "delete"] as DataAction[]).filter((x) => h.actions.includes(x)) }))
      .sort((a, b) => (a.displayName ?? a.principalId).localeCompare(b.displayName ?? b.principalId));
  }

  return {
    suffix, snapshot, registries, vnets, subnets, endpoints, zones, principals: inv.principals,
    registry: (n) => regByKey.get(lower(n)) ?? registries.find((r) => lower(r.name) === lower(n)),
    vnet: (id) => vnets.find((v) => lower(v.id) === lower(id)),
    subnet: (id) => subnets.find((s) => lower(s.id) === lower(id)),
    endpoint: (id) => endpointByKey.get(lower(id)),
    endpointAtIp: (ip) => ipIndex.get(ip),
    routable: (a, b) => lower(a) === lower(b) || snapshot.peered(lower(a), lower(b)),
    grants(registryId, principalId) {
      const key = lower(principalId);
      const p = principalByKey.get(key);
      const ids = new Set([key, lower(p?.objectId)]);
      const out = new Set<DataAction>();
      for (const h of holders(registryId)) if (ids.has(h.principalId)) for (const x of h.actions) out.add(x);
      return out;
    },
    holders,
    principal: (k) => principalByKey.get(lower(k)),
  };
}
