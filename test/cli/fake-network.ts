// A stand-in for the private-networking part of Cove's management endpoint, for the CLI's tests
// while the real server is being written. It sits in front of fake-management.ts (same CA and
// certificate, found in its dir): Microsoft.Network / privateDnsZones resources, a registry's
// privateEndpointConnections and privateLinkResources, and registry PATCH are answered here from
// an in-memory store of ARM documents; everything else (identity, subscriptions, groups, registry
// create/get) is passed through. Requests are recorded so tests can check what the CLI sent.
// Behaviour is only what the CLI tests need: synchronous 200/201 answers, 404 for a missing
// resource or parent, a PE that makes a NIC and a connection on the registry (Approved, or
// Pending for a manual request), and peerings that turn Connected once both sides exist.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpsRequest, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CLIENT_ID, CLIENT_SECRET, SUBSCRIPTION, TENANT, startFakeManagement, type FakeManagement, type Recorded } from "./fake-management.js";

export interface FakeNetwork {
  endpoint: string;
  caPath: string;
  upstream: FakeManagement;
  requests: Recorded[];
  /** ARM documents by lower-cased id. */
  store: Map<string, any>;
  get(id: string): any;
  close(): Promise<void>;
}

type Out = { status: number; body?: unknown };

const armError = (status: number, code: string, message: string): Out => ({ status, body: { error: { code, message } } });

