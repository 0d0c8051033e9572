// Approve-to-enforced across nodes. A landing zone (one VNet in a loopback prefix: a subnet for
// endpoints, one for clients), then rounds of: a manual private endpoint made through node A
// (Pending), a client in the VNet connecting to its registry IP on the node that listens there, held
// without an answer while the connection is Pending (the holder: on one machine and one registry port
// only one node can bind an endpoint IP, whichever binds it first, often but not always the node that
// made it; each node's GET names its own listener state); the connection approved through the next
// node (ARM PUT), and the time from sending that PUT until the held client's TLS handshake completes
// on the holder. Then it is rejected through the node after that, and the time until the holder cuts
// the open connection. Rejected is final (DESIGN 4), so every round has an endpoint of its own, deleted at its end.
//
// With one node, holder and approver are the same process: the reference of the same run. Rounds are
// run one at a time by the caller, so several set-ups can take turns round by round.
import { connect as netConnect } from "node:net";
import { connect } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import type { BenchCluster, BenchNode } from "./scale-nodes.js";
import { https, type HttpResult } from "../../test/support/http.js";

export interface ApprovalResult {
  rounds: number;
  /** Per round, ms: PUT sent -> client admitted (approve), PUT sent -> client cut (reject). */
  approve: number[];
  reject: number[];
  /** ms the approving PUT took to answer. */
  putMs: number[];
  /** Rounds whose holder was not the node that made the endpoint. */
  holderMoved: number;
  timeouts: number;
}

const NET_API = "api-version=2025-05-01";
const ACR_API = "api-version=2025-11-01";
const BOUND_MS = 10_000;

export interface ApprovalRounds {
  result: ApprovalResult;
  /** Runs round `r` and adds its times to `result`. */
  round(r: number): Promise<void>;
}

/** Makes the landing zone through node A; each round() then makes, approves, rejects and deletes one endpoint. */
export async function prepareApproval(c: BenchCluster, prefix: string): Promise<ApprovalRounds> {
  const [a] = c.nodes;
  const arm = async (n: BenchNode, method: string, path: string, body?: object): Promise<HttpResult> => {
    const r = await https(`${n.managementUrl}${path}`, { method, ca: n.ca, headers: { authorization: `Bearer ${await c.armToken(n)}` }, body });
    if (r.status >= 300) throw new Error(`${method} ${path} on node ${n.name}: ${r.status} ${r.body}`);
    return r;
  };
  const reg = c.registry.id;
  const rg = reg.replace(/\/providers\/.*$/, "");
  const vnet = `${rg}/providers/Microsoft.Network/virtualNetworks/bench-approvals`;
  await arm(a!, "PUT", `${vnet}?${NET_API}`, {
    location: "westeurope",
    properties: {
      addressSpace: { addressPrefixes: [`${prefix}.0.0/16`] },
      subnets: [{ name: "pe", properties: { addressPrefix: `${prefix}.1.0/24` } }, { name: "clients", properties: { addressPrefix: `${prefix}.2.0/24` } }],
    },
  });
  const client = `${prefix}.2.10`;
  const out: ApprovalResult = { rounds: 0, approve: [], reject: [], putMs: [], holderMoved: 0, timeouts: 0 };
  const round = async (r: number) => {
    out.rounds++;
    const pe = `${rg}/providers/Microsoft.Network/privateEndpoints/bench-pe-${r}`;
    const made = (await arm(a!, "PUT", `${pe}?${NET_API}`, {
      location: "westeurope",
      properties: {
        subnet: { id: `${vnet}/subnets/pe` },
        manualPrivateLinkServiceConnections: [{ name: "c", properties: { privateLinkServiceId: reg, groupIds: ["registry"], requestMessage: "bench" } }],
      },
    })).json();
    const ip = (made.properties.customDnsConfigs as any[]).find((d) => d.fqdn === c.registry.host)?.ipAddresses[0] as string;
    const conns = (await arm(a!, "GET", `${reg}/privateEndpointConnections?${ACR_API}`)).json().value as any[];
    const conn = conns.find((x) => String(x.properties.privateEndpoint.id).toLowerCase() === pe.toLowerCase());
    const holderAt = await holderIndex(c, arm, pe, ip);
    if (holderAt !== 0) out.holderMoved++;
    const holder = c.nodes[holderAt]!;
    const approver = c.nodes[(holderAt + 1) % c.nodes.length]!;
    const rejecter = c.nodes[(holderAt + 2) % c.nodes.length]!;
    const probe = await heldClient(ip, c.registryPort, client, c.registry.host, holder.ca);
    try {
      const state = (status: string) => ({ properties: { privateLinkServiceConnectionState: { status, description: `bench round ${r}` } } });
      await sleep(20); // time enough for a handshake the holder should not have let through
      if (probe.secured()) throw new Error(`round ${r}: the client got through while the connection was Pending`);
      const t0 = performance.now();
      await arm(approver, "PUT", `${reg}/privateEndpointConnections/${conn.name}?${ACR_API}`, state("Approved"));
      out.putMs.push(performance.now() - t0);
      const admitted = await Promise.race([probe.secure.then(() => performance.now() - t0), bound()]);
      if (admitted === undefined) { out.timeouts++; return; }
      out.approve.push(admitted);
      const t1 = performance.now();
      await arm(rejecter, "PUT", `${reg}/privateEndpointConnections/${conn.name}?${ACR_API}`, state("Rejected"));
      const cut = await Promise.race([probe.closed.then(() => performance.now() - t1), bound()]);
      if (cut === undefined) out.timeouts++;
      else out.reject.push(cut);
    } finally {
      probe.destroy();
      await arm(a!, "DELETE", `${pe}?${NET_API}`);
    }
  };
  return { result: out, round };
}

const bound = () => new Promise<undefined>((ok) => setTimeout(() => ok(undefined), BOUND_MS).unref());

/** The index of the node whose listener holds `ip` (its own GET says Listening). */
async function holderIndex(c: BenchCluster, arm: (n: BenchNode, m: string, p: string) => Promise<HttpResult>, pe: string, ip: string): Promise<number> {
  for (let i = 0; i < c.nodes.length; i++) {
    const st = ((await arm(c.nodes[i]!, "GET", `${pe}?${NET_API}`)).json().properties.listenerStatus ?? []) as any[];
    if (st.find((s) => s.ipAddress === ip)?.state === "Listening") return i;
  }
  throw new Error(`no node listens on ${ip}`);
}

/** A TLS client from `from` to ip:port, connected at TCP level (the holder keeps it unanswered). */
async function heldClient(ip: string, port: number, from: string, servername: string, ca: string) {
  const raw = netConnect({ host: ip, port, localAddress: from });
  await new Promise<void>((ok, fail) => {
    raw.once("connect", () => ok());
    raw.once("error", fail);
  });
  const sock = connect({ socket: raw, servername, ca });
  // A reset when the holder cuts it is expected; without a listener it would be thrown.
  sock.on("error", () => undefined);
  raw.on("error", () => undefined);
  let secured = false;
  const closed = new Promise<void>((ok) => sock.once("close", () => ok()));
  const secure = new Promise<void>((ok, fail) => {
    sock.once("secureConnect", () => { secured = true; ok(); });
    sock.once("close", () => fail(new Error("closed before the handshake")));
  });
  secure.catch(() => undefined);
  return { secure, closed, secured: () => secured, destroy: () => { sock.destroy(); raw.destroy(); } };
}
