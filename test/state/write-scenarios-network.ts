// The write scenarios of Microsoft.Network: VNets, subnets, peerings, private endpoints, private DNS
// zones, links, record sets and zone groups (the Scenario contract: write-scenarios.ts).
import {
  N, NET_V, aBody, aUrl, endpoint, group, linkBody, linkUrl, peBody, peUrl, pushBlob, registry, vnet, zone, zoneUrl, type World,
} from "./world.js";
import {
  PE, PUBLIC_A, VNET, ZONE, base, dnsFromVnet, linked, pvia, registryIdOf, subnetId, vnetUrl, type Names, type Scenario,
} from "./write-scenarios.js";

export const NETWORK_SCENARIOS: Record<string, Scenario> = {
  // ---- Microsoft.Network: VNets, subnets, peerings, endpoints
  [`PUT ${VNET}`]: {
    setup: async (w, n) => { await group(w, n.rg); },
    write: (_w, n) => ({
      method: "PUT", url: vnetUrl(n),
      body: { location: "westeurope", properties: { addressSpace: { addressPrefixes: [`${n.p}.0.0/16`] }, subnets: [{ name: "s", properties: { addressPrefix: `${n.p}.1.0/24` } }] } },
    }),
    // The DNS view a client gets (and the decision's locate) follows the subnet.
    observe: async (w, n) => viewName(w, n.client),
    before: () => "internet",
    after: () => "vnet:v",
  },
  [`DELETE ${VNET}`]: {
    setup: (w, n) => base(w, n),
    write: (_w, n) => ({ method: "DELETE", url: vnetUrl(n) }),
    observe: async (w, n) => viewName(w, n.client),
    before: () => "vnet:v",
    after: () => "internet",
  },
  [`PUT ${VNET}/subnets/{subnetName}`]: {
    setup: (w, n) => base(w, n),
    write: (_w, n) => ({ method: "PUT", url: `${N(n.rg)}/virtualNetworks/v/subnets/s2?${NET_V}`, body: { properties: { addressPrefix: `${n.p}.2.0/24` } } }),
    observe: async (w, n) => w.view().network.locate(`${n.p}.2.50`)?.subnetId.split("/").pop(),
    before: () => undefined,
    after: () => "s2",
  },
  [`DELETE ${VNET}/subnets/{subnetName}`]: {
    setup: async (w, n) => { await base(w, n); await w.ok("PUT", `${N(n.rg)}/virtualNetworks/v/subnets/s2?${NET_V}`, { properties: { addressPrefix: `${n.p}.2.0/24` } }); },
    write: (_w, n) => ({ method: "DELETE", url: `${N(n.rg)}/virtualNetworks/v/subnets/s2?${NET_V}` }),
    observe: async (w, n) => w.view().network.locate(`${n.p}.2.50`)?.subnetId.split("/").pop(),
    before: () => "s2",
    after: () => undefined,
  },
  [`PUT ${VNET}/virtualNetworkPeerings/{virtualNetworkPeeringName}`]: {
    setup: async (w, n) => { await peeredPair(w, n, false); },
    write: (_w, n) => peeringWrite(n, "PUT"),
    observe: async (w, n) => w.request(n.login, "/v2/", { ...pvia(n.peLogin), client: `${n.p}.129.10` }),
    before: () => "denied:endpoint-unreachable-from-network",
    after: () => "200",
  },
  [`DELETE ${VNET}/virtualNetworkPeerings/{virtualNetworkPeeringName}`]: {
    setup: async (w, n) => { await peeredPair(w, n, true); },
    write: (_w, n) => peeringWrite(n, "DELETE"),
    observe: async (w, n) => w.request(n.login, "/v2/", { ...pvia(n.peLogin), client: `${n.p}.129.10` }),
    before: () => "200",
    after: () => "denied:endpoint-unreachable-from-network",
  },
  [`PUT ${PE}`]: {
    // The defect: the endpoint turns the registry's data endpoint on, and the very next blob GET
    // on the login server is redirected there; the data endpoint's public name starts to resolve.
    setup: async (w, n) => { await base(w, n); n.ctx.digest = await pushBlob(w, n.reg, "app", Buffer.from(`bytes of ${n.reg}`)); },
    write: (_w, n) => ({ method: "PUT", url: peUrl(n.rg, "pe"), body: peBody(subnetId(n), registryIdOf(n)) }),
    observe: async (w, n) => [await w.request(n.login, `/v2/app/blobs/${n.ctx.digest}`), w.dns(n.dataHost, "127.0.0.1"), w.listeners(n.p)],
    before: () => ["200", "NXDOMAIN", []],
    after: (n) => [`307 ${n.dataHost}`, PUBLIC_A, [n.peLogin, n.peData]],
  },
  [`DELETE ${PE}`]: {
    setup: (w, n) => base(w, n, { pe: true }),
    write: (_w, n) => ({ method: "DELETE", url: peUrl(n.rg, "pe") }),
    observe: async (w, n) => [w.listeners(n.p), await w.request(n.login, "/v2/", { ...pvia(n.peLogin), client: n.client })],
    before: (n) => [[n.peLogin, n.peData], "200"],
    after: () => [[], "denied:no-such-endpoint"],
  },
  // ---- Microsoft.Network/privateDnsZones
  [`PUT ${ZONE}`]: {
    // A zone alone answers nobody until it is linked; the view holds it for the links to name.
    setup: async (w, n) => { await group(w, n.rg); },
    write: (_w, n) => ({ method: "PUT", url: zoneUrl(n.rg, n.zone), body: { location: "global" } }),
    observe: async (w, n) => w.view().network.zoneById?.(`${N(n.rg)}/privateDnsZones/${n.zone}`)?.name,
    before: () => undefined,
    after: (n) => n.zone,
  },
  [`PATCH ${ZONE}`]: {
    unchanged: "tags on a zone change no answer",
    setup: async (w, n) => { await group(w, n.rg); await zone(w, n.rg, n.zone); },
    write: (_w, n) => ({ method: "PATCH", url: zoneUrl(n.rg, n.zone), body: { tags: { env: "state" } } }),
  },
  [`DELETE ${ZONE}`]: {
    // A linked zone cannot be deleted (CannotDeleteResource, as Azure), so no answer can change: the
    // view drops the zone and its records, which a later link would otherwise serve.
    setup: async (w, n) => { await group(w, n.rg); await zone(w, n.rg, n.zone); await w.ok("PUT", aUrl(n.rg, n.zone, n.reg), aBody("127.250.0.9")); },
    write: (_w, n) => ({ method: "DELETE", url: zoneUrl(n.rg, n.zone) }),
    observe: async (w, n) => [...(w.view().network.zoneById?.(`${N(n.rg)}/privateDnsZones/${n.zone}`)?.records.keys() ?? [])],
    before: (n) => [n.reg],
    after: () => [],
  },
  [`PUT ${ZONE}/virtualNetworkLinks/{linkName}`]: {
    setup: async (w, n) => { await base(w, n); await zone(w, n.rg, n.zone); await w.ok("PUT", aUrl(n.rg, n.zone, n.reg), aBody("127.250.0.9")); },
    write: (_w, n) => ({ method: "PUT", url: linkUrl(n.rg, n.zone, "l"), body: linkBody(n.ctx.vnet!) }),
    observe: dnsFromVnet,
    before: () => PUBLIC_A,
    after: () => "NOERROR 127.250.0.9",
  },
  [`PATCH ${ZONE}/virtualNetworkLinks/{linkName}`]: {
    setup: (w, n) => linked(w, n),
    write: (_w, n) => ({ method: "PATCH", url: linkUrl(n.rg, n.zone, "l", "api-version=2024-06-01"), body: { properties: { resolutionPolicy: "NxDomainRedirect" } } }),
    observe: dnsFromVnet,
    before: () => "NXDOMAIN",
    after: () => PUBLIC_A,
  },
  [`DELETE ${ZONE}/virtualNetworkLinks/{linkName}`]: {
    setup: async (w, n) => { await linked(w, n); await w.ok("PUT", aUrl(n.rg, n.zone, n.reg), aBody("127.250.0.9")); },
    write: (_w, n) => ({ method: "DELETE", url: linkUrl(n.rg, n.zone, "l") }),
    observe: dnsFromVnet,
    before: () => "NOERROR 127.250.0.9",
    after: () => PUBLIC_A,
  },
  [`PUT ${ZONE}/A/{relativeRecordSetName}`]: {
    setup: (w, n) => linked(w, n),
    write: (_w, n) => ({ method: "PUT", url: aUrl(n.rg, n.zone, n.reg), body: aBody("127.250.0.9") }),
    observe: dnsFromVnet,
    before: () => "NXDOMAIN",
    after: () => "NOERROR 127.250.0.9",
  },
  [`PATCH ${ZONE}/A/{relativeRecordSetName}`]: {
    setup: async (w, n) => { await linked(w, n); await w.ok("PUT", aUrl(n.rg, n.zone, n.reg), aBody("127.250.0.9")); },
    write: (_w, n) => ({ method: "PATCH", url: aUrl(n.rg, n.zone, n.reg), body: aBody("127.250.0.10") }),
    observe: dnsFromVnet,
    before: () => "NOERROR 127.250.0.9",
    after: () => "NOERROR 127.250.0.10",
  },
  [`DELETE ${ZONE}/A/{relativeRecordSetName}`]: {
    setup: async (w, n) => { await linked(w, n); await w.ok("PUT", aUrl(n.rg, n.zone, n.reg), aBody("127.250.0.9")); },
    write: (_w, n) => ({ method: "DELETE", url: aUrl(n.rg, n.zone, n.reg) }),
    observe: dnsFromVnet,
    before: () => "NOERROR 127.250.0.9",
    after: () => "NXDOMAIN",
  },
  [`PUT ${ZONE}/{recordType}/{relativeRecordSetName}`]: {
    refused: { status: 400, why: "Cove serves A record sets only; other types are refused before anything is written" },
    setup: async (w, n) => { await group(w, n.rg); await zone(w, n.rg, n.zone); },
    write: (_w, n) => ({ method: "PUT", url: `${N(n.rg)}/privateDnsZones/${n.zone}/TXT/t?api-version=2020-06-01`, body: { properties: { ttl: 10, txtRecords: [{ value: ["x"] }] } } }),
  },
  [`PATCH ${ZONE}/{recordType}/{relativeRecordSetName}`]: {
    refused: { status: 400, why: "Cove serves A record sets only; other types are refused before anything is written" },
    setup: async (w, n) => { await group(w, n.rg); await zone(w, n.rg, n.zone); },
    write: (_w, n) => ({ method: "PATCH", url: `${N(n.rg)}/privateDnsZones/${n.zone}/TXT/t?api-version=2020-06-01`, body: { properties: { ttl: 10 } } }),
  },
  [`DELETE ${ZONE}/{recordType}/{relativeRecordSetName}`]: {
    refused: { status: 400, why: "the SOA record set cannot be deleted, other types do not exist in Cove: nothing is written" },
    setup: async (w, n) => { await group(w, n.rg); await zone(w, n.rg, n.zone); },
    write: (_w, n) => ({ method: "DELETE", url: `${N(n.rg)}/privateDnsZones/${n.zone}/SOA/@?api-version=2020-06-01` }),
  },
  [`PUT ${PE}/privateDnsZoneGroups/{privateDnsZoneGroupName}`]: {
    setup: (w, n) => linked(w, n, { pe: true }),
    write: (_w, n) => ({
      method: "PUT", url: `${N(n.rg)}/privateEndpoints/pe/privateDnsZoneGroups/default?${NET_V}`,
      body: { properties: { privateDnsZoneConfigs: [{ name: "z", properties: { privateDnsZoneId: n.ctx.zone } }] } },
    }),
    observe: async (w, n) => [w.dns(n.login, n.client), w.dns(n.dataHost, n.client)],
    before: () => ["NXDOMAIN", "NXDOMAIN"],
    after: (n) => [`NOERROR ${n.peLogin}`, `NOERROR ${n.peData}`],
  },
  [`DELETE ${PE}/privateDnsZoneGroups/{privateDnsZoneGroupName}`]: {
    setup: async (w, n) => {
      await linked(w, n, { pe: true });
      await w.ok("PUT", `${N(n.rg)}/privateEndpoints/pe/privateDnsZoneGroups/default?${NET_V}`, {
        properties: { privateDnsZoneConfigs: [{ name: "z", properties: { privateDnsZoneId: n.ctx.zone } }] },
      });
    },
    write: (_w, n) => ({ method: "DELETE", url: `${N(n.rg)}/privateEndpoints/pe/privateDnsZoneGroups/default?${NET_V}` }),
    observe: async (w, n) => w.dns(n.login, n.client),
    before: (n) => `NOERROR ${n.peLogin}`,
    after: () => "NXDOMAIN",
  },
};

