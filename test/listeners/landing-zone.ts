// A small landing zone on loopback addresses, built through Microsoft's SDKs, and raw-socket clients
// that pick their network by binding a source address (DESIGN.md section 4, loopback mode):
//   hub-vnet    127.16.0.0/16  (pe-subnet 127.16.1.0/24: the private endpoint, IPs .4 and .5)
//   spoke-vnet  127.17.0.0/16  peered with the hub both ways
//   lone-vnet   127.19.0.0/16  no peering
//   127.0.0.x                  in no VNet: the internet
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NetworkManagementClient } from "@azure/arm-network";
import type { TestCove } from "../support/cove.js";
import { clients, credentialFor } from "../support/arm.js";

export const HUB_CLIENT = "127.16.1.10";
export const SPOKE_CLIENT = "127.17.1.10";
export const LONE_CLIENT = "127.19.1.10";
export const INTERNET_CLIENT = "127.0.0.77";

export interface Zone {
  registryId: string;
  loginHost: string;
  dataHost: string;
  net: NetworkManagementClient;
  subnetId: string;
}

export function networkClient(cove: TestCove): NetworkManagementClient {
  return new NetworkManagementClient(credentialFor(cove), cove.credentials.subscriptionId, { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any);
}

export async function landingZone(cove: TestCove, registryName = "contosoacr"): Promise<Zone> {
  const { acr, resources } = clients(cove);
  await resources.resourceGroups.createOrUpdate("net-rg", { location: "westeurope" });
  const reg: any = await acr.registries.create("net-rg", registryName, { location: "westeurope", sku: { name: "Premium" } } as any);
  const net = networkClient(cove);
  const vnet = (name: string, prefix: string, subnet: string, subnetPrefix: string) =>
    net.virtualNetworks.beginCreateOrUpdateAndWait("net-rg", name, {
      location: "westeurope", addressSpace: { addressPrefixes: [prefix] },
      subnets: [{ name: subnet, addressPrefix: subnetPrefix }],
    });
  const hub = await vnet("hub-vnet", "127.16.0.0/16", "pe-subnet", "127.16.1.0/24");
  const spoke = await vnet("spoke-vnet", "127.17.0.0/16", "agents", "127.17.1.0/24");
  await vnet("lone-vnet", "127.19.0.0/16", "agents", "127.19.1.0/24");
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", "hub-vnet", "hub-to-spoke", { remoteVirtualNetwork: { id: spoke.id }, allowVirtualNetworkAccess: true });
  await net.virtualNetworkPeerings.beginCreateOrUpdateAndWait("net-rg", "spoke-vnet", "spoke-to-hub", { remoteVirtualNetwork: { id: hub.id }, allowVirtualNetworkAccess: true });
  return {
    registryId: reg.id,
    loginHost: `${registryName}.${cove.suffix}`,
    dataHost: `${registryName}.westeurope.data.${cove.suffix}`,
    net,
    subnetId: `${hub.id}/subnets/pe-subnet`,
  };
}

/** A private endpoint in the hub: approved at once (the admin owns the registry) or, with `manual`, Pending. */
export async function createEndpoint(zone: Zone, name: string, manual = false) {
  const conn = { name: `${name}-conn`, privateLinkServiceId: zone.registryId, groupIds: ["registry"] };
  return zone.net.privateEndpoints.beginCreateOrUpdateAndWait("net-rg", name, {
    location: "westeurope", subnet: { id: zone.subnetId },
    ...(manual ? { manualPrivateLinkServiceConnections: [{ ...conn, requestMessage: "please" }] } : { privateLinkServiceConnections: [conn] }),
  });
}

export type Outcome =
  | { kind: "answer"; status: number; body: string; socket: TLSSocket }
  | { kind: "refused" } // ECONNREFUSED: nothing listens
  | { kind: "reset" } // accepted, then closed without a TLS answer
  | { kind: "timeout" }; // accepted, no answer within the client's deadline

/**
 * One HTTPS request over a fresh TLS connection from `from` to `ip:port`, presenting `host` (SNI and
 * Host). The socket stays open after an answer (keep-alive) so a test can watch it being cut.
 */
export function request(o: { ip: string; port: number; from: string; host: string; ca: string; path?: string; method?: string; headers?: Record<string, string>; timeoutMs?: number }): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Outcome) => { if (!done) { done = true; clearTimeout(timer); resolve(r); } };
    // net.connect's localAddress reaches the TCP socket (tls.ConnectionOptions' type omits it).
    const socket = tlsConnect({ host: o.ip, port: o.port, localAddress: o.from, servername: o.host, ca: o.ca } as any);
    const timer = setTimeout(() => { finish({ kind: "timeout" }); socket.destroy(); }, o.timeoutMs ?? 3000);
    socket.on("error", (e: NodeJS.ErrnoException) => finish(e.code === "ECONNREFUSED" ? { kind: "refused" } : { kind: "reset" }));
    socket.on("close", () => finish({ kind: "reset" }));
    let raw = "";
    socket.on("secureConnect", () => {
      const extra = Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      socket.write(`${o.method ?? "GET"} ${o.path ?? "/v2/"} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\n${extra}Content-Length: 0\r\n\r\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      raw += chunk.toString("latin1");
      const end = raw.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(raw.slice(0, end))?.[1] ?? 0);
      const isHead = (o.method ?? "GET") === "HEAD";
      if (!isHead && raw.length < end + 4 + length) return;
      const status = Number(raw.slice(9, 12));
      finish({ kind: "answer", status, body: isHead ? "" : raw.slice(end + 4, end + 4 + length), socket });
    });
  });
}

/** Resolves true when the socket closes within `ms`. */
export function closesWithin(socket: TLSSocket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readyState === "closed") return Promise.resolve(true);
  return new Promise((ok) => {
    const t = setTimeout(() => ok(false), ms);
    socket.once("close", () => { clearTimeout(t); ok(true); });
  });
}

/** Polls `probe` until it returns true or `ms` passes; resolves with the elapsed time or -1. */
export async function within(ms: number, probe: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (let i = 0; i < 200; i++) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > ms) return -1;
    await new Promise((r) => setTimeout(r, 25));
  }
  return -1;
}

export interface CurlResult { code: number; status: number; body: string; stderr: string }

/** curl from a source address, trusting Cove's CA, with the name pinned to an address (no DNS). */
export async function curl(cove: TestCove, o: { from: string; host: string; ip: string; path: string; method?: string; headers?: string[]; maxTime?: number }): Promise<CurlResult> {
  const caFile = join(cove.dataDir, "test-ca.pem");
  await writeFile(caFile, cove.ca);
  const port = cove.registryPort;
  const args = [
    "-sS", "--interface", o.from, "--cacert", caFile, "--resolve", `${o.host}:${port}:${o.ip}`,
    "--max-time", String(o.maxTime ?? 5), "-X", o.method ?? "GET", "-w", "\n%{http_code}",
    ...(o.headers ?? []).flatMap((h) => ["-H", h]),
    `https://${o.host}:${port}${o.path}`,
  ];
  return new Promise((ok) => {
    execFile("curl", args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const i = stdout.lastIndexOf("\n");
      ok({ code: err ? Number((err as any).code ?? 1) : 0, status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i), stderr });
    });
  });
}
