// What a client meets after a management write, computed in process from the state view alone:
// the next registry request (Host lookup, network decision, data plane, as http/pipeline.ts orders
// them), the DNS answer a client in some network gets (dns/answers.ts over the view's snapshot), and
// the set of private endpoint IPs the listeners bind. Plus builders for the ARM resources, through
// the real management API (test/control-plane/harness.ts), which answers a write only once the view
// includes it.
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { harness, regPath, regUrl, rgUrl, ACR_V, SUB, type Harness, type Reply } from "../control-plane/harness.js";
import { createDataPlane, type DataPlane } from "../../src/data-plane/index.js";
import { decide, type Via } from "../../src/network-policy/index.js";
import { resolve, QTYPE } from "../../src/dns/answers.js";
import { viewOf } from "../../src/dns/views.js";
import type { StateView } from "../../src/state/index.js";
import { allowAllAuth } from "../data-plane/allow-all-auth.js";
import { sha256 } from "../data-plane/harness.js";
import { bodyBytes, fakeContext } from "../support/context.js";

export const NET_V = "api-version=2025-05-01";
export const DNS_V = "api-version=2020-06-01";
export const N = (rg: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network`;
const PUBLIC: Via = { kind: "public", address: "127.0.0.1" };

export interface World {
  h: Harness;
  plane: DataPlane;
  view(): StateView;
  /** The next registry request, as the pipeline serves it: "200", "404 NAME_UNKNOWN", "307 <host>", "denied:<reason>". */
  request(host: string, path: string, o?: { via?: Via; client?: string; method?: string; body?: Buffer }): Promise<string>;
  /** The A answer `from` gets for `name`: "NOERROR 1.2.3.4", "NXDOMAIN", "NOERROR (no A)". */
  dns(name: string, from: string): string;
  /** The private endpoint IPs the listeners bind, those starting with `prefix`, sorted. */
  listeners(prefix: string): string[];
  ok(method: string, url: string, body?: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export async function openWorld(): Promise<World> {
  const h = await harness();
  const plane = createDataPlane({ meta: h.meta, blobs: h.blobs, auth: allowAllAuth(), log: pino({ level: "silent" }), dataEndpointKey: randomBytes(32) });
  const w: World = {
    h, plane,
    view: () => h.state.current(),
    async request(host, path, o = {}) {
      const view = h.state.current();
      const registry = view.registryByHost(host);
      const d = decide(view.network, o.via ?? PUBLIC, o.client ?? "127.0.0.1", registry?.key);
      if (!d.allow) return `denied:${d.reason}`;
      if (!registry) return "404 NAME_UNKNOWN";
      const ctx = fakeContext({ method: o.method ?? "GET", url: path, headers: { host: `${host}:8444` }, body: o.body });
      const r = await plane.handle(ctx, registry);
      await bodyBytes(r.body);
      const location = (r.headers as Record<string, string> | undefined)?.location ?? (r.headers as Record<string, string> | undefined)?.Location;
      return r.status === 307 ? `307 ${new URL(String(location)).hostname}` : String(r.status);
    },
    dns(name, from) {
      const snapshot = h.state.current().network;
      const r = resolve({ snapshot, view: viewOf(snapshot, from) }, name, QTYPE.A);
      if (r.kind === "outside") return "outside";
      const a = r.answers.filter((x) => x.type === "A").map((x) => String((x as { data?: unknown }).data));
      return a.length ? `${r.rcode} ${a.join(",")}` : r.rcode === "NOERROR" ? "NOERROR (no A)" : r.rcode;
    },
    listeners(prefix) {
      return h.state.current().network.endpointAddresses().map((e) => e.ip).filter((ip) => ip.startsWith(prefix)).sort();
    },
    async ok(method, url, body) {
      const r = await h.call(method, url, { body });
      if (r.status < 200 || r.status > 299) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
      return r;
    },
    close: () => h.close(),
  };
  return w;
}

// ---- builders (each through the management API)

export const group = (w: World, rg: string) => w.ok("PUT", rgUrl(rg), { location: "westeurope" });

export async function registry(w: World, rg: string, name: string): Promise<string> {
  const r = await w.ok("PUT", regUrl(rg, name), { location: "westeurope", sku: { name: "Premium" } });
  return r.json.id as string;
}

/** A VNet with one subnet "s"; returns its id. */
export async function vnet(w: World, rg: string, name: string, space: string, subnet: string): Promise<string> {
  const r = await w.ok("PUT", `${N(rg)}/virtualNetworks/${name}?${NET_V}`, {
    location: "westeurope", properties: { addressSpace: { addressPrefixes: [space] }, subnets: [{ name: "s", properties: { addressPrefix: subnet } }] },
  });
  return r.json.id as string;
}

export const peUrl = (rg: string, name: string) => `${N(rg)}/privateEndpoints/${name}?${NET_V}`;

export function peBody(subnetId: string, registryId: string, manual = false) {
  const key = manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections";
  return { location: "westeurope", properties: { subnet: { id: subnetId }, [key]: [{ name: "c", properties: { privateLinkServiceId: registryId, groupIds: ["registry"] } }] } };
}

export async function endpoint(w: World, rg: string, name: string, subnetId: string, registryId: string, manual = false): Promise<string> {
  return (await w.ok("PUT", peUrl(rg, name), peBody(subnetId, registryId, manual))).json.id as string;
}

/** The registry-side connection names (one per endpoint). */
export async function connections(w: World, rg: string, reg: string): Promise<string[]> {
  const r = await w.ok("GET", `${regPath(rg, reg)}/privateEndpointConnections?${ACR_V}`);
  return (r.json.value as Array<{ name: string }>).map((c) => c.name);
}

export const zoneUrl = (rg: string, zone: string, v = DNS_V) => `${N(rg)}/privateDnsZones/${zone}?${v}`;
export const linkUrl = (rg: string, zone: string, link: string, v = DNS_V) => `${N(rg)}/privateDnsZones/${zone}/virtualNetworkLinks/${link}?${v}`;
export const aUrl = (rg: string, zone: string, name: string) => `${N(rg)}/privateDnsZones/${zone}/A/${name}?${DNS_V}`;

export async function zone(w: World, rg: string, name: string): Promise<string> {
  return (await w.ok("PUT", zoneUrl(rg, name), { location: "global" })).json.id as string;
}

export const linkBody = (vnetId: string) => ({ location: "global", properties: { virtualNetwork: { id: vnetId }, registrationEnabled: false } });
export const aBody = (ip: string) => ({ properties: { ttl: 10, aRecords: [{ ipv4Address: ip }] } });

/** Pushes a blob through the data plane (no network decision: the content is what matters). */
export async function pushBlob(w: World, registryName: string, repo: string, bytes: Buffer): Promise<string> {
  const registry = w.view().registryByHost(`${registryName}.cove.test`);
  if (!registry) throw new Error(`no registry ${registryName} in the view`);
  const digest = sha256(bytes);
  const ctx = fakeContext({ method: "POST", url: `/v2/${repo}/blobs/uploads/?digest=${digest}`, headers: { host: `${registryName}.cove.test:8444`, "content-type": "application/octet-stream" }, body: bytes });
  const r = await w.plane.handle(ctx, registry);
  await bodyBytes(r.body);
  if (r.status !== 201) throw new Error(`push: ${r.status}`);
  return digest;
}

export { SUB, regPath, regUrl, rgUrl };