export async function startFakeNetwork(): Promise<FakeNetwork> {
  const upstream = await startFakeManagement();
  const upstreamUrl = new URL(upstream.endpoint);
  const ca = readFileSync(upstream.caPath);
  const store = new Map<string, any>();
  const requests: Recorded[] = [];
  let nextHost = 4;

  const registryOf = (id: string) => {
    const m = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)$/i.exec(id);
    return m ? upstream.registries.get(`${m[1]}/${m[2]}`.toLowerCase()) : undefined;
  };
  const exists = (id: string) => store.has(id.toLowerCase()) || registryOf(id) !== undefined;
  /** Documents directly under `parent` (their id is parent/<type>/<name>). */
  const children = (parent: string, type?: string) =>
    [...store.values()].filter((d) => d.id.slice(0, d.id.lastIndexOf("/", d.id.lastIndexOf("/") - 1)).toLowerCase() === parent.toLowerCase() && (!type || d.type === type));

  function put(id: string, type: string, body: any): any {
    const name = id.slice(id.lastIndexOf("/") + 1);
    const doc: any = { id, name, type, etag: randomUUID(), properties: { ...(body?.properties ?? {}), provisioningState: "Succeeded" } };
    if (body?.location) doc.location = body.location;
    store.set(id.toLowerCase(), doc);
    return doc;
  }

  /** Views computed at read time: a VNet's subnets and peerings, as Azure shows them inline. */
  function view(doc: any): any {
    if (doc.type === "Microsoft.Network/virtualNetworks") {
      return { ...doc, properties: { ...doc.properties, subnets: children(doc.id, "Microsoft.Network/virtualNetworks/subnets"), virtualNetworkPeerings: children(doc.id, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings").map(view) } };
    }
    if (doc.type === "Microsoft.Network/virtualNetworks/virtualNetworkPeerings") {
      const local = doc.id.slice(0, doc.id.lastIndexOf("/virtualNetworkPeerings/"));
      const remote = doc.properties.remoteVirtualNetwork?.id ?? "";
      const back = children(remote, doc.type).some((p: any) => p.properties.remoteVirtualNetwork?.id?.toLowerCase() === local.toLowerCase());
      return { ...doc, properties: { ...doc.properties, peeringState: back ? "Connected" : "Initiated" } };
    }
    return doc;
  }

  function createEndpoint(id: string, body: any): Out {
    const props = body?.properties ?? {};
    const subnetId: string | undefined = props.subnet?.id;
    const subnet = subnetId ? store.get(subnetId.toLowerCase()) : undefined;
    if (!subnet) return armError(400, "InvalidResourceReference", `Resource ${subnetId} referenced by resource ${id} was not found.`);
    const manual = (props.manualPrivateLinkServiceConnections ?? []).length > 0;
    const conn = (manual ? props.manualPrivateLinkServiceConnections : props.privateLinkServiceConnections)?.[0];
    const registry = conn ? registryOf(conn.properties?.privateLinkServiceId ?? "") : undefined;
    if (!registry) return armError(400, "PrivateEndpointCannotBeCreatedInSubnet", `Private link service ${conn?.properties?.privateLinkServiceId} was not found.`);
    const prefix: string = subnet.properties.addressPrefix ?? subnet.properties.addressPrefixes?.[0];
    const base = prefix.split("/")[0].split(".").slice(0, 3).join(".");
    const members = ["registry", `registry_data_${registry.location}`];
    const statics: any[] = props.ipConfigurations ?? [];
    const ips = members.map((m) => statics.find((c) => c.properties?.memberName === m)?.properties?.privateIPAddress ?? `${base}.${nextHost++}`);
    const name = id.slice(id.lastIndexOf("/") + 1);
    const nicId = id.replace(/\/privateEndpoints\/[^/]+$/i, `/networkInterfaces/${props.customNetworkInterfaceName ?? `${name}.nic.${randomUUID()}`}`);
    const fqdns = [[`${registry.name}.cove.test`], [`${registry.name}.${registry.location}.data.cove.test`]];
    put(nicId, "Microsoft.Network/networkInterfaces", {
      location: body.location,
      properties: { ipConfigurations: members.map((m, i) => ({ name: `privateEndpointIpConfig.${i}`, properties: { privateIPAddress: ips[i], privateLinkConnectionProperties: { groupId: "registry", requiredMemberName: m, fqdns: fqdns[i] } } })) },
    });
    const status = manual ? "Pending" : "Approved";
    const state = { status, description: manual ? conn.properties?.requestMessage ?? "" : "Auto-Approved", actionsRequired: "None" };
    put(`${registry.id}/privateEndpointConnections/${name}.${randomUUID()}`, "Microsoft.ContainerRegistry/registries/privateEndpointConnections", {
      properties: { privateEndpoint: { id }, privateLinkServiceConnectionState: state },
    });
    const withState = (list: any[] | undefined) => list?.map((c) => ({ ...c, properties: { ...c.properties, privateLinkServiceConnectionState: state } }));
    const existed = store.has(id.toLowerCase());
    const doc = put(id, "Microsoft.Network/privateEndpoints", {
      location: body.location,
      properties: {
        ...props,
        privateLinkServiceConnections: withState(props.privateLinkServiceConnections) ?? [],
        manualPrivateLinkServiceConnections: withState(props.manualPrivateLinkServiceConnections) ?? [],
        networkInterfaces: [{ id: nicId }],
        customDnsConfigs: members.map((_, i) => ({ fqdn: fqdns[i][0], ipAddresses: [ips[i]] })),
      },
    });
    return { status: existed ? 200 : 201, body: doc };
  }

  function deleteEndpoint(doc: any): void {
    for (const nic of doc.properties.networkInterfaces ?? []) store.delete(nic.id.toLowerCase());
    for (const [k, d] of store) if (d.type.endsWith("/privateEndpointConnections") && d.properties.privateEndpoint?.id?.toLowerCase() === doc.id.toLowerCase()) store.delete(k);
    for (const [k] of store) if (k.startsWith(doc.id.toLowerCase() + "/")) store.delete(k);
  }

  function route(method: string, path: string, body: any): Out | undefined {
    const clean = path.replace(/\/+$/, "");
    let m: RegExpExecArray | null;
    // Subscription-wide lists (listAll, listBySubscription, privateZones.list).
    if (method === "GET" && (m = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Network\/([^/]+)$/i.exec(clean))) {
      const type = `Microsoft.Network/${m[1]}`.toLowerCase();
      return { status: 200, body: { value: [...store.values()].filter((d) => d.type.toLowerCase() === type).map(view) } };
    }
    const reg = /^(\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+))(\/.*)?$/i.exec(clean);
    if (reg) {
      const [, regId, rg, name, rest] = reg;
      const registry = registryOf(regId);
      if (!rest && method === "PATCH") {
        if (!registry) return armError(404, "ResourceNotFound", `The Resource 'Microsoft.ContainerRegistry/registries/${name}' under resource group '${rg}' was not found.`);
        const p = body?.properties ?? {};
        if (registry.sku.name !== "Premium" && (p.publicNetworkAccess === "Disabled" || (p.networkRuleSet?.ipRules ?? []).length > 0)) {
          return armError(400, "DisablingPublicNetworkAccessNotSupported", "Disabling public network access is only supported for Premium registries.");
        }
        Object.assign(registry.properties, p);
        return { status: 200, body: registry };
      }
      if (!rest) return undefined; // create / get / delete: fake-management
      if (!registry) return armError(404, "ResourceNotFound", `The Resource 'Microsoft.ContainerRegistry/registries/${name}' under resource group '${rg}' was not found.`);
      if (/^\/privateLinkResources$/i.test(rest) && method === "GET") {
        return { status: 200, body: { value: [{ id: `${regId}/privateLinkResources/registry`, name: "registry", type: "Microsoft.ContainerRegistry/registries/privateLinkResources", properties: { groupId: "registry", requiredMembers: ["registry", `registry_data_${registry.location}`], requiredZoneNames: ["privatelink.cove.test"] } }] } };
      }
      if (!/^\/privateEndpointConnections(\/[^/]+)?$/i.test(rest)) return armError(404, "NotFoundInFake", `${method} ${path}`);
    } else if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\//i.test(clean)) {
      return undefined;
    }

    // Generic ARM documents: /.../providers/<ns>/<type>/<name>[/<type>/<name>]...
    const p = /^(.*\/providers\/(Microsoft\.[^/]+))\/(.*)$/i.exec(clean)!;
    const parts = p[3].split("/");
    // Private DNS record types arrive as "A" or "a".
    if (parts[0].toLowerCase() === "privatednszones" && parts.length >= 3 && parts[2].toLowerCase() === "a") parts[2] = "A";
    const id = `${p[1]}/${parts.join("/")}`;
    const type = `${p[2]}/${parts.filter((_, i) => i % 2 === 0).join("/")}`;
    const rg = /\/resourceGroups\/([^/]+)/i.exec(clean)![1];
    if (parts.length % 2 === 1) {
      if (method !== "GET") return armError(405, "MethodNotAllowed", `${method} on a collection`);
      if (parts.length > 1 && !exists(id.slice(0, id.lastIndexOf("/")))) return armError(404, "ParentResourceNotFound", `Parent of ${id} not found.`);
      return { status: 200, body: { value: children(id.slice(0, id.lastIndexOf("/")), type).map(view) } };
    }
    const parent = id.slice(0, id.lastIndexOf("/", id.lastIndexOf("/") - 1));
    const doc = store.get(id.toLowerCase());
    const notFound = () => armError(404, "ResourceNotFound", `The Resource '${type}/${parts[parts.length - 1]}' under resource group '${rg}' was not found.`);
    switch (method) {
      case "GET":
        return doc ? { status: 200, body: view(doc) } : notFound();
      case "DELETE":
        if (!doc) return { status: 204 };
        if (doc.type === "Microsoft.Network/privateEndpoints") deleteEndpoint(doc);
        for (const [k] of store) if (k.startsWith(id.toLowerCase() + "/")) store.delete(k);
        store.delete(id.toLowerCase());
        return { status: 200 };
      case "PUT": {
        if (parts.length > 2 && !exists(parent)) return armError(404, "ParentResourceNotFound", `Can not perform requested operation on nested resource. Parent resource '${parent.split("/").pop()}' not found.`);
        if (type === "Microsoft.Network/privateEndpoints") return createEndpoint(id, body);
        const existed = doc !== undefined;
        const props = { ...(body?.properties ?? {}) };
        const inline: any[] = type === "Microsoft.Network/virtualNetworks" ? props.subnets ?? [] : [];
        delete props.subnets;
        const created = put(id, type, { ...body, properties: props });
        for (const s of inline) put(`${id}/subnets/${s.name}`, "Microsoft.Network/virtualNetworks/subnets", s);
        if (type === "Microsoft.Network/privateDnsZones/virtualNetworkLinks") created.properties.virtualNetworkLinkState = "Completed";
        if (type === "Microsoft.Network/privateDnsZones/A") created.properties.fqdn = `${created.name}.${parts[1]}.`;
        return { status: existed ? 200 : 201, body: view(created) };
      }
    }
    return armError(405, "MethodNotAllowed", method);
  }

  const { key, cert } = { key: readFileSync(join(upstream.dir, "server.key")), cert: readFileSync(join(upstream.dir, "server.crt")) };
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const text = raw.toString("utf8");
      const url = req.url ?? "/";
      requests.push({ method: req.method ?? "", url, body: text, authorization: req.headers.authorization });
      const q = url.indexOf("?");
      const pathname = decodeURIComponent((q < 0 ? url : url.slice(0, q)).replace(/\/{2,}/g, "/"));
      let body: any;
      try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
      const out = route(req.method ?? "GET", pathname, body);
      if (out) {
        const payload = out.body === undefined ? "" : JSON.stringify(out.body);
        res.writeHead(out.status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
        res.end(payload);
        return;
      }
      // Everything else: fake-management.
      const headers = { ...req.headers, host: upstreamUrl.host };
      const fwd = httpsRequest({ hostname: upstreamUrl.hostname, port: upstreamUrl.port, path: url, method: req.method, headers, ca }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on("error", () => { res.writeHead(502); res.end(); });
      fwd.end(raw);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint, caPath: upstream.caPath, upstream, requests, store,
    get: (id: string) => store.get(id.toLowerCase()),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await upstream.close();
    },
  };
}

/** credentials.json as `cove serve` writes it: tokens from fake-management, management calls here. */
export function writeNetworkCredentials(dir: string, fake: FakeNetwork): void {
  writeFileSync(join(dir, "credentials.json"), JSON.stringify({
    tenantId: TENANT, subscriptionId: SUBSCRIPTION, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET,
    authorityHost: fake.upstream.endpoint, managementEndpoint: fake.endpoint, registryPort: 8444, dnsAddress: "127.0.0.1:5353", caCertPath: fake.caPath,
  }), { mode: 0o600 });
}