function viewName(w: World, ip: string): string {
  const snapshot = w.view().network;
  const loc = snapshot.locate(ip);
  return loc ? `vnet:${loc.vnetId.split("/").pop()}` : "internet";
}

/** VNet a = p.0.0/17 (endpoint), VNet b = p.128.0/17 (client p.129.10); a -> b peered, and b -> a when `both`. */
async function peeredPair(w: World, n: Names, both: boolean): Promise<void> {
  await group(w, n.rg);
  await registry(w, n.rg, n.reg);
  const a = await vnet(w, n.rg, "v", `${n.p}.0.0/17`, `${n.p}.1.0/24`);
  const b = await vnet(w, n.rg, "b", `${n.p}.128.0/17`, `${n.p}.129.0/24`);
  n.ctx.a = a;
  n.ctx.b = b;
  await endpoint(w, n.rg, "pe", subnetId(n), registryIdOf(n));
  await w.ok("PUT", `${a}/virtualNetworkPeerings/a-b?${NET_V}`, { properties: { remoteVirtualNetwork: { id: b }, allowVirtualNetworkAccess: true } });
  if (both) await w.ok("PUT", `${b}/virtualNetworkPeerings/b-a?${NET_V}`, { properties: { remoteVirtualNetwork: { id: a }, allowVirtualNetworkAccess: true } });
}

function peeringWrite(n: Names, method: "PUT" | "DELETE") {
  const url = `${n.ctx.b}/virtualNetworkPeerings/b-a?${NET_V}`;
  return method === "PUT" ? { method, url, body: { properties: { remoteVirtualNetwork: { id: n.ctx.a }, allowVirtualNetworkAccess: true } } } : { method, url };
}
